package query

import (
	"math"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/prepared"
)

// Distances on the ellipsoid (dwithin, identify tolerances).
//
// Edges are straight in lon/lat, as GEOS and the stores see them; the
// distance between two geometries is the least geodesic distance (Karney,
// CGCS2000) between a point of one and a point of the other. It is found in
// a local equirectangular frame, which is affine in lon/lat (edges stay
// straight) and scaled to metres at its reference latitude:
//
//  1. the closest pair of points in the frame, by segment-to-segment
//     distances, gives a proof of "within": the geodesic distance between
//     those two points is an upper bound of the true distance;
//  2. the frame's distortion over the latitudes involved, k = the largest
//     ratio of frame length to true length, gives a proof of "beyond": the
//     true distance is at least the frame distance divided by k (a path's
//     image is at most k times longer, and the straight line is shorter);
//  3. between the two (a band of relative width about k−1, which is
//     d/R·tan φ), the frame is re-centred on the pair found and the closest
//     pair sought again: the frame is then exact to second order where it
//     matters, and the geodesic distance of that pair decides.

// Ellipsoid constants (CGCS2000).
var (
	semiMajor = area.SemiMajorAxis
	ecc2      = area.Flattening * (2 - area.Flattening)
)

const radPerDeg = math.Pi / 180

// primeVertical and meridional are the ellipsoid's radii of curvature at
// latitude phi (degrees).
func primeVertical(phi float64) float64 {
	s := math.Sin(phi * radPerDeg)
	return semiMajor / math.Sqrt(1-ecc2*s*s)
}

func meridional(phi float64) float64 {
	s := math.Sin(phi * radPerDeg)
	w := 1 - ecc2*s*s
	return semiMajor * (1 - ecc2) / (w * math.Sqrt(w))
}

// frame is a local equirectangular frame: x east, y north, metres at lat0.
type frame struct {
	lon0, lat0 float64
	kx, ky     float64 // metres per degree at lat0
}

func newFrame(lon0, lat0 float64) frame {
	return frame{lon0: lon0, lat0: lat0,
		kx: primeVertical(lat0) * math.Cos(lat0*radPerDeg) * radPerDeg,
		ky: meridional(lat0) * radPerDeg}
}

func (f frame) fwd(p orb.Point) orb.Point {
	return orb.Point{(p[0] - f.lon0) * f.kx, (p[1] - f.lat0) * f.ky}
}

func (f frame) inv(p orb.Point) orb.Point {
	return orb.Point{f.lon0 + p[0]/f.kx, f.lat0 + p[1]/f.ky}
}

// maxScale is the largest ratio of frame length to true length at
// latitudes between lat1 and lat2 (degrees, both within ±89°).
func (f frame) maxScale(lat1, lat2 float64) float64 {
	k := 1.0
	for _, phi := range []float64{lat1, lat2, max(lat1, min(lat2, 0))} {
		kx := f.kx / (primeVertical(phi) * math.Cos(phi*radPerDeg) * radPerDeg)
		ky := f.ky / (meridional(phi) * radPerDeg)
		k = max(k, kx, ky)
	}
	return k
}

// degreesFor is a conservative box padding for d metres near latitudes up
// to |lat|: the longitude and latitude spans no point within d metres of
// the box can lie beyond.
func degreesFor(d, lat float64) (dLon, dLat float64) {
	// The meridional radius is least at the equator, a(1−e²).
	dLat = d / (semiMajor * (1 - ecc2)) / radPerDeg * 1.001
	phi := math.Abs(lat) + dLat
	if phi >= 89 {
		return 360, dLat
	}
	// A parallel's radius is N cos φ ≥ a cos φ.
	dLon = d / (semiMajor * math.Cos(phi*radPerDeg)) / radPerDeg * 1.001
	return dLon, dLat
}

