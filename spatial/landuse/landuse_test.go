package landuse_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/landuse"
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
	e, err := supervise.NewEngine(d.Index, supervise.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := landuse.New(e).Stats(d.Index.Snapshot(), "", 6); err == nil {
		t.Error("statistics before the verdicts are computed")
	}
	e.Start(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	calc := landuse.New(e)
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
