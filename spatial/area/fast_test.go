package area

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// TestFastAgreesWithGeodesic compares Fast with Karney's polygon area on
// random polygons whose edges span 10 m to 20 km, at latitudes from the
// equator to 60°, and on rings with long edges (which Fast hands over).
func TestFastAgreesWithGeodesic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	worst := map[int]float64{}
	for i := range 3000 {
		size := math.Pow(10, 1+rng.Float64()*3.3) // metres across
		lat := -60 + 120*rng.Float64()
		c := orb.Point{-180 + 360*rng.Float64(), lat}
		n := 3 + rng.IntN(30)
		r := make(orb.Ring, 0, n+1)
		for k := range n {
			a := (float64(k) + 0.8*rng.Float64()) / float64(n) * 2 * math.Pi
			rad := size / 2 * (0.5 + rng.Float64())
			r = append(r, orb.Point{c[0] + rad*math.Cos(a)/(111320*math.Cos(lat*math.Pi/180)), c[1] + rad*math.Sin(a)/110570})
		}
		r = append(r, r[0])
		if i%2 == 0 {
			r.Reverse()
		}
		g, f := Ring(r), FastRing(r)
		rel := math.Abs(g-f) / g
		bucket := int(math.Log10(size))
		worst[bucket] = max(worst[bucket], rel)
		// Karney's areas carry an absolute error of their own, up to about
		// 1e-4 m² for rings of a few tens of metres (found by measuring such
		// rings densified along their true geodesics: the plane sum of the
		// dense ring agrees with Fast to 1e-7 m², Karney's moves by 1e-3 m²
		// with the vertex count); beyond it the two agree to 1e-9.
		if math.Abs(g-f) > 1e-9*g+2e-4 {
			t.Errorf("ring of %d vertices, %.0f m across at %.1f°: Fast %.6f m², Geodesic %.6f (%.2g)", n, size, lat, f, g, rel)
		}
	}
	t.Logf("largest relative difference by size (10^k m): %v", worst)
	// The exact area of a small lat/lon cell, its parallels densified so
	// that geodesic edges follow them.
	for _, c := range []struct{ lon, lat, size float64 }{{113, 30.7, 0.001}, {113, 30.7, 0.01}, {10, 55, 0.005}, {-70, -33, 0.0003}} {
		want := zoneArea(c.lon, c.lat, c.lon+c.size, c.lat+c.size)
		got := FastRing(densRect(c.lon, c.lat, c.lon+c.size, c.lat+c.size, 40))
		if relDiff(got, want) > 1e-10 {
			t.Errorf("cell %v: Fast %.6f m², exact %.6f (%.2g)", c, got, want, relDiff(got, want))
		}
	}
	// Long edges go to Geodesic.
	big := orb.Polygon{{{100, 20}, {110, 20}, {110, 30}, {100, 20}}, {{104, 22}, {105, 24}, {106, 22}, {104, 22}}}
	if Fast(big) != Geodesic(big) {
		t.Errorf("long edges: Fast %v, Geodesic %v", Fast(big), Geodesic(big))
	}
	if Fast(orb.LineString{{1, 1}, {2, 2}}) != 0 || Fast(orb.Polygon{}) != 0 {
		t.Error("lines and empty polygons have no area")
	}
}

func BenchmarkRingArea(b *testing.B) {
	r := orb.Ring{}
	for k := range 20 {
		a := float64(k) / 20 * 2 * math.Pi
		r = append(r, orb.Point{113 + 0.0005*math.Cos(a), 30.7 + 0.0005*math.Sin(a)})
	}
	r = append(r, r[0])
	b.Run("geodesic", func(b *testing.B) {
		for range b.N {
			Ring(r)
		}
	})
	b.Run("fast", func(b *testing.B) {
		for range b.N {
			FastRing(r)
		}
	})
}

// TestFastMatchesDenseGeodesics checks the bow correction independently of
// Karney's area: a ring densified along its true geodesics (points from
// geodesic lines, 200 per edge) has edges short enough for the plain
// equal-area shoelace to measure it, and Fast must give that area for the
// ring itself. Without the correction rings of a kilometre are off by
// parts per million.
func TestFastMatchesDenseGeodesics(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for range 12 {
		size := math.Pow(10, 2+rng.Float64()*2.5)
		lat := -50 + 100*rng.Float64()
		c := orb.Point{-180 + 360*rng.Float64(), lat}
		n := 5 + rng.IntN(20)
		r := make(orb.Ring, 0, n+1)
		for k := range n {
			a := (float64(k) + 0.8*rng.Float64()) / float64(n) * 2 * math.Pi
			rad := size * (0.5 + rng.Float64())
			r = append(r, orb.Point{c[0] + rad*math.Cos(a)/(111320*math.Cos(lat*math.Pi/180)), c[1] + rad*math.Sin(a)/110570})
		}
		r = append(r, r[0])
		var dense orb.Ring
		for i := 0; i+1 < len(r); i++ {
			l := ellipsoid.InverseLine(r[i][1], r[i][0], r[i+1][1], r[i+1][0], geodesic.All)
			for k := range 200 {
				var la, lo float64
				l.Position(l.S13()*float64(k)/200, &la, &lo, nil)
				dense = append(dense, orb.Point{lo, la})
			}
		}
		dense = append(dense, dense[0])
		pl := NewPlane(dense[0])
		var s float64
		for i := 0; i+1 < len(dense); i++ {
			a, b := pl.Point(dense[i]), pl.Point(dense[i+1])
			s += a[0]*b[1] - b[0]*a[1]
		}
		want, got := M2(s), FastRing(r)
		if math.Abs(got-want) > 1e-8*want+1e-6 {
			t.Errorf("ring %.0f m across at %.1f°: Fast %.7f m², dense %.7f (%.2g)", size, lat, got, want, math.Abs(got-want)/want)
		}
	}
}
