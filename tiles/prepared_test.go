package tiles

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// TestNotesFollowEdits: features are replaced (often by shapes that
// rounding pinches), deleted and added between tiles; every tile made with
// the notes on features is byte for byte the tile made without them, so a
// note made for one version never steers the writing of another, and the
// notes of deleted features go.
func TestNotesFollowEdits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cat := layers.DefaultCatalog()
	l := cat.Layer("dltb")
	idx := spatial.NewIndex(cat)
	p := NewPrepared(idx)
	centre := orb.Point{113.005, 30.705}
	shape := func() orb.MultiPolygon {
		c := orb.Point{centre[0] + (rng.Float64()-0.5)*0.01, centre[1] + (rng.Float64()-0.5)*0.01}
		return orb.MultiPolygon{star(rng, c, 0.0001+rng.Float64()*0.001, 4+rng.IntN(30))}
	}
	version := map[int64]int64{}
	ctx := context.Background()
	compared, clean := 0, 0
	for round := 0; round < 200; round++ {
		for k := 0; k < 5; k++ {
			id := int64(1 + rng.IntN(30))
			if rng.IntN(5) == 0 {
				if version[id] > 0 {
					if err := idx.Remove("dltb", id); err != nil {
						t.Fatal(err)
					}
					delete(version, id)
				}
				continue
			}
			version[id]++
			if err := idx.Put("dltb", &layers.Feature{ID: id, Version: version[id], Geometry: shape()}); err != nil {
				t.Fatal(err)
			}
		}
		if round%2 == 0 {
			<-idx.Settled() // sometimes the notes have heard of the edits, sometimes not
		}
		snap := idx.Snapshot()
		for _, z := range []maptile.Zoom{13, 15, 17} {
			tz := maptile.At(centre, z)
			with, _, err := p.AppendExact(ctx, nil, snap, l, tz)
			if err != nil {
				t.Fatal(err)
			}
			without, _, err := AppendExact(ctx, nil, snap, l, tz)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(with, without) {
				t.Fatalf("round %d z%d: the tile made with notes differs from the one made without", round, z)
			}
			compared++
			for id := range version {
				if f, ok := snap.Get("dltb", id); ok {
					if r := p.layers["dltb"].load(id); r != nil && r.f == f && r.zoomState(uint(z)) == zoomClean {
						clean++
					}
				}
			}
		}
	}
	if clean == 0 {
		t.Fatal("no feature was noted clean: the notes went untested")
	}
	<-idx.Settled()
	pl := p.layers["dltb"]
	for id := int64(1); id <= 30; id++ {
		if r := pl.load(id); r != nil && version[id] == 0 {
			t.Errorf("feature %d was deleted but its notes are kept", id)
		}
	}
	t.Logf("%d tiles compared, %d features written from clean notes", compared, clean)
}

// TestRepairKeptAcrossTiles: a feature that rounding breaks, lying in the
// buffers of two neighbouring tiles, is repaired in the first and written
// from the kept repair in the second: the same bytes as a fresh repair.
func TestRepairKeptAcrossTiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cat := layers.DefaultCatalog()
	l := cat.Layer("dltb")
	ctx := context.Background()
	const z = 20
	a := maptile.At(orb.Point{113.0, 30.7}, z)
	b := maptile.New(a.X+1, a.Y, z)
	edge := b.Bound().Min // the west edge of b is the east edge of a
	reused := 0
	for trial := 0; trial < 400 && reused < 5; trial++ {
		idx := spatial.NewIndex(cat)
		p := NewPrepared(idx)
		// A jagged star a few tile units across, on the shared edge.
		unit := (b.Bound().Max[0] - edge[0]) / Extent
		c := orb.Point{edge[0] + (rng.Float64()-0.5)*20*unit, edge[1] + (0.3+0.4*rng.Float64())*(b.Bound().Max[1]-edge[1])}
		mp := orb.MultiPolygon{star(rng, c, (2+rng.Float64()*6)*unit, 20+rng.IntN(30))}
		if err := idx.Put("dltb", &layers.Feature{ID: 1, Version: 1, Geometry: mp}); err != nil {
			t.Fatal(err)
		}
		snap := idx.Snapshot()
		if _, _, err := p.AppendExact(ctx, nil, snap, l, a); err != nil {
			t.Fatal(err)
		}
		r := p.layers["dltb"].load(1)
		if r == nil || r.zoomState(z) != zoomBroken || r.fixedInside(z) == nil {
			continue
		}
		with, _, err := p.AppendExact(ctx, nil, snap, l, b)
		if err != nil {
			t.Fatal(err)
		}
		without, _, err := AppendExact(ctx, nil, snap, l, b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(with, without) {
			t.Fatalf("trial %d: the kept repair, moved, differs from a fresh one", trial)
		}
		reused++
	}
	if reused == 0 {
		t.Fatal("no broken feature on the edge: the kept repair went untested")
	}
	t.Logf("%d kept repairs moved and compared", reused)
}