// padMetres widens b by d metres on every side (conservatively).
func padMetres(b orb.Bound, d float64) orb.Bound {
	lat := math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))
	dLon, dLat := degreesFor(d, lat)
	return orb.Bound{Min: orb.Point{b.Min[0] - dLon, b.Min[1] - dLat}, Max: orb.Point{b.Max[0] + dLon, b.Max[1] + dLat}}
}

// seg is a segment in lon/lat.
type seg struct{ a, b orb.Point }

// segments lists a geometry's segments (a point is one of length zero).
func segments(g orb.Geometry, out []seg) []seg {
	for ps := range layers.Paths(g) {
		if len(ps) == 1 {
			out = append(out, seg{ps[0], ps[0]})
		}
		for i := 1; i < len(ps); i++ {
			out = append(out, seg{ps[i-1], ps[i]})
		}
	}
	return out
}

// segmentsIn lists the segments of g whose box meets b.
func segmentsIn(g orb.Geometry, b orb.Bound, out []seg) []seg {
	for ps := range layers.Paths(g) {
		if len(ps) == 1 && b.Contains(ps[0]) {
			out = append(out, seg{ps[0], ps[0]})
		}
		for i := 1; i < len(ps); i++ {
			p, q := ps[i-1], ps[i]
			if max(p[0], q[0]) >= b.Min[0] && min(p[0], q[0]) <= b.Max[0] && max(p[1], q[1]) >= b.Min[1] && min(p[1], q[1]) <= b.Max[1] {
				out = append(out, seg{p, q})
			}
		}
	}
	return out
}

// touchM is the frame distance below which two geometries are taken to
// touch (a micrometre).
const touchM = 1e-6

// within says whether the feature geometry g lies within d metres of the
// query geometry q (d ≥ 0). buf is scratch space, returned for reuse.
func within(q *prepared.Geometry, g orb.Geometry, d float64, buf []seg) (bool, []seg) {
	fb := g.Bound()
	if q.Place(fb) == prepared.Inside {
		return true, buf
	}
	reach := padMetres(fb, d)
	if !reach.Intersects(q.Bound()) {
		return false, buf
	}
	var near []seg
	q.Segments(reach, func(a, b orb.Point) bool {
		near = append(near, seg{a, b})
		return true
	})
	if len(near) == 0 {
		// No part of q's boundary within reach and g not inside q: either q
		// lies inside g (then they meet) or they are farther apart than d.
		return partInside(q.Geometry(), g), buf
	}
	// Only the feature's segments within d of those query segments matter.
	nb := orb.Bound{Min: near[0].a, Max: near[0].a}
	for _, s := range near {
		nb = nb.Extend(s.a).Extend(s.b)
	}
	buf = segmentsIn(g, padMetres(nb, d), buf[:0])
	if len(buf) == 0 {
		return partInside(g, q.Geometry()) || partInside(q.Geometry(), g), buf
	}
	c := reach.Center()
	fr := newFrame(c[0], c[1])
	pa, pb, dist := closest(fr, buf, near)
	if dist <= touchM {
		return true, buf
	}
	// The boundaries do not meet, so a part of one lying inside the other
	// is the only way left for them to intersect.
	if partInside(g, q.Geometry()) || partInside(q.Geometry(), g) {
		return true, buf
	}
	pa, pb = fr.inv(pa), fr.inv(pb)
	dg := area.Distance(pa, pb)
	if dg <= d {
		return true, buf
	}
	const latPad = 0.01 // room for geodesics bulging poleward of their ends
	if dist/fr.maxScale(reach.Min[1]-latPad, reach.Max[1]+latPad) > d {
		return false, buf
	}
	mid := orb.Point{(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2}
	fr2 := newFrame(mid[0], mid[1])
	pa2, pb2, _ := closest(fr2, buf, near)
	return min(dg, area.Distance(fr2.inv(pa2), fr2.inv(pb2))) <= d, buf
}

// partInside says whether some part of geometry a lies inside polygonal
// b, when no boundary of a meets b's: each part (polygon, line, point) is
// then wholly inside or wholly outside, and its first vertex tells which.
func partInside(a, b orb.Geometry) bool {
	var mp orb.MultiPolygon
	switch v := b.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{v}
	case orb.MultiPolygon:
		mp = v
	default:
		return false
	}
	for _, p := range firstVertices(a, nil) {
		if prepared.PolygonsContain(mp, p) {
			return true
		}
	}
	return false
}

