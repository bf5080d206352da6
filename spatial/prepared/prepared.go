// Package prepared makes a query geometry (an analysis site, the shape of a
// query) ready to be tested against many features: its GEOS form prepared
// once, and an R-tree over its boundary segments that settles most features
// from coordinates alone. A feature whose bounding box no boundary segment
// comes near lies wholly on one side of the boundary, and one point tells
// which side; only the features the boundary passes by go to GEOS.
package prepared

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/tidwall/rtree"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/spatial/topology"
)

// Placement is where a feature lies relative to a prepared geometry, as far
// as coordinates alone can tell.
type Placement int

const (
	// Outside: the feature's bounding box lies wholly outside the geometry
	// (and away from it by more than the rounding margin): they are disjoint.
	Outside Placement = iota
	// Inside: the feature's bounding box lies wholly in the interior of a
	// polygonal geometry: the feature is contained, properly.
	Inside
	// Near: the geometry's boundary passes near the feature's bounding box;
	// GEOS must decide.
	Near
)

func (p Placement) String() string {
	switch p {
	case Outside:
		return "outside"
	case Inside:
		return "inside"
	}
	return "near"
}

// margin widens every box test, in degrees (about 0.1 mm): a point this far
// from a segment's box is on a definite side of it, whatever the rounding
// of the even-odd test.
const margin = 1e-9

// segment is one boundary segment; side is +1 when the polygon's interior
// lies to its left, −1 to its right, 0 for lines and points.
type segment struct {
	a, b orb.Point
	side int8
}

// Geometry is a geometry prepared for repeated tests. It belongs to the GEOS
// context it was made with: use it on that context's goroutine only.
type Geometry struct {
	geom      orb.Geometry
	bound     orb.Bound
	polygons  orb.MultiPolygon // nil unless the geometry is polygonal
	segs      []segment
	edges     rtree.RTreeG[int32]
	c         *geos.Context
	g         *geos.Geom
	prep      *geos.PrepGeom
	wkbBuffer []byte
}

// New prepares g (lon/lat) in GEOS context c. A Polygon or MultiPolygon
// answers Inside for features in its interior; points and lines only ever
// answer Outside or Near. It fails on an empty geometry or one GEOS cannot
// read.
func New(c *geos.Context, g orb.Geometry) (*Geometry, error) {
	if g == nil || isEmpty(g) {
		return nil, fmt.Errorf("prepare: empty geometry")
	}
	p := &Geometry{geom: g, bound: g.Bound(), c: c}
	switch v := g.(type) {
	case orb.Polygon:
		p.polygons = orb.MultiPolygon{v}
	case orb.MultiPolygon:
		p.polygons = v
	}
	p.addSegments(g)
	for i, s := range p.segs {
		b := orb.Bound{Min: s.a, Max: s.a}.Extend(s.b)
		p.edges.Insert(b.Min, b.Max, int32(i))
	}
	gg, err := topology.ToGEOS(c, g)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	p.g = gg
	p.prep = gg.Prepare()
	return p, nil
}

func isEmpty(g orb.Geometry) bool {
	switch v := g.(type) {
	case orb.MultiPolygon:
		return len(v) == 0
	case orb.Polygon:
		return len(v) == 0 || len(v[0]) == 0
	case orb.MultiLineString:
		return len(v) == 0
	case orb.LineString:
		return len(v) == 0
	case orb.MultiPoint:
		return len(v) == 0
	case orb.Collection:
		return len(v) == 0
	}
	return false
}

func (p *Geometry) addSegments(g orb.Geometry) {
	line := func(ls []orb.Point, side int8) {
		if len(ls) == 1 {
			p.segs = append(p.segs, segment{ls[0], ls[0], 0})
		}
		for i := 1; i < len(ls); i++ {
			p.segs = append(p.segs, segment{ls[i-1], ls[i], side})
		}
	}
	polygon := func(pl orb.Polygon) {
		for k, r := range pl {
			line(r, RingSide(r, k == 0))
		}
	}
	switch v := g.(type) {
	case orb.Point:
		line([]orb.Point{v}, 0)
	case orb.MultiPoint:
		for _, pt := range v {
			line([]orb.Point{pt}, 0)
		}
	case orb.LineString:
		line(v, 0)
	case orb.MultiLineString:
		for _, l := range v {
			line(l, 0)
		}
	case orb.Polygon:
		polygon(v)
	case orb.MultiPolygon:
		for _, pl := range v {
			polygon(pl)
		}
	case orb.Collection:
		for _, m := range v {
			p.addSegments(m)
		}
	case orb.Bound:
		p.addSegments(v.ToPolygon())
	}
}

