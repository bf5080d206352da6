package layers

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestPaths(t *testing.T) {
	sq := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}
	g := orb.Collection{
		orb.Point{5, 5},
		orb.MultiPoint{{1, 1}, {2, 2}},
		orb.LineString{{0, 0}, {3, 3}},
		orb.MultiPolygon{{sq, sq}, {sq}},
	}
	var lens []int
	for ps := range Paths(g) {
		lens = append(lens, len(ps))
	}
	want := []int{1, 1, 1, 2, 4, 4, 4}
	if len(lens) != len(want) {
		t.Fatalf("paths %v, want lengths %v", lens, want)
	}
	total := 0
	for i := range want {
		if lens[i] != want[i] {
			t.Fatalf("paths %v, want lengths %v", lens, want)
		}
		total += lens[i]
	}
	if total != CountVertices(g) {
		t.Fatalf("paths hold %d vertices, CountVertices says %d", total, CountVertices(g))
	}
	n := 0
	for range Paths(g) {
		n++
		if n == 3 {
			break // stopping early must not panic
		}
	}
}
