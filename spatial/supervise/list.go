package supervise

import (
	"fmt"
	"slices"
	"strings"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// Check filters of a Query beside the check results themselves.
const (
	CheckNone      = "none"      // no field check recorded
	CheckAny       = "checked"   // some field check recorded
	CheckDisagrees = "disagrees" // the latest check contradicts the finding
)

// Query selects and orders findings of one judged layer.
type Query struct {
	Layer   string  // a judged layer (the change patches when empty)
	Region  string  // admin code prefix ("" any)
	Verdict Verdict // "" any
	Reason  Reason  // "" any
	// Check is a layers.CheckResult, CheckNone, CheckAny or
	// CheckDisagrees ("" any); change patches only.
	Check   string
	Flagged bool   // only findings that flag something
	Sort    string // "id" (default) or "area" (largest first)
}

// QueryError is a query that asks for something that does not exist.
type QueryError struct{ Msg string }

func (e *QueryError) Error() string { return "supervision query: " + e.Msg }

// Row is one finding as lists show it: with its region and, for change
// patches, its latest field check.
type Row struct {
	*Finding
	Region    string
	Check     *layers.Check
	Disagrees bool // the check contradicts the finding
}

func (e *Engine) checkQuery(q *Query) error {
	if q.Layer == "" {
		q.Layer = e.rules.Roles.Patches
	}
	if !slices.Contains(e.judged(), q.Layer) {
		return fmt.Errorf("%s: %w", q.Layer, ErrNotJudged)
	}
	if q.Verdict != "" && !slices.Contains(Verdicts, q.Verdict) {
		return &QueryError{Msg: fmt.Sprintf("status %q is not one of legal, approved_not_supplied, unapproved", q.Verdict)}
	}
	if q.Reason != "" && !slices.Contains(Reasons, q.Reason) {
		return &QueryError{Msg: fmt.Sprintf("reason %q is not one of %s", q.Reason, joinReasons(Reasons))}
	}
	switch q.Check {
	case "", CheckNone, CheckAny, CheckDisagrees:
	default:
		if !layers.CheckResult(q.Check).Valid() {
			return &QueryError{Msg: fmt.Sprintf("check %q is not a check result, %s, %s or %s", q.Check, CheckNone, CheckAny, CheckDisagrees)}
		}
	}
	switch q.Sort {
	case "", "id", "area":
	default:
		return &QueryError{Msg: fmt.Sprintf("sort %q is not id or area", q.Sort)}
	}
	for _, c := range q.Region {
		if c < '0' || c > '9' {
			return &QueryError{Msg: fmt.Sprintf("region %q is not an admin code (digits)", q.Region)}
		}
	}
	return nil
}

func joinReasons(rs []Reason) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// List returns the findings a query selects, in its order; regions are
// placed in snap.
func (e *Engine) List(snap *spatial.Snapshot, q Query) ([]Row, error) {
	if err := e.checkQuery(&q); err != nil {
		return nil, err
	}
	fs, err := e.Findings(q.Layer)
	if err != nil {
		return nil, err
	}
	patches := q.Layer == e.rules.Roles.Patches
	out := make([]Row, 0, len(fs))
	for _, fd := range fs {
		if q.Verdict != "" && fd.Verdict != q.Verdict || q.Reason != "" && !fd.Has(q.Reason) || q.Flagged && !fd.Flagged() {
			continue
		}
		r := Row{Finding: fd}
		if patches {
			if c, ok := e.CheckOf(fd.ID); ok {
				r.Check = &c
				r.Disagrees = Disagrees(fd, c)
			}
		}
		switch q.Check {
		case "":
		case CheckNone:
			if r.Check != nil {
				continue
			}
		case CheckAny:
			if r.Check == nil {
				continue
			}
		case CheckDisagrees:
			if !r.Disagrees {
				continue
			}
		default:
			if r.Check == nil || string(r.Check.Result) != q.Check {
				continue
			}
		}
		r.Region = e.Region(snap, fd)
		if q.Region != "" && !strings.HasPrefix(r.Region, q.Region) {
			continue
		}
		out = append(out, r)
	}
	if q.Sort == "area" {
		slices.SortStableFunc(out, func(a, b Row) int {
			switch {
			case a.AreaM2 > b.AreaM2:
				return -1
			case a.AreaM2 < b.AreaM2:
				return 1
			}
			return 0
		})
	}
	return out, nil
}
