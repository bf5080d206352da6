package overlay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/internal/randsite"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/prepared"
)

// testScale keeps the package quick: three counties, about 3,000 parcels.
const testScale = 3000

func mustGEOS(t testing.TB, c *geos.Context, g orb.Geometry) *geos.Geom {
	t.Helper()
	b, err := wkb.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	gg, err := c.NewGeomFromWKB(b)
	if err != nil {
		t.Fatal(err)
	}
	return gg
}

func fromGEOS(t testing.TB, g *geos.Geom) orb.Geometry {
	t.Helper()
	og, err := wkb.Unmarshal(g.ToWKB())
	if err != nil {
		t.Fatal(err)
	}
	return og
}

// randomSites are sites of 0.001 to 5 km² around random points of the
// demo world, some reaching beyond it.
func randomSites(d *demotest.Dataset, n int, seed uint64) []orb.MultiPolygon {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := d.Manifest.Bounds
	var out []orb.MultiPolygon
	for range n {
		c := orb.Point{b[0] + (b[2]-b[0])*rng.Float64(), b[1] + (b[3]-b[1])*rng.Float64()}
		m2 := math.Pow(10, 3+rng.Float64()*3.7)
		out = append(out, orb.MultiPolygon{randsite.Polygon(rng, c, m2, 5+rng.IntN(30), 0.4)})
	}
	return out
}

// near compares areas (or lengths) within a relative tolerance and the
// absolute noise of Karney's polygon area, about 1e-4 m² (spatial/area).
func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= 2e-4+rel*math.Max(math.Abs(got), math.Abs(want))
}

