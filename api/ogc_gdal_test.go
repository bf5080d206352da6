package api

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/internal/gdaltest"
	"github.com/onemap/onemap/layers"
)

var ogrTypes = map[layers.FieldType][]string{
	layers.String: {"String"}, layers.Integer: {"Integer", "Integer64"}, layers.Number: {"Real"}, layers.Date: {"Date"},
}

func ogr(t *testing.T, tool string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return out
}

// TestOGCGDAL checks the OGC API with GDAL's OAPIF driver, software we did
// not write: it lists every served collection with its feature count (as
// /api/v1/layers gives it) and its fields (typed as the catalogue says, in
// its order); ogr2ogr copies every parcel through next links (page size
// 10: over 300 pages); GDAL's bbox (-spat) and FIELD=value and datetime
// (-where) queries give what a brute-force scan gives.
func TestOGCGDAL(t *testing.T) {
	ts, d := startOGCDemo(t)
	src := "OAPIF:" + ts.URL + "/ogc"

	var cat struct {
		Layers []struct {
			ID    string
			Count *int
		}
	}
	json.Unmarshal(ts.do(t, "GET", "/api/v1/layers", "").body, &cat)
	counts := map[string]int{}
	for _, l := range cat.Layers {
		if l.Count != nil {
			counts[l.ID] = *l.Count
		}
	}

	sum := gdaltest.Summary(t, "-al", src)
	var listed []string
	for _, l := range d.Catalog.Layers {
		s, ok := sum[l.ID]
		if !ok {
			continue
		}
		listed = append(listed, l.ID)
		if s.Count != counts[l.ID] || s.Count != len(d.Features[l.ID]) {
			t.Errorf("%s: GDAL counts %d, /api/v1/layers %d, dataset %d", l.ID, s.Count, counts[l.ID], len(d.Features[l.ID]))
		}
		var names []string
		for _, f := range l.Fields {
			names = append(names, f.Name)
			if !slices.Contains(ogrTypes[f.Type], s.Fields[f.Name]) {
				t.Errorf("%s.%s: GDAL reads %q, the catalogue says %s", l.ID, f.Name, s.Fields[f.Name], f.Type)
			}
		}
		if !slices.Equal(s.FieldOrder, names) {
			t.Errorf("%s: GDAL lists fields %v, the catalogue %v", l.ID, s.FieldOrder, names)
		}
	}
	if len(sum) != len(listed) || !slices.Equal(listed, visibleIDs(d.Catalog)) {
		t.Errorf("GDAL lists %d layers %v, want %v", len(sum), listed, visibleIDs(d.Catalog))
	}

	// ogr2ogr copies every parcel; the copy, read back by GDAL, holds each
	// one's id, attributes and first vertex.
	dir := t.TempDir()
	gpkgOut := filepath.Join(dir, "out.gpkg")
	ogr(t, "ogr2ogr", "-f", "GPKG", "-preserve_fid", gpkgOut, src, "dltb")
	if s := gdaltest.Summary(t, gpkgOut, "dltb")["dltb"]; s.Count != counts["dltb"] {
		t.Fatalf("ogr2ogr copied %d parcels, /api/v1/layers counts %d", s.Count, counts["dltb"])
	}
	jsonOut := filepath.Join(dir, "out.geojson")
	ogr(t, "ogr2ogr", "-f", "GeoJSON", "-preserve_fid", "-lco", "COORDINATE_PRECISION=15", jsonOut, gpkgOut, "dltb")
	b, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var copied struct {
		Features []struct {
			ID         int64
			Properties map[string]any
			Geometry   struct{ Coordinates [][][][2]float64 }
		}
	}
	if err := json.Unmarshal(b, &copied); err != nil {
		t.Fatal(err)
	}
	dltb := d.Catalog.Layer("dltb")
	seen := map[int64]bool{}
	for _, f := range copied.Features {
		if f.ID < 1 || int(f.ID) > len(d.Features["dltb"]) || seen[f.ID] {
			t.Fatalf("copied feature id %d is not one of the parcels, or twice", f.ID)
		}
		seen[f.ID] = true
		want := d.Features["dltb"][f.ID-1]
		for name, v := range dltb.Properties(want) {
			if got := f.Properties[name]; fmt.Sprint(got) != fmt.Sprint(jsonValue(v)) {
				t.Fatalf("parcel %d %s: copied %v, stored %v", f.ID, name, got, v)
			}
		}
		p := want.Geometry.(orb.MultiPolygon)[0][0][0]
		if c := f.Geometry.Coordinates[0][0][0]; math.Abs(c[0]-p[0]) > 1e-12 || math.Abs(c[1]-p[1]) > 1e-12 {
			t.Fatalf("parcel %d first vertex copied as %v, stored %v", f.ID, c, p)
		}
	}
	if len(seen) != len(d.Features["dltb"]) {
		t.Fatalf("copied %d distinct parcels of %d", len(seen), len(d.Features["dltb"]))
	}

	// A bbox through GDAL (-spat: our bbox query, then GDAL's own exact
	// filter, which could only remove features) equals GEOS on every parcel.
	ext, _ := ts.idx.Snapshot().Bound("dltb")
	c := ext.Center()
	box := orb.Bound{Min: orb.Point{c[0] - 0.006, c[1] - 0.004}, Max: orb.Point{c[0] + 0.004, c[1] + 0.006}}
	spat := []string{"-spat", fmt.Sprint(box.Min[0]), fmt.Sprint(box.Min[1]), fmt.Sprint(box.Max[0]), fmt.Sprint(box.Max[1])}
	want := geosIntersects(t, d.Features["dltb"], box)
	if got := gdaltest.Summary(t, append(spat, src, "dltb")...)["dltb"].Count; got != len(want) || got == 0 {
		t.Errorf("GDAL -spat counts %d parcels, GEOS %d", got, len(want))
	}
	// GDAL turns -where on a queryable into FIELD=value (from the OpenAPI
	// document's parameters), and on a date field into datetime; it does
	// not filter again, so the count is our server's answer.
	wp := d.Catalog.Layer("wpbhtb")
	mid := d.Features["wpbhtb"][len(d.Features["wpbhtb"])/2].Props.At(wp.FieldIndex("HSX")).(string)
	for _, q := range []struct {
		layer, where string
		keep         func(*layers.Feature) bool
	}{
		{"dltb", "DLBM = '0101'", func(f *layers.Feature) bool { return f.Props.At(dltb.FieldIndex("DLBM")) == "0101" }},
		{"dltb", "SJNF = 2024", func(f *layers.Feature) bool { return f.Props.At(dltb.FieldIndex("SJNF")) == int64(2024) }},
		{"wpbhtb", "HSX >= '" + mid + "'", func(f *layers.Feature) bool { return f.Props.At(wp.FieldIndex("HSX")).(string) >= mid }},
	} {
		n := 0
		for _, f := range d.Features[q.layer] {
			if q.keep(f) {
				n++
			}
		}
		if got := gdaltest.Summary(t, "-where", q.where, src, q.layer)[q.layer].Count; got != n || n == 0 {
			t.Errorf("GDAL -where %q counts %d, a scan %d", q.where, got, n)
		}
	}
}
