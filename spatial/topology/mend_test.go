package topology

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestMend(t *testing.T) {
	open := orb.Ring{{112, 30}, {112.01, 30}, {112.01, 30.01}, {112, 30.01}}
	closed := append(append(orb.Ring{}, open...), open[0])
	spike := orb.Ring{{112.002, 30.002}, {112.003, 30.003}, {112.002, 30.002}, {112.002, 30.002}}
	cases := []struct {
		name    string
		in      orb.Geometry
		want    orb.Geometry
		changed bool
	}{
		{"closed polygon untouched", orb.Polygon{closed}, orb.Polygon{closed}, false},
		{"unclosed ring closed", orb.Polygon{open}, orb.Polygon{closed}, true},
		{"degenerate hole dropped", orb.Polygon{closed, spike}, orb.Polygon{closed}, true},
		{"degenerate shell drops its polygon", orb.MultiPolygon{{spike}, {open}}, orb.MultiPolygon{{closed}}, true},
		{"nothing left", orb.Polygon{spike}, orb.Polygon{}, true},
		{"two-point ring", orb.Polygon{{{1, 1}, {2, 2}}}, orb.Polygon{}, true},
		{"lines untouched", orb.LineString{{1, 1}, {2, 2}}, orb.LineString{{1, 1}, {2, 2}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := orb.Clone(tc.in)
			got, changed := Mend(tc.in)
			if !orb.Equal(got, tc.want) || changed != tc.changed {
				t.Fatalf("got %v (changed %v), want %v (changed %v)", got, changed, tc.want, tc.changed)
			}
			if !orb.Equal(tc.in, before) {
				t.Fatal("input changed")
			}
		})
	}
	// Mended, an unclosed bow tie reaches GEOS and is repaired; unmended
	// GEOS cannot read it.
	bowtie := orb.Polygon{{{112, 30}, {112.01, 30.01}, {112.01, 30}, {112, 30.01}}}
	if _, err := Repair("dltb", bowtie); err == nil {
		t.Fatal("GEOS read an unclosed ring: Mend would not be needed")
	}
	m, _ := Mend(bowtie)
	if _, err := Repair("dltb", m); err != nil {
		t.Fatalf("mended bow tie: %v", err)
	}
}