// TestOverlayAgreesWithBruteForce measures every feature of every layer
// against each site with a plain GEOS intersection (no R-tree, no
// preparation, no shortcut for features inside) and checks the report
// lists exactly the features that share something, with the same areas,
// lengths and counts.
func TestOverlayAgreesWithBruteForce(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	c := geos.NewContext()
	ctx := context.Background()
	whole, cut := 0, 0
	for si, site := range randomSites(d, 12, 1) {
		rep, err := Overlay(ctx, d.Index.Snapshot(), d.Catalog, site, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !near(rep.Area.M2, area.Geodesic(site), 1e-9) {
			t.Errorf("site %d area %.3f", si, rep.Area.M2)
		}
		sg := mustGEOS(t, c, site)
		for li, l := range d.Catalog.Layers {
			lr := rep.Layers[li]
			if lr.Layer != l.ID {
				t.Fatalf("layer %d is %s, want %s", li, lr.Layer, l.ID)
			}
			got := map[int64]FeatureShare{}
			for _, fs := range lr.Features {
				got[fs.ID] = fs
			}
			want := 0
			for _, f := range d.Features[l.ID] {
				fg := mustGEOS(t, c, f.Geometry)
				if !fg.Intersects(sg) {
					if _, ok := got[f.ID]; ok {
						t.Errorf("site %d: %s %d listed but does not meet the site", si, l.ID, f.ID)
					}
					continue
				}
				x := fromGEOS(t, fg.Intersection(sg))
				name := fmt.Sprintf("site %d: %s %d", si, l.ID, f.ID)
				fs, ok := got[f.ID]
				switch l.Geometry {
				case layers.Point:
					want++
					if !ok {
						t.Errorf("%s: point on the site not listed", name)
					}
				case layers.LineString:
					lm := area.Length(x)
					if lm == 0 {
						continue
					}
					want++
					if !ok || !near(*fs.LengthM, lm, 1e-9) {
						t.Errorf("%s: length inside %v, want %.6f", name, fs.LengthM, lm)
					}
				default:
					m2 := area.Geodesic(x)
					if m2 == 0 {
						continue
					}
					want++
					if !ok || !near(fs.M2, m2, 1e-9) {
						t.Errorf("%s: %.6f m², want %.6f (listed %v)", name, fs.M2, m2, ok)
					}
					if ok && fs.Whole {
						whole++
						if fs.M2 != area.Fast(f.Geometry) || !near(fs.M2, area.Geodesic(f.Geometry), 1e-9) {
							t.Errorf("%s: whole feature counted %.6f m², its area is %.6f", name, fs.M2, area.Geodesic(f.Geometry))
						}
					} else {
						cut++
					}
				}
			}
			if want != len(lr.Features) {
				t.Errorf("site %d: %s lists %d features, GEOS finds %d", si, l.ID, len(lr.Features), want)
			}
		}
	}
	if whole < 100 || cut < 100 {
		t.Errorf("only %d whole and %d cut features: the sites do not exercise both paths", whole, cut)
	}
}

// TestSumsAndGroups checks that groups and totals add up their features,
// labels come from DLMC, net areas deduct KCXS, and the parcels cover the
// part of the site inside the prefecture exactly (they tile it).
func TestSumsAndGroups(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	c := geos.NewContext()
	var pref *layers.Feature
	for _, f := range d.Features["xzq"] {
		if d.Catalog.Layer("xzq").Value(f, "XZQDM") == d.Manifest.Prefectures[0].Code {
			pref = f
		}
	}
	if pref == nil {
		t.Fatal("no prefecture in xzq")
	}
	pg := mustGEOS(t, c, pref.Geometry)
	dltb := d.Catalog.Layer("dltb")
	for si, site := range randomSites(d, 20, 2) {
		rep, err := Overlay(context.Background(), d.Index.Snapshot(), d.Catalog, site, Options{Layers: []string{"dltb", "jtlw", "jmd"}})
		if err != nil {
			t.Fatal(err)
		}
		lr := rep.Layers[0]
		// The pieces of cut parcels split the site's long edges at every
		// parcel edge, and each piece's edges are measured as geodesics, so
		// the sum follows the straight lon/lat edge where the site's own
		// area follows one geodesic per edge: parts per million apart at
		// most, well within the 0.001 % the areas must meet.
		inPref := area.Geodesic(fromGEOS(t, mustGEOS(t, c, site).Intersection(pg)))
		if !near(lr.Total.M2, inPref, 1e-5) {
			t.Errorf("site %d: parcels cover %.3f m², the site has %.3f m² inside the prefecture", si, lr.Total.M2, inPref)
		}
		type sum struct {
			n          int
			m2, net    float64
			label, key string
		}
		groups := map[string]*sum{}
		var total sum
		for _, fs := range lr.Features {
			f := fs.Feature
			key, _ := dltb.Value(f, "DLBM").(string)
			k := dltb.Value(f, "KCXS").(float64)
			if want := fs.M2 * (1 - k); !near(fs.Net.M2, want, 1e-12) {
				t.Errorf("site %d parcel %d: net %.4f, want %.4f", si, f.ID, fs.Net.M2, want)
			}
			g := groups[key]
			if g == nil {
				g = &sum{label: dltb.Value(f, "DLMC").(string)}
				groups[key] = g
			}
			for _, s := range []*sum{g, &total} {
				s.n++
				s.m2 += fs.M2
				s.net += fs.M2 * (1 - k)
			}
			if !near(fs.Mu, fs.M2*15/10000, 1e-12) || !near(fs.Ha, fs.M2/10000, 1e-12) {
				t.Errorf("units of parcel %d: %+v", f.ID, fs.Amount)
			}
		}
		if len(groups) != len(lr.Groups) {
			t.Errorf("site %d: %d groups, want %d", si, len(lr.Groups), len(groups))
		}
		for i, g := range lr.Groups {
			w := groups[g.Key]
			if w == nil || w.n != g.Count || !near(g.M2, w.m2, 1e-9) || !near(g.Net.M2, w.net, 1e-9) || g.Label != w.label {
				t.Errorf("site %d group %s: %+v net %+v, want %+v", si, g.Key, g, g.Net, w)
			}
			if i > 0 && lr.Groups[i-1].Key >= g.Key {
				t.Errorf("groups out of key order: %s then %s", lr.Groups[i-1].Key, g.Key)
			}
		}
		if total.n != lr.Total.Count || !near(lr.Total.M2, total.m2, 1e-9) || !near(lr.Total.Net.M2, total.net, 1e-9) {
			t.Errorf("site %d total %+v, want %+v", si, lr.Total, total)
		}
		for i := 1; i < len(lr.Features); i++ {
			if lr.Features[i-1].ID >= lr.Features[i].ID {
				t.Fatalf("features out of id order")
			}
		}
		if rep.Layers[1].Total.LengthM == nil || rep.Layers[1].Total.Net != nil || rep.Layers[2].Total.LengthM != nil {
			t.Errorf("lines have lengths and no net area, points neither")
		}
	}
}

func TestGeometriesOnRequest(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	site := randomSites(d, 1, 3)[0]
	rep, err := Overlay(context.Background(), d.Index.Snapshot(), d.Catalog, site, Options{Layers: []string{"dltb"}, Geometries: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Layers[0].Features) == 0 {
		t.Fatal("site meets no parcel")
	}
	for _, fs := range rep.Layers[0].Features {
		if fs.Geometry == nil {
			t.Fatalf("parcel %d has no geometry", fs.ID)
		}
		if a := area.Geodesic(fs.Geometry.Geometry()); !near(a, fs.M2, 1e-9) {
			t.Errorf("parcel %d: geometry of %.3f m², share %.3f", fs.ID, a, fs.M2)
		}
	}
	rep, _ = Overlay(context.Background(), d.Index.Snapshot(), d.Catalog, site, Options{Layers: []string{"dltb"}})
	if rep.Layers[0].Features[0].Geometry != nil {
		t.Error("geometry without asking")
	}
}

func TestBadInput(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	snap := d.Index.Snapshot()
	ctx := context.Background()
	good := randomSites(d, 1, 4)[0]
	bowtie := orb.MultiPolygon{{{{112.98, 30.75}, {112.99, 30.76}, {112.99, 30.75}, {112.98, 30.76}, {112.98, 30.75}}}}
	var ve *layers.ValidationError
	if _, err := Overlay(ctx, snap, d.Catalog, bowtie, Options{}); !errors.As(err, &ve) {
		t.Errorf("self-intersecting site: %v, want a ValidationError", err)
	}
	if _, err := Overlay(ctx, snap, d.Catalog, orb.MultiPolygon{}, Options{}); !errors.Is(err, ErrEmptySite) {
		t.Errorf("empty site: %v", err)
	}
	if _, err := Overlay(ctx, snap, d.Catalog, good, Options{Layers: []string{"dltb", "nope"}}); !errors.Is(err, ErrUnknownLayer) {
		t.Errorf("unknown layer: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Overlay(cctx, snap, d.Catalog, good, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestClipAreaAgreesWithGEOS checks the intersection areas found without
// GEOS against the area of GEOS's intersection, for the parcels the
// boundary of random sites passes by, and checks that sites sharing
// vertices with parcels (the planted ones) are left to GEOS.
func TestClipAreaAgreesWithGEOS(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	c := geos.NewContext()
	sites := randomSites(d, 10, 6)
	for _, st := range d.Manifest.Sites[:8] {
		sites = append(sites, siteGeometry(st))
	}
	clipped, left := 0, 0
	for si, g := range sites {
		s, err := NewSite(c, g)
		if err != nil {
			t.Fatal(err)
		}
		sg := mustGEOS(t, c, g)
		for _, f := range Candidates(d.Index.Snapshot(), "dltb", s.Bound()) {
			if s.Place(f.Bound()) != prepared.Near {
				continue
			}
			m2, ok := s.clipArea(f.Geometry.(orb.MultiPolygon), f.Bound())
			if !ok {
				left++
				continue
			}
			clipped++
			want := area.Fast(fromGEOS(t, mustGEOS(t, c, f.Geometry).Intersection(sg)))
			if math.Abs(m2-want) > 1e-7+1e-10*want {
				t.Errorf("site %d parcel %d: %.8f m², GEOS %.8f", si, f.ID, m2, want)
			}
		}
	}
	if clipped < 200 || left < 20 {
		t.Errorf("%d parcels clipped, %d left to GEOS: both paths need exercise", clipped, left)
	}
	t.Logf("%d clipped, %d left to GEOS", clipped, left)
}

// TestLongEdgesGoToGEOS: edges longer than area.Plane measures well (a
// site's or a feature's) send the cut features to GEOS, whose pieces
// area.Fast hands to Karney.
func TestLongEdgesGoToGEOS(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	b := d.Manifest.Bounds
	mid := (b[1] + b[3]) / 2
	long := orb.MultiPolygon{{{{b[0] - 0.1, mid}, {b[2] + 0.1, mid}, {b[2] + 0.1, mid + 0.002}, {b[0] - 0.1, mid + 0.002}, {b[0] - 0.1, mid}}}}
	c := geos.NewContext()
	s, err := NewSite(c, long)
	if err != nil {
		t.Fatal(err)
	}
	f := d.Features["dltb"][0]
	if _, ok := s.clipArea(f.Geometry.(orb.MultiPolygon), f.Bound()); ok {
		t.Error("a site with a 0.2° edge was clipped without GEOS")
	}
	rep, err := Overlay(context.Background(), d.Index.Snapshot(), d.Catalog, long, Options{Layers: []string{"dltb"}})
	if err != nil {
		t.Fatal(err)
	}
	sg := mustGEOS(t, c, long)
	var want float64
	for _, f := range d.Features["dltb"] {
		want += area.Geodesic(fromGEOS(t, mustGEOS(t, c, f.Geometry).Intersection(sg)))
	}
	if !near(rep.Layers[0].Total.M2, want, 1e-9) || want == 0 {
		t.Errorf("long strip: parcels %.4f m², GEOS and Karney %.4f", rep.Layers[0].Total.M2, want)
	}
}