// TestRepairKeptForClippedFeature: a feature reaching past a tile's buffer
// (so clipped) whose part inside the tile rounding breaks is repaired once
// for that tile: asked again, the tile is written from the kept repair (no
// GEOS call) with the same bytes as a fresh repair.
func TestRepairKeptForClippedFeature(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	cat := layers.DefaultCatalog()
	l := cat.Layer("dltb")
	ctx := context.Background()
	const z = 20
	a := maptile.At(orb.Point{113.0, 30.7}, z)
	tb := a.Bound()
	unit := (tb.Max[0] - tb.Min[0]) / Extent
	reused := 0
	for trial := 0; trial < 400 && reused < 5; trial++ {
		idx := spatial.NewIndex(cat)
		p := NewPrepared(idx)
		// A square across the tile's east edge, far past its buffer, and
		// a jagged star a few units across inside the tile: one feature.
		x0 := tb.Max[0] - 500*unit
		y0 := tb.Min[1] + 1000*unit
		square := orb.Polygon{{{x0, y0}, {x0 + 1000*unit, y0}, {x0 + 1000*unit, y0 + 1000*unit}, {x0, y0 + 1000*unit}, {x0, y0}}}
		c := orb.Point{tb.Min[0] + 2000*unit, tb.Min[1] + 2000*unit}
		mp := orb.MultiPolygon{square, star(rng, c, (2+rng.Float64()*6)*unit, 20+rng.IntN(30))}
		if err := idx.Put("dltb", &layers.Feature{ID: 1, Version: 1, Geometry: mp}); err != nil {
			t.Fatal(err)
		}
		snap := idx.Snapshot()
		if _, _, err := p.AppendExact(ctx, nil, snap, l, a); err != nil {
			t.Fatal(err)
		}
		r := p.layers["dltb"].load(1)
		if r == nil || r.fixedAt(z, int64(a.X), int64(a.Y)) == nil {
			continue // rounding left this star valid
		}
		if r.fixedInside(z) != nil {
			t.Fatal("a clipped feature's repair was kept as one for every tile of the zoom")
		}
		before := repairs.Load()
		with, _, err := p.AppendExact(ctx, nil, snap, l, a)
		if err != nil {
			t.Fatal(err)
		}
		if n := repairs.Load() - before; n != 0 {
			t.Fatalf("trial %d: the tile was repaired again (%d GEOS repairs) instead of written from the kept repair", trial, n)
		}
		without, _, err := AppendExact(ctx, nil, snap, l, a)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(with, without) {
			t.Fatalf("trial %d: the kept repair differs from a fresh one", trial)
		}
		reused++
	}
	if reused == 0 {
		t.Fatal("no broken clipped feature: the kept repair went untested")
	}
	t.Logf("%d kept repairs of clipped features reused and compared", reused)
}

// TestFixedListBounded: a feature keeps at most maxFixed repairs, the
// newest, one per tile.
func TestFixedListBounded(t *testing.T) {
	var r record
	for i := range 3 * maxFixed {
		r.addFixed(&fixedShape{zoom: 14, x: int64(i), y: 0})
		r.addFixed(&fixedShape{zoom: 14, x: int64(i), y: 0}) // the same tile again replaces
	}
	list := *r.fixed.Load()
	if len(list) != maxFixed {
		t.Fatalf("%d repairs kept, want %d", len(list), maxFixed)
	}
	for i, f := range list {
		if want := int64(3*maxFixed - 1 - i); f.x != want {
			t.Fatalf("repair %d is of tile x=%d, want the newest first (x=%d)", i, f.x, want)
		}
	}
	if r.fixedAt(14, 0, 0) != nil || r.fixedAt(14, int64(3*maxFixed-1), 0) == nil {
		t.Fatal("the oldest repair kept or the newest lost")
	}
}
