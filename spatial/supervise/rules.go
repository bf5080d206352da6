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

	"github.com/onemap/onemap/spatial/supervise/verdict"
)

// Verdict is the outcome for a change patch; Reason one finding beside a
// verdict. They live in spatial/supervise/verdict, which the demo
// generator shares without importing the engine.
type (
	Verdict = verdict.Verdict
	Reason  = verdict.Reason
)

// The verdicts and reasons of DESIGN.md.
const (
	Legal                      = verdict.Legal
	ApprovedNotSupplied        = verdict.ApprovedNotSupplied
	Unapproved                 = verdict.Unapproved
	OccupiesBasicFarmland      = verdict.OccupiesBasicFarmland
	OccupiesRedLine            = verdict.OccupiesRedLine
	OutsideDevelopmentBoundary = verdict.OutsideDevelopmentBoundary
	OutOfBoundsMining          = verdict.OutOfBoundsMining
	IdleLand                   = verdict.IdleLand
)

// Verdicts and Reasons list them in report order.
var (
	Verdicts = verdict.Verdicts
	Reasons  = verdict.Reasons
)

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