// firstVertices lists the first vertex of every part of g.
func firstVertices(g orb.Geometry, out []orb.Point) []orb.Point {
	switch v := g.(type) {
	case orb.Point:
		out = append(out, v)
	case orb.MultiPoint:
		out = append(out, v...)
	case orb.LineString:
		if len(v) > 0 {
			out = append(out, v[0])
		}
	case orb.MultiLineString:
		for _, l := range v {
			out = firstVertices(l, out)
		}
	case orb.Polygon:
		if len(v) > 0 && len(v[0]) > 0 {
			out = append(out, v[0][0])
		}
	case orb.MultiPolygon:
		for _, p := range v {
			out = firstVertices(p, out)
		}
	case orb.Collection:
		for _, m := range v {
			out = firstVertices(m, out)
		}
	}
	return out
}

// closest finds the closest pair of points between two sets of segments in
// frame fr: the points (in frame coordinates) and their distance.
func closest(fr frame, as, bs []seg) (pa, pb orb.Point, dist float64) {
	dist = math.Inf(1)
	pbs := make([][2]orb.Point, len(bs))
	for i, s := range bs {
		pbs[i] = [2]orb.Point{fr.fwd(s.a), fr.fwd(s.b)}
	}
	for _, s := range as {
		a0, a1 := fr.fwd(s.a), fr.fwd(s.b)
		for _, t := range pbs {
			p, q, dd := segSeg(a0, a1, t[0], t[1])
			if dd < dist {
				pa, pb, dist = p, q, dd
			}
		}
	}
	return pa, pb, dist
}

// segSeg is the closest pair of points of two planar segments and their
// distance (zero when they cross).
func segSeg(a0, a1, b0, b1 orb.Point) (pa, pb orb.Point, dist float64) {
	if segmentsCross(a0, a1, b0, b1) {
		return a0, a0, 0
	}
	dist = math.Inf(1)
	try := func(p, q orb.Point) {
		if d := math.Hypot(p[0]-q[0], p[1]-q[1]); d < dist {
			pa, pb, dist = p, q, d
		}
	}
	try(a0, pointOnSegment(a0, b0, b1))
	try(a1, pointOnSegment(a1, b0, b1))
	try(pointOnSegment(b0, a0, a1), b0)
	try(pointOnSegment(b1, a0, a1), b1)
	return pa, pb, dist
}

// pointOnSegment is the point of segment ab closest to p.
func pointOnSegment(p, a, b orb.Point) orb.Point {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return a
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
	t = max(0, min(1, t))
	return orb.Point{a[0] + t*dx, a[1] + t*dy}
}

// segmentsCross says whether two planar segments share a point (proper
// crossing or touching, collinear overlaps included).
func segmentsCross(a0, a1, b0, b1 orb.Point) bool {
	o1, o2 := orient(a0, a1, b0), orient(a0, a1, b1)
	o3, o4 := orient(b0, b1, a0), orient(b0, b1, a1)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	on := func(o float64, p, a, b orb.Point) bool {
		return o == 0 && p[0] >= min(a[0], b[0]) && p[0] <= max(a[0], b[0]) && p[1] >= min(a[1], b[1]) && p[1] <= max(a[1], b[1])
	}
	return on(o1, b0, a0, a1) || on(o2, b1, a0, a1) || on(o3, a0, b0, b1) || on(o4, a1, b0, b1)
}

func orient(a, b, c orb.Point) float64 {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
