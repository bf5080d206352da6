// Package randsite makes random test sites: star-shaped polygons of a given
// ellipsoidal area around a point, the kind of shapes people draw or
// surveys deliver, for tests that compare analyses with an oracle.
package randsite

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/spatial/area"
)

// Polygon returns a simple polygon of n vertices (n ≥ 3) around centre
// (lon/lat) whose ellipsoidal area is m2 to a part in a million. Vertex
// angles are sorted, so the ring never crosses itself; radii vary by up to
// jitter (0 ≤ jitter < 1) of the mean.
func Polygon(rng *rand.Rand, centre orb.Point, m2 float64, n int, jitter float64) orb.Polygon {
	angles := make([]float64, n)
	for i := range angles {
		angles[i] = (float64(i) + 0.8*rng.Float64()) / float64(n) * 2 * math.Pi
	}
	radii := make([]float64, n)
	for i := range radii {
		radii[i] = 1 - jitter + 2*jitter*rng.Float64()
	}
	const metresPerDegree = 111_320.0
	cos := math.Cos(centre[1] * math.Pi / 180)
	shape := func(scale float64) orb.Polygon {
		r := make(orb.Ring, 0, n+1)
		for i, a := range angles {
			dx, dy := scale*radii[i]*math.Cos(a), scale*radii[i]*math.Sin(a)
			r = append(r, orb.Point{centre[0] + dx/(metresPerDegree*cos), centre[1] + dy/metresPerDegree})
		}
		return orb.Polygon{append(r, r[0])}
	}
	scale := math.Sqrt(m2 / math.Pi)
	for range 4 { // area grows with the square of the scale
		got := area.Geodesic(shape(scale))
		scale *= math.Sqrt(m2 / got)
	}
	return shape(scale)
}
