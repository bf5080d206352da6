package area

import (
	"math"

	"github.com/paulmach/orb"
)

// Fast areas: the same ellipsoidal area as Geodesic (polygons whose edges
// are geodesics between their vertices) at a tenth of the cost, for the
// short edges of parcels and of overlay pieces.
//
// The map (λ, φ) → (λ, q(φ)), q the authalic function, is equal-area up to
// the constant b²/2 (Lambert's cylindrical equal-area projection of the
// ellipsoid), so a polygon whose edges were straight in (λ, q) would have
// b²/2 times its shoelace area there. A geodesic edge is not straight in
// (λ, q); it bows, and for a short edge the bow is a parabola whose midpoint
// offset follows from the geodesic equations (second order in the edge's
// span). The area between chord and parabola, ⅔·chord×offset, corrects each
// edge. What is left is of fourth order: below 1e-11 of the area for edges
// up to a kilometre, 1e-8 for edges of 10 km (checked against rings
// densified along their true geodesics); rings with an edge longer than
// MaxFastEdgeDegrees go to Geodesic. For small rings Fast is the more
// precise of the two: Karney's sum carries an absolute error near 1e-4 m².

// MaxFastEdgeDegrees is the longest edge (in degrees of latitude or
// longitude) a ring may have for Fast to measure it itself.
const MaxFastEdgeDegrees = 0.1

var (
	ecc2   = Flattening * (2 - Flattening)
	ecc    = math.Sqrt(ecc2)
	halfB2 = SemiMajorAxis * SemiMajorAxis * (1 - ecc2) / 2
)

const radPerDeg = math.Pi / 180

// authalic is q(φ), φ in degrees: the area of the zone between the equator
// and φ, per radian of longitude, is b²/2 · q(φ).
func authalic(phi float64) float64 {
	s := math.Sin(phi * radPerDeg)
	es := ecc * s
	return s/(1-es*es) + math.Atanh(es)/ecc
}

// Plane is the equal-area plane (λ in radians, q) about an origin, where
// Fast does its sums. Coordinates are relative to the origin so that the
// products of the shoelace keep their precision.
type Plane struct {
	lon0, q0 float64
}

// NewPlane returns the plane about origin (lon/lat degrees).
func NewPlane(origin orb.Point) Plane {
	return Plane{lon0: origin[0], q0: authalic(origin[1])}
}

// Point maps a lon/lat point into the plane.
func (p Plane) Point(pt orb.Point) orb.Point {
	return orb.Point{(pt[0] - p.lon0) * radPerDeg, authalic(pt[1]) - p.q0}
}

// Edge is twice the signed area (in plane units) that the geodesic from a
// to b (lon/lat) adds to a ring traversed through it: the shoelace term of
// its chord plus the bow of the geodesic. pa and pb are a and b in the
// plane (from Point).
func (p Plane) Edge(a, b, pa, pb orb.Point) float64 {
	d := pa[0]*pb[1] - pb[0]*pa[1]
	dLon, dLat := (b[0]-a[0])*radPerDeg, (b[1]-a[1])*radPerDeg
	if dLon == 0 {
		return d // a meridian is a geodesic and straight in the plane
	}
	phi := (a[1] + b[1]) / 2 * radPerDeg
	s, c := math.Sincos(phi)
	w := 1 - ecc2*s*s
	// Midpoint offset of the geodesic from the chord's midpoint in (λ, φ),
	// from the geodesic equations with M, N the radii of curvature:
	// φ'' = −(M′/M)φ′² − (N/M) sin φ cos φ λ′², λ'' = 2 (M/N) tan φ φ′λ′,
	// offset = −(second derivative)/8 over a unit parameter.
	mOverN := (1 - ecc2) / w
	dPhiMid := (3*ecc2*s*c/w*dLat*dLat + s*c/mOverN*dLon*dLon) / 8
	dLonMid := -mOverN * s / c * dLat * dLon / 4
	// The bow in the plane: the geodesic's midpoint there less the chord's.
	// In q, q(φm+δφ) − (q(a)+q(b))/2 = q′(φm)δφ − q″(φm)Δφ²/8 + O(Δφ⁴)
	// (the odd terms cancel, and δφ² is of fourth order).
	q1 := 2 * c / (w * w)
	q2 := -2*s/(w*w) + 8*ecc2*s*c*c/(w*w*w)
	hx := dLonMid
	hy := q1*dPhiMid - q2*dLat*dLat/8
	cx, cy := pb[0]-pa[0], pb[1]-pa[1]
	return d - 4.0/3*(cx*hy-cy*hx)
}

// M2 converts a sum of Edge terms (twice a signed plane area) to square
// metres.
func M2(twice float64) float64 { return math.Abs(twice) / 2 * halfB2 }

// Fast returns the area of g in square metres as Geodesic does, faster:
// see the notes above. Holes are subtracted, parts summed; points and lines
// have no area.
func Fast(g orb.Geometry) float64 {
	switch v := g.(type) {
	case orb.Polygon:
		return fastPolygon(v)
	case orb.MultiPolygon:
		var s float64
		for _, p := range v {
			s += fastPolygon(p)
		}
		return s
	case orb.Bound:
		return fastPolygon(v.ToPolygon())
	case orb.Collection:
		var s float64
		for _, m := range v {
			s += Fast(m)
		}
		return s
	}
	return 0
}

func fastPolygon(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := FastRing(p[0])
	for _, h := range p[1:] {
		a -= FastRing(h)
	}
	return a
}

// FastRing is the unsigned area of one ring in square metres, as Ring.
func FastRing(r orb.Ring) float64 {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	if n < 3 {
		return 0
	}
	for i := range n {
		a, b := r[i], r[(i+1)%n]
		if math.Abs(b[0]-a[0]) > MaxFastEdgeDegrees || math.Abs(b[1]-a[1]) > MaxFastEdgeDegrees {
			return Ring(r)
		}
	}
	pl := NewPlane(r[0])
	first := pl.Point(r[0])
	prev := first
	var s float64
	for i := 1; i <= n; i++ {
		cur := first
		if i < n {
			cur = pl.Point(r[i])
		}
		s += pl.Edge(r[i-1], r[i%n], prev, cur)
		prev = cur
	}
	return M2(s)
}
