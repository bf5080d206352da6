package topology

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestDissolve(t *testing.T) {
	// Two parcels sharing an edge, and a third overlapping the second by
	// a quarter: invalid as one MultiPolygon, valid once dissolved.
	mp := orb.MultiPolygon{{square(112, 30, 0.01)}, {square(112.01, 30, 0.01)}, {square(112.015, 30.005, 0.01)}}
	if err := Validate("t", mp); err == nil {
		t.Fatal("the parcels together should be an invalid MultiPolygon")
	}
	out, err := Dissolve("t", mp)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate("t", out); err != nil {
		t.Fatalf("dissolved: %v", err)
	}
	// 3 squares of 1e-4 minus the overlap of 0.005×0.005.
	if a := planar.Area(out); math.Abs(a-(3e-4-0.25e-4)) > 1e-12 {
		t.Fatalf("area %g", a)
	}
	if len(out) != 1 {
		t.Fatalf("%d polygons, want 1", len(out))
	}
}
