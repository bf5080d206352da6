package area

import (
	"github.com/paulmach/orb"
)

// Distance returns the geodesic distance in metres between two lon/lat
// points on the CGCS2000 ellipsoid (Karney's inverse solution).
func Distance(a, b orb.Point) float64 {
	var s float64
	ellipsoid.Inverse(a[1], a[0], b[1], b[0], &s, nil, nil)
	return s
}

// Length returns the length in metres of a line on the CGCS2000 ellipsoid,
// each segment measured as the geodesic between its ends. A MultiLineString
// sums its lines, a Collection its linear members; points and polygons have
// no length here (0).
func Length(g orb.Geometry) float64 {
	switch v := g.(type) {
	case orb.LineString:
		var s float64
		for i := 1; i < len(v); i++ {
			s += Distance(v[i-1], v[i])
		}
		return s
	case orb.MultiLineString:
		var s float64
		for _, l := range v {
			s += Length(l)
		}
		return s
	case orb.Collection:
		var s float64
		for _, m := range v {
			s += Length(m)
		}
		return s
	}
	return 0
}
