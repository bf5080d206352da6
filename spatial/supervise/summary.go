package supervise

import (
	"fmt"
	"slices"
	"strings"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/region"
)

// Levels are the admin code lengths statistics roll up to: province,
// prefecture, county, township (LAYERS.md).
var Levels = []int{2, 4, 6, 9}

// Tally is a count of features and their area.
type Tally struct {
	Count  int     `json:"count"`
	AreaM2 float64 `json:"area_m2"`
}

func (t *Tally) add(m2 float64) { t.Count++; t.AreaM2 += m2 }

// SummaryRow is one admin region's supervision figures.
type SummaryRow struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Patches are all change patches, Verdicts split them by verdict.
	Patches  Tally             `json:"patches"`
	Verdicts map[Verdict]Tally `json:"verdicts"`
	// Reasons count the features giving each reason, with the area the
	// reason rests on (the overlap for the patch reasons and out-of-bounds
	// mining, the supply's area for idle land).
	Reasons map[Reason]Tally `json:"reasons"`
	// IllegalCultivatedM2 (违法占耕) is the cultivated land (DLBM 01xx)
	// under unapproved patches; IllegalCultivatedShare its share of the
	// area of all change patches.
	IllegalCultivatedM2    float64 `json:"illegal_cultivated_m2"`
	IllegalCultivatedShare float64 `json:"illegal_cultivated_share"`
	Mining                 Tally   `json:"mining"`   // all mining patches
	Supplies               Tally   `json:"supplies"` // all supplies
	Checked                int     `json:"checked"`  // patches with a field check
	// Disagreements count the patches whose latest check contradicts
	// their verdict (see Disagrees).
	Disagreements int `json:"disagreements"`
	Unjudged      int `json:"unjudged"` // features that could not be judged
}

// Summary is the supervision figures per admin region at one level.
type Summary struct {
	Level  int          `json:"level"`
	Region string       `json:"region,omitempty"`
	Rows   []SummaryRow `json:"rows"`
	Total  SummaryRow   `json:"total"`
}

// ParseLevel checks a statistics level against the region filter: one of
// Levels, no shorter than the region's code. Level 0 means counties, or
// with a region the next level below it.
func ParseLevel(level int, regionCode string) (int, error) {
	for _, c := range regionCode {
		if c < '0' || c > '9' {
			return 0, &QueryError{Msg: fmt.Sprintf("region %q is not an admin code (digits)", regionCode)}
		}
	}
	if level == 0 {
		level = region.CountyCodeLen
		if regionCode != "" {
			level = Levels[len(Levels)-1]
			for _, l := range Levels {
				if l > len(regionCode) {
					level = l
					break
				}
			}
		}
	}
	if !slices.Contains(Levels, level) {
		return 0, &QueryError{Msg: fmt.Sprintf("level %d is not one of 2, 4, 6, 9", level)}
	}
	if level < len(regionCode) {
		return 0, &QueryError{Msg: fmt.Sprintf("level %d is coarser than region %s", level, regionCode)}
	}
	return level, nil
}

// RegionNames maps the admin codes of the admin layer (xzq) to their names.
func RegionNames(snap *spatial.Snapshot, cat *layers.Catalog) map[string]string {
	names := map[string]string{}
	l := cat.Layer(region.AdminLayer)
	if l == nil {
		return names
	}
	code, name := l.FieldIndex("XZQDM"), l.FieldIndex("XZQMC")
	if code < 0 || name < 0 {
		return names
	}
	snap.Ascend(l.ID, 0, func(f *layers.Feature) bool {
		c, _ := f.Props.At(code).(string)
		n, _ := f.Props.At(name).(string)
		if c != "" {
			names[c] = n
		}
		return true
	})
	return names
}

// RollUp is the code a region code counts under at a level: its prefix of
// that length, or itself when shorter (a feature placed only to its
// county counts under the county at township level).
func RollUp(code string, level int) string {
	if len(code) > level {
		return code[:level]
	}
	return code
}

