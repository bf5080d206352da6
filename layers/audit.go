package layers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paulmach/orb/geojson"
)

// CheckResult is what a supervisor found on the ground (核查结果).
type CheckResult string

// The check results.
const (
	ConfirmedLegal   CheckResult = "confirmed_legal"   // 核实合法
	ConfirmedIllegal CheckResult = "confirmed_illegal" // 核实违法
	Rectifying       CheckResult = "rectifying"        // 整改中
	Rectified        CheckResult = "rectified"         // 已整改
	OtherResult      CheckResult = "other"             // 其他
)

// CheckResults lists the results in report order.
var CheckResults = []CheckResult{ConfirmedLegal, ConfirmedIllegal, Rectifying, Rectified, OtherResult}

// Valid says whether r is one of CheckResults.
func (r CheckResult) Valid() bool {
	for _, x := range CheckResults {
		if r == x {
			return true
		}
	}
	return false
}

// Label is the result's Chinese name.
func (r CheckResult) Label() string {
	switch r {
	case ConfirmedLegal:
		return "核实合法"
	case ConfirmedIllegal:
		return "核实违法"
	case Rectifying:
		return "整改中"
	case Rectified:
		return "已整改"
	case OtherResult:
		return "其他"
	}
	return string(r)
}

// MaxCheckComment is the longest comment a check keeps, in characters.
const MaxCheckComment = 2000

// Check is one field check (核查) of a supervised feature. Checks are
// appended, never overwritten: a feature's latest check is its current
// one and the earlier ones are its check history. The computed verdict at
// the time is kept beside the result for the record; it is never replaced
// by the result.
type Check struct {
	Seq       int64       `json:"seq"` // the store's number for the record, ascending in time
	Layer     string      `json:"layer"`
	FeatureID int64       `json:"feature_id"`
	Result    CheckResult `json:"result"`
	Comment   string      `json:"comment"`
	Verdict   string      `json:"verdict"` // the computed verdict when the check was recorded
	User      string      `json:"user"`
	At        time.Time   `json:"at"`
}

// CheckError is a check that cannot be recorded as given.
type CheckError struct{ Msg string }

func (e *CheckError) Error() string { return "field check: " + e.Msg }

// Validate says what is wrong with a check about to be recorded.
func (c Check) Validate() error {
	if !c.Result.Valid() {
		return &CheckError{Msg: fmt.Sprintf("result %q is not one of confirmed_legal, confirmed_illegal, rectifying, rectified, other", c.Result)}
	}
	if n := len([]rune(c.Comment)); n > MaxCheckComment {
		return &CheckError{Msg: fmt.Sprintf("comment of %d characters is longer than %d", n, MaxCheckComment)}
	}
	if c.Layer == "" || c.FeatureID <= 0 {
		return &CheckError{Msg: "a check needs a layer and a feature id"}
	}
	return nil
}

// CheckStore keeps field checks durably (GeoPackage and PostGIS implement
// it, beside Store; layers/storetest checks both).
type CheckStore interface {
	// RecordCheck appends a check and returns it with its Seq, the user
	// (UserFrom(ctx)) and the time it was recorded.
	RecordCheck(ctx context.Context, c Check) (Check, error)
	// LatestChecks returns the newest check of every feature of a layer
	// that has one, in feature id order.
	LatestChecks(ctx context.Context, layer string) ([]Check, error)
	// CheckHistory returns every check of one feature, oldest first.
	CheckHistory(ctx context.Context, layer string, id int64) ([]Check, error)
}

// Revision is one committed change of a feature as a store's audit trail
// records it: who, when, and the feature before and after (nil when it did
// not exist), each as {"version","geometry","properties"} JSON.
type Revision struct {
	Seq       int64           `json:"seq"` // the history row's id, ascending in commit order
	Layer     string          `json:"layer"`
	FeatureID int64           `json:"feature_id"`
	Op        ChangeOp        `json:"op"`
	Old       json.RawMessage `json:"old"`
	New       json.RawMessage `json:"new"`
	User      string          `json:"user"`
	At        time.Time       `json:"at"`
}

// HistoryStore is a store that keeps every change of every feature, with
// who made it and when, written in the same transaction as the change.
type HistoryStore interface {
	// FeatureHistory returns the changes of one feature, oldest first
	// (bulk imports are not listed per feature).
	FeatureHistory(ctx context.Context, layer string, id int64) ([]Revision, error)
}

// RevisionRecord is a feature as an audit trail records it:
// {"version","geometry","properties"} (nil for no feature). PostGIS's
// onemap_history holds the same shape.
func RevisionRecord(l *Layer, f *Feature) (json.RawMessage, error) {
	if f == nil {
		return nil, nil
	}
	return json.Marshal(struct {
		Version    int64             `json:"version"`
		Geometry   *geojson.Geometry `json:"geometry"`
		Properties map[string]any    `json:"properties"`
	}{f.Version, geojson.NewGeometry(f.Geometry), l.Properties(f)})
}
