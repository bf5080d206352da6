// Package supervise applies the supervision rules of the 批供用补查 chain
// (DESIGN.md, Supervision rules) to the index: a verdict and reasons for
// every change patch (wpbhtb) against approvals, supplies, basic farmland,
// the ecological red line and the development boundary; out-of-bounds
// mining for every mining patch (kcjc) against valid licences (ckq); idle
// land for every supply (tdgy). Every finding carries its evidence: the
// features that decided it and the area each shares with the subject.
//
// The Engine keeps a finding for every supervised feature current: it
// judges the whole dataset in the background once the index is loaded, then
// re-judges, as a subscriber of the index's change feed (before an edit is
// acknowledged), exactly the features whose boxes the old or new bounds of
// an edited feature meet. It reads a spatial.Snapshot and never the demo
// manifest. Evaluator is the plain form of the same rules (GEOS unions),
// kept as the tests' independent check of the engine.
package supervise

import (
	"fmt"
	"time"
)

// Verdict is the outcome for a change patch.
type Verdict string

// The verdicts of DESIGN.md.
const (
	Legal               Verdict = "legal"                 // 合法
	ApprovedNotSupplied Verdict = "approved_not_supplied" // 批而未供
	Unapproved          Verdict = "unapproved"            // 未批先建
)

// Verdicts lists the verdicts in report order.
var Verdicts = []Verdict{Legal, ApprovedNotSupplied, Unapproved}

// Label is the verdict's Chinese name.
func (v Verdict) Label() string {
	switch v {
	case Legal:
		return "合法"
	case ApprovedNotSupplied:
		return "批而未供"
	case Unapproved:
		return "未批先建"
	}
	return string(v)
}

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

// Reasons lists the reasons in report order.
var Reasons = []Reason{OccupiesBasicFarmland, OccupiesRedLine, OutsideDevelopmentBoundary, OutOfBoundsMining, IdleLand}

// Label is the reason's Chinese name.
func (r Reason) Label() string {
	switch r {
	case OccupiesBasicFarmland:
		return "占用永久基本农田"
	case OccupiesRedLine:
		return "占用生态保护红线"
	case OutsideDevelopmentBoundary:
		return "位于城镇开发边界外"
	case OutOfBoundsMining:
		return "越界开采"
	case IdleLand:
		return "闲置土地"
	}
	return string(r)
}

// Roles say which catalogue layer plays which part in the rules.
type Roles struct {
	Patches   string // change patches judged (wpbhtb)
	Approvals string // A (jsydsp)
	Supplies  string // S (tdgy), also judged for idleness
	Farmland  string // F (yjjbnt)
	RedLine   string // R (stbhhx)
	Boundary  string // B (czkfbj)
	Parcels   string // land-use parcels under a patch (dltb), for the cultivated area
	Mining    string // mining patches judged (kcjc)
	Licences  string // mining licences (ckq)
}

// Rules are the thresholds, dates and roles the verdicts depend on:
// configuration, with DESIGN.md's defaults from DefaultRules.
type Rules struct {
	// Coverage is the share of a patch that approvals (and supplies) must
	// cover for it to count as approved (supplied).
	Coverage float64
	// MinAreaM2 is the smallest overlap that counts as a finding.
	MinAreaM2 float64
	// AsOf is the date idle land is judged on (YYYY-MM-DD).
	AsOf string
	// IdleAfter is how long after the agreed start date (HTKGRQ) an unbuilt
	// supply counts as idle.
	IdleAfterYears int
	Roles          Roles
}

// DefaultRoles are the catalogue layers of LAYERS.md.
func DefaultRoles() Roles {
	return Roles{Patches: "wpbhtb", Approvals: "jsydsp", Supplies: "tdgy", Farmland: "yjjbnt", RedLine: "stbhhx",
		Boundary: "czkfbj", Parcels: "dltb", Mining: "kcjc", Licences: "ckq"}
}

// DefaultRules are DESIGN.md's defaults, with the demo data's as-of date.
func DefaultRules() Rules {
	return Rules{Coverage: 0.9, MinAreaM2: 1, AsOf: "2025-12-31", IdleAfterYears: 1, Roles: DefaultRoles()}
}

// Check says what is wrong with the rules, if anything.
func (r Rules) Check() error {
	if !(r.Coverage > 0 && r.Coverage <= 1) {
		return fmt.Errorf("supervision rules: coverage %v must be in (0, 1]", r.Coverage)
	}
	if !(r.MinAreaM2 > 0) {
		return fmt.Errorf("supervision rules: smallest area %v m² must be positive", r.MinAreaM2)
	}
	if d, err := time.Parse(time.DateOnly, r.AsOf); err != nil || d.Format(time.DateOnly) != r.AsOf {
		return fmt.Errorf("supervision rules: as-of date %q is not YYYY-MM-DD", r.AsOf)
	}
	if r.IdleAfterYears < 0 {
		return fmt.Errorf("supervision rules: idle after %d years", r.IdleAfterYears)
	}
	return nil
}

// idleSince says whether a supply agreed to start building on htkgrq is
// more than IdleAfterYears late on the as-of date.
func (r Rules) idleSince(htkgrq string) bool {
	start, err := time.Parse(time.DateOnly, htkgrq)
	if err != nil {
		return false
	}
	asOf, err := time.Parse(time.DateOnly, r.AsOf)
	if err != nil {
		return false
	}
	return start.AddDate(r.IdleAfterYears, 0, 0).Before(asOf)
}
