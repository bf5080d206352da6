package landuse_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/landuse"
	"github.com/onemap/onemap/spatial/region"
	"github.com/onemap/onemap/spatial/supervise"
)

func relClose(a, b float64) bool {
	return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(a), math.Abs(b))+1e-6
}

// TestStatsByCounty: per county, the parcels' classes cover exactly the
// county (the parcels tile it) and agree with the generated parcels
// measured with Karney's area; the grades likewise; the chain counts the
// county's supplies, those built on and those idle as the manifest plants
// them.
func TestStatsByCounty(t *testing.T) {
	d := demotest.Load(t, 1, 4000)
	e, err := supervise.NewEngine(d.Index, supervise.Options{Regions: region.New(d.Index)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := landuse.New(d.Index, e).Stats(d.Index.Snapshot(), "", 6); err == nil {
		t.Error("statistics before the verdicts are computed")
	}
	e.Start(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	calc := landuse.New(d.Index, e)
	st, err := calc.Stats(d.Index.Snapshot(), "", 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rows) != len(d.Manifest.Counties) {
		t.Fatalf("%d rows for %d counties", len(st.Rows), len(d.Manifest.Counties))
	}
	dltb, gd := d.Catalog.Layer("dltb"), d.Catalog.Layer("gdzldb")
	for i, county := range d.Manifest.Counties {
		r := st.Rows[i]
		if r.Code != county.Code || r.Name != county.Name {
			t.Fatalf("row %d: %s %s, county %s %s", i, r.Code, r.Name, county.Code, county.Name)
		}
		if math.Abs(r.AreaM2-county.AreaM2) > 1e-6*county.AreaM2 {
			t.Errorf("county %s: parcels %.2f m², county %.2f", county.Code, r.AreaM2, county.AreaM2)
		}
		// Karney over the generated parcels and grades, by code and grade.
		want := map[string]float64{}
		count := 0
		for _, f := range d.Features["dltb"] {
			if zl, _ := dltb.Value(f, "ZLDWDM").(string); strings.HasPrefix(zl, county.Code) {
				want[dltb.Value(f, "DLBM").(string)] += area.Geodesic(f.Geometry)
				count++
			}
		}
		n := 0
		for _, fc := range r.Classes {
			sum := 0.0
			for _, sc := range fc.Sub {
				if !strings.HasPrefix(sc.Code, fc.Code) || !relClose(sc.AreaM2, want[sc.Code]) {
					t.Errorf("county %s class %s/%s: %.3f m², parcels %.3f", county.Code, fc.Code, sc.Code, sc.AreaM2, want[sc.Code])
				}
				sum += sc.AreaM2
				n += sc.Count
				delete(want, sc.Code)
			}
			if !relClose(sum, fc.AreaM2) || fc.Name != landuse.FirstLevelNames[fc.Code] {
				t.Errorf("county %s class %s (%s): %.3f m², its classes %.3f", county.Code, fc.Code, fc.Name, fc.AreaM2, sum)
			}
		}
		if len(want) != 0 || n != count || count != county.Parcels {
			t.Errorf("county %s: %d parcels counted of %d (manifest %d), classes left %v", county.Code, n, count, county.Parcels, want)
		}
		grades := map[int64]float64{}
		for _, f := range d.Features["gdzldb"] {
			if zl, _ := gd.Value(f, "ZLDWDM").(string); strings.HasPrefix(zl, county.Code) {
				grades[gd.Value(f, "GDZLDB").(int64)] += area.Geodesic(f.Geometry)
			}
		}
		if len(r.Grades) != len(grades) || len(grades) == 0 {
			t.Errorf("county %s: %d grades, want %d", county.Code, len(r.Grades), len(grades))
		}
		for _, g := range r.Grades {
			if !relClose(g.AreaM2, grades[g.Grade]) {
				t.Errorf("county %s grade %d: %.3f m², want %.3f", county.Code, g.Grade, g.AreaM2, grades[g.Grade])
			}
		}
		var supplied, built, idle int
		for _, c := range d.Manifest.Cases {
			if c.Layer != "tdgy" || c.County != county.Code {
				continue
			}
			supplied++
			if len(c.Evidence["wpbhtb"]) > 0 {
				built++
			}
			if slices.Contains(c.Reasons, string(supervise.IdleLand)) {
				idle++
			}
		}
		if ch := r.Chain; ch.Supplied.Count != supplied || ch.Built.Count != built || ch.Idle.Count != idle || idle == 0 || built == 0 {
			t.Errorf("county %s chain %+v, manifest supplied %d built %d idle %d", county.Code, ch, supplied, built, idle)
		}
		if r.Chain.Approved.AreaM2 < r.Chain.Supplied.AreaM2 {
			t.Errorf("county %s: approved %.0f m² < supplied %.0f", county.Code, r.Chain.Approved.AreaM2, r.Chain.Supplied.AreaM2)
		}
	}
	if st.Total.Chain.Approved.Count != len(d.Features["jsydsp"]) || st.Total.Chain.Supplied.Count != len(d.Features["tdgy"]) {
		t.Errorf("totals %+v", st.Total.Chain)
	}
	// Townships roll up to their county.
	one := d.Manifest.Counties[0]
	tw, err := calc.Stats(d.Index.Snapshot(), one.Code, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(tw.Rows) < len(one.Townships) || !relClose(tw.Total.AreaM2, st.Rows[0].AreaM2) {
		t.Errorf("county %s by township: %d rows for %d townships, %.2f m² (county %.2f)", one.Code, len(tw.Rows), len(one.Townships), tw.Total.AreaM2, st.Rows[0].AreaM2)
	}
}

// TestStatsFollowEdits: totals brought forward over parcel and grade
// edits (a class changed, a parcel removed, a grade added, one edited
// twice) equal totals computed afresh.
func TestStatsFollowEdits(t *testing.T) {
	d := demotest.Load(t, 2, 4000)
	idx := d.FreshIndex(t)
	e, err := supervise.NewEngine(idx, supervise.Options{Regions: region.New(idx)})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	calc := landuse.New(idx, e)
	if _, err := calc.Stats(idx.Snapshot(), "", 6); err != nil {
		t.Fatal(err)
	}
	dltb, gd := d.Catalog.Layer("dltb"), d.Catalog.Layer("gdzldb")
	withValue := func(l *layers.Layer, f *layers.Feature, fieldValues ...any) *layers.Feature {
		vals := f.Props.Values()
		for i := 0; i < len(fieldValues); i += 2 {
			vals[l.FieldIndex(fieldValues[i].(string))] = fieldValues[i+1]
		}
		return &layers.Feature{ID: f.ID, Version: f.Version + 1, Geometry: f.Geometry, Props: layers.NewProps(vals...)}
	}
	p := d.Features["dltb"][10]
	moved := withValue(dltb, p, "DLBM", "0602", "DLMC", "采矿用地")
	for _, step := range []func() error{
		func() error { return idx.Put("dltb", moved) },
		func() error { return idx.Put("dltb", withValue(dltb, moved, "DLBM", "1206", "DLMC", "裸土地")) },
		func() error { return idx.Remove("dltb", d.Features["dltb"][20].ID) },
		func() error {
			g := withValue(gd, d.Features["gdzldb"][0], "GDZLDB", int64(15))
			g.ID, g.Version = 1_000_000, 1
			return idx.Put("gdzldb", g)
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
		<-idx.Settled()
		snap := idx.Snapshot()
		got, err := calc.Stats(snap, "", 9)
		if err != nil {
			t.Fatal(err)
		}
		want, err := landuse.New(idx, e).Stats(snap, "", 9)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Rows) != len(want.Rows) {
			t.Fatalf("%d rows, afresh %d", len(got.Rows), len(want.Rows))
		}
		for i := range want.Rows {
			g, w := got.Rows[i], want.Rows[i]
			same := g.Code == w.Code && relClose(g.AreaM2, w.AreaM2) && len(g.Classes) == len(w.Classes) && len(g.Grades) == len(w.Grades)
			for k := 0; same && k < len(w.Classes); k++ {
				gc, wc := g.Classes[k], w.Classes[k]
				same = gc.Code == wc.Code && gc.Count == wc.Count && relClose(gc.AreaM2, wc.AreaM2) && len(gc.Sub) == len(wc.Sub)
				for j := 0; same && j < len(wc.Sub); j++ {
					same = gc.Sub[j].Code == wc.Sub[j].Code && gc.Sub[j].Count == wc.Sub[j].Count && gc.Sub[j].Name == wc.Sub[j].Name && relClose(gc.Sub[j].AreaM2, wc.Sub[j].AreaM2)
				}
			}
			for k := 0; same && k < len(w.Grades); k++ {
				same = g.Grades[k].Grade == w.Grades[k].Grade && g.Grades[k].Count == w.Grades[k].Count && relClose(g.Grades[k].AreaM2, w.Grades[k].AreaM2)
			}
			if !same {
				t.Fatalf("row %s brought forward:\n%+v\nafresh:\n%+v", w.Code, g, w)
			}
		}
	}
}
