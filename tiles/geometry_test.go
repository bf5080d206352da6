package tiles

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

func ip(xy ...int32) []IPoint {
	var out []IPoint
	for i := 0; i < len(xy); i += 2 {
		out = append(out, IPoint{xy[i], xy[i+1]})
	}
	return out
}

func TestCleanRing(t *testing.T) {
	for _, c := range []struct {
		name     string
		in, want []IPoint
	}{
		{"square", ip(0, 0, 10, 0, 10, 10, 0, 10), ip(0, 0, 10, 0, 10, 10, 0, 10)},
		{"repeats", ip(0, 0, 0, 0, 10, 0, 10, 10, 10, 10, 0, 10, 0, 0), ip(0, 0, 10, 0, 10, 10, 0, 10)},
		{"collinear", ip(0, 0, 5, 0, 10, 0, 10, 10, 0, 10, 0, 5), ip(0, 0, 10, 0, 10, 10, 0, 10)},
		{"spike", ip(0, 0, 10, 0, 10, 10, 10, 20, 10, 10, 0, 10), ip(0, 0, 10, 0, 10, 10, 0, 10)},
		{"seam on a straight line", ip(5, 0, 10, 0, 10, 10, 0, 10, 0, 0), ip(10, 0, 10, 10, 0, 10, 0, 0)},
		{"flat", ip(0, 0, 5, 0, 10, 0, 5, 0), nil},
		{"one point", ip(3, 3, 3, 3, 3, 3), ip(3, 3)},
	} {
		in := slices.Clone(c.in)
		got := CleanRing(in)
		if len(got) > 0 && &got[0] != &in[0] {
			t.Errorf("%s: the result is not a prefix of the ring", c.name)
		}
		if len(c.want) < 3 {
			if len(got) >= 3 {
				t.Errorf("%s: %v survived", c.name, got)
			}
			continue
		}
		if !sameRing(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// sameRing: equal up to the starting point.
func sameRing(a, b []IPoint) bool {
	if len(a) != len(b) {
		return false
	}
	for s := range a {
		ok := true
		for i := range a {
			if a[(s+i)%len(a)] != b[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestOrient(t *testing.T) {
	r := ip(0, 0, 0, 10, 10, 10, 10, 0) // counter-clockwise on screen (y down): negative
	if Area2(r) >= 0 {
		t.Fatalf("area %d", Area2(r))
	}
	Orient(r, true)
	if Area2(r) != 200 {
		t.Fatalf("exterior area %d, want +200", Area2(r))
	}
	Orient(r, false)
	if Area2(r) != -200 {
		t.Fatalf("hole area %d", Area2(r))
	}
}

func TestIntersecting(t *testing.T) {
	sq := ip(0, 0, 10, 0, 10, 10, 0, 10)
	for _, c := range []struct {
		name  string
		rings [][]IPoint
		want  bool
	}{
		{"square", [][]IPoint{sq}, false},
		{"bow tie", [][]IPoint{ip(0, 0, 10, 10, 10, 0, 0, 10)}, true},
		{"hole inside", [][]IPoint{sq, ip(2, 2, 2, 8, 8, 8, 8, 2)}, false},
		{"hole crossing", [][]IPoint{sq, ip(2, 2, 2, 12, 8, 12, 8, 2)}, true},
		{"hole touching at a vertex", [][]IPoint{sq, ip(0, 5, 5, 8, 8, 2)}, true},
		{"ring touching itself", [][]IPoint{ip(0, 0, 10, 0, 5, 5, 10, 10, 0, 10, 5, 5)}, true},
		{"two apart", [][]IPoint{sq, ip(20, 0, 30, 0, 30, 10, 20, 10)}, false},
		{"two sharing an edge", [][]IPoint{sq, ip(10, 0, 20, 0, 20, 10, 10, 10)}, true},
	} {
		// Pad with far-away squares to run the sweep as well as the pairwise test.
		for _, pad := range []int{0, 20} {
			rings := slices.Clone(c.rings)
			for i := 0; i < pad; i++ {
				o := int32(100 + 20*i)
				rings = append(rings, ip(o, 100, o+10, 100, o+10, 110, o, 110))
			}
			if got, _ := Intersecting(rings, nil); got != c.want {
				t.Errorf("%s (+%d): %v, want %v", c.name, pad, got, c.want)
			}
		}
	}
}

func TestClipRing(t *testing.T) {
	b := box{lo: 0, hi: 100}
	var c clipper
	// A square half out of the box to the west.
	r := []lpoint{{-50, 10}, {50, 10}, {50, 60}, {-50, 60}}
	got := c.ring(r, b)
	var area float64
	for i := range got {
		j := (i + 1) % len(got)
		area += float64(got[i].X*got[j].Y - got[j].X*got[i].Y)
	}
	if math.Abs(area/2) != 50*50 {
		t.Fatalf("clipped %v, area %v", got, area/2)
	}
	for _, p := range got {
		if !b.inside(p) {
			t.Fatalf("%v outside", p)
		}
	}
	// A shared edge clipped from either side gives the same crossing.
	p, q := lpoint{-37, 3}, lpoint{91, 77}
	if atX(p, q, 0) != atX(q, p, 0) || atY(p, q, 50) != atY(q, p, 50) {
		t.Fatal("crossing depends on direction")
	}
}

func TestClipLine(t *testing.T) {
	b := box{lo: 0, hi: 100}
	var parts [][]lpoint
	clipLine([]lpoint{{-50, 50}, {50, 50}, {50, 150}, {60, 150}, {60, 50}, {150, 50}}, b, func(p []lpoint) {
		parts = append(parts, slices.Clone(p))
	}, nil)
	want := [][]lpoint{{{0, 50}, {50, 50}, {50, 100}}, {{60, 100}, {60, 50}, {100, 50}}}
	if len(parts) != 2 || !slices.Equal(parts[0], want[0]) || !slices.Equal(parts[1], want[1]) {
		t.Fatalf("parts %v, want %v", parts, want)
	}
}

// TestFastMercator: the interpolated Mercator the encoder uses stays
// within a thousandth of a world unit (2^-32 of the world, about 9 mm at
// the equator) of the exact formula everywhere up to where Web Mercator
// ends, and clamps beyond it as the exact one does.
func TestFastMercator(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	worst := 0.0
	for i := 0; i < 200000; i++ {
		lat := (rng.Float64()*2 - 1) * 85.0511
		if i < 64 {
			lat = -85 + float64(i)*170/63 // knots and the ends too
		}
		lon := rng.Float64()*360 - 180
		fx, fy := fastMercator(lon, lat)
		x, y := Mercator(lon, lat)
		worst = max(worst, math.Abs(fy-y)*worldSize)
		if fx != x {
			t.Fatalf("x of %v: %v, want %v", lon, fx, x)
		}
	}
	if worst > 1e-3 {
		t.Fatalf("interpolated y off by %v world units", worst)
	}
	for _, lat := range []float64{89, -89, 85.06, -90, 90} {
		_, fy := fastMercator(0, lat)
		if _, y := Mercator(0, lat); math.Abs(fy-y)*worldSize > 1e-3 {
			t.Errorf("lat %v: %v, want %v", lat, fy, y)
		}
	}
	t.Logf("worst error %.2g world units", worst)
}

func TestMercator(t *testing.T) {
	// The tile the point falls in by orb's own tile maths holds it.
	for _, q := range []orb.Point{{113.01, 30.71}, {-70, -40}, {0, 0}, {179.9, 85}} {
		for z := maptile.Zoom(0); z <= 20; z += 5 {
			tl := maptile.At(q, z)
			p := NewProjector(tl).Point(q)
			if p.X < 0 || p.X > Extent || p.Y < 0 || p.Y > Extent {
				t.Errorf("%v at z%d: %v outside tile %v", q, z, p, tl)
			}
		}
	}
	b := BufferedBound(maptile.New(3, 3, 3), 0)
	if tb := maptile.New(3, 3, 3).Bound(); math.Abs(b.Min[0]-tb.Min[0]) > 1e-9 || math.Abs(b.Max[1]-tb.Max[1]) > 1e-9 {
		t.Fatalf("bound %v, orb says %v", b, tb)
	}
}

// TestEncodeValidPolygons encodes jagged random polygons, with holes and
// several parts, at zooms where quantising squeezes them, and checks every
// decoded polygon with GEOS: valid, exterior first, as MVT 2.1 §4.3.4.4
// asks. The same shapes at a deep zoom keep their area. Each tile is made
// twice from the features kept ready: the second time, features found
// clean at that zoom are streamed unchecked, and the bytes are the same.
func TestEncodeValidPolygons(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gc := geos.NewContext()
	cat := layers.DefaultCatalog()
	l := cat.Layer("dltb")
	streamed := 0
	for trial := 0; trial < 300; trial++ {
		centre := orb.Point{113 + rng.Float64()*0.01, 30.7 + rng.Float64()*0.01}
		radius := 0.0002 + rng.Float64()*0.002
		mp := orb.MultiPolygon{star(rng, centre, radius, 5+rng.IntN(40))}
		if rng.IntN(2) == 0 {
			// A hole: a smaller star around the same centre.
			mp[0] = append(mp[0], star(rng, centre, radius*0.2, 5+rng.IntN(10))[0])
		}
		if rng.IntN(2) == 0 {
			mp = append(mp, star(rng, orb.Point{centre[0] + 3*radius, centre[1]}, radius, 6))
		}
		idx := spatial.NewIndex(cat)
		if err := idx.Put("dltb", &layers.Feature{ID: 1, Version: 1, Geometry: mp}); err != nil {
			t.Fatal(err)
		}
		p := NewPrepared(idx)
		snap := idx.Snapshot()
		for _, z := range []maptile.Zoom{9, 12, 14, 18} {
			tl := maptile.At(centre, z)
			b, n, err := p.AppendExact(context.Background(), nil, snap, l, tl)
			if err != nil {
				t.Fatal(err)
			}
			again, _, err := p.AppendExact(context.Background(), nil, snap, l, tl)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, again) {
				t.Fatalf("trial %d z%d: the second encoding differs", trial, z)
			}
			if p.layers["dltb"].load(1).zoomState(uint(z)) == zoomClean {
				streamed++
			}
			if n == 0 {
				continue
			}
			ls, err := mvt.Unmarshal(b)
			if err != nil {
				t.Fatalf("trial %d z%d: %v", trial, z, err)
			}
			g := ls[0].Features[0].Geometry
			checkMVTPolygon(t, gc, g)
			if z == 18 {
				// At z18 a tile unit is about 3 cm: the area inside the
				// tile and its buffer is kept.
				want := clippedArea(t, gc, tl, mp)
				if got := planar.Area(g); math.Abs(got-want) > 0.01*want {
					t.Errorf("trial %d: area %v, want %v", trial, got, want)
				}
			}
		}
	}
	if streamed == 0 {
		t.Fatal("no feature was ever found clean: the streamed path went untested")
	}
	t.Logf("%d of %d encodings streamed", streamed, 4*300)
}

// star is a polygon of n points at random radii around c: concave, often
// with narrow spikes that quantising pinches.
func star(rng *rand.Rand, c orb.Point, r float64, n int) orb.Polygon {
	var ring orb.Ring
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		d := r * (0.3 + 0.7*rng.Float64())
		ring = append(ring, orb.Point{c[0] + d*math.Cos(a), c[1] + d*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

// clippedArea is the area of mp projected into tile t's units, unrounded,
// inside the tile and its buffer (GEOS).
func clippedArea(t *testing.T, gc *geos.Context, tl maptile.Tile, mp orb.MultiPolygon) float64 {
	p := NewProjector(tl)
	var proj orb.MultiPolygon
	for _, poly := range mp {
		var pp orb.Polygon
		for _, r := range poly {
			var pr orb.Ring
			for _, q := range r {
				x, y := p.Float(q)
				pr = append(pr, orb.Point{x, y})
			}
			pp = append(pp, pr)
		}
		proj = append(proj, pp)
	}
	lo, hi := float64(-Buffer), float64(Extent+Buffer)
	clip := gc.NewPolygon([][][]float64{{{lo, lo}, {hi, lo}, {hi, hi}, {lo, hi}, {lo, lo}}})
	return mustGEOS(t, gc, proj).Intersection(clip).Area()
}

// checkMVTPolygon fails the test unless g, as orb decoded it from a tile,
// is a valid (multi)polygon whose rings decode as exterior then holes.
func checkMVTPolygon(t *testing.T, gc *geos.Context, g orb.Geometry) {
	t.Helper()
	var polys []orb.Polygon
	switch v := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{v}
	case orb.MultiPolygon:
		polys = v
	default:
		t.Fatalf("decoded %T", g)
	}
	for _, p := range polys {
		for _, r := range p {
			if len(r) < 4 {
				t.Fatalf("ring of %d points (with its closing point): %v", len(r), r)
			}
		}
	}
	gg := mustGEOS(t, gc, g)
	if !gg.IsValid() {
		t.Fatalf("invalid: %s\n%v", gg.IsValidReason(), g)
	}
}

func mustGEOS(t *testing.T, gc *geos.Context, g orb.Geometry) *geos.Geom {
	t.Helper()
	var coords [][][][]float64
	add := func(p orb.Polygon) {
		var pc [][][]float64
		for _, r := range p {
			var rc [][]float64
			for _, q := range r {
				rc = append(rc, []float64{q[0], q[1]})
			}
			pc = append(pc, rc)
		}
		coords = append(coords, pc)
	}
	switch v := g.(type) {
	case orb.Polygon:
		add(v)
	case orb.MultiPolygon:
		for _, p := range v {
			add(p)
		}
	}
	var parts []*geos.Geom
	for _, pc := range coords {
		parts = append(parts, gc.NewPolygon(pc))
	}
	return gc.NewCollection(geos.TypeIDMultiPolygon, parts)
}
