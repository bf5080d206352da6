// Package landuse gives the land-use statistics of the one map per admin
// region: quantity (area by first- and second-level DLBM class of the
// parcels), quality (area by farmland-quality grade, GDZLDB), and
// development and use, the 批供用 chain: land approved for construction
// (jsydsp), supplied (tdgy), built (supplied land a change patch touches)
// and idle (spatial/supervise's idle_land).
//
// Areas are each feature's own ellipsoidal area (area.Fast, the figure
// the overlay engine caches on the feature), never an editable attribute
// such as TBMJ. A feature counts in the region spatial/region places it
// in. The per-code totals are computed once per index version and rolled
// up to the level asked for.
package landuse

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/region"
	"github.com/onemap/onemap/spatial/supervise"
)

// GradesLayer is the layer of farmland-quality grades and GradeField its
// grade (1 best … 15).
const (
	GradesLayer = "gdzldb"
	GradeField  = "GDZLDB"
)

// FirstLevelNames are GB/T 21010-2017's first-level classes.
var FirstLevelNames = map[string]string{
	"01": "耕地", "02": "园地", "03": "林地", "04": "草地", "05": "商服用地", "06": "工矿仓储用地",
	"07": "住宅用地", "08": "公共管理与公共服务用地", "09": "特殊用地", "10": "交通运输用地",
	"11": "水域及水利设施用地", "12": "其他土地",
}

// Class is the area of one DLBM class; a first-level class lists its
// second-level classes.
type Class struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	Count  int     `json:"count"`
	AreaM2 float64 `json:"area_m2"`
	Sub    []Class `json:"sub,omitempty"`
}

// Grade is the area of one farmland-quality grade.
type Grade struct {
	Grade  int64   `json:"grade"`
	Count  int     `json:"count"`
	AreaM2 float64 `json:"area_m2"`
}

// Chain is the approved → supplied → built → idle chain of a region.
type Chain struct {
	Approved supervise.Tally `json:"approved"`
	Supplied supervise.Tally `json:"supplied"`
	Built    supervise.Tally `json:"built"`
	Idle     supervise.Tally `json:"idle"`
}

// Row is one region's statistics.
type Row struct {
	Code    string  `json:"code"`
	Name    string  `json:"name"`
	AreaM2  float64 `json:"area_m2"` // all parcels
	Classes []Class `json:"classes"`
	Grades  []Grade `json:"grades"`
	Chain   Chain   `json:"chain"`
}

// Stats are the statistics per region at one level.
type Stats struct {
	Level  int    `json:"level"`
	Region string `json:"region,omitempty"`
	Rows   []Row  `json:"rows"`
	Total  Row    `json:"total"`
}

// acc accumulates one admin code's figures.
type acc struct {
	classes map[string]*Class // second-level code → tally
	grades  map[int64]*Grade
	chain   Chain
}

func newAcc() *acc { return &acc{classes: map[string]*Class{}, grades: map[int64]*Grade{}} }

func (a *acc) merge(o *acc) {
	for k, c := range o.classes {
		x := a.classes[k]
		if x == nil {
			x = &Class{Code: c.Code, Name: c.Name}
			a.classes[k] = x
		}
		x.Count += c.Count
		x.AreaM2 += c.AreaM2
	}
	for k, g := range o.grades {
		x := a.grades[k]
		if x == nil {
			x = &Grade{Grade: g.Grade}
			a.grades[k] = x
		}
		x.Count += g.Count
		x.AreaM2 += g.AreaM2
	}
	add := func(t *supervise.Tally, u supervise.Tally) { t.Count += u.Count; t.AreaM2 += u.AreaM2 }
	add(&a.chain.Approved, o.chain.Approved)
	add(&a.chain.Supplied, o.chain.Supplied)
	add(&a.chain.Built, o.chain.Built)
	add(&a.chain.Idle, o.chain.Idle)
}

