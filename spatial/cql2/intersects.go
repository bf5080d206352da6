package cql2

import (
	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// planarIntersects is the default S_INTERSECTS test: planar in lon/lat,
// the way PostGIS's ST_Intersects treats geometry columns. Two geometries
// intersect when an edge of one meets an edge of the other, or a vertex of
// one lies inside a polygon of the other. Quadratic in the vertex counts:
// the query engine passes its own prepared test instead.
func planarIntersects(a, b orb.Geometry) bool {
	if bb, ok := b.(orb.Bound); ok {
		b = bb.ToPolygon()
	}
	if ab, ok := a.(orb.Bound); ok {
		a = ab.ToPolygon()
	}
	if !a.Bound().Intersects(b.Bound()) {
		return false
	}
	sa, sb := segments(a), segments(b)
	for _, s := range sa {
		for _, t := range sb {
			if segmentsMeet(s[0], s[1], t[0], t[1]) {
				return true
			}
		}
	}
	return anyVertexInside(a, b) || anyVertexInside(b, a)
}

// segments lists every edge; a point is an edge of length 0.
func segments(g orb.Geometry) [][2]orb.Point {
	var out [][2]orb.Point
	for ps := range layers.Paths(g) {
		if len(ps) == 1 {
			out = append(out, [2]orb.Point{ps[0], ps[0]})
		}
		for i := 1; i < len(ps); i++ {
			out = append(out, [2]orb.Point{ps[i-1], ps[i]})
		}
	}
	return out
}

// anyVertexInside: does a vertex of a lie in the interior of a polygon of b?
// (Boundary contacts are found by segmentsMeet.)
func anyVertexInside(a, b orb.Geometry) bool {
	var polys []orb.Polygon
	switch v := b.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{v}
	case orb.MultiPolygon:
		polys = v
	case orb.Collection:
		for _, m := range v {
			if anyVertexInside(a, m) {
				return true
			}
		}
		return false
	default:
		return false
	}
	var first orb.Point
	found := false
	for _, s := range segments(a) {
		first, found = s[0], true
		break
	}
	if !found {
		return false
	}
	// With no edges meeting, a is wholly inside or wholly outside each
	// polygon, so one vertex decides.
	for _, p := range polys {
		if polygonContains(p, first) {
			return true
		}
	}
	return false
}

func polygonContains(p orb.Polygon, pt orb.Point) bool {
	in := false
	for _, r := range p {
		if ringContains(r, pt) {
			in = !in
		}
	}
	return in
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

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, p orb.Point) bool {
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

// segmentsMeet says whether segments pq and rs share a point.
func segmentsMeet(p, q, r, s orb.Point) bool {
	d1, d2 := orient(r, s, p), orient(r, s, q)
	d3, d4 := orient(p, q, r), orient(p, q, s)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return d1 == 0 && onSegment(r, s, p) || d2 == 0 && onSegment(r, s, q) ||
		d3 == 0 && onSegment(p, q, r) || d4 == 0 && onSegment(p, q, s)
}