// RingSide is +1 when a polygon's interior lies to the left of the ring's
// edges (an exterior ring turning counter-clockwise, a hole clockwise) and
// −1 otherwise, orientation taken in the lon/lat plane.
func RingSide(r orb.Ring, exterior bool) int8 {
	var s float64
	for i := 1; i < len(r); i++ {
		s += (r[i-1][0]-r[0][0])*(r[i][1]-r[0][1]) - (r[i][0]-r[0][0])*(r[i-1][1]-r[0][1])
	}
	if (s > 0) == exterior {
		return 1
	}
	return -1
}

// Geometry returns the geometry as given.
func (p *Geometry) Geometry() orb.Geometry { return p.geom }

// Bound is the geometry's bounding box.
func (p *Geometry) Bound() orb.Bound { return p.bound }

// Polygonal says whether the geometry is a Polygon or MultiPolygon.
func (p *Geometry) Polygonal() bool { return p.polygons != nil }

// GEOS returns the geometry in GEOS form.
func (p *Geometry) GEOS() *geos.Geom { return p.g }

// Prepared returns the GEOS prepared geometry.
func (p *Geometry) Prepared() *geos.PrepGeom { return p.prep }

// Context is the GEOS context the geometry lives in.
func (p *Geometry) Context() *geos.Context { return p.c }

// Place says where a feature whose bounding box is b lies.
func (p *Geometry) Place(b orb.Bound) Placement {
	b = b.Pad(margin)
	if !b.Intersects(p.bound) {
		return Outside
	}
	if p.NearBoundary(b) {
		return Near
	}
	if p.polygons != nil && PolygonsContain(p.polygons, b.Min) {
		return Inside
	}
	return Outside
}

// NearBoundary says whether some boundary segment meets box b.
func (p *Geometry) NearBoundary(b orb.Bound) bool {
	near := false
	p.edges.Search(b.Min, b.Max, func(_, _ [2]float64, i int32) bool {
		near = SegmentMeetsBox(p.segs[i].a, p.segs[i].b, b)
		return !near
	})
	return near
}

// Segments calls fn for each segment of the geometry (for polygons, of
// their rings; a point is a segment of length zero) that meets box b, until
// fn returns false.
func (p *Geometry) Segments(b orb.Bound, fn func(a, b orb.Point) bool) {
	p.edges.Search(b.Min, b.Max, func(_, _ [2]float64, i int32) bool {
		s := p.segs[i]
		if !SegmentMeetsBox(s.a, s.b, b) {
			return true
		}
		return fn(s.a, s.b)
	})
}

// Edges calls fn for each boundary segment that meets box b with the side
// of the interior (+1 left, −1 right; 0 for lines and points), until fn
// returns false.
func (p *Geometry) Edges(b orb.Bound, fn func(a, c orb.Point, side int8) bool) {
	p.edges.Search(b.Min, b.Max, func(_, _ [2]float64, i int32) bool {
		s := p.segs[i]
		if !SegmentMeetsBox(s.a, s.b, b) {
			return true
		}
		return fn(s.a, s.b, s.side)
	})
}

// ContainsPoint is the even-odd test of a point against a polygonal
// geometry (false for other geometries), casting a ray east through the
// R-tree of segments. Points on the boundary may go either way: callers
// that care test NearBoundary first.
func (p *Geometry) ContainsPoint(pt orb.Point) bool {
	if p.polygons == nil || !p.bound.Contains(pt) {
		return false
	}
	in := false
	p.edges.Search(pt, orb.Point{p.bound.Max[0], pt[1]}, func(_, _ [2]float64, i int32) bool {
		a, c := p.segs[i].a, p.segs[i].b
		if (a[1] > pt[1]) != (c[1] > pt[1]) && pt[0] < (c[0]-a[0])*(pt[1]-a[1])/(c[1]-a[1])+a[0] {
			in = !in
		}
		return true
	})
	return in
}