// Calculator computes the statistics of an index. It keeps the per-code
// totals of the parcels and grades as of the snapshot it last answered
// from and brings them forward by the changes the index announced since
// (the old feature taken from that snapshot, the new from the current
// one), so that an edit costs the next request the edited features, not a
// pass over every parcel; a reload, or a change of the admin areas when a
// layer is placed by county, recomputes them. The chain is recomputed on
// every request (it covers approvals and supplies only).
type Calculator struct {
	eng *supervise.Engine
	cat *layers.Catalog

	mu      sync.Mutex
	changes []spatial.Change  // to the parcels, grades and admin areas, not yet applied
	snap    *spatial.Snapshot // the totals' snapshot; nil before the first request
	land    map[string]*acc   // classes and grades per admin code
	// base is the chain totals of one version (the verdicts change only
	// with the index, in the same write cycle).
	base        map[string]*acc
	baseVersion uint64
}

// New returns a calculator over idx, judged by eng, following idx's changes.
func New(idx *spatial.Index, eng *supervise.Engine) *Calculator {
	c := &Calculator{eng: eng, cat: idx.Catalog()}
	idx.Subscribe(c.changed)
	return c
}

func (c *Calculator) changed(ch spatial.Change) {
	switch ch.Layer {
	case c.eng.Rules().Roles.Parcels, GradesLayer, region.AdminLayer:
		c.mu.Lock()
		if c.snap != nil {
			c.changes = append(c.changes, ch)
		}
		c.mu.Unlock()
	}
}

// Stats gives the statistics per admin region at level (see
// supervise.ParseLevel), within regionCode when given. It needs the
// supervision verdicts (a supervise.NotReadyError until they are ready).
func (c *Calculator) Stats(snap *spatial.Snapshot, regionCode string, level int) (*Stats, error) {
	level, err := supervise.ParseLevel(level, regionCode)
	if err != nil {
		return nil, err
	}
	chain, err := c.chainOf(snap)
	if err != nil {
		return nil, err
	}
	rolled := map[string]*acc{}
	for _, part := range []map[string]*acc{c.landOf(snap), chain} {
		for code, a := range part {
			if regionCode != "" && !strings.HasPrefix(code, regionCode) {
				continue
			}
			k := supervise.RollUp(code, level)
			r := rolled[k]
			if r == nil {
				r = newAcc()
				rolled[k] = r
			}
			r.merge(a)
		}
	}
	names := supervise.RegionNames(snap, c.cat)
	out := &Stats{Level: level, Region: regionCode, Rows: make([]Row, 0, len(rolled))}
	total := newAcc()
	for code, a := range rolled {
		out.Rows = append(out.Rows, a.row(code, names[code]))
		total.merge(a)
	}
	slices.SortFunc(out.Rows, func(a, b Row) int { return strings.Compare(a.Code, b.Code) })
	out.Total = total.row(regionCode, names[regionCode])
	return out, nil
}

// row turns an accumulator into a Row: first-level classes with their
// second-level ones, grades ascending.
func (a *acc) row(code, name string) Row {
	r := Row{Code: code, Name: name, Classes: []Class{}, Grades: []Grade{}, Chain: a.chain}
	first := map[string]*Class{}
	var keys []string
	for k := range a.classes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sc := a.classes[k]
		fk := k
		if len(fk) > 2 {
			fk = fk[:2]
		}
		fc := first[fk]
		if fc == nil {
			fc = &Class{Code: fk, Name: FirstLevelNames[fk]}
			first[fk] = fc
		}
		fc.Count += sc.Count
		fc.AreaM2 += sc.AreaM2
		fc.Sub = append(fc.Sub, *sc)
		r.AreaM2 += sc.AreaM2
	}
	var fks []string
	for k := range first {
		fks = append(fks, k)
	}
	slices.Sort(fks)
	for _, k := range fks {
		r.Classes = append(r.Classes, *first[k])
	}
	for _, g := range a.grades {
		r.Grades = append(r.Grades, *g)
	}
	slices.SortFunc(r.Grades, func(x, y Grade) int { return int(x.Grade - y.Grade) })
	return r
}

