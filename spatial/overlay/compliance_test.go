package overlay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/demotest"
)

// sameArea compares an area with the manifest's (rounded to 0.01 m²):
// within 0.01 m² or 0.001 %.
func sameArea(got, want float64) bool {
	return math.Abs(got-want) <= 0.01 || math.Abs(got-want) <= 1e-5*math.Abs(want)
}

// TestPlantedSites reviews every planted compliance site of the manifest,
// every kind in every county, for two seeds, and checks each control's
// verdict, area and features against the manifest.
func TestPlantedSites(t *testing.T) {
	for _, seed := range []int64{1, 2} {
		d := demotest.Load(t, seed, testScale)
		m := d.Manifest
		kinds := map[string]int{}
		counties := map[string]bool{}
		for _, st := range m.Sites {
			kinds[st.Kind]++
			counties[st.County] = true
			name := fmt.Sprintf("seed %d site %s (%s)", seed, st.Key, st.Kind)
			site := siteGeometry(st)
			rep, err := Compliance(context.Background(), d.Index.Snapshot(), d.Catalog, site, ComplianceOptions{AsOf: m.AsOf})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if rep.Pass != st.Pass {
				t.Errorf("%s: pass %v, manifest %v", name, rep.Pass, st.Pass)
			}
			if !sameArea(rep.Area.M2, st.AreaM2) {
				t.Errorf("%s: area %.3f, manifest %.2f", name, rep.Area.M2, st.AreaM2)
			}
			if len(rep.Controls) != len(st.Controls) {
				t.Fatalf("%s: %d controls, manifest %d", name, len(rep.Controls), len(st.Controls))
			}
			for i, want := range st.Controls {
				got := rep.Controls[i]
				if got.Control != want.Control {
					t.Fatalf("%s: control %d is %s, manifest %s", name, i, got.Control, want.Control)
				}
				if got.Pass != want.Pass || !sameArea(got.M2, want.M2) {
					t.Errorf("%s %s: pass %v %.4f m², manifest pass %v %.2f m²", name, want.Control, got.Pass, got.M2, want.Pass, want.M2)
				}
				if math.Abs(got.Mu-want.Mu) > 1e-4+1e-5*want.Mu {
					t.Errorf("%s %s: %.5f 亩, manifest %.4f", name, want.Control, got.Mu, want.Mu)
				}
				checkFeatures(t, name+" "+want.Control, got, want)
			}
		}
		if len(kinds) != 11 || len(counties) != len(m.Counties) {
			t.Errorf("seed %d: sites of %d kinds in %d counties (want 11 kinds in all %d): %v", seed, len(kinds), len(counties), len(m.Counties), kinds)
		}
	}
}

// checkFeatures compares the features of a control: the manifest lists those
// sharing at least 0.005 m² (0.01 once rounded), the review every one
// sharing any area.
func checkFeatures(t *testing.T, name string, got ControlResult, want fixtures.Control) {
	t.Helper()
	gm := map[int64]float64{}
	for i, id := range got.Features {
		gm[id] = got.FeaturesM2[i]
		if i > 0 && got.Features[i-1] >= id {
			t.Errorf("%s: features out of id order %v", name, got.Features)
		}
	}
	wm := map[int64]float64{}
	for i, id := range want.Features {
		wm[id] = want.FeaturesM2[i]
		g, ok := gm[id]
		if !ok || !sameArea(g, want.FeaturesM2[i]) {
			t.Errorf("%s: feature %d shares %.4f m² (listed %v), manifest %.2f", name, id, g, ok, want.FeaturesM2[i])
		}
	}
	for id, a := range gm {
		if _, ok := wm[id]; !ok && a >= 0.01 {
			t.Errorf("%s: feature %d shares %.4f m², not in the manifest", name, id, a)
		}
	}
}

func TestComplianceOptions(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	mp := siteGeometry(d.Manifest.Sites[0])
	for _, o := range []ComplianceOptions{{AsOf: "2025-13-01"}, {AsOf: "31/12/2025"}, {AsOf: "2025-12-31", MinAreaM2: -1}, {AsOf: "2025-12-31", MinAreaM2: math.NaN()}} {
		if _, err := Compliance(context.Background(), d.Index.Snapshot(), d.Catalog, mp, o); !errors.Is(err, ErrBadOption) {
			t.Errorf("%+v: %v, want ErrBadOption", o, err)
		}
	}
}

// TestLicenceValidity moves the as-of date past a licence's term: the site
// on it then passes the ckq control, and before the term too.
func TestLicenceValidity(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	ckq := d.Catalog.Layer("ckq")
	for _, st := range d.Manifest.Sites {
		if st.Kind != "on_mining_right" {
			continue
		}
		mp := siteGeometry(st)
		lic := d.Features["ckq"][st.Controls[4].Features[0]-1]
		from, to := ckq.Value(lic, "YXQQ").(string), ckq.Value(lic, "YXQZ").(string)
		for _, c := range []struct {
			asOf string
			pass bool
		}{{from, false}, {to, false}, {"1900-01-01", true}, {"2999-01-01", true}} {
			rep, err := Compliance(context.Background(), d.Index.Snapshot(), d.Catalog, mp, ComplianceOptions{AsOf: c.asOf})
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Controls[4]; got.Control != "ckq" || got.Pass != c.pass {
				t.Errorf("site %s as of %s (licence %s–%s): ckq pass %v, want %v", st.Key, c.asOf, from, to, got.Pass, c.pass)
			}
		}
		return
	}
	t.Fatal("no site on a mining right")
}

func siteGeometry(st fixtures.Site) orb.MultiPolygon {
	switch g := st.Geometry.Geometry().(type) {
	case orb.MultiPolygon:
		return g
	case orb.Polygon:
		return orb.MultiPolygon{g}
	}
	return nil
}
