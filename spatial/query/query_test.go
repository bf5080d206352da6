package query

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

const testScale = 3000

// featureGEOS converts features to GEOS once per test and context.
type featureGEOS struct {
	c    *geos.Context
	seen map[*layers.Feature]*geos.Geom
}

func newFeatureGEOS() *featureGEOS {
	return &featureGEOS{c: geos.NewContext(), seen: map[*layers.Feature]*geos.Geom{}}
}

func (fg *featureGEOS) of(t testing.TB, f *layers.Feature) *geos.Geom {
	g, ok := fg.seen[f]
	if !ok {
		g = mustGEOS(t, fg.c, f.Geometry)
		fg.seen[f] = g
	}
	return g
}

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

// randomGeometries are query shapes around the demo world: polygons of
// 0.001 to 2 km², lines across a few hundred metres, points.
func randomGeometries(d *demotest.Dataset, n int, seed uint64) []orb.Geometry {
	rng := rand.New(rand.NewPCG(seed, 11))
	b := d.Manifest.Bounds
	var out []orb.Geometry
	for i := range n {
		c := orb.Point{b[0] + (b[2]-b[0])*rng.Float64(), b[1] + (b[3]-b[1])*rng.Float64()}
		switch i % 3 {
		case 0:
			out = append(out, randsite.Polygon(rng, c, math.Pow(10, 4+rng.Float64()*2.5), 4+rng.IntN(20), 0.4))
		case 1:
			ls := orb.LineString{c}
			for range 1 + rng.IntN(4) {
				p := ls[len(ls)-1]
				ls = append(ls, orb.Point{p[0] + (rng.Float64()-0.5)*0.006, p[1] + (rng.Float64()-0.5)*0.006})
			}
			out = append(out, ls)
		default:
			out = append(out, c)
		}
	}
	return out
}

func ids(fs []*layers.Feature) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

// TestIntersectsAndWithinAgreeWithGEOS checks every feature of every layer
// against plain GEOS predicates (no R-tree, no preparation, no shortcut).
func TestIntersectsAndWithinAgreeWithGEOS(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	fgs := newFeatureGEOS()
	c := fgs.c
	matched := map[Relation]int{}
	for gi, g := range randomGeometries(d, 15, 1) {
		qg := mustGEOS(t, c, g)
		for _, rel := range []Relation{Intersects, Within} {
			res, err := Query(context.Background(), d.Index.Snapshot(), d.Catalog, Request{Geometry: g, Relation: rel, Limit: math.MaxInt})
			if err != nil {
				t.Fatal(err)
			}
			for li, l := range d.Catalog.Layers {
				var want []int64
				for _, f := range d.Features[l.ID] {
					fg := fgs.of(t, f)
					if (rel == Intersects && fg.Intersects(qg)) || (rel == Within && fg.Within(qg)) {
						want = append(want, f.ID)
					}
				}
				got := ids(res[li].Features)
				if fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
					t.Errorf("geometry %d %s %s: %v, GEOS %v", gi, rel, l.ID, got, want)
				}
				if res[li].NumberMatched != len(want) || res[li].Layer != l.ID {
					t.Errorf("geometry %d %s %s: matched %d, want %d", gi, rel, l.ID, res[li].NumberMatched, len(want))
				}
				matched[rel] += len(want)
			}
		}
	}
	if matched[Intersects] < 300 || matched[Within] < 50 {
		t.Errorf("too few matches to tell: %v", matched)
	}
}

// refDistance is an independent estimate of the ellipsoidal distance
// between two geometries that do not meet: every vertex of each against
// every segment of the other, the point on the segment found by golden
// section search on the geodesic distance itself. Pairs a rough metric
// estimate puts more than 1 % (plus a metre) beyond the best are skipped.
func refDistance(a, b orb.Geometry) float64 {
	type pair struct {
		v     orb.Point
		s     seg
		rough float64
	}
	var pairs []pair
	roughBest := math.Inf(1)
	one := func(ps []seg, qs []seg) {
		for _, p := range ps {
			for _, v := range []orb.Point{p.a, p.b} {
				for _, s := range qs {
					r := roughPointSeg(v, s)
					roughBest = min(roughBest, r)
					pairs = append(pairs, pair{v, s, r})
				}
			}
		}
	}
	sa, sb := segments(a, nil), segments(b, nil)
	one(sa, sb)
	one(sb, sa)
	best := math.Inf(1)
	for _, p := range pairs {
		if p.rough <= roughBest*1.01+1 {
			best = min(best, pointSegGeodesic(p.v, p.s))
		}
	}
	return best
}

