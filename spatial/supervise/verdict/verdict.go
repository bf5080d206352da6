// Package verdict is the vocabulary of the supervision rules: the verdicts
// of a change patch and the reasons beside them, with their Chinese names.
// spatial/supervise applies the rules; the demo generator (fixtures) plants
// cases in the same words without depending on the engine.
package verdict

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
