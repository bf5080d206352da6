package area

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestDistanceKnownArcs(t *testing.T) {
	// One degree along the equator is a·π/180; one degree of meridian from the
	// equator is the meridian arc M(1°) = 110,574.3886 m on this ellipsoid
	// (the series of Helmert, computed below independently of geodesic).
	n := Flattening / (2 - Flattening)
	b := SemiMajorAxis * (1 - Flattening)
	meridian := func(phi float64) float64 {
		n2, n3, n4 := n*n, n*n*n, n*n*n*n
		return (SemiMajorAxis + b) / 2 * ((1+n2/4+n4/64)*phi - 3.0/2*(n-n3/8)*math.Sin(2*phi) +
			15.0/16*(n2-n4/4)*math.Sin(4*phi) - 35.0/48*n3*math.Sin(6*phi) + 315.0/512*n4*math.Sin(8*phi))
	}
	for _, c := range []struct {
		a, b orb.Point
		want float64
	}{
		{orb.Point{0, 0}, orb.Point{1, 0}, SemiMajorAxis * math.Pi / 180},
		{orb.Point{112, 0}, orb.Point{112, 1}, meridian(math.Pi / 180)},
		{orb.Point{112, 30}, orb.Point{112, 31}, meridian(31*math.Pi/180) - meridian(30*math.Pi/180)},
	} {
		if got := Distance(c.a, c.b); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("%v–%v: %.6f m, want %.6f", c.a, c.b, got, c.want)
		}
	}
}

func TestLengthSumsSegments(t *testing.T) {
	ls := orb.LineString{{112, 30}, {112, 30.5}, {112, 31}}
	want := Distance(orb.Point{112, 30}, orb.Point{112, 31}) // along one meridian, a geodesic
	if got := Length(ls); math.Abs(got-want) > 1e-6 {
		t.Errorf("meridian in two segments %.6f m, want %.6f", got, want)
	}
	ml := orb.MultiLineString{ls, {{0, 0}, {1, 0}}}
	if got := Length(ml); math.Abs(got-want-SemiMajorAxis*math.Pi/180) > 1e-6 {
		t.Errorf("multilinestring %.6f m", got)
	}
	if Length(orb.Point{1, 2}) != 0 || Length(orb.Polygon{}) != 0 {
		t.Error("points and polygons have no length")
	}
}