// SegmentMeetsBox clips segment ab to the box (Liang–Barsky). Its rounding
// errors are far below the margin boxes are padded with here.
func SegmentMeetsBox(a, b orb.Point, box orb.Bound) bool {
	s := segment{a: a, b: b}
	t0, t1 := 0.0, 1.0
	d := [2]float64{s.b[0] - s.a[0], s.b[1] - s.a[1]}
	for k := 0; k < 2; k++ {
		if d[k] == 0 {
			if s.a[k] < box.Min[k] || s.a[k] > box.Max[k] {
				return false
			}
			continue
		}
		lo, hi := (box.Min[k]-s.a[k])/d[k], (box.Max[k]-s.a[k])/d[k]
		if lo > hi {
			lo, hi = hi, lo
		}
		t0, t1 = max(t0, lo), min(t1, hi)
		if t0 > t1 {
			return false
		}
	}
	return true
}

// ToGEOS converts a feature geometry into the geometry's GEOS context,
// reusing one WKB buffer.
func (p *Geometry) ToGEOS(g orb.Geometry) (*geos.Geom, error) {
	var err error
	p.wkbBuffer, err = appendWKB(p.wkbBuffer[:0], g)
	if err != nil {
		return nil, err
	}
	gg, err := p.c.NewGeomFromWKB(p.wkbBuffer)
	if err != nil {
		return nil, fmt.Errorf("geos read wkb: %w", err)
	}
	return gg, nil
}

// Intersects says whether a feature geometry shares any point with the
// geometry (ST_Intersects).
func (p *Geometry) Intersects(g orb.Geometry) (bool, error) {
	switch p.Place(g.Bound()) {
	case Outside:
		return false, nil
	case Inside:
		return true, nil
	}
	fg, err := p.ToGEOS(g)
	if err != nil {
		return false, err
	}
	return call(func() bool { return p.prep.Intersects(fg) })
}

// Contains says whether a feature geometry lies within the geometry
// (ST_Within(feature, geometry): no point of it outside, some point of its
// interior inside).
func (p *Geometry) Contains(g orb.Geometry) (bool, error) {
	switch p.Place(g.Bound()) {
	case Outside:
		return false, nil
	case Inside:
		return true, nil
	}
	fg, err := p.ToGEOS(g)
	if err != nil {
		return false, err
	}
	return call(func() bool { return p.prep.Contains(fg) })
}

// call runs a GEOS predicate, turning a GEOS panic (go-geos panics on GEOS
// errors) into an error.
func call(fn func() bool) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("GEOS: %v", r)
		}
	}()
	return fn(), nil
}

// Call runs a GEOS operation, turning a GEOS panic into an error.
func Call(what string, fn func() *geos.Geom) (g *geos.Geom, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: GEOS: %v", what, r)
		}
	}()
	g = fn()
	if g == nil {
		return nil, fmt.Errorf("%s: GEOS returned nothing", what)
	}
	return g, nil
}

// FromGEOS converts a GEOS geometry back to orb.
func FromGEOS(g *geos.Geom) (orb.Geometry, error) {
	og, err := wkb.Unmarshal(g.ToWKB())
	if err != nil {
		return nil, fmt.Errorf("decode wkb: %w", err)
	}
	return og, nil
}

// PolygonsContain is the even-odd test of pt against each polygon's rings
// (holes excluded). Points on a boundary may go either way.
func PolygonsContain(mp orb.MultiPolygon, pt orb.Point) bool {
	for _, pl := range mp {
		if len(pl) == 0 || !ringContains(pl[0], pt) {
			continue
		}
		inHole := false
		for _, h := range pl[1:] {
			if ringContains(h, pt) {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

func ringContains(r orb.Ring, pt orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, c := r[i], r[j]
		if (a[1] > pt[1]) != (c[1] > pt[1]) && pt[0] < (c[0]-a[0])*(pt[1]-a[1])/(c[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}