// roughPointSeg is a planar distance in metres (spherical scale at the
// point's latitude), good to a per cent over a few kilometres.
func roughPointSeg(p orb.Point, s seg) float64 {
	k := math.Cos(p[1] * math.Pi / 180)
	x := func(q orb.Point) orb.Point { return orb.Point{(q[0] - p[0]) * k * 111195, (q[1] - p[1]) * 111195} }
	a, b := x(s.a), x(s.b)
	q := pointOnSegment(orb.Point{}, a, b)
	return math.Hypot(q[0], q[1])
}

func pointSegGeodesic(p orb.Point, s seg) float64 {
	at := func(t float64) float64 {
		return area.Distance(p, orb.Point{s.a[0] + t*(s.b[0]-s.a[0]), s.a[1] + t*(s.b[1]-s.a[1])})
	}
	lo, hi := 0.0, 1.0
	const phi = 0.6180339887498949
	x1, x2 := hi-phi*(hi-lo), lo+phi*(hi-lo)
	f1, f2 := at(x1), at(x2)
	for range 64 {
		if f1 < f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - phi*(hi-lo)
			f1 = at(x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + phi*(hi-lo)
			f2 = at(x2)
		}
	}
	return min(f1, f2, at(0), at(1))
}

// TestDWithinAgreesWithReference checks dwithin against an independent
// distance for every feature of the layers near each geometry, outside a
// band of a part per million around the distance (the method's own error
// is far smaller than the 0.1 % PostGIS is held to).
func TestDWithinAgreesWithReference(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	fgs := newFeatureGEOS()
	c := fgs.c
	rng := rand.New(rand.NewPCG(3, 4))
	counts := map[string]int{}
	for gi, g := range randomGeometries(d, 9, 2) {
		dist := math.Pow(10, rng.Float64()*3.5) // 1 m to 3 km
		res, err := Query(context.Background(), d.Index.Snapshot(), d.Catalog, Request{Geometry: g, Relation: DWithin, DistanceM: dist,
			Layers: []string{"dltb", "jtlw", "jmd", "xzqjx", "ckq"}, Limit: math.MaxInt})
		if err != nil {
			t.Fatal(err)
		}
		qg := mustGEOS(t, c, g)
		for _, r := range res {
			got := map[int64]bool{}
			for _, f := range r.Features {
				got[f.ID] = true
			}
			for _, f := range d.Features[r.Layer] {
				var ref float64
				if !fgs.of(t, f).Intersects(qg) {
					if f.Geometry.Bound().Pad(dist/50000).Intersects(g.Bound()) || got[f.ID] {
						ref = refDistance(f.Geometry, g)
					} else {
						ref = math.Inf(1) // far beyond 2 km per 0.02°
					}
				}
				if math.Abs(ref-dist) <= 1e-6*dist {
					counts["band"]++
					continue
				}
				if want := ref <= dist; got[f.ID] != want {
					t.Errorf("geometry %d within %.3f m: %s %d listed %v, reference distance %.6f m", gi, dist, r.Layer, f.ID, got[f.ID], ref)
				}
				if ref <= dist {
					counts["in"]++
				} else if ref < 2*dist {
					counts["just out"]++
				}
			}
		}
	}
	if counts["in"] < 200 || counts["just out"] < 100 {
		t.Errorf("the geometries do not exercise dwithin: %v", counts)
	}
	t.Logf("%v", counts)
}

