package prepared

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geos"
)

func TestAppendWKBMatchesOrb(t *testing.T) {
	for _, g := range []orb.Geometry{
		orb.Point{112.5, 30.25},
		orb.LineString{{1, 2}, {3, 4}, {5, 6}},
		orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0.2, 0.1}, {0.5, 0.1}, {0.5, 0.3}, {0.2, 0.1}}},
		orb.MultiPoint{{1, 2}, {3, 4}},
		orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}, {9, 9}}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{2, 2}, {3, 2}, {3, 3}, {2, 2}}}},
		orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}},
	} {
		want, err := wkb.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendWKB(nil, g)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%T: WKB differs from orb's\n got %x\nwant %x", g, got, want)
		}
	}
}

// site is a multipolygon with a hole and a second part inside the hole, the
// cases where an even-odd test can go wrong.
func site() orb.MultiPolygon {
	outer := orb.Ring{{112, 30}, {112.1, 30}, {112.12, 30.05}, {112.1, 30.1}, {112, 30.1}, {112, 30}}
	hole := orb.Ring{{112.03, 30.03}, {112.03, 30.07}, {112.07, 30.07}, {112.07, 30.03}, {112.03, 30.03}}
	island := orb.Ring{{112.04, 30.04}, {112.06, 30.04}, {112.06, 30.06}, {112.04, 30.06}, {112.04, 30.04}}
	return orb.MultiPolygon{{outer, hole}, {island}}
}

func square(x, y, s float64) orb.Polygon {
	return orb.Polygon{{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}}
}

func mustGEOS(t *testing.T, c *geos.Context, g orb.Geometry) *geos.Geom {
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

// TestPlaceAgreesWithGEOS checks the coordinate-only answers against GEOS
// itself (unprepared): Inside must be a proper containment, Outside a
// disjoint pair, and the predicates must equal GEOS's for every feature.
func TestPlaceAgreesWithGEOS(t *testing.T) {
	c := geos.NewContext()
	s := site()
	p, err := New(c, s)
	if err != nil {
		t.Fatal(err)
	}
	sg := mustGEOS(t, c, s)
	rng := rand.New(rand.NewPCG(1, 2))
	count := map[Placement]int{}
	for i := 0; i < 4000; i++ {
		size := math.Pow(10, -4+2.5*rng.Float64())
		var g orb.Geometry
		x, y := 111.99+0.14*rng.Float64(), 29.99+0.12*rng.Float64()
		switch i % 3 {
		case 0:
			g = orb.MultiPolygon{square(x, y, size)}
		case 1:
			g = orb.MultiLineString{{{x, y}, {x + size, y + size/2}, {x + size/3, y + size}}}
		default:
			g = orb.Point{x, y}
		}
		// Some features share the site's own vertices and edges exactly.
		if i%50 == 0 {
			g = orb.MultiPolygon{{{{112, 30}, {112.01, 30}, {112.01, 30.01}, {112, 30.01}, {112, 30}}}}
		}
		fg := mustGEOS(t, c, g)
		pl := p.Place(g.Bound())
		count[pl]++
		switch pl {
		case Inside:
			if !sg.Prepare().ContainsProperly(fg) {
				t.Fatalf("%v placed inside but GEOS says not properly contained", g)
			}
		case Outside:
			if !sg.Disjoint(fg) {
				t.Fatalf("%v placed outside but GEOS says they meet", g)
			}
		}
		if pt, ok := g.(orb.Point); ok && pl != Near {
			if got := p.ContainsPoint(pt); got != sg.Contains(fg) {
				t.Fatalf("%v: ContainsPoint %v, GEOS %v", pt, got, !got)
			}
		}
		in, err := p.Intersects(g)
		if err != nil {
			t.Fatal(err)
		}
		if in != sg.Intersects(fg) {
			t.Fatalf("%v: Intersects %v, GEOS %v", g, in, !in)
		}
		within, err := p.Contains(g)
		if err != nil {
			t.Fatal(err)
		}
		if within != fg.Within(sg) {
			t.Fatalf("%v: Contains %v, GEOS within %v", g, within, !within)
		}
	}
	for _, pl := range []Placement{Inside, Outside, Near} {
		if count[pl] < 100 {
			t.Errorf("only %d features placed %s: the test does not exercise it", count[pl], pl)
		}
	}
}

func TestLinePlacesNothingInside(t *testing.T) {
	c := geos.NewContext()
	p, err := New(c, orb.LineString{{0, 0}, {1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Place(orb.Bound{Min: orb.Point{0.1, 0.8}, Max: orb.Point{0.2, 0.9}}); got != Outside {
		t.Errorf("box beside a line placed %s", got)
	}
	if got := p.Place(orb.Bound{Min: orb.Point{0.4, 0.4}, Max: orb.Point{0.6, 0.6}}); got != Near {
		t.Errorf("box on a line placed %s", got)
	}
}

func TestEmptyRefused(t *testing.T) {
	c := geos.NewContext()
	for _, g := range []orb.Geometry{nil, orb.MultiPolygon{}, orb.Polygon{}, orb.LineString{}} {
		if _, err := New(c, g); err == nil {
			t.Errorf("%#v prepared", g)
		}
	}
}

func TestRingSide(t *testing.T) {
	ccw := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	cw := orb.Ring{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}
	if RingSide(ccw, true) != 1 || RingSide(cw, true) != -1 || RingSide(cw, false) != 1 || RingSide(ccw, false) != -1 {
		t.Error("interior side of rings")
	}
}