// chainOf returns the per-code chain totals as of snap.
func (c *Calculator) chainOf(snap *spatial.Snapshot) (map[string]*acc, error) {
	// The chain needs the verdicts of this or a later version.
	supplies, err := c.eng.Findings(c.eng.Rules().Roles.Supplies)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.base != nil && c.baseVersion == snap.Version() {
		defer c.mu.Unlock()
		return c.base, nil
	}
	c.mu.Unlock()
	base := map[string]*acc{}
	at := func(code string) *acc {
		a := base[code]
		if a == nil {
			a = newAcc()
			base[code] = a
		}
		return a
	}
	regions := c.eng.Regions()
	ro := c.eng.Rules().Roles
	if l := c.cat.Layer(ro.Approvals); l != nil {
		snap.Ascend(l.ID, 0, func(f *layers.Feature) bool {
			t := &at(regions.Of(snap, l, f)).chain.Approved
			t.Count++
			t.AreaM2 += f.Measure(area.Fast)
			return true
		})
	}
	if l := c.cat.Layer(ro.Supplies); l != nil {
		for _, fd := range supplies {
			f, ok := snap.Get(l.ID, fd.ID)
			if !ok {
				continue
			}
			ch := &at(regions.Of(snap, l, f)).chain
			m2 := f.Measure(area.Fast)
			ch.Supplied.Count++
			ch.Supplied.AreaM2 += m2
			if slices.ContainsFunc(fd.Evidence, func(ev supervise.Evidence) bool { return ev.Layer == ro.Patches }) {
				ch.Built.Count++
				ch.Built.AreaM2 += m2
			}
			if fd.Has(supervise.IdleLand) {
				ch.Idle.Count++
				ch.Idle.AreaM2 += m2
			}
		}
	}
	c.mu.Lock()
	if snap.Version() >= c.baseVersion {
		c.base, c.baseVersion = base, snap.Version()
	}
	c.mu.Unlock()
	return base, nil
}

// landOf returns the parcel and grade totals as of snap (shared: callers
// only read them), brought forward from the last ones where it can.
func (c *Calculator) landOf(snap *spatial.Snapshot) map[string]*acc {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != nil && snap.Version() < c.snap.Version() {
		// An older snapshot than the totals: answer it on its own.
		return c.computeLand(snap)
	}
	if c.snap != nil && snap.Version() == c.snap.Version() {
		return c.land
	}
	var apply, keep []spatial.Change
	full := c.snap == nil
	for _, ch := range c.changes {
		if full {
			break
		}
		switch {
		case ch.DataVersion <= c.snap.Version():
		case ch.DataVersion > snap.Version():
			keep = append(keep, ch)
		case ch.Op == spatial.OpReload || ch.Layer == region.AdminLayer && !c.placedByCode():
			full = true
		case ch.Layer != region.AdminLayer:
			apply = append(apply, ch)
		}
	}
	if full {
		c.land = c.computeLand(snap)
	} else {
		// Copy on write: earlier answers may still be reading the totals.
		land := make(map[string]*acc, len(c.land))
		for k, a := range c.land {
			land[k] = a
		}
		copied := map[string]bool{}
		own := func(code string) *acc {
			if !copied[code] {
				n := newAcc()
				if a := land[code]; a != nil {
					n.merge(a)
				}
				land[code] = n
				copied[code] = true
			}
			return land[code]
		}
		seen := map[[2]any]bool{}
		for _, ch := range apply {
			k := [2]any{ch.Layer, ch.ID}
			if seen[k] {
				continue
			}
			seen[k] = true
			l := c.cat.Layer(ch.Layer)
			if old, ok := c.snap.Get(ch.Layer, ch.ID); ok {
				c.count(c.snap, l, old, own, -1)
			}
			if nw, ok := snap.Get(ch.Layer, ch.ID); ok {
				c.count(snap, l, nw, own, +1)
			}
		}
		for code := range copied {
			if land[code].prune() {
				delete(land, code)
			}
		}
		c.land = land
	}
	c.snap, c.changes = snap, keep
	return c.land
}

// placedByCode says whether parcels and grades carry their own admin code
// (so admin-area changes do not move them).
func (c *Calculator) placedByCode() bool {
	for _, id := range []string{c.eng.Rules().Roles.Parcels, GradesLayer} {
		if l := c.cat.Layer(id); l != nil && region.CodeField(l) < 0 {
			return false
		}
	}
	return true
}

