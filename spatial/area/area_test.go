package area

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// zoneArea is the exact area of the lat/lon rectangle between two parallels
// and two meridians on the ellipsoid (the authalic-latitude formula), an
// independent check of the geodesic polygon area.
func zoneArea(lon0, lat0, lon1, lat1 float64) float64 {
	a := SemiMajorAxis
	f := Flattening
	e2 := f * (2 - f)
	e := math.Sqrt(e2)
	b2 := a * a * (1 - e2)
	q := func(lat float64) float64 {
		s := math.Sin(lat * math.Pi / 180)
		return s/(1-e2*s*s) + math.Log((1+e*s)/(1-e*s))/(2*e)
	}
	return b2 / 2 * (lon1 - lon0) * math.Pi / 180 * (q(lat1) - q(lat0))
}

// densRect is the rectangle with its parallels densified, so that its
// geodesic edges follow the parallels closely (meridians are geodesics).
func densRect(lon0, lat0, lon1, lat1 float64, n int) orb.Ring {
	var r orb.Ring
	for i := 0; i <= n; i++ {
		r = append(r, orb.Point{lon0 + (lon1-lon0)*float64(i)/float64(n), lat0})
	}
	for i := n; i >= 0; i-- {
		r = append(r, orb.Point{lon0 + (lon1-lon0)*float64(i)/float64(n), lat1})
	}
	return append(r, r[0])
}

func relDiff(a, b float64) float64 { return math.Abs(a-b) / math.Abs(b) }

func TestOneDegreeCells(t *testing.T) {
	for _, c := range []struct{ lon, lat float64 }{{0, 0}, {112, 30}, {113, -45}, {10, 60}} {
		want := zoneArea(c.lon, c.lat, c.lon+1, c.lat+1)
		got := Geodesic(orb.Polygon{densRect(c.lon, c.lat, c.lon+1, c.lat+1, 2000)})
		if relDiff(got, want) > 1e-9 {
			t.Errorf("1°×1° cell at %v,%v: %.3f m², want %.3f (rel %.2g)", c.lon, c.lat, got, want, relDiff(got, want))
		}
	}
	// Known figures for the equatorial cell: bounded by the parallel (the
	// zone formula) 12,308.464 km²; as a 4-vertex geodesic polygon, whose
	// northern edge bulges poleward of the parallel, 12,308.778 km²
	// (GeographicLib's Planimeter gives the same on WGS84 to the metre).
	if got := Geodesic(orb.Polygon{densRect(0, 0, 1, 1, 2000)}) / 1e6; math.Abs(got-12308.464) > 0.001 {
		t.Errorf("equatorial zone cell %.4f km², want 12308.464", got)
	}
	cell := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	if got := Geodesic(orb.Polygon{cell}) / 1e6; math.Abs(got-12308.778) > 0.001 {
		t.Errorf("equatorial geodesic cell %.4f km², want 12308.778", got)
	}
}

func TestParcelSizedSquare(t *testing.T) {
	// About 100 m × 100 m at 30.5°N: short edges need no densifying.
	lon0, lat0 := 112.5, 30.5
	dlon, dlat := 0.00104, 0.0009
	ring := orb.Ring{{lon0, lat0}, {lon0 + dlon, lat0}, {lon0 + dlon, lat0 + dlat}, {lon0, lat0 + dlat}, {lon0, lat0}}
	want := zoneArea(lon0, lat0, lon0+dlon, lat0+dlat)
	got := Geodesic(orb.Polygon{ring})
	if relDiff(got, want) > 1e-6 {
		t.Fatalf("parcel area %.4f m², want %.4f", got, want)
	}
	// orb/geo.Area is spherical: off by more than 0.1 % here.
	if sph := math.Abs(geo.Area(orb.Polygon{ring})); relDiff(sph, want) < 1e-3 {
		t.Errorf("spherical area %.2f unexpectedly close to ellipsoidal %.2f", sph, want)
	}
}

func TestOrientationHolesMulti(t *testing.T) {
	outer := orb.Ring{{112, 30}, {112.01, 30}, {112.01, 30.01}, {112, 30.01}, {112, 30}}
	hole := orb.Ring{{112.002, 30.002}, {112.002, 30.004}, {112.004, 30.004}, {112.004, 30.002}, {112.002, 30.002}}
	cw := orb.Ring{{112, 30}, {112, 30.01}, {112.01, 30.01}, {112.01, 30}, {112, 30}}
	a := Geodesic(orb.Polygon{outer})
	if b := Geodesic(orb.Polygon{cw}); relDiff(a, b) > 1e-12 {
		t.Errorf("clockwise ring %.6f, counter-clockwise %.6f", b, a)
	}
	h := Ring(hole)
	if got := Geodesic(orb.Polygon{outer, hole}); relDiff(got, a-h) > 1e-12 {
		t.Errorf("with hole %.6f, want %.6f", got, a-h)
	}
	mp := orb.MultiPolygon{{outer, hole}, {hole}}
	if got := Geodesic(mp); relDiff(got, a) > 1e-9 {
		t.Errorf("multipolygon %.6f, want %.6f", got, a)
	}
	if Geodesic(orb.Point{1, 2}) != 0 || Geodesic(orb.LineString{{0, 0}, {1, 1}}) != 0 || Geodesic(orb.Polygon{}) != 0 {
		t.Error("non-areal geometries must have zero area")
	}
	if got := Geodesic(orb.Bound{Min: orb.Point{112, 30}, Max: orb.Point{112.01, 30.01}}); relDiff(got, a) > 1e-12 {
		t.Errorf("bound %.6f, want %.6f", got, a)
	}
	if m := Mu(10000); math.Abs(m-15) > 1e-12 {
		t.Errorf("1 ha = %v 亩, want 15", m)
	}
}

func BenchmarkParcel(b *testing.B) {
	r := densRect(112.5, 30.5, 112.501, 30.5009, 4)
	p := orb.Polygon{r}
	b.ReportAllocs()
	for b.Loop() {
		Geodesic(p)
	}
}
