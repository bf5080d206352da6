package gpkg

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/storetest"
)

// GDAL is the independent reader of our files (DESIGN.md, Testing).

func gdalTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): GDAL is the independent check of the GeoPackage; `make test` installs it (Debian package gdal-bin)", name, err)
	}
	return p
}

// run runs a GDAL tool and fails on a non-zero exit or on any ERROR or
// Warning it prints.
func run(t *testing.T, tool string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdalTool(t, tool), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	for _, line := range strings.Split(stdout.String()+"\n"+stderr.String(), "\n") {
		if strings.Contains(line, "ERROR") || strings.Contains(line, "Warning") {
			t.Errorf("%s %s: %s", tool, strings.Join(args, " "), line)
		}
	}
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

var ogrTypes = map[layers.FieldType]string{layers.String: "String", layers.Integer: "Integer64", layers.Number: "Real", layers.Date: "Date"}
var ogrGeoms = map[layers.GeometryType]string{layers.Polygon: "Multi Polygon", layers.LineString: "Multi Line String", layers.Point: "Point"}

// buildAllLayers writes a file with every catalogue layer holding `per`
// features (one more created, edited and deleted on the way) and returns,
// per layer, the features as the store has them.
func buildAllLayers(t *testing.T, path string, cat *layers.Catalog, per int) map[string][]*layers.Feature {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, path, cat)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string][]*layers.Feature{}
	for _, l := range cat.Layers {
		if _, err := st.Import(ctx, l.ID, storetest.Features(l, 0, per-1)); err != nil {
			t.Fatal(err)
		}
		extra, err := st.Create(ctx, l.ID, storetest.Feature(l, per))
		if err != nil {
			t.Fatal(err)
		}
		doomed, err := st.Create(ctx, l.ID, storetest.Feature(l, per+1))
		if err != nil {
			t.Fatal(err)
		}
		// Move the extra feature far east and change its values.
		moved := storetest.Feature(l, per+2)
		moved.ID = extra.ID
		moved.Geometry = shift(moved.Geometry, 3, 0)
		if _, err := st.Replace(ctx, l.ID, moved, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Delete(ctx, l.ID, doomed.ID, 1); err != nil {
			t.Fatal(err)
		}
		if err := st.Scan(ctx, l.ID, func(f *layers.Feature) error { out[l.ID] = append(out[l.ID], f); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOgrinfoReadsEveryLayer(t *testing.T) {
	gdalTool(t, "ogrinfo")
	cat := layers.DefaultCatalog()
	path := filepath.Join(t.TempDir(), "all.gpkg")
	const per = 3
	want := buildAllLayers(t, path, cat, per)

	// The layer list.
	list := run(t, "ogrinfo", "-ro", path)
	listed := regexp.MustCompile(`(?m)^\d+: (\w+) \(([^)]+)\)$`).FindAllStringSubmatch(list, -1)
	// After the layers come the audit trail's attribute tables.
	if n := len(listed); n < 2 || listed[n-2][1] != "onemap_history" || listed[n-1][1] != "onemap_checks" || listed[n-1][2] != "None" {
		t.Fatalf("ogrinfo does not end with the audit tables:\n%s", list)
	}
	listed = listed[:len(listed)-2]
	if len(listed) != len(cat.Layers) || len(cat.Layers) != 26 {
		t.Fatalf("ogrinfo lists %d layers, want 26 (catalogue has %d):\n%s", len(listed), len(cat.Layers), list)
	}
	for i, m := range listed {
		l := cat.Layers[i]
		if m[1] != l.ID || m[2] != ogrGeoms[l.Geometry] {
			t.Errorf("ogrinfo layer %d: %s (%s), want %s (%s)", i+1, m[1], m[2], l.ID, ogrGeoms[l.Geometry])
		}
	}

	// Every layer's summary: count, SRS, geometry type, fields.
	summary := run(t, "ogrinfo", "-ro", "-so", "-al", path)
	blocks := strings.Split(summary, "\nLayer name: ")[1:]
	// GDAL reads the audit trail: per layer an import, two creates, a
	// replace and a delete.
	if n := len(blocks); n < 2 || !strings.HasPrefix(blocks[n-2], "onemap_history\n") ||
		!strings.Contains(blocks[n-2], fmt.Sprintf("Feature Count: %d\n", 5*len(cat.Layers))) || !strings.Contains(blocks[n-2], "username: String") {
		t.Fatalf("ogrinfo -so -al does not read the change history as expected:\n%s", summary)
	}
	blocks = blocks[:len(blocks)-2]
	if len(blocks) != len(cat.Layers) {
		t.Fatalf("ogrinfo -so -al describes %d layers, want %d", len(blocks), len(cat.Layers))
	}
	for _, b := range blocks {
		name, _, _ := strings.Cut(b, "\n")
		l := cat.Layer(strings.TrimSpace(name))
		if l == nil {
			t.Errorf("ogrinfo describes unknown layer %q", name)
			continue
		}
		if !strings.Contains(b, fmt.Sprintf("\nFeature Count: %d\n", per)) {
			t.Errorf("%s: feature count is not %d:\n%s", l.ID, per, b)
		}
		if !strings.Contains(b, `ID["EPSG",4490]`) && !strings.Contains(b, `AUTHORITY["EPSG","4490"]`) {
			t.Errorf("%s: SRS is not EPSG:4490:\n%s", l.ID, b)
		}
		if !strings.Contains(b, "\nGeometry: "+ogrGeoms[l.Geometry]+"\n") {
			t.Errorf("%s: geometry is not %s", l.ID, ogrGeoms[l.Geometry])
		}
		if !strings.Contains(b, "\nFID Column = fid\n") || !strings.Contains(b, "\nGeometry Column = geom\n") {
			t.Errorf("%s: fid/geom columns not recognised:\n%s", l.ID, b)
		}
		for _, f := range l.Fields {
			if !strings.Contains(b, fmt.Sprintf("\n%s: %s ", f.Name, ogrTypes[f.Type])) {
				t.Errorf("%s: field %s is not reported as %s:\n%s", l.ID, f.Name, ogrTypes[f.Type], b)
			}
		}
		// The extent GDAL reports comes from gpkg_contents: it must cover
		// the moved feature.
		var bd orb.Bound
		for i, f := range want[l.ID] {
			if i == 0 {
				bd = f.Geometry.Bound()
			} else {
				bd = bd.Union(f.Geometry.Bound())
			}
		}
		ext := fmt.Sprintf("\nExtent: (%.6f, %.6f) - (%.6f, %.6f)\n", bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1])
		if !strings.Contains(b, ext) {
			t.Errorf("%s: extent is not%s", l.ID, ext)
		}
	}

	// Every layer's features, read back by GDAL.
	for _, l := range cat.Layers {
		out := run(t, "ogrinfo", "-ro", "-q", path, l.ID)
		blocks := map[int64]string{}
		parts := strings.Split(out, "OGRFeature("+l.ID+"):")
		for _, p := range parts[1:] {
			idText, body, _ := strings.Cut(p, "\n")
			id, err := strconv.ParseInt(idText, 10, 64)
			if err != nil {
				t.Fatalf("%s: ogrinfo feature header %q", l.ID, idText)
			}
			blocks[id] = body
		}
		if len(blocks) != len(want[l.ID]) {
			t.Errorf("%s: ogrinfo shows %d features, want %d", l.ID, len(blocks), len(want[l.ID]))
		}
		for _, f := range want[l.ID] {
			compareOgrFeature(t, l, f, blocks[f.ID])
		}
	}

	// GDAL answers a bbox query through our rtree: only the moved feature is
	// out east.
	for _, l := range []*layers.Layer{cat.Layer("dltb"), cat.Layer("jtlw"), cat.Layer("jmd")} {
		out := run(t, "ogrinfo", "-ro", "-so", "-spat", "115", "27", "117", "29", path, l.ID)
		if !strings.Contains(out, "\nFeature Count: 1\n") {
			t.Errorf("%s: bbox query east of 115°E does not find exactly the moved feature:\n%s", l.ID, out)
		}
		out = run(t, "ogrinfo", "-ro", "-q", "-sql", fmt.Sprintf("SELECT HasSpatialIndex('%s', 'geom')", l.ID), path)
		if !strings.Contains(out, "HasSpatialIndex (Integer) = 1") {
			t.Errorf("%s: GDAL sees no spatial index:\n%s", l.ID, out)
		}
	}
}

var ogrField = regexp.MustCompile(`^  (\w+) \((\w+)\) = (.*)$`)

// compareOgrFeature checks ogrinfo's rendering of one feature against it.
func compareOgrFeature(t *testing.T, l *layers.Layer, f *layers.Feature, out string) {
	t.Helper()
	got := map[string]string{}
	var geom string
	for _, line := range strings.Split(out, "\n") {
		if m := ogrField.FindStringSubmatch(line); m != nil {
			got[m[1]] = m[3]
			continue
		}
		if s := strings.TrimSpace(line); strings.HasPrefix(s, "POINT") || strings.HasPrefix(s, "MULTI") {
			geom = s
		}
	}
	if got["version"] != strconv.FormatInt(f.Version, 10) {
		t.Errorf("%s %d: GDAL reads version %q, want %d", l.ID, f.ID, got["version"], f.Version)
	}
	for i, fd := range l.Fields {
		s, ok := got[fd.Name]
		if !ok {
			t.Errorf("%s %d: GDAL does not show field %s:\n%s", l.ID, f.ID, fd.Name, out)
			continue
		}
		w := f.Props.At(i)
		if s == "(null)" {
			if w != nil {
				t.Errorf("%s %d %s: GDAL reads null, want %v", l.ID, f.ID, fd.Name, w)
			}
			continue
		}
		if w == nil {
			t.Errorf("%s %d %s: GDAL reads %q, want null", l.ID, f.ID, fd.Name, s)
			continue
		}
		switch fd.Type {
		case layers.String:
			if s != w.(string) {
				t.Errorf("%s %d %s: GDAL reads %q, want %q", l.ID, f.ID, fd.Name, s, w)
			}
		case layers.Date:
			if strings.ReplaceAll(s, "/", "-") != w.(string) {
				t.Errorf("%s %d %s: GDAL reads date %q, want %s", l.ID, f.ID, fd.Name, s, w)
			}
		case layers.Integer:
			if n, err := strconv.ParseInt(s, 10, 64); err != nil || n != w.(int64) {
				t.Errorf("%s %d %s: GDAL reads %q, want %d", l.ID, f.ID, fd.Name, s, w)
			}
		case layers.Number:
			// ogrinfo prints 15 significant digits.
			if x, err := strconv.ParseFloat(s, 64); err != nil || math.Abs(x-w.(float64)) > 1e-12*math.Abs(w.(float64)) {
				t.Errorf("%s %d %s: GDAL reads %q, want %v", l.ID, f.ID, fd.Name, s, w)
			}
		}
	}
	g, err := wkt.Unmarshal(geom)
	if err != nil {
		t.Errorf("%s %d: GDAL's geometry %q: %v", l.ID, f.ID, geom, err)
		return
	}
	if !closeGeometry(g, f.Geometry, 1e-9) {
		t.Errorf("%s %d: GDAL reads geometry %v, want %v", l.ID, f.ID, g, f.Geometry)
	}
}

// closeGeometry compares type, structure and coordinates within tol
// (ogrinfo prints 15 significant digits).
func closeGeometry(a, b orb.Geometry, tol float64) bool {
	if a.GeoJSONType() != b.GeoJSONType() {
		return false
	}
	pa, pb := flatten(a), flatten(b)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if pa[i] != pb[i] && math.Abs(pa[i]-pb[i]) > tol {
			return false
		}
	}
	return true
}

// flatten lists a geometry's structure (part and ring sizes) and coordinates.
func flatten(g orb.Geometry) []float64 {
	var out []float64
	pts := func(ps []orb.Point) {
		out = append(out, float64(len(ps)))
		for _, p := range ps {
			out = append(out, p[0], p[1])
		}
	}
	switch v := g.(type) {
	case orb.Point:
		pts([]orb.Point{v})
	case orb.MultiLineString:
		out = append(out, float64(len(v)))
		for _, l := range v {
			pts(l)
		}
	case orb.MultiPolygon:
		out = append(out, float64(len(v)))
		for _, p := range v {
			out = append(out, float64(len(p)))
			for _, r := range p {
				pts(r)
			}
		}
	}
	return out
}

// TestGDALEditsAreRead lets GDAL edit our file — append a feature, update a
// geometry, delete a feature, all through its own GeoPackage driver and its
// own ST_* functions — and checks that the store reads the result with its
// spatial index, versions and bounds consistent.
func TestGDALEditsAreRead(t *testing.T) {
	gdalTool(t, "ogr2ogr")
	cat := layers.DefaultCatalog()
	dir := t.TempDir()
	path := filepath.Join(dir, "edit.gpkg")
	want := buildAllLayers(t, path, cat, 3)

	src := filepath.Join(dir, "add.geojson")
	if err := os.WriteFile(src, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"MC":"新村","XZQDM":"429901001","RK":1234},"geometry":{"type":"Point","coordinates":[114.5,29.25]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "ogr2ogr", "-update", "-append", "-nln", "jmd", path, src)
	dl := want["dltb"]
	run(t, "ogrinfo", path, "-sql", fmt.Sprintf("UPDATE dltb SET geom = (SELECT geom FROM dltb WHERE fid = %d) WHERE fid = %d", dl[2].ID, dl[0].ID))
	run(t, "ogrinfo", path, "-sql", fmt.Sprintf("DELETE FROM dltb WHERE fid = %d", dl[1].ID))

	st := openAt(t, path, cat, Options{})
	ctx := context.Background()
	var pts []*layers.Feature
	if err := st.Scan(ctx, "jmd", func(f *layers.Feature) error { pts = append(pts, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(pts) != 4 {
		t.Fatalf("jmd has %d features after GDAL appended one, want 4", len(pts))
	}
	added := pts[3]
	l := cat.Layer("jmd")
	wantAdded := &layers.Feature{ID: added.ID, Version: 1, Geometry: orb.Point{114.5, 29.25}, Props: layers.NewProps("新村", "429901001", int64(1234))}
	storetest.Equal(t, l, "appended by GDAL", added, wantAdded)
	checkIndex(t, st, "jmd")
	checkExtentWithin(t, st, "jmd", 1e-9) // GDAL writes the extent rounded to 15 digits

	got, err := st.Get(ctx, "dltb", dl[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || !orb.Equal(got.Geometry, dl[2].Geometry) {
		t.Errorf("dltb %d after GDAL's update: version %d, geometry %v", dl[0].ID, got.Version, got.Geometry)
	}
	if _, err := st.Get(ctx, "dltb", dl[1].ID); err == nil {
		t.Errorf("dltb %d still there after GDAL deleted it", dl[1].ID)
	}
	checkIndex(t, st, "dltb")
	// Our optimistic locking sees GDAL's change.
	r := storetest.Feature(cat.Layer("dltb"), 9)
	r.ID = dl[0].ID
	if _, err := st.Replace(ctx, "dltb", r, 1); err == nil {
		t.Error("replace with the version from before GDAL's edit succeeded")
	}
}
