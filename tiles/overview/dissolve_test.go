package overview

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/tiles"
)

// toGEOS builds a GEOS multipolygon of tile polygons.
func toGEOS(gc *geos.Context, polys []tiles.Polygon) *geos.Geom {
	var parts []*geos.Geom
	for _, p := range polys {
		var rings [][][]float64
		for _, r := range p {
			var cs [][]float64
			for _, q := range r {
				cs = append(cs, []float64{float64(q.X), float64(q.Y)})
			}
			cs = append(cs, cs[0])
			rings = append(rings, cs)
		}
		parts = append(parts, gc.NewPolygon(rings))
	}
	return gc.NewCollection(geos.TypeIDMultiPolygon, parts)
}

// TestPolygonise: random rasters of a few classes (checkerboards,
// diagonal touches, holes, holes in holes) polygonise into valid
// multipolygons, one per class, whose areas are their cell counts, that
// do not overlap, and that decode from an MVT layer as they were written.
func TestPolygonise(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	gc := geos.NewContext()
	for trial := 0; trial < 300; trial++ {
		w, h := 1+rng.IntN(24), 1+rng.IntN(24)
		size := int32(1 << rng.IntN(4))
		g := newGrid(-64, -32, w, h, size)
		classes := 1 + rng.IntN(4)
		counts := map[int32]int{}
		for k := range g.cells {
			c := int32(rng.IntN(classes+1)) - 1
			if trial%3 == 0 && rng.IntN(4) > 0 && k > 0 {
				c = g.cells[k-1] // runs: bigger regions, with holes
			}
			g.cells[k] = c
			if c >= 0 {
				counts[c]++
			}
		}
		out := g.polygonise()
		var union *geos.Geom
		total := 0
		lw := tiles.NewLayerWriter("t")
		for _, cp := range out {
			mp := toGEOS(gc, cp.polys)
			if !mp.IsValid() {
				t.Fatalf("trial %d class %d: %s\n%v", trial, cp.class, mp.IsValidReason(), g.cells)
			}
			if got, want := mp.Area(), float64(counts[cp.class])*float64(size*size); got != want {
				t.Fatalf("trial %d class %d: area %v, want %v", trial, cp.class, got, want)
			}
			total += counts[cp.class]
			if union == nil {
				union = mp
			} else {
				if ov := union.Intersection(mp).Area(); ov != 0 {
					t.Fatalf("trial %d: classes overlap by %v", trial, ov)
				}
				union = union.Union(mp)
			}
			lw.Begin()
			for _, p := range cp.polys {
				for _, r := range p {
					if tiles.Area2(r) == 0 {
						t.Fatal("flat ring")
					}
					lw.Ring(r)
				}
			}
			lw.End(tiles.GeomPolygon)
		}
		if len(out) != len(counts) {
			t.Fatalf("trial %d: %d classes out, %d in", trial, len(out), len(counts))
		}
		if total == 0 {
			continue
		}
		ls, err := mvt.Unmarshal(lw.AppendTo(nil))
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range ls[0].Features {
			var n int
			switch v := f.Geometry.(type) {
			case orb.Polygon:
				n = 1
			case orb.MultiPolygon:
				n = len(v)
			}
			if n != len(out[i].polys) {
				t.Fatalf("trial %d: class %d decodes as %d polygons, wrote %d", trial, out[i].class, n, len(out[i].polys))
			}
		}
	}
}

// TestFill: a square and a square with a hole fill the cells whose
// centres they hold; a coarser grid takes the class at its centres.
func TestFill(t *testing.T) {
	g := newGrid(0, 0, 10, 10, 4)
	sq := func(x0, y0, x1, y1 int64) []tiles.WorldPoint {
		return []tiles.WorldPoint{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
	}
	var f filler
	g.fill([][]tiles.WorldPoint{sq(0, 0, 40, 40), sq(11, 11, 29, 29)}, 1, &f)
	g.fill([][]tiles.WorldPoint{sq(1, 1, 3, 3)}, 2, &f) // covers no centre but (2, 2)
	n := map[int32]int{}
	for _, c := range g.cells {
		n[c]++
	}
	// Centres at 2, 6, …, 38: the hole [11, 29] holds 14, 18, 22, 26 on each axis.
	if n[1] != 100-16-1 || n[2] != 1 || n[-1] != 16 {
		t.Fatalf("cells %v", n)
	}
	// Cells of 8: centres at 4, 12, …, 36, corners of the fine cells, each
	// taking the fine cell to its lower right (centres 6, 14, …, 38): the
	// hole holds 14 and 22 on each axis.
	c := g.coarser()
	if c.w != 6 || c.h != 6 || c.size != 8 {
		t.Fatalf("coarser grid %dx%d of %d", c.w, c.h, c.size)
	}
	n = map[int32]int{}
	for j := 0; j < 5; j++ {
		for i := 0; i < 5; i++ {
			n[c.at(i, j)]++
		}
	}
	if n[1] != 25-4 || n[-1] != 4 {
		t.Fatalf("coarse cells %v", n)
	}
}

// TestFillMatchesPointInPolygon: random polygons with holes, small (every
// edge looked at per row) and big (an edge table), fill exactly the cells
// whose centres an even-odd ray cast puts inside them.
func TestFillMatchesPointInPolygon(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var f filler
	for trial := 0; trial < 200; trial++ {
		g := newGrid(0, 0, 40, 30, 4)
		var rings [][]tiles.WorldPoint
		for r := 0; r < 1+rng.IntN(3); r++ {
			n := 3 + rng.IntN(60)
			cx, cy, rad := 20+rng.Float64()*120, 20+rng.Float64()*80, 5+rng.Float64()*60
			var ring []tiles.WorldPoint
			for i := 0; i < n; i++ {
				a := 2 * math.Pi * float64(i) / float64(n)
				d := rad * (0.2 + 0.8*rng.Float64())
				ring = append(ring, tiles.WorldPoint{X: int64(cx + d*math.Cos(a)), Y: int64(cy + d*math.Sin(a))})
			}
			rings = append(rings, ring)
		}
		g.fill(rings, 1, &f)
		for j := 0; j < g.h; j++ {
			for i := 0; i < g.w; i++ {
				x, y := float64(i*4)+2, float64(j*4)+2
				in := false
				for _, r := range rings {
					for k := range r {
						a, b := r[k], r[(k+1)%len(r)]
						ay, by := float64(a.Y), float64(b.Y)
						if (ay <= y) != (by <= y) && x < float64(a.X)+(y-ay)*float64(b.X-a.X)/(by-ay) {
							in = !in
						}
					}
				}
				if got := g.at(i, j) == 1; got != in {
					t.Fatalf("trial %d: cell %d,%d filled %v, inside %v", trial, i, j, got, in)
				}
			}
		}
	}
}