// computeLand totals every parcel and grade of snap.
func (c *Calculator) computeLand(snap *spatial.Snapshot) map[string]*acc {
	land := map[string]*acc{}
	at := func(code string) *acc {
		a := land[code]
		if a == nil {
			a = newAcc()
			land[code] = a
		}
		return a
	}
	for _, id := range []string{c.eng.Rules().Roles.Parcels, GradesLayer} {
		l := c.cat.Layer(id)
		if l == nil {
			continue
		}
		snap.Ascend(l.ID, 0, func(f *layers.Feature) bool {
			c.count(snap, l, f, at, +1)
			return true
		})
	}
	return land
}

// count adds (sign +1) or takes away (−1) a parcel's or grade's area.
func (c *Calculator) count(snap *spatial.Snapshot, l *layers.Layer, f *layers.Feature, at func(string) *acc, sign int) {
	a := at(c.eng.Regions().Of(snap, l, f))
	m2 := float64(sign) * f.Measure(area.Fast)
	if l.ID == GradesLayer {
		g, _ := l.Value(f, GradeField).(int64)
		x := a.grades[g]
		if x == nil {
			x = &Grade{Grade: g}
			a.grades[g] = x
		}
		x.Count += sign
		x.AreaM2 += m2
		return
	}
	code, _ := l.Value(f, "DLBM").(string)
	cl := a.classes[code]
	if cl == nil {
		cl = &Class{Code: code}
		a.classes[code] = cl
	}
	if cl.Name == "" && sign > 0 {
		cl.Name, _ = l.Value(f, "DLMC").(string)
	}
	cl.Count += sign
	cl.AreaM2 += m2
}

// prune drops what is no longer counted (after removals) and says
// whether nothing is left.
func (a *acc) prune() bool {
	for k, cl := range a.classes {
		if cl.Count == 0 {
			delete(a.classes, k)
		}
	}
	for k, g := range a.grades {
		if g.Count == 0 {
			delete(a.grades, k)
		}
	}
	return len(a.classes) == 0 && len(a.grades) == 0 && a.chain == Chain{}
}

// WriteCSV writes the statistics as CSV (UTF-8 with a BOM, Chinese
// headers), one line per region and figure: first- and second-level
// classes, grades, then the chain; areas in m² to 0.01, ha and 亩 to 0.0001.
func WriteCSV(w io.Writer, s *Stats) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"行政区代码", "行政区名称", "统计项", "代码", "名称", "数量", "面积(平方米)", "面积(公顷)", "面积(亩)"})
	line := func(r Row, kind, code, name string, n int, m2 float64) {
		cw.Write([]string{r.Code, r.Name, kind, code, name, strconv.Itoa(n), strconv.FormatFloat(m2, 'f', 2, 64),
			strconv.FormatFloat(area.Hectares(m2), 'f', 4, 64), strconv.FormatFloat(area.Mu(m2), 'f', 4, 64)})
	}
	rows := append(slices.Clone(s.Rows), s.Total)
	rows[len(rows)-1].Code, rows[len(rows)-1].Name = "合计", s.Total.Name
	for _, r := range rows {
		for _, fc := range r.Classes {
			line(r, "一级地类", fc.Code, fc.Name, fc.Count, fc.AreaM2)
			for _, sc := range fc.Sub {
				line(r, "二级地类", sc.Code, sc.Name, sc.Count, sc.AreaM2)
			}
		}
		for _, g := range r.Grades {
			line(r, "耕地质量等别", strconv.FormatInt(g.Grade, 10), strconv.FormatInt(g.Grade, 10)+"等", g.Count, g.AreaM2)
		}
		line(r, "批供用", "approved", "已批", r.Chain.Approved.Count, r.Chain.Approved.AreaM2)
		line(r, "批供用", "supplied", "已供", r.Chain.Supplied.Count, r.Chain.Supplied.AreaM2)
		line(r, "批供用", "built", "已建", r.Chain.Built.Count, r.Chain.Built.AreaM2)
		line(r, "批供用", "idle", "闲置", r.Chain.Idle.Count, r.Chain.Idle.AreaM2)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
