// Package area measures land areas on the CGCS2000 ellipsoid (EPSG:4490).
//
// Land areas (图斑面积, overlay areas, 亩 counts) must be ellipsoidal: the
// spherical formula of orb/geo.Area is about 0.3 % off at 30°N, which is more
// than the tolerance of a land survey. The computation is Karney's geodesic
// polygon area (tidwall/geodesic, a port of GeographicLib) on the CGCS2000
// ellipsoid; edges are geodesics between consecutive vertices.
package area

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// CGCS2000 ellipsoid: semi-major axis and flattening (GB/T 2000 national
// geodetic coordinate system). Its flattening differs from WGS84's in the
// ninth digit, which changes areas by parts per billion.
const (
	SemiMajorAxis = 6378137.0
	Flattening    = 1 / 298.257222101
)

// ellipsoid is read-only after initialisation, so concurrent use is safe:
// every call builds its own accumulator with PolygonInit.
var ellipsoid = geodesic.NewEllipsoid(SemiMajorAxis, Flattening)

// SquareMetresPerMu is one 亩 (10000/15 m²).
const SquareMetresPerMu = 10000.0 / 15

// Geodesic returns the area of g in square metres on the CGCS2000 ellipsoid,
// coordinates being lon/lat degrees. Holes are subtracted and the parts of a
// MultiPolygon summed; ring orientation does not matter. Points, lines and
// empty geometries have no area (0). A Collection sums its polygonal members.
func Geodesic(g orb.Geometry) float64 {
	switch v := g.(type) {
	case orb.Polygon:
		return polygon(v)
	case orb.MultiPolygon:
		var s float64
		for _, p := range v {
			s += polygon(p)
		}
		return s
	case orb.Bound:
		return polygon(v.ToPolygon())
	case orb.Collection:
		var s float64
		for _, m := range v {
			s += Geodesic(m)
		}
		return s
	}
	return 0
}

// Ring returns the unsigned area of one ring in square metres.
func Ring(r orb.Ring) float64 {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n-- // the accumulator closes the ring itself
	}
	if n < 3 {
		return 0
	}
	p := ellipsoid.PolygonInit(false)
	for _, pt := range r[:n] {
		p.AddPoint(pt[1], pt[0])
	}
	var a float64
	// sign=true gives a signed area for either orientation instead of "the
	// rest of the earth" for clockwise rings; the magnitude is what we want.
	p.Compute(false, true, &a, nil)
	return math.Abs(a)
}

func polygon(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := Ring(p[0])
	for _, h := range p[1:] {
		a -= Ring(h)
	}
	return a
}

// Mu converts square metres to 亩.
func Mu(m2 float64) float64 { return m2 / SquareMetresPerMu }

// Hectares converts square metres to 公顷.
func Hectares(m2 float64) float64 { return m2 / 10000 }