// Summary totals the findings per admin region at level (see ParseLevel),
// within regionCode when given.
func (e *Engine) Summary(snap *spatial.Snapshot, regionCode string, level int) (*Summary, error) {
	level, err := ParseLevel(level, regionCode)
	if err != nil {
		return nil, err
	}
	if err := e.readable(); err != nil {
		return nil, err
	}
	rows := map[string]*SummaryRow{}
	row := func(code string) *SummaryRow {
		k := RollUp(code, level)
		r := rows[k]
		if r == nil {
			r = &SummaryRow{Code: k, Verdicts: map[Verdict]Tally{}, Reasons: map[Reason]Tally{}}
			rows[k] = r
		}
		return r
	}
	ro := e.rules.Roles
	for _, layer := range e.judged() {
		fs, err := e.Findings(layer)
		if err != nil {
			return nil, err
		}
		for _, fd := range fs {
			code := e.Region(snap, fd)
			if regionCode != "" && !strings.HasPrefix(code, regionCode) {
				continue
			}
			r := row(code)
			if fd.Error != "" {
				r.Unjudged++
				continue
			}
			switch layer {
			case ro.Patches:
				r.Patches.add(fd.AreaM2)
				v := r.Verdicts[fd.Verdict]
				v.add(fd.AreaM2)
				r.Verdicts[fd.Verdict] = v
				if fd.Verdict == Unapproved {
					r.IllegalCultivatedM2 += fd.Areas[AreaCultivated]
				}
				if ck, ok := e.CheckOf(fd.ID); ok {
					r.Checked++
					if Disagrees(fd, ck) {
						r.Disagreements++
					}
				}
			case ro.Mining:
				r.Mining.add(fd.AreaM2)
			case ro.Supplies:
				r.Supplies.add(fd.AreaM2)
			}
			for _, rs := range fd.Reasons {
				t := r.Reasons[rs]
				t.add(reasonArea(fd, rs))
				r.Reasons[rs] = t
			}
		}
	}
	names := RegionNames(snap, e.cat)
	out := &Summary{Level: level, Region: regionCode, Rows: make([]SummaryRow, 0, len(rows)),
		Total: SummaryRow{Code: regionCode, Name: names[regionCode], Verdicts: map[Verdict]Tally{}, Reasons: map[Reason]Tally{}}}
	for _, r := range rows {
		r.Name = names[r.Code]
		r.share()
		out.Rows = append(out.Rows, *r)
		out.Total.merge(r)
	}
	out.Total.share()
	slices.SortFunc(out.Rows, func(a, b SummaryRow) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// reasonArea is the area a reason rests on.
func reasonArea(fd *Finding, r Reason) float64 {
	switch r {
	case OccupiesBasicFarmland:
		return fd.Areas[AreaFarmlandUnapproved]
	case OccupiesRedLine:
		return fd.Areas[AreaRedLine]
	case OutsideDevelopmentBoundary:
		return fd.Areas[AreaOutsideBoundary]
	case OutOfBoundsMining:
		return fd.Areas[AreaOutsideLicence]
	}
	return fd.AreaM2
}

func (r *SummaryRow) share() {
	r.IllegalCultivatedShare = 0
	if r.Patches.AreaM2 > 0 {
		r.IllegalCultivatedShare = r.IllegalCultivatedM2 / r.Patches.AreaM2
	}
}

func (r *SummaryRow) merge(o *SummaryRow) {
	addT := func(a *Tally, b Tally) { a.Count += b.Count; a.AreaM2 += b.AreaM2 }
	addT(&r.Patches, o.Patches)
	addT(&r.Mining, o.Mining)
	addT(&r.Supplies, o.Supplies)
	for k, v := range o.Verdicts {
		t := r.Verdicts[k]
		addT(&t, v)
		r.Verdicts[k] = t
	}
	for k, v := range o.Reasons {
		t := r.Reasons[k]
		addT(&t, v)
		r.Reasons[k] = t
	}
	r.IllegalCultivatedM2 += o.IllegalCultivatedM2
	r.Checked += o.Checked
	r.Disagreements += o.Disagreements
	r.Unjudged += o.Unjudged
}
