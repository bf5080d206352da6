package overview

import (
	"context"
	"errors"
	"io"
	"iter"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/tiles/cache"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// demoScale keeps the demo small enough for unit tests (one county).
const demoScale = 3000

var (
	demoOnce sync.Once
	demoIdx  *spatial.Index
	demoOv   *Overviews
	demoMan  *fixtures.Manifest
	demoErr  error
)

// loadDemo returns a fresh index of the demo dataset (ids 1..N per layer in
// stream order, as a store assigns them) and its manifest.
func loadDemo(t testing.TB) (*spatial.Index, *fixtures.Manifest) {
	t.Helper()
	cat := layers.DefaultCatalog()
	idx := spatial.NewIndex(cat)
	m, err := fixtures.Generate(context.Background(), cat, fixtures.Config{Seed: 1, Scale: demoScale},
		func(l string, fs iter.Seq2[*layers.Feature, error]) error {
			var all []*layers.Feature
			for f, err := range fs {
				if err != nil {
					return err
				}
				f.ID, f.Version = int64(len(all)+1), 1
				all = append(all, f)
			}
			return idx.ReloadLayer(l, all)
		})
	if err != nil {
		t.Fatal(err)
	}
	return idx, m
}

// demo returns the demo index with its overviews built (shared by tests
// that do not edit).
func demo(t testing.TB) (*spatial.Index, *Overviews, *fixtures.Manifest) {
	t.Helper()
	demoOnce.Do(func() {
		idx, m := loadDemo(t)
		ov := New(idx, Options{Log: quiet})
		ov.Start(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		demoIdx, demoOv, demoMan, demoErr = idx, ov, m, ov.Wait(ctx)
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoIdx, demoOv, demoMan
}

func forEachTile(b orb.Bound, z int, fn func(maptile.Tile)) {
	r := tiles.TileRange(b, z, 0)
	for x := r.X0; x <= r.X1; x++ {
		for y := r.Y0; y <= r.Y1; y++ {
			fn(maptile.New(x, y, maptile.Zoom(z)))
		}
	}
}

func boundOf(b [4]float64) orb.Bound {
	return orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
}

// geosOf builds a GEOS multipolygon of decoded MVT polygons (tile units).
func geosOf(gc *geos.Context, gs ...orb.Geometry) *geos.Geom {
	var parts []*geos.Geom
	add := func(p orb.Polygon) {
		var rings [][][]float64
		for _, r := range p {
			var cs [][]float64
			for _, q := range r {
				cs = append(cs, []float64{q[0], q[1]})
			}
			rings = append(rings, cs)
		}
		parts = append(parts, gc.NewPolygon(rings))
	}
	for _, g := range gs {
		switch v := g.(type) {
		case orb.Polygon:
			add(v)
		case orb.MultiPolygon:
			for _, p := range v {
				add(p)
			}
		}
	}
	return gc.NewCollection(geos.TypeIDMultiPolygon, parts)
}

func decode(t *testing.T, b []byte) map[string]*mvt.Layer {
	t.Helper()
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("orb cannot decode the tile: %v", err)
	}
	out := map[string]*mvt.Layer{}
	for _, l := range ls {
		out[l.Name] = l
	}
	return out
}

// TestPendingUntilBuilt: before the overviews are built a tile that needs
// one is ErrOverviewPending, never an exact tile.
func TestPendingUntilBuilt(t *testing.T) {
	idx, m := loadDemo(t)
	ov := New(idx, Options{Log: quiet})
	src := tiles.NewSource(idx, ov, nil)
	tl := maptile.At(boundOf(m.Bounds).Center(), 6)
	if _, err := src.Tile(context.Background(), []*layers.Layer{idx.Catalog().Layer("dltb")}, tl, ""); !errors.Is(err, tiles.ErrOverviewPending) {
		t.Fatalf("before Start: %v", err)
	}
	ov.Start(context.Background())
	if err := ov.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	e, err := src.Tile(context.Background(), []*layers.Layer{idx.Catalog().Layer("dltb")}, tl, "")
	if err != nil || e.Empty() {
		t.Fatalf("after the build: %v", err)
	}
}

// TestEveryLayerFromZ4: over the demo prefecture, every layer has
// features in every tile from z4 to its detail zoom that its exact data
// reaches; every tile is under the cap; every polygon is valid (GEOS, MVT
// 2.1 §4.3.4.4) and decodes with orb.
func TestEveryLayerFromZ4(t *testing.T) {
	idx, ov, m := demo(t)
	src := tiles.NewSource(idx, ov, nil)
	gc := geos.NewContext()
	snap := idx.Snapshot()
	pref := boundOf(m.Prefectures[0].Bounds)
	for _, l := range idx.Catalog().Layers {
		detail, ok := ov.DetailZoom(l.ID)
		if !ok || detail < l.MinZoom {
			t.Fatalf("%s: detail zoom %d %v", l.ID, detail, ok)
		}
		lb, ok := snap.Bound(l.ID)
		if !ok {
			continue
		}
		for z := tiles.MinZoom; z <= max(detail, tiles.MinZoom); z++ {
			forEachTile(lb, z, func(tl maptile.Tile) {
				e, err := src.Tile(context.Background(), []*layers.Layer{l}, tl, "")
				if err != nil {
					t.Fatal(err)
				}
				if len(e.Body) > tiles.MaxLayerBytes {
					t.Errorf("%s %v: %d bytes", l.ID, tl, len(e.Body))
				}
				exact, _, _ := tiles.Encode(context.Background(), snap, []*layers.Layer{l}, tl)
				if l.ID == "dltb" && z < 10 && tiles.BufferedBound(tl, 0).Intersects(pref) && e.Empty() {
					t.Errorf("dltb %v over the prefecture is empty", tl)
				}
				if e.Empty() != (len(exact) == 0) && l.Geometry != layers.Polygon {
					t.Errorf("%s %v: overview empty=%v, exact empty=%v", l.ID, tl, e.Empty(), len(exact) == 0)
				}
				if e.Empty() {
					return
				}
				for _, f := range decode(t, e.Body)[l.ID].Features {
					switch f.Geometry.(type) {
					case orb.Polygon, orb.MultiPolygon:
						if g := geosOf(gc, f.Geometry); !g.IsValid() {
							t.Errorf("%s %d/%d/%d: %s", l.ID, tl.Z, tl.X, tl.Y, g.IsValidReason())
						}
					}
				}
			})
		}
	}
}

// TestNoCracks: the decoded dltb polygons of a tile cover the area of the
// prefecture's outline decoded from the xzq tile of the same address
// (quantised alike) within 2 % from z4 to z7 and 0.5 % from z8 on, and
// overlap each other by less than 0.1 % of it.
func TestNoCracks(t *testing.T) {
	idx, ov, m := demo(t)
	src := tiles.NewSource(idx, ov, nil)
	gc := geos.NewContext()
	cat := idx.Catalog()
	pref := m.Prefectures[0]
	for z := 4; z <= 16; z++ {
		checked := 0
		forEachTile(boundOf(pref.Bounds), z, func(tl maptile.Tile) {
			if z >= 13 && (tl.X+tl.Y)%7 != 0 {
				return // a sample of the deep zooms
			}
			e, err := src.Tile(context.Background(), []*layers.Layer{cat.Layer("dltb"), cat.Layer("xzq")}, tl, "")
			if err != nil {
				t.Fatal(err)
			}
			ls := decode(t, e.Body)
			var outline orb.Geometry
			for _, f := range ls["xzq"].Features {
				if id, _ := f.ID.(float64); int64(id) == pref.XzqID {
					outline = f.Geometry
				}
			}
			var parts []orb.Geometry
			sum := 0.0
			if ls["dltb"] != nil {
				for _, f := range ls["dltb"].Features {
					parts = append(parts, f.Geometry)
					sum += geosOf(gc, f.Geometry).Area()
				}
			}
			if outline == nil && parts == nil {
				return // the bound's corner, outside the prefecture
			}
			want := 0.0
			if outline != nil {
				want = geosOf(gc, outline).Area()
			}
			union := geosOf(gc, parts...).UnaryUnion()
			got := union.Area()
			tol := 0.005
			if z < 8 {
				tol = 0.02
			}
			t.Logf("%d/%d/%d: %.0f %.0f %.3f%%", tl.Z, tl.X, tl.Y, got, want, 100*(got-want)/want)
			if math.Abs(got-want) > tol*want {
				t.Errorf("%d/%d/%d: parcels cover %.0f, the prefecture %.0f (%.2f %%)", tl.Z, tl.X, tl.Y, got, want, 100*(got-want)/want)
			}
			if sum-got > 0.001*want {
				t.Errorf("%d/%d/%d: parcels overlap by %.0f (%.3f %%)", tl.Z, tl.X, tl.Y, sum-got, 100*(sum-got)/want)
			}
			checked++
		})
		if checked == 0 {
			t.Fatalf("z%d: no tile checked", z)
		}
	}
}

// TestEditRebuildsTouchedTiles: an edit rebuilds exactly the overview
// tiles its bounds touch, the next fetch through a cached source shows it,
// and an unrelated cached tile stays cached.
func TestEditRebuildsTouchedTiles(t *testing.T) {
	idx, m := loadDemo(t)
	ov := New(idx, Options{Log: quiet})
	c := cache.New(64 << 20)
	src := tiles.NewSource(idx, ov, c)
	ctx := context.Background()
	ov.Start(ctx)
	if err := ov.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	dltb := idx.Catalog().Layer("dltb")
	detail, _ := ov.DetailZoom("dltb")
	pb := boundOf(m.Prefectures[0].Bounds)
	// A new parcel of an unused class in the prefecture's south-west.
	at := orb.Point{pb.Min[0] + 0.1*(pb.Max[0]-pb.Min[0]), pb.Min[1] + 0.1*(pb.Max[1]-pb.Min[1])}
	d := 0.01
	nb := orb.Bound{Min: at, Max: orb.Point{at[0] + d, at[1] + d}}
	vals := make([]any, len(dltb.Fields))
	vals[dltb.FieldIndex("DLBM")] = "9901"
	f := &layers.Feature{ID: 1 << 40, Version: 1, Props: layers.NewProps(vals...), Geometry: orb.MultiPolygon{{nb.ToRing()}}}
	z := detail - 1
	touched := maptile.At(nb.Center(), maptile.Zoom(z))
	far := maptile.At(orb.Point{pb.Max[0] - 0.001, pb.Max[1] - 0.001}, maptile.Zoom(z))
	if tiles.BufferedBound(far, tiles.Buffer).Intersects(nb) {
		t.Skip("the prefecture is too small for two tiles apart at this zoom")
	}
	has99 := func(tl maptile.Tile) bool {
		e, err := src.Tile(ctx, []*layers.Layer{dltb}, tl, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range decode(t, e.Body)["dltb"].Features {
			if v, _ := f.Properties["DLBM"].(string); v == "9901" || v == "99" {
				return true
			}
		}
		return false
	}
	if has99(touched) || has99(far) {
		t.Fatal("class 99 before the edit")
	}
	before := ov.Builds()
	if err := idx.Put("dltb", f); err != nil {
		t.Fatal(err)
	}
	<-idx.Settled() // as the Editor does before it acknowledges a write
	want := 0
	for z := tiles.MinZoom; z < detail; z++ {
		r := tiles.TileRange(nb, z, tiles.Buffer)
		want += int(r.X1-r.X0+1) * int(r.Y1-r.Y0+1)
	}
	hits := c.Stats().Hits
	if !has99(touched) {
		t.Fatal("the touched tile does not show the edit")
	}
	if has99(far) || c.Stats().Hits != hits+1 {
		t.Fatalf("the unrelated tile was not served from the cache: %+v", c.Stats())
	}
	// The background rebuild catches up with every touched tile.
	deadline := time.Now().Add(time.Minute)
	for ov.Builds()-before < int64(want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if got := ov.Builds() - before; got != int64(want) {
		t.Fatalf("%d overview tiles built after the edit, want %d (those its bounds touch)", got, want)
	}
}
