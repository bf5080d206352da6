package overview

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/internal/gdaltest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
)

// writeTile stores a tile as z/x/y.pbf under dir, where GDAL's MVT driver
// reads it with its address.
func writeTile(t *testing.T, dir string, tl maptile.Tile, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, strconv.Itoa(int(tl.Z)), strconv.Itoa(int(tl.X)), strconv.Itoa(int(tl.Y))+".pbf")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ogrinfo runs ogrinfo -al on a tile and fails on any error or warning.
func ogrinfo(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("ogrinfo", "-ro", "-al", "-q", path).CombinedOutput()
	if err != nil || strings.Contains(string(out), "ERROR") || strings.Contains(string(out), "Warning") {
		t.Fatalf("ogrinfo %s: %v\n%.2000s", path, err, out)
	}
	return string(out)
}

var dlbmValue = regexp.MustCompile(`DLBM \(String\) = (\S+)`)

// TestGDALReadsTiles: GDAL's MVT driver reads demo dltb tiles at z4, z8
// (overviews), z12 and z16 (exact) and finds there what the index holds:
// the exact tiles every parcel that reaches into them, with its
// attributes; the overviews only classes of the parcels there. The
// composite dltb,yjjbnt,wpbhtb tile has three layers, and xzq tiles that
// GDAL once reported self-intersecting read clean.
func TestGDALReadsTiles(t *testing.T) {
	idx, ov, m := demo(t)
	src := tiles.NewSource(idx, ov, nil)
	snap := idx.Snapshot()
	cat := idx.Catalog()
	dltb := cat.Layer("dltb")
	dir := t.TempDir()
	centre := boundOf(m.Prefectures[0].Bounds).Center()
	detail, _ := ov.DetailZoom("dltb")
	for _, z := range []maptile.Zoom{4, 8, 12, 16} {
		tl := maptile.At(centre, z)
		e, err := src.Tile(context.Background(), []*layers.Layer{dltb}, tl, "")
		if err != nil || e.Empty() {
			t.Fatalf("z%d: %v", z, err)
		}
		path := writeTile(t, dir, tl, e.Body)
		sum := gdaltest.Summary(t, "-al", path)
		decoded := decode(t, e.Body)["dltb"]
		if sum["dltb"].Count != len(decoded.Features) {
			t.Fatalf("z%d: ogrinfo reads %d features, orb %d", z, sum["dltb"].Count, len(decoded.Features))
		}
		inIndex := map[string]bool{}
		count := 0
		snap.Search("dltb", tiles.BufferedBound(tl, tiles.Buffer), func(f *layers.Feature) bool {
			count++
			v, _ := dltb.Value(f, "DLBM").(string)
			inIndex[v], inIndex[v[:2]] = true, true
			return true
		})
		out := ogrinfo(t, path)
		for _, mm := range dlbmValue.FindAllStringSubmatch(out, -1) {
			if !inIndex[mm[1]] {
				t.Errorf("z%d: class %s is not in the index there", z, mm[1])
			}
		}
		if int(z) >= detail {
			if sum["dltb"].Count != count {
				t.Errorf("z%d: ogrinfo reads %d parcels, the index holds %d", z, sum["dltb"].Count, count)
			}
			// One parcel's attributes, as GDAL reads them.
			var f *layers.Feature
			snap.Search("dltb", tl.Bound(), func(g *layers.Feature) bool { f = g; return false })
			block := featureBlock(out, f.ID)
			for _, name := range []string{"DLBM", "ZLDWDM", "BSM"} {
				if v := dltb.Value(f, name); v != nil && !strings.Contains(block, name+" (String) = "+v.(string)) {
					t.Errorf("z%d parcel %d: %s = %v not in\n%s", z, f.ID, name, v, block)
				}
			}
			if v := dltb.Value(f, "SJNF"); v != nil && !strings.Contains(block, "SJNF (Integer) = "+strconv.FormatInt(v.(int64), 10)) {
				t.Errorf("z%d parcel %d: SJNF = %v not in\n%s", z, f.ID, v, block)
			}
			if v := dltb.Value(f, "TBMJ"); v != nil && !strings.Contains(block, "TBMJ (Real) = "+strconv.FormatFloat(v.(float64), 'f', -1, 64)) {
				t.Errorf("z%d parcel %d: TBMJ = %v not in\n%s", z, f.ID, v, block)
			}
		}
	}
	// The composite tile where a change patch lies.
	var patch *layers.Feature
	snap.Ascend("wpbhtb", 0, func(f *layers.Feature) bool { patch = f; return false })
	tl := maptile.At(patch.Bound().Center(), 12)
	e, err := src.Tile(context.Background(), []*layers.Layer{dltb, cat.Layer("yjjbnt"), cat.Layer("wpbhtb")}, tl, "")
	if err != nil {
		t.Fatal(err)
	}
	sum := gdaltest.Summary(t, "-al", writeTile(t, filepath.Join(dir, "composite"), tl, e.Body))
	if len(sum) != 3 || sum["dltb"].Count == 0 || sum["yjjbnt"].Count == 0 || sum["wpbhtb"].Count == 0 {
		t.Fatalf("composite tile: %v", sum)
	}
	for _, a := range [][3]uint32{{4, 12, 7}, {4, 13, 6}, {6, 51, 28}} {
		tl := maptile.New(a[1], a[2], maptile.Zoom(a[0]))
		e, err := src.Tile(context.Background(), []*layers.Layer{cat.Layer("xzq")}, tl, "")
		if err != nil || e.Empty() {
			t.Fatalf("xzq %v: %v", tl, err)
		}
		ogrinfo(t, writeTile(t, filepath.Join(dir, "xzq"), tl, e.Body))
	}
}

// featureBlock is ogrinfo's text for the feature with the given MVT id
// (which GDAL reads as the field mvt_id).
func featureBlock(out string, id int64) string {
	start := strings.Index(out, "mvt_id (Integer64) = "+strconv.FormatInt(id, 10)+"\n")
	if start < 0 {
		return ""
	}
	rest := out[start:]
	if end := strings.Index(rest, "OGRFeature("); end >= 0 {
		rest = rest[:end]
	}
	return rest
}
