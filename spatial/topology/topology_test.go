package topology

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/onemap/onemap/layers"
)

func square(x, y, s float64) orb.Ring {
	return orb.Ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}
}

func TestValidate(t *testing.T) {
	bowtie := orb.Polygon{{{112, 30}, {112.01, 30.01}, {112.01, 30}, {112, 30.01}, {112, 30}}}
	holeOutside := orb.Polygon{square(112, 30, 0.01), square(112.02, 30, 0.001)}
	overlapping := orb.MultiPolygon{{square(112, 30, 0.01)}, {square(112.005, 30, 0.01)}}
	spike := orb.Polygon{{{112, 30}, {112.01, 30}, {112.01, 30.01}, {112.01, 30.02}, {112.01, 30.01}, {112, 30.01}, {112, 30}}}
	cases := []struct {
		name     string
		g        orb.Geometry
		valid    bool
		reason   string
		part     int // -1: no part named
		location bool
	}{
		{"square", orb.Polygon{square(112, 30, 0.01)}, true, "", -1, false},
		{"square with hole", orb.Polygon{square(112, 30, 0.01), square(112.002, 30.002, 0.001)}, true, "", -1, false},
		{"two disjoint", orb.MultiPolygon{{square(112, 30, 0.01)}, {square(112.02, 30, 0.01)}}, true, "", -1, false},
		{"point layer geometry is not checked", orb.Point{1, 2}, true, "", -1, false},
		{"bow tie", bowtie, false, "Self-intersection", -1, true},
		{"hole outside shell", holeOutside, false, "Hole lies outside shell", -1, true},
		{"overlapping parts", overlapping, false, "overlap", -1, true},
		{"second part self-intersects", orb.MultiPolygon{{square(111, 30, 0.01)}, bowtie}, false, "Self-intersection", 1, true},
		{"spike", spike, false, "", -1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate("dltb", tc.g)
			if tc.valid {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ve *layers.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *layers.ValidationError, got %v", err)
			}
			p := ve.Problems[0]
			if tc.reason != "" && !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("reason %q does not mention %q", p.Reason, tc.reason)
			}
			if tc.location && len(p.Location) != 2 {
				t.Errorf("no location in %+v", p)
			}
			if tc.part >= 0 && (p.Part == nil || *p.Part != tc.part) {
				t.Errorf("part = %v, want %d", p.Part, tc.part)
			}
		})
	}
}

func TestRepair(t *testing.T) {
	bowtie := orb.Polygon{{{112, 30}, {112.01, 30.01}, {112.01, 30}, {112, 30.01}, {112, 30}}}
	mp, err := Repair("dltb", bowtie)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate("dltb", mp); err != nil {
		t.Fatalf("repaired geometry still invalid: %v", err)
	}
	if len(mp) != 2 {
		t.Fatalf("bow tie should repair into 2 triangles, got %d polygons", len(mp))
	}
	// Each triangle is a quarter of the 0.01° square.
	if a := planar.Area(mp); a < 0.00004999 || a > 0.00005001 {
		t.Errorf("repaired area %g, want 5e-5", a)
	}
	overlapping := orb.MultiPolygon{{square(112, 30, 0.01)}, {square(112.005, 30, 0.01)}}
	mp, err = Repair("dltb", overlapping)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate("dltb", mp); err != nil {
		t.Fatalf("repaired geometry still invalid: %v", err)
	}
	if a := planar.Area(mp); a < 0.0001499 || a > 0.0001501 {
		t.Errorf("union area %g, want 1.5e-4", a)
	}
	// A ring collapsed to a line has no area left to keep.
	line := orb.Polygon{{{112, 30}, {112.01, 30}, {112.02, 30}, {112, 30}}}
	if _, err := Repair("dltb", line); err == nil {
		t.Fatal("collapsed ring repaired into something")
	}
}
