package overlay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// Compliance review (合规审查): does a proposed site take land a control
// protects or lie where it may not? Each control measures one area and
// fails when it reaches the threshold (1 m² by default):
//
//	yjjbnt          area(site ∩ ∪永久基本农田)
//	stbhhx          area(site ∩ ∪生态保护红线)
//	outside_czkfbj  area(site \ ∪城镇开发边界)
//	dzzhyfq_high    area(site ∩ ∪地质灾害易发区 with YFCD = 高)
//	ckq             area(site ∩ ∪采矿权 valid on the as-of date)
//	tkq             area(site ∩ ∪探矿权 valid on the as-of date)
//
// Areas are of unions, so overlapping features are not counted twice.

// Control is one compliance control.
type Control struct {
	ID    string
	Name  string // Chinese, for reports
	Layer string
	// Keep selects the features that count (nil: every feature of the layer).
	Keep func(l *layers.Layer, f *layers.Feature, asOf string) bool
	// Outside measures the site outside the features' union instead of inside.
	Outside bool
}

// Controls are the compliance controls of DESIGN.md, in answer order.
var Controls = []Control{
	{ID: "yjjbnt", Name: "占用永久基本农田", Layer: "yjjbnt"},
	{ID: "stbhhx", Name: "占用生态保护红线", Layer: "stbhhx"},
	{ID: "outside_czkfbj", Name: "位于城镇开发边界外", Layer: "czkfbj", Outside: true},
	{ID: "dzzhyfq_high", Name: "位于地质灾害高易发区", Layer: "dzzhyfq", Keep: fieldEquals("YFCD", "高")},
	{ID: "ckq", Name: "压覆有效采矿权", Layer: "ckq", Keep: validOn("YXQQ", "YXQZ")},
	{ID: "tkq", Name: "压覆有效探矿权", Layer: "tkq", Keep: validOn("YXQQ", "YXQZ")},
}

func fieldEquals(field string, want any) func(*layers.Layer, *layers.Feature, string) bool {
	return func(l *layers.Layer, f *layers.Feature, _ string) bool { return l.Value(f, field) == want }
}

// validOn keeps licences valid on the as-of date: from ≤ as-of ≤ to, an
// empty date leaving that side open. Dates are YYYY-MM-DD strings, which
// compare as dates.
func validOn(from, to string) func(*layers.Layer, *layers.Feature, string) bool {
	return func(l *layers.Layer, f *layers.Feature, asOf string) bool {
		a, _ := l.Value(f, from).(string)
		b, _ := l.Value(f, to).(string)
		return (a == "" || a <= asOf) && (b == "" || asOf <= b)
	}
}

// ErrBadOption is returned (wrapped, saying which) for an option out of range.
var ErrBadOption = errors.New("bad option")

// DefaultMinAreaM2 is the area at which a control fails.
const DefaultMinAreaM2 = 1.0

// ComplianceOptions tune Compliance.
type ComplianceOptions struct {
	// AsOf is the date licences must be valid on (YYYY-MM-DD); empty means today.
	AsOf string
	// MinAreaM2 is the area at which a control fails; 0 means DefaultMinAreaM2.
	MinAreaM2 float64
}

// ComplianceReport is the compliance review of a site (DESIGN.md's shape).
type ComplianceReport struct {
	Pass     bool            `json:"pass"`
	Area     Amount          `json:"area"` // the site's own area
	AsOf     string          `json:"as_of"`
	Controls []ControlResult `json:"controls"`
}

// ControlResult is one control's answer: its area in m² and 亩 and the
// features involved (for outside_czkfbj, the boundaries the site lies
// partly in), in id order, with the area each shares with the site.
type ControlResult struct {
	Control    string    `json:"control"`
	Name       string    `json:"name"`
	Layer      string    `json:"layer"`
	Pass       bool      `json:"pass"`
	M2         float64   `json:"m2"`
	Mu         float64   `json:"mu"`
	Features   []int64   `json:"features"`
	FeaturesM2 []float64 `json:"features_m2"`
}

// Compliance reviews a site against every control.
func Compliance(ctx context.Context, snap *spatial.Snapshot, cat *layers.Catalog, site orb.MultiPolygon, opts ComplianceOptions) (*ComplianceReport, error) {
	if opts.AsOf == "" {
		opts.AsOf = time.Now().Format(time.DateOnly)
	}
	if d, err := time.Parse(time.DateOnly, opts.AsOf); err != nil || d.Format(time.DateOnly) != opts.AsOf {
		return nil, fmt.Errorf("compliance: as-of date %q is not YYYY-MM-DD: %w", opts.AsOf, ErrBadOption)
	}
	if opts.MinAreaM2 == 0 {
		opts.MinAreaM2 = DefaultMinAreaM2
	}
	if !(opts.MinAreaM2 > 0) {
		return nil, fmt.Errorf("compliance: threshold %v m² must be positive: %w", opts.MinAreaM2, ErrBadOption)
	}
	for _, ct := range Controls {
		if cat.Layer(ct.Layer) == nil || !snap.Has(ct.Layer) {
			return nil, fmt.Errorf("compliance: control %s needs layer %q: %w", ct.ID, ct.Layer, ErrUnknownLayer)
		}
	}
	var rep *ComplianceReport
	err := WithSite(site, func(s *Site) error {
		rep = &ComplianceReport{Pass: true, Area: AmountOf(s.M2), AsOf: opts.AsOf, Controls: make([]ControlResult, 0, len(Controls))}
		for _, ct := range Controls {
			r, err := review(ctx, snap, cat.Layer(ct.Layer), s, ct, opts)
			if err != nil {
				return fmt.Errorf("compliance %s: %w", ct.ID, err)
			}
			rep.Pass = rep.Pass && r.Pass
			rep.Controls = append(rep.Controls, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func review(ctx context.Context, snap *spatial.Snapshot, l *layers.Layer, s *Site, ct Control, opts ComplianceOptions) (ControlResult, error) {
	cands := Candidates(snap, l.ID, s.Bound())
	if ct.Keep != nil {
		kept := cands[:0]
		for _, f := range cands {
			if ct.Keep(l, f, opts.AsOf) {
				kept = append(kept, f)
			}
		}
		cands = kept
	}
	cv, err := Measure(ctx, s, cands, MeasureOptions{Union: !ct.Outside, Outside: ct.Outside})
	if err != nil {
		return ControlResult{}, err
	}
	m2 := cv.UnionM2
	if ct.Outside {
		m2 = cv.OutsideM2
	}
	r := ControlResult{Control: ct.ID, Name: ct.Name, Layer: l.ID, Pass: m2 < opts.MinAreaM2, M2: m2, Mu: AmountOf(m2).Mu,
		Features: make([]int64, 0, len(cv.Shares)), FeaturesM2: make([]float64, 0, len(cv.Shares))}
	for _, sh := range cv.Shares {
		r.Features = append(r.Features, sh.Feature.ID)
		r.FeaturesM2 = append(r.FeaturesM2, sh.M2)
	}
	return r, nil
}
