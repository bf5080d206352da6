package tiles

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/internal/gdaltest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// fixture: an index with a parcel straddling the edge of tile t (z14), a
// parcel with a hole inside it, a road through it and a hazard point.
func fixture(t *testing.T) (*spatial.Index, *layers.Catalog, maptile.Tile) {
	t.Helper()
	cat := layers.DefaultCatalog()
	idx := spatial.NewIndex(cat)
	tile := maptile.At(orb.Point{113.01, 30.71}, 14)
	b := tile.Bound()
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	at := func(fx, fy float64) orb.Point { return orb.Point{b.Min[0] + fx*w, b.Min[1] + fy*h} }
	ring := func(pts ...orb.Point) orb.Ring { return append(orb.Ring(pts), pts[0]) }
	dltb := cat.Layer("dltb")
	props := func(dlbm string) layers.Props {
		vals := make([]any, len(dltb.Fields))
		vals[dltb.FieldIndex("DLBM")] = dlbm
		vals[dltb.FieldIndex("ZLDWDM")] = "429901001001"
		vals[dltb.FieldIndex("TBMJ")] = 1234.5
		return layers.NewProps(vals...)
	}
	put := func(layer string, f *layers.Feature) {
		if err := idx.Put(layer, f); err != nil {
			t.Fatal(err)
		}
	}
	// Half in the tile, half out of it to the west.
	put("dltb", &layers.Feature{ID: 1, Version: 1, Props: props("0101"),
		Geometry: orb.MultiPolygon{{ring(at(-0.5, 0.2), at(0.5, 0.2), at(0.5, 0.6), at(-0.5, 0.6))}}})
	// Inside, with a hole; its exterior ring is given clockwise on purpose.
	put("dltb", &layers.Feature{ID: 2, Version: 1, Props: props("0301"),
		Geometry: orb.MultiPolygon{{
			ring(at(0.6, 0.6), at(0.6, 0.9), at(0.9, 0.9), at(0.9, 0.6)),
			ring(at(0.7, 0.7), at(0.8, 0.7), at(0.8, 0.8), at(0.7, 0.8)),
		}}})
	// Far away: not in the tile.
	put("dltb", &layers.Feature{ID: 3, Version: 1, Props: props("0101"),
		Geometry: orb.MultiPolygon{{ring(at(5, 5), at(6, 5), at(6, 6), at(5, 6))}}})
	put("jtlw", &layers.Feature{ID: 7, Version: 1, Props: layers.NewProps("G318", "国道", 12.0),
		Geometry: orb.MultiLineString{{at(-1, 0.1), at(2, 0.9)}}})
	put("dzzhd", &layers.Feature{ID: 9, Version: 1, Props: layers.NewProps("滑坡", "中型", int64(120), 3.5),
		Geometry: at(0.25, 0.75)})
	return idx, cat, tile
}

func pick(cat *layers.Catalog, ids ...string) []*layers.Layer {
	var out []*layers.Layer
	for _, id := range ids {
		out = append(out, cat.Layer(id))
	}
	return out
}

func TestEncode(t *testing.T) {
	idx, cat, tile := fixture(t)
	snap := idx.Snapshot()
	before := orb.Clone(func() orb.Geometry { f, _ := snap.Get("dltb", 1); return f.Geometry }())
	b, n, err := Encode(context.Background(), snap, pick(cat, "dltb", "jtlw", "dzzhd"), tile)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("%d features in the tile, want 4 (two parcels, a road, a point)", n)
	}
	// The index's geometry is never projected in place.
	if f, _ := snap.Get("dltb", 1); !orb.Equal(f.Geometry, before) {
		t.Fatal("encoding changed the indexed geometry")
	}
	got, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("orb cannot decode the tile: %v", err)
	}
	byName := map[string]*mvt.Layer{}
	for _, l := range got {
		byName[l.Name] = l
		if l.Extent != Extent || l.Version != 2 {
			t.Errorf("layer %s: extent %d, version %d", l.Name, l.Extent, l.Version)
		}
	}
	parcels := byName["dltb"]
	if parcels == nil || len(parcels.Features) != 2 || byName["jtlw"] == nil || byName["dzzhd"] == nil {
		t.Fatalf("layers in the tile: %v", byName)
	}
	limit := orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}
	for _, f := range parcels.Features {
		if !limit.Contains(f.Geometry.Bound().Min) || !limit.Contains(f.Geometry.Bound().Max) {
			t.Errorf("parcel %v reaches past the buffer: %v", f.ID, f.Geometry.Bound())
		}
		if f.Properties["ZLDWDM"] != "429901001001" || f.Properties["TBMJ"] != 1234.5 {
			t.Errorf("parcel %v properties %v", f.ID, f.Properties)
		}
		if _, ok := f.Properties["BSM"]; ok {
			t.Errorf("a null attribute was encoded: %v", f.Properties)
		}
		switch f.ID {
		case 1.0: // clipped at the west edge, minus the buffer
			if x := f.Geometry.Bound().Min[0]; x != -Buffer {
				t.Errorf("parcel 1 starts at x=%v, want the clip edge %d", x, -Buffer)
			}
		case 2.0: // one polygon with its hole, as orb's decoder reads rings by winding
			p, ok := f.Geometry.(orb.Polygon)
			if !ok || len(p) != 2 {
				t.Errorf("parcel 2 decodes as %T with %v", f.Geometry, f.Geometry)
			}
		default:
			t.Errorf("unexpected parcel id %v (%T)", f.ID, f.ID)
		}
	}
	// Nothing there: no tile.
	far := maptile.At(orb.Point{100, 20}, 14)
	if _, n, err := Encode(context.Background(), snap, pick(cat, "dltb"), far); err != nil || n != 0 {
		t.Fatalf("empty tile: %d features, %v", n, err)
	}
	// GDAL's MVT driver reads it too, with the same counts.
	dir := t.TempDir()
	path := filepath.Join(dir, "14", strconv.Itoa(int(tile.X)), strconv.Itoa(int(tile.Y))+".pbf")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := gdaltest.Summary(t, "-al", path)
	if sum["dltb"].Count != 2 || sum["jtlw"].Count != 1 || sum["dzzhd"].Count != 1 {
		t.Fatalf("ogrinfo reads %v", sum)
	}
	out, err := exec.Command("ogrinfo", "-ro", "-al", "-q", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "DLBM (String) = 0301") || !strings.Contains(string(out), "ZHLX (String) = 滑坡") {
		t.Fatalf("ogrinfo -al: %v\n%s", err, out)
	}
}

func TestAddress(t *testing.T) {
	for _, c := range [][3]int{{-1, 0, 0}, {25, 0, 0}, {3, 8, 0}, {3, 0, -1}, {0, 1, 0}} {
		if _, err := Address(c[0], c[1], c[2]); !errors.Is(err, ErrBadTile) {
			t.Errorf("%v: %v", c, err)
		}
	}
	if tl, err := Address(14, 13527, 6729); err != nil || tl.Z != 14 || tl.X != 13527 || tl.Y != 6729 {
		t.Fatalf("%v %v", tl, err)
	}
}

// TestEncodeCancelled: a request that is gone stops the work.
func TestEncodeCancelled(t *testing.T) {
	idx, cat, tile := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Encode(ctx, idx.Snapshot(), pick(cat, "dltb"), tile); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
