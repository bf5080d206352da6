// Package supervise applies the supervision rules of the 批供用补查 chain
// (DESIGN.md, Supervision rules) to the index: a verdict and reasons for
// every change patch (wpbhtb) against approvals, supplies, basic farmland,
// the ecological red line and the development boundary; out-of-bounds
// mining for every mining patch (kcjc) against valid licences (ckq); idle
// land for every supply (tdgy). It reads a spatial.Snapshot and never the
// demo manifest.
package supervise

import "time"

// Verdict is the outcome for a change patch.
type Verdict string

// The verdicts of DESIGN.md.
const (
	Legal               Verdict = "legal"                 // 合法
	ApprovedNotSupplied Verdict = "approved_not_supplied" // 批而未供
	Unapproved          Verdict = "unapproved"            // 未批先建
)

// Reason is one finding beside a verdict.
type Reason string

// The reasons of DESIGN.md.
const (
	OccupiesBasicFarmland      Reason = "occupies_basic_farmland"
	OccupiesRedLine            Reason = "occupies_red_line"
	OutsideDevelopmentBoundary Reason = "outside_development_boundary"
	OutOfBoundsMining          Reason = "out_of_bounds_mining"
	IdleLand                   Reason = "idle_land"
)

// Rules are the thresholds and dates the verdicts depend on: configuration,
// with DESIGN.md's defaults from DefaultRules.
type Rules struct {
	// Coverage is the share of a patch that approvals (and supplies) must
	// cover for it to count as approved (supplied).
	Coverage float64
	// MinAreaM2 is the smallest overlap that counts as a finding.
	MinAreaM2 float64
	// AsOf is the date idle land is judged on (YYYY-MM-DD).
	AsOf string
}

// DefaultRules are DESIGN.md's defaults, with the demo data's as-of date.
func DefaultRules() Rules { return Rules{Coverage: 0.9, MinAreaM2: 1, AsOf: "2025-12-31"} }

// idleSince says whether a supply agreed to start building on htkgrq is
// more than a year late on the as-of date.
func (r Rules) idleSince(htkgrq string) bool {
	start, err := time.Parse(time.DateOnly, htkgrq)
	if err != nil {
		return false
	}
	asOf, err := time.Parse(time.DateOnly, r.AsOf)
	if err != nil {
		return false
	}
	return start.AddDate(1, 0, 0).Before(asOf)
}