func TestPagingAndFilter(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	g := randomGeometries(d, 1, 5)[0]
	dltb := d.Catalog.Layer("dltb")
	snap := d.Index.Snapshot()
	all, err := Query(context.Background(), snap, d.Catalog, Request{Geometry: g, Layers: []string{"dltb"}, Limit: math.MaxInt})
	if err != nil {
		t.Fatal(err)
	}
	n := all[0].NumberMatched
	if n < 10 {
		t.Fatalf("only %d parcels: pick another geometry", n)
	}
	var paged []int64
	for off := 0; off < n+3; off += 3 {
		r, err := Query(context.Background(), snap, d.Catalog, Request{Geometry: g, Layers: []string{"dltb"}, Limit: 3, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if r[0].NumberMatched != n || r[0].NumberReturned != len(r[0].Features) || r[0].NumberReturned > 3 {
			t.Fatalf("offset %d: %+v", off, r[0])
		}
		paged = append(paged, ids(r[0].Features)...)
	}
	if fmt.Sprint(paged) != fmt.Sprint(ids(all[0].Features)) {
		t.Errorf("pages %v, all %v", paged, ids(all[0].Features))
	}
	def, _ := Query(context.Background(), snap, d.Catalog, Request{Geometry: g, Layers: []string{"dltb"}})
	if def[0].NumberReturned != min(n, DefaultLimit) {
		t.Errorf("default limit returned %d", def[0].NumberReturned)
	}
	farm := func(f *layers.Feature) bool {
		s, _ := dltb.Value(f, "DLBM").(string)
		return len(s) == 4 && s[:2] == "01"
	}
	r, err := Query(context.Background(), snap, d.Catalog, Request{Geometry: g, Layers: []string{"dltb"}, Limit: math.MaxInt,
		Filter: map[string]func(*layers.Feature) bool{"dltb": farm}})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, f := range all[0].Features {
		if farm(f) {
			want++
		}
	}
	if r[0].NumberMatched != want || want == 0 || want == n {
		t.Errorf("filtered %d of %d, want %d", r[0].NumberMatched, n, want)
	}
	for _, f := range r[0].Features {
		if !farm(f) {
			t.Errorf("parcel %d is not farmland", f.ID)
		}
	}
}

// TestIdentify checks the polygons at random points against GEOS and the
// points and lines within the tolerance against the reference distance.
func TestIdentify(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	fgs := newFeatureGEOS()
	c := fgs.c
	rng := rand.New(rand.NewPCG(9, 9))
	b := d.Manifest.Bounds
	var pts []orb.Point
	for range 40 {
		pts = append(pts, orb.Point{b[0] + (b[2]-b[0])*rng.Float64(), b[1] + (b[3]-b[1])*rng.Float64()})
	}
	// Vertices of parcels: on the boundary of several at once.
	for _, f := range d.Features["dltb"][:5] {
		pts = append(pts, f.Geometry.(orb.MultiPolygon)[0][0][1])
	}
	lines := 0
	for i, pt := range pts {
		tol := []float64{0, 5, 50, 300}[i%4]
		res, err := Identify(context.Background(), d.Index.Snapshot(), d.Catalog, pt, IdentifyOptions{ToleranceM: tol})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]int64{}
		for _, r := range res {
			if r.NumberMatched == 0 {
				t.Errorf("empty layer %s in the answer", r.Layer)
			}
			got[r.Layer] = ids(r.Features)
		}
		pg := mustGEOS(t, c, pt)
		for _, l := range d.Catalog.Layers {
			var want []int64
			for _, f := range d.Features[l.ID] {
				hit := false
				if l.Geometry == layers.Polygon || tol == 0 {
					hit = fgs.of(t, f).Intersects(pg)
				} else if f.Geometry.Bound().Pad(0.01).Contains(pt) {
					ref := refDistance(f.Geometry, pt)
					if math.Abs(ref-tol) < 1e-6*tol {
						continue
					}
					hit = ref <= tol
				}
				if hit {
					want = append(want, f.ID)
				}
			}
			if l.Geometry == layers.LineString {
				lines += len(want)
			}
			if fmt.Sprint(got[l.ID]) != fmt.Sprint(want) && !(len(got[l.ID]) == 0 && len(want) == 0) {
				t.Errorf("point %v tolerance %v m, %s: %v, want %v", pt, tol, l.ID, got[l.ID], want)
			}
		}
		if i >= 40 && len(got["dltb"]) < 2 {
			t.Errorf("parcel vertex %v: parcels %v, want all that share it", pt, got["dltb"])
		}
	}
	if lines == 0 {
		t.Error("no line within any tolerance: the test says nothing about lines")
	}
}

func TestBadRequests(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	snap := d.Index.Snapshot()
	ctx := context.Background()
	sq := orb.Polygon{{{113, 30.75}, {113.01, 30.75}, {113.01, 30.76}, {113, 30.76}, {113, 30.75}}}
	var ve *layers.ValidationError
	for name, c := range map[string]struct {
		req  Request
		want error
	}{
		"missing geometry": {Request{}, ErrBadRequest},
		"empty polygon":    {Request{Geometry: orb.Polygon{}}, ErrBadRequest},
		"NaN":              {Request{Geometry: orb.Point{math.NaN(), 30}}, ErrBadRequest},
		"huge":             {Request{Geometry: orb.Point{1e300, 30}}, ErrBadRequest},
		"relation":         {Request{Geometry: sq, Relation: "touches"}, ErrBadRequest},
		"negative":         {Request{Geometry: sq, Relation: DWithin, DistanceM: -1}, ErrBadRequest},
		"infinite":         {Request{Geometry: sq, Relation: DWithin, DistanceM: math.Inf(1)}, ErrBadRequest},
		"limit":            {Request{Geometry: sq, Limit: -1}, ErrBadRequest},
		"layer":            {Request{Geometry: sq, Layers: []string{"dltb", "nope"}}, ErrUnknownLayer},
	} {
		if _, err := Query(ctx, snap, d.Catalog, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	bowtie := orb.Polygon{{{113, 30.75}, {113.01, 30.76}, {113.01, 30.75}, {113, 30.76}, {113, 30.75}}}
	if _, err := Query(ctx, snap, d.Catalog, Request{Geometry: bowtie}); !errors.As(err, &ve) {
		t.Errorf("self-intersecting polygon: %v", err)
	}
	if _, err := Identify(ctx, snap, d.Catalog, orb.Point{200, 30}, IdentifyOptions{}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("identify off the globe: %v", err)
	}
	if _, err := Identify(ctx, snap, d.Catalog, orb.Point{113, 30}, IdentifyOptions{ToleranceM: math.NaN()}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("identify NaN tolerance: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Query(cctx, snap, d.Catalog, Request{Geometry: sq}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestDWithinParts: geometries whose boundaries never meet but where one
// part of one lies inside the other are at distance zero.
func TestDWithinParts(t *testing.T) {
	c := geos.NewContext()
	sq := func(x, y, s float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}}
	}
	query := orb.MultiPolygon{sq(113, 30, 0.01)}
	for name, c2 := range map[string]struct {
		feature orb.Geometry
		want    bool
	}{
		"second part inside":     {orb.MultiPolygon{sq(113.05, 30, 0.001), sq(113.004, 30.004, 0.001)}, true},
		"query in second part":   {orb.MultiPolygon{sq(113.05, 30, 0.001), sq(112.99, 29.99, 0.03)}, true},
		"second line inside":     {orb.MultiLineString{{{113.05, 30}, {113.06, 30}}, {{113.004, 30.004}, {113.005, 30.005}}}, true},
		"query in a hole":        {orb.MultiPolygon{{sq(112.99, 29.99, 0.03)[0], sq(112.995, 29.995, 0.02)[0]}}, false},
		"parts outside, 1 m off": {orb.MultiPolygon{sq(113.05, 30, 0.001), sq(113.01001, 30.004, 0.001)}, false},
	} {
		q, err := prepared.New(c, query)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := within(q, c2.feature, 0.5, nil); got != c2.want {
			t.Errorf("%s: within 0.5 m %v, want %v", name, got, c2.want)
		}
	}
}
