package tiles

import (
	"context"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
)

// forEachTile calls fn for every tile of zoom z over the bound b.
func forEachTile(b orb.Bound, z maptile.Zoom, fn func(maptile.Tile)) {
	lo, hi := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z), maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			fn(maptile.New(x, y, z))
		}
	}
}

// checkTilePolygons decodes the layer of a tile with orb and fails the
// test for any polygon GEOS finds invalid (MVT 2.1 §4.3.4.4); it returns
// the number of polygon features.
func checkTilePolygons(t *testing.T, gc *geos.Context, b []byte, tl maptile.Tile) int {
	t.Helper()
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("tile %v: orb cannot decode: %v", tl, err)
	}
	n := 0
	for _, l := range ls {
		for _, f := range l.Features {
			switch f.Geometry.(type) {
			case orb.Polygon, orb.MultiPolygon:
			default:
				continue
			}
			n++
			checkRings(t, tl, f.Geometry)
			g := mustGEOS(t, gc, f.Geometry)
			if !g.IsValid() {
				t.Errorf("tile %d/%d/%d layer %s feature %v: %s", tl.Z, tl.X, tl.Y, l.Name, f.ID, g.IsValidReason())
			}
		}
	}
	return n
}

// TestXZQTilesValid: every xzq tile of China from z2 to z8 (the real
// province outlines and the demo's own units) holds only valid polygons.
func TestXZQTilesValid(t *testing.T) {
	idx, _ := demo(t)
	snap := idx.Snapshot()
	xzq := idx.Catalog().Layer("xzq")
	b, _ := snap.Bound("xzq")
	gc := geos.NewContext()
	tilesSeen, polys := 0, 0
	for z := maptile.Zoom(2); z <= 8; z++ {
		forEachTile(b, z, func(tl maptile.Tile) {
			out, n, err := Encode(context.Background(), snap, []*layers.Layer{xzq}, tl)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				tilesSeen++
				polys += checkTilePolygons(t, gc, out, tl)
			}
		})
	}
	t.Logf("%d xzq tiles, %d polygons checked", tilesSeen, polys)
	if tilesSeen < 500 {
		t.Fatalf("only %d tiles", tilesSeen)
	}
}

// TestDemoTilesValid: every exact dltb, yjjbnt and tdytq tile of the demo
// at a few zooms holds only valid polygons.
func TestDemoTilesValid(t *testing.T) {
	idx, _ := demo(t)
	snap := idx.Snapshot()
	gc := geos.NewContext()
	for _, id := range []string{"dltb", "yjjbnt", "tdytq"} {
		l := idx.Catalog().Layer(id)
		b, _ := snap.Bound(id)
		for _, z := range []maptile.Zoom{12, 13, 14, 16} {
			polys := 0
			forEachTile(b, z, func(tl maptile.Tile) {
				out, _, err := Encode(context.Background(), snap, []*layers.Layer{l}, tl)
				if err != nil {
					t.Fatal(err)
				}
				polys += checkTilePolygons(t, gc, out, tl)
			})
			if polys == 0 {
				t.Errorf("%s z%d: no polygons", id, z)
			}
		}
	}
}

// checkRings fails the test for a ring of fewer than 4 points (closing
// point included), which GDAL reports as "Too few points".
func checkRings(t *testing.T, tl maptile.Tile, g orb.Geometry) {
	t.Helper()
	var polys []orb.Polygon
	switch v := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{v}
	case orb.MultiPolygon:
		polys = v
	}
	for _, p := range polys {
		for _, r := range p {
			if len(r) < 4 {
				t.Errorf("tile %v: ring of %d points", tl, len(r))
			}
		}
	}
}
