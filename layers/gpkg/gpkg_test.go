package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/storetest"
)

func openTemp(t testing.TB, cat *layers.Catalog) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "t.gpkg"), cat, Options{})
}

func openAt(t testing.TB, path string, cat *layers.Catalog, opts Options) *Store {
	t.Helper()
	st, err := OpenWith(context.Background(), path, cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, cat *layers.Catalog) layers.Store {
		return openTemp(t, cat)
	})
}

func TestNewFileIsGeoPackage(t *testing.T) {
	cat := layers.DefaultCatalog()
	st := openTemp(t, cat)
	db := st.DB()
	one := func(q string, args ...any) any {
		t.Helper()
		var v any
		if err := db.QueryRow(q, args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	if v := one(`PRAGMA application_id`); v != int64(0x47504B47) {
		t.Errorf("application_id %v", v)
	}
	if v := one(`PRAGMA user_version`); v != int64(10300) {
		t.Errorf("user_version %v", v)
	}
	if v := one(`PRAGMA journal_mode`); v != "wal" {
		t.Errorf("journal_mode %v", v)
	}
	if v := one(`PRAGMA integrity_check`); v != "ok" {
		t.Errorf("integrity_check %v", v)
	}
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("foreign_key_check reports violations")
	}
	rows.Close()
	for _, id := range []int64{-1, 0, 4326, 4490} {
		if n := one(`SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, id); n != int64(1) {
			t.Errorf("srs %d missing", id)
		}
	}
	if def := one(`SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = 4490`).(string); !strings.HasPrefix(def, `GEOGCS["China Geodetic Coordinate System 2000"`) || !strings.HasSuffix(def, `AUTHORITY["EPSG","4490"]]`) {
		t.Errorf("4490 definition %s", def)
	}
	if v := one(`SELECT organization || ':' || organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = 4490`); v != "EPSG:4490" {
		t.Errorf("4490 organisation %v", v)
	}
	stamp := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	for _, l := range cat.Layers {
		var dataType, identifier, descr, lastChange string
		var srs int64
		if err := db.QueryRow(`SELECT data_type, identifier, description, CAST(last_change AS TEXT), srs_id FROM gpkg_contents WHERE table_name = ?`, l.ID).Scan(&dataType, &identifier, &descr, &lastChange, &srs); err != nil {
			t.Fatalf("%s: gpkg_contents: %v", l.ID, err)
		}
		if dataType != "features" || identifier != l.ID || descr != l.Name || srs != 4490 || !stamp.MatchString(lastChange) {
			t.Errorf("%s: contents %q %q %q %q %d", l.ID, dataType, identifier, descr, lastChange, srs)
		}
		want := map[layers.GeometryType]string{layers.Polygon: "MULTIPOLYGON", layers.LineString: "MULTILINESTRING", layers.Point: "POINT"}[l.Geometry]
		if v := one(`SELECT geometry_type_name || ' ' || srs_id || ' ' || z || m FROM gpkg_geometry_columns WHERE table_name = ? AND column_name = 'geom'`, l.ID); v != want+" 4490 00" {
			t.Errorf("%s: geometry column %v, want %s", l.ID, v, want)
		}
		if v := one(`SELECT count(*) FROM gpkg_extensions WHERE table_name = ? AND column_name = 'geom' AND extension_name = 'gpkg_rtree_index' AND scope = 'write-only'`, l.ID); v != int64(1) {
			t.Errorf("%s: rtree extension row missing", l.ID)
		}
		if v := one(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND name LIKE 'rtree_%'`, l.ID); v != int64(6) {
			t.Errorf("%s: %v rtree triggers, want 6", l.ID, v)
		}
		if v := one(`SELECT sql FROM sqlite_master WHERE name = ?`, "rtree_"+l.ID+"_geom").(string); !strings.Contains(v, "USING rtree(id, minx, maxx, miny, maxy)") {
			t.Errorf("%s: rtree table %s", l.ID, v)
		}
		cols, err := tableColumns(context.Background(), db, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantCols := map[string]string{"fid": "INTEGER", "geom": want, "version": "INTEGER"}
		for _, f := range l.Fields {
			wantCols[strings.ToLower(f.Name)] = map[layers.FieldType]string{layers.String: "TEXT", layers.Integer: "INTEGER", layers.Number: "REAL", layers.Date: "DATE"}[f.Type]
		}
		if len(cols) != len(wantCols) {
			t.Errorf("%s: columns %v, want %v", l.ID, cols, wantCols)
		}
		for c, typ := range wantCols {
			if cols[c] != typ {
				t.Errorf("%s.%s: type %q, want %q", l.ID, c, cols[c], typ)
			}
		}
	}
	var sqlText string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'dltb'`).Scan(&sqlText); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sqlText, `"fid" INTEGER PRIMARY KEY AUTOINCREMENT`) || !strings.Contains(sqlText, `"version" INTEGER NOT NULL`) || !strings.Contains(sqlText, `"DLBM" TEXT`) {
		t.Errorf("dltb table: %s", sqlText)
	}
	if r := st.SchemaReport(); len(r) != 1+len(cat.Layers) || r[0] != "created GeoPackage" {
		t.Errorf("schema report of a new file: %q", r)
	}
}

func rawGeom(t *testing.T, st *Store, layer string, id int64) []byte {
	t.Helper()
	var b []byte
	if err := st.DB().QueryRow(`SELECT geom FROM "`+layer+`" WHERE fid = ?`, id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGeometryBlobs(t *testing.T) {
	cat := layers.DefaultCatalog()
	st := openTemp(t, cat)
	ctx := context.Background()
	cases := []struct {
		layer   string
		wkbType uint32
		env     bool
	}{{"dltb", 6, true}, {"jtlw", 5, true}, {"jmd", 1, false}}
	for _, c := range cases {
		l := cat.Layer(c.layer)
		f, err := st.Create(ctx, c.layer, storetest.Feature(l, 1))
		if err != nil {
			t.Fatal(err)
		}
		b := rawGeom(t, st, c.layer, f.ID)
		if string(b[:3]) != "GP\x00" {
			t.Fatalf("%s: header %q", c.layer, b[:4])
		}
		wantFlags := byte(0x01)
		if c.env {
			wantFlags = 0x03
		}
		if b[3] != wantFlags {
			t.Errorf("%s: flags %#x, want %#x", c.layer, b[3], wantFlags)
		}
		if srs := binary.LittleEndian.Uint32(b[4:]); srs != 4490 {
			t.Errorf("%s: srs_id %d", c.layer, srs)
		}
		off := 8
		if c.env {
			bd := f.Geometry.Bound()
			got := [4]float64{}
			for i := range got {
				got[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8+8*i:]))
			}
			if got != [4]float64{bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1]} {
				t.Errorf("%s: envelope %v, bound %v", c.layer, got, bd)
			}
			off += 32
		}
		if b[off] != 1 || binary.LittleEndian.Uint32(b[off+1:]) != c.wkbType {
			t.Errorf("%s: WKB starts % x, want little-endian type %d", c.layer, b[off:off+5], c.wkbType)
		}
		g, err := decodeGP(b)
		if err != nil || !orb.Equal(g, f.Geometry) {
			t.Errorf("%s: decoded %v (%v), want %v", c.layer, g, err, f.Geometry)
		}
	}
}

type rtreeBox struct{ minx, maxx, miny, maxy float64 }

func rtreeRows(t *testing.T, st *Store, layer string) map[int64]rtreeBox {
	t.Helper()
	rows, err := st.DB().Query(`SELECT id, minx, maxx, miny, maxy FROM "rtree_` + layer + `_geom"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]rtreeBox{}
	for rows.Next() {
		var id int64
		var b rtreeBox
		if err := rows.Scan(&id, &b.minx, &b.maxx, &b.miny, &b.maxy); err != nil {
			t.Fatal(err)
		}
		out[id] = b
	}
	return out
}

// checkIndex asserts that the rtree holds exactly the layer's features, each
// box covering its geometry within float32 rounding.
func checkIndex(t *testing.T, st *Store, layer string) {
	t.Helper()
	boxes := rtreeRows(t, st, layer)
	n := 0
	err := st.Scan(context.Background(), layer, func(f *layers.Feature) error {
		n++
		b, ok := boxes[f.ID]
		if !ok {
			t.Errorf("%s %d: not in the spatial index", layer, f.ID)
			return nil
		}
		bd := f.Geometry.Bound()
		const tol = 5e-5 // float32 boxes, rounded outwards (GDAL rounds a step further)
		if b.minx > bd.Min[0] || b.maxx < bd.Max[0] || b.miny > bd.Min[1] || b.maxy < bd.Max[1] ||
			bd.Min[0]-b.minx > tol || b.maxx-bd.Max[0] > tol || bd.Min[1]-b.miny > tol || b.maxy-bd.Max[1] > tol {
			t.Errorf("%s %d: index box %+v, geometry bound %v", layer, f.ID, b, bd)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != n {
		t.Errorf("%s: %d index rows for %d features", layer, len(boxes), n)
	}
}

type extent struct {
	ok                     bool
	minx, miny, maxx, maxy float64
	lastChange             string
}

func contentsExtent(t *testing.T, st *Store, layer string) extent {
	t.Helper()
	var e [4]sql.NullFloat64
	var x extent
	if err := st.DB().QueryRow(`SELECT min_x, min_y, max_x, max_y, CAST(last_change AS TEXT) FROM gpkg_contents WHERE table_name = ?`, layer).Scan(&e[0], &e[1], &e[2], &e[3], &x.lastChange); err != nil {
		t.Fatal(err)
	}
	x.ok = e[0].Valid
	x.minx, x.miny, x.maxx, x.maxy = e[0].Float64, e[1].Float64, e[2].Float64, e[3].Float64
	return x
}

func layerBound(t *testing.T, st *Store, layer string) (orb.Bound, bool) {
	t.Helper()
	var b orb.Bound
	any := false
	if err := st.Scan(context.Background(), layer, func(f *layers.Feature) error {
		if any {
			b = b.Union(f.Geometry.Bound())
		} else {
			b, any = f.Geometry.Bound(), true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return b, any
}

// checkExtent asserts that gpkg_contents holds the exact extent of the layer.
func checkExtent(t *testing.T, st *Store, layer string) extent {
	t.Helper()
	return checkExtentWithin(t, st, layer, 0)
}

func checkExtentWithin(t *testing.T, st *Store, layer string, tol float64) extent {
	t.Helper()
	e := contentsExtent(t, st, layer)
	b, ok := layerBound(t, st, layer)
	if e.ok != ok {
		t.Fatalf("%s: gpkg_contents bounds set %v, layer has features %v", layer, e.ok, ok)
	}
	far := func(a, b float64) bool { return math.Abs(a-b) > tol }
	if ok && (far(e.minx, b.Min[0]) || far(e.miny, b.Min[1]) || far(e.maxx, b.Max[0]) || far(e.maxy, b.Max[1])) {
		t.Errorf("%s: gpkg_contents bounds %v %v %v %v, layer extent %v", layer, e.minx, e.miny, e.maxx, e.maxy, b)
	}
	return e
}

func TestIndexAndBoundsFollowWrites(t *testing.T) {
	cat := layers.DefaultCatalog()
	clock := time.Date(2025, 12, 31, 8, 0, 0, 0, time.UTC)
	st := openAt(t, filepath.Join(t.TempDir(), "t.gpkg"), cat, Options{Now: func() time.Time { return clock }})
	ctx := context.Background()
	for _, id := range []string{"dltb", "jtlw", "jmd"} {
		l := cat.Layer(id)
		clock = time.Date(2025, 12, 31, 8, 0, 0, 0, time.UTC)
		if e := contentsExtent(t, st, id); e.ok {
			t.Fatalf("%s: empty layer has bounds %+v", id, e)
		}
		var made []*layers.Feature
		for i := range 5 {
			f, err := st.Create(ctx, id, storetest.Feature(l, i*37))
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, f)
		}
		checkIndex(t, st, id)
		if e := checkExtent(t, st, id); e.lastChange != "2025-12-31T08:00:00.000Z" {
			t.Errorf("%s: last_change %s", id, e.lastChange)
		}
		// Move one feature far out: index and bounds follow.
		clock = clock.Add(time.Minute)
		moved := storetest.Feature(l, 3)
		moved.ID = made[1].ID
		moved.Geometry = shift(moved.Geometry, 2, 1)
		if _, err := st.Replace(ctx, id, moved, 0); err != nil {
			t.Fatal(err)
		}
		checkIndex(t, st, id)
		if e := checkExtent(t, st, id); e.lastChange != "2025-12-31T08:01:00.000Z" {
			t.Errorf("%s: last_change %s after replace", id, e.lastChange)
		}
		// Move it back: the extent shrinks again.
		back := storetest.Feature(l, 3)
		back.ID = made[1].ID
		if _, err := st.Replace(ctx, id, back, 0); err != nil {
			t.Fatal(err)
		}
		checkIndex(t, st, id)
		checkExtent(t, st, id)
		// Delete an inner and the outermost feature.
		for _, f := range []*layers.Feature{made[2], made[4]} {
			if _, err := st.Delete(ctx, id, f.ID, 0); err != nil {
				t.Fatal(err)
			}
			checkIndex(t, st, id)
			checkExtent(t, st, id)
		}
		// Import more, then a failing import leaves index and bounds alone.
		if _, err := st.Import(ctx, id, storetest.Features(l, 500, 50)); err != nil {
			t.Fatal(err)
		}
		checkIndex(t, st, id)
		before := checkExtent(t, st, id)
		bad := func(yield func(*layers.Feature, error) bool) {
			f := storetest.Feature(l, 9)
			f.Geometry = shift(f.Geometry, -20, -20)
			if yield(f, nil) {
				yield(nil, errors.New("broken"))
			}
		}
		if _, err := st.Import(ctx, id, bad); err == nil {
			t.Fatal("failing import succeeded")
		}
		checkIndex(t, st, id)
		if after := checkExtent(t, st, id); after != before {
			t.Errorf("%s: failed import changed gpkg_contents: %+v → %+v", id, before, after)
		}
		// Empty the layer: no bounds.
		if err := st.Scan(ctx, id, func(f *layers.Feature) error {
			_, err := st.Delete(ctx, id, f.ID, f.Version)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		checkIndex(t, st, id)
		if e := contentsExtent(t, st, id); e.ok {
			t.Errorf("%s: emptied layer keeps bounds %+v", id, e)
		}
	}
}

func shift(g orb.Geometry, dx, dy float64) orb.Geometry {
	g = orb.Clone(g)
	move := func(ps []orb.Point) {
		for i := range ps {
			ps[i][0] += dx
			ps[i][1] += dy
		}
	}
	switch v := g.(type) {
	case orb.Point:
		return orb.Point{v[0] + dx, v[1] + dy}
	case orb.MultiLineString:
		for _, l := range v {
			move(l)
		}
	case orb.MultiPolygon:
		for _, p := range v {
			for _, r := range p {
				move(r)
			}
		}
	}
	return g
}

// TestExternalEditsStayIndexed edits the tables with plain SQL, as GDAL or
// QGIS do, and checks that the standard triggers keep the spatial index
// current and the version column bumps.
func TestExternalEditsStayIndexed(t *testing.T) {
	cat := layers.DefaultCatalog()
	st := openTemp(t, cat)
	ctx := context.Background()
	l := cat.Layer("dltb")
	f, err := st.Create(ctx, "dltb", storetest.Feature(l, 0))
	if err != nil {
		t.Fatal(err)
	}
	blob, _, _, err := encodeGP(shift(f.Geometry, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	if _, err := db.Exec(`UPDATE dltb SET geom = ? WHERE fid = ?`, blob, f.ID); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, "dltb", f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 {
		t.Errorf("version %d after an external update, want 2", got.Version)
	}
	if _, err := db.Exec(`UPDATE dltb SET "DLBM" = '0102' WHERE fid = ?`, f.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Get(ctx, "dltb", f.ID); got.Version != 3 {
		t.Errorf("version %d after a second external update, want 3", got.Version)
	}
	res, err := db.Exec(`INSERT INTO dltb (geom, "DLBM", "ZLDWDM") VALUES (?, '0101', '429901')`, blob)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	if got, err := st.Get(ctx, "dltb", id); err != nil || got.Version != 1 {
		t.Errorf("externally inserted feature: %+v, %v", got, err)
	}
	checkIndex(t, st, "dltb")
	if _, err := db.Exec(`DELETE FROM dltb WHERE fid = ?`, f.ID); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, st, "dltb")
	// A plain Polygon written by another tool reads back as a MultiPolygon.
	poly := orb.Polygon{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}
	pblob, _, _, _ := encodeGP(poly)
	if _, err := db.Exec(`UPDATE dltb SET geom = ? WHERE fid = ?`, pblob, id); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Get(ctx, "dltb", id); err != nil || !orb.Equal(got.Geometry, orb.MultiPolygon{poly}) {
		t.Errorf("polygon read back as %v, %v", got.Geometry, err)
	}
	checkIndex(t, st, "dltb")
}

func TestPersistence(t *testing.T) {
	cat := layers.DefaultCatalog()
	path := filepath.Join(t.TempDir(), "p.gpkg")
	ctx := context.Background()
	st, err := Open(ctx, path, cat)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]*layers.Feature{}
	var lastDeleted int64
	for _, l := range storetest.SampleLayers(cat) {
		if _, err := st.Import(ctx, l.ID, storetest.Features(l, 0, 40)); err != nil {
			t.Fatal(err)
		}
		f, err := st.Create(ctx, l.ID, storetest.Feature(l, 41))
		if err != nil {
			t.Fatal(err)
		}
		r := storetest.Feature(l, 42)
		r.ID = f.ID
		if _, err := st.Replace(ctx, l.ID, r, 1); err != nil {
			t.Fatal(err)
		}
		last, err := st.Create(ctx, l.ID, storetest.Feature(l, 43))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Delete(ctx, l.ID, last.ID, 1); err != nil {
			t.Fatal(err)
		}
		lastDeleted = last.ID
		if err := st.Scan(ctx, l.ID, func(f *layers.Feature) error { want[l.ID] = append(want[l.ID], f); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s%s left behind after Close (%v)", path, suffix, err)
		}
	}
	st2 := openAt(t, path, cat, Options{})
	if r := st2.SchemaReport(); len(r) != 0 {
		t.Errorf("reopening an up-to-date file changed it: %q", r)
	}
	for _, l := range storetest.SampleLayers(cat) {
		var got []*layers.Feature
		if err := st2.Scan(ctx, l.ID, func(f *layers.Feature) error { got = append(got, f); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want[l.ID]) {
			t.Fatalf("%s: %d features after reopening, want %d", l.ID, len(got), len(want[l.ID]))
		}
		for i := range got {
			storetest.Equal(t, l, "reopened", got[i], want[l.ID][i])
		}
		checkIndex(t, st2, l.ID)
		checkExtent(t, st2, l.ID)
	}
	// Ids keep increasing across reopening, even past a deleted last id.
	l := storetest.SampleLayers(cat)[len(storetest.SampleLayers(cat))-1]
	f, err := st2.Create(ctx, l.ID, storetest.Feature(l, 50))
	if err != nil {
		t.Fatal(err)
	}
	if f.ID <= lastDeleted {
		t.Errorf("new id %d after reopening, want > %d (the deleted last id)", f.ID, lastDeleted)
	}
}

// extendedCatalog is the default catalogue plus a field on dltb and a new layer.
func extendedCatalog(t *testing.T) *layers.Catalog {
	t.Helper()
	c := layers.DefaultCatalog()
	c.Layer("dltb").Fields = append(c.Layer("dltb").Fields, layers.Field{Name: "BZ", Label: "备注", Type: layers.String, MaxLength: 100})
	c.Layer("dltb").Fields = append(c.Layer("dltb").Fields, layers.Field{Name: "GXSJ", Label: "更新时间", Type: layers.Date})
	c.Layers = append(c.Layers, &layers.Layer{ID: "xzyd", Name: "新增用地", NameEn: "New land use", Group: "gl", Geometry: layers.Polygon,
		Access: layers.Internal, MinZoom: 10, MaxZoom: 22, Style: layers.Style{Color: "#ff0000"},
		Fields: []layers.Field{{Name: "XMMC", Label: "项目名称", Type: layers.String, Required: true}, {Name: "MJ", Label: "面积", Type: layers.Number}}})
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := layers.ParseCatalog(b)
	if err != nil {
		t.Fatal(err)
	}
	return ext
}

func TestReopenExtendsSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "e.gpkg")
	old := layers.DefaultCatalog()
	st, err := Open(ctx, path, old)
	if err != nil {
		t.Fatal(err)
	}
	dltb := old.Layer("dltb")
	orig, err := st.Create(ctx, "dltb", storetest.Feature(dltb, 1))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	cat := extendedCatalog(t)
	st2 := openAt(t, path, cat, Options{})
	report := strings.Join(st2.SchemaReport(), "\n")
	for _, want := range []string{"added column dltb.BZ", "added column dltb.GXSJ", "created table xzyd"} {
		if !strings.Contains(report, want) {
			t.Errorf("schema report lacks %q:\n%s", want, report)
		}
	}
	cols, err := tableColumns(ctx, st2.DB(), "dltb")
	if err != nil {
		t.Fatal(err)
	}
	if cols["bz"] != "TEXT" || cols["gxsj"] != "DATE" {
		t.Errorf("dltb columns after reopening: %v", cols)
	}
	// The old feature reads with nulls in the new fields, and keeps its version.
	got, err := st2.Get(ctx, "dltb", orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *orig
	want.Props = layers.NewProps(append(orig.Props.Values(), nil, nil)...)
	storetest.Equal(t, cat.Layer("dltb"), "after extension", got, &want)
	// The new field and the new layer take writes.
	upd := storetest.Feature(cat.Layer("dltb"), 2)
	upd.ID = orig.ID
	vals := upd.Props.Values()
	vals[len(vals)-2] = "备注文字"
	vals[len(vals)-1] = "2025-06-30"
	upd.Props = layers.NewProps(vals...)
	if _, err := st2.Replace(ctx, "dltb", upd, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := st2.Get(ctx, "dltb", orig.ID); got.Props.At(len(vals)-2) != "备注文字" || got.Props.At(len(vals)-1) != "2025-06-30" {
		t.Errorf("new fields read back as %v", got.Props)
	}
	xl := cat.Layer("xzyd")
	if _, err := st2.Import(ctx, "xzyd", storetest.Features(xl, 0, 10)); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, st2, "xzyd")
	checkExtent(t, st2, "xzyd")
	var n int64
	st2.DB().QueryRow(`SELECT count(*) FROM gpkg_contents WHERE table_name = 'xzyd'`).Scan(&n)
	if n != 1 {
		t.Error("xzyd not registered in gpkg_contents")
	}
	st2.Close()

	// Reopening with the smaller catalogue drops nothing.
	st3 := openAt(t, path, old, Options{})
	var tables int64
	st3.DB().QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'xzyd'`).Scan(&tables)
	if tables != 1 {
		t.Error("table xzyd dropped when the catalogue no longer has it")
	}
	cols, _ = tableColumns(ctx, st3.DB(), "dltb")
	if _, ok := cols["bz"]; !ok {
		t.Error("column dltb.BZ dropped when the catalogue no longer has it")
	}
	if _, err := st3.Count(ctx, "xzyd"); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("count of a layer outside the catalogue: %v, want ErrNotFound", err)
	}
	if got, err := st3.Get(ctx, "dltb", orig.ID); err != nil || got.Version != 2 {
		t.Errorf("dltb feature with the old catalogue: %+v, %v", got, err)
	}
}

func TestRefusesWhatIsNotAGeoPackage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "plain.sqlite")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE notes (x TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if st, err := Open(ctx, path, layers.DefaultCatalog()); err == nil {
		st.Close()
		t.Error("opened a plain SQLite database as a GeoPackage")
	}
	junk := filepath.Join(t.TempDir(), "junk.gpkg")
	os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 500), 0o644)
	if st, err := Open(ctx, junk, layers.DefaultCatalog()); err == nil {
		st.Close()
		t.Error("opened a junk file")
	}
	c := layers.DefaultCatalog()
	b, _ := json.Marshal(c)
	b = bytes.Replace(b, []byte(`"id":"xzq"`), []byte(`"id":"gpkg_xzq"`), 1)
	// The catalogue itself refuses ids that would collide with GeoPackage tables.
	if _, err := layers.ParseCatalog(b); err == nil || !strings.Contains(err.Error(), "gpkg_xzq") {
		t.Errorf("catalogue accepted a layer named gpkg_xzq: %v", err)
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.gpkg"), layers.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := st.Ping(context.Background()); !errors.Is(err, layers.ErrUnavailable) {
		t.Errorf("ping after close: %v", err)
	}
	if _, err := st.Get(context.Background(), "dltb", 1); !errors.Is(err, layers.ErrUnavailable) {
		t.Errorf("get after close: %v", err)
	}
}

// TestDeterministicFile: with a fixed clock, the same writes in the same
// order give byte-identical files.
func TestDeterministicFile(t *testing.T) {
	cat := layers.DefaultCatalog()
	fixed := func() time.Time { return time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC) }
	build := func(name string) []byte {
		path := filepath.Join(t.TempDir(), name)
		st, err := OpenWith(context.Background(), path, cat, Options{Now: fixed})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range cat.Layers {
			if _, err := st.Import(context.Background(), l.ID, storetest.Features(l, 0, 300)); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := build("a.gpkg"), build("b.gpkg")
	if !bytes.Equal(a, b) {
		n := 0
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				n++
			}
		}
		t.Errorf("two identical imports differ: %d and %d bytes, %d bytes differ", len(a), len(b), n)
	}
}

func TestGeometryStorageForm(t *testing.T) {
	cat := layers.DefaultCatalog()
	st := openTemp(t, cat)
	ctx := context.Background()
	poly := orb.Polygon{{{113, 28}, {113.01, 28}, {113.01, 28.01}, {113, 28}}}
	f, err := st.Create(ctx, "dltb", &layers.Feature{Geometry: poly, Props: layers.NewProps(nil, nil, "0101", nil, nil, nil, "429901", nil, nil, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if !orb.Equal(f.Geometry, orb.MultiPolygon{poly}) {
		t.Errorf("created polygon comes back as %v", f.Geometry)
	}
	if got, _ := st.Get(ctx, "dltb", f.ID); !orb.Equal(got.Geometry, orb.MultiPolygon{poly}) {
		t.Errorf("stored polygon reads as %v", got.Geometry)
	}
	if _, err := st.Create(ctx, "dltb", &layers.Feature{Geometry: orb.Point{113, 28}}); err == nil {
		t.Error("a point was stored in a polygon layer")
	}
	if _, err := st.Create(ctx, "jmd", &layers.Feature{Geometry: nil}); err == nil {
		t.Error("a feature without geometry was stored")
	}
	if _, err := st.Create(ctx, "jmd", &layers.Feature{Geometry: orb.Point{113, 28}, Props: layers.NewProps("x", nil, "not a number")}); err == nil {
		t.Error("a string was stored in an integer field")
	}
	if n, _ := st.Count(ctx, "jmd"); n != 0 {
		t.Errorf("refused creates left %d features", n)
	}
}
