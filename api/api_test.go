package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
	"github.com/onemap/onemap/spatial"
)

// start opens (or reopens) the GeoPackage at path, loads the index from it and serves the API.
func start(t *testing.T, path string) *testServer {
	t.Helper()
	return startWith(t, path, nil)
}

// startWith is start with a chance to change the configuration first.
func startWith(t *testing.T, path string, configure func(*Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	st, err := gpkg.Open(ctx, path, cat)
	if err != nil {
		t.Fatal(err)
	}
	idx := spatial.NewIndex(cat)
	if _, err := idx.Load(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	// The demo policy: anonymous callers read and edit internal layers, as
	// these tests do; access control has its own tests (access_test.go).
	cfg := Config{Catalog: cat, Index: idx, Editor: spatial.NewEditor(idx, st), Store: st, MaxBody: 1 << 20, Policy: auth.Policy{Demo: true}}
	if configure != nil {
		configure(&cfg)
	}
	srv := httptest.NewServer(New(cfg))
	ts := &testServer{Server: srv, store: st, idx: idx, path: path}
	t.Cleanup(ts.stop)
	return ts
}

// seed creates n parcels on a grid through the API.
func seed(t *testing.T, ts *testServer, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		x, y := 112+float64(i%10)*0.01, 30+float64(i/10)*0.01
		r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(x, y, 0.005), ""))
		if r.status != http.StatusCreated {
			t.Fatalf("seed: %d %s", r.status, r.body)
		}
	}
}

func TestHealthAndCatalogue(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 3)
	if r := ts.do(t, "GET", "/healthz", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := ts.do(t, "GET", "/readyz", ""); r.status != 200 {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
	r := ts.do(t, "GET", "/api/v1/layers", "")
	if r.status != 200 {
		t.Fatalf("layers %d", r.status)
	}
	var cat struct {
		Groups []struct{ ID, Name, NameEn string } `json:"groups"`
		Layers []map[string]any                    `json:"layers"`
	}
	if err := json.Unmarshal(r.body, &cat); err != nil {
		t.Fatal(err)
	}
	if len(cat.Groups) != 5 || len(cat.Layers) != 26 {
		t.Fatalf("%d groups, %d layers", len(cat.Groups), len(cat.Layers))
	}
	for _, l := range cat.Layers {
		for _, k := range []string{"id", "name", "name_en", "group", "geometry", "access", "key_field", "count", "bounds", "minzoom", "maxzoom", "fields"} {
			if _, ok := l[k]; !ok {
				t.Errorf("layer %v lacks %q", l["id"], k)
			}
		}
		for _, f := range l["fields"].([]any) {
			fm := f.(map[string]any)
			for _, k := range []string{"name", "label", "type", "required"} {
				if _, ok := fm[k]; !ok {
					t.Errorf("layer %v field %v lacks %q", l["id"], fm["name"], k)
				}
			}
		}
		if l["id"] == "dltb" {
			if l["count"].(float64) != 3 {
				t.Errorf("dltb count %v, want 3", l["count"])
			}
			b := l["bounds"].([]any)
			if len(b) != 4 || b[0].(float64) != 112 || b[1].(float64) != 30 {
				t.Errorf("dltb bounds %v", b)
			}
		}
	}
	if r := ts.do(t, "GET", "/api/v1/layers/nosuch/features", ""); r.status != 404 {
		t.Fatalf("unknown layer %d", r.status)
	} else {
		errorOf(t, r)
	}
	for _, id := range []string{"bdcdj", "tdzfaj"} {
		r := ts.do(t, "GET", "/api/v1/layers/"+id+"/features", "")
		if r.status != 401 { // anonymous, even in the demo: a login could help
			t.Fatalf("restricted layer %s: %d", id, r.status)
		}
		errorOf(t, r)
		if r := ts.do(t, "POST", "/api/v1/layers/"+id+"/features", `{}`); r.status != 401 {
			t.Fatalf("restricted layer %s write: %d", id, r.status)
		}
	}
}

func TestFeaturesPagingAndBBox(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 25) // a 10×3 grid, last row partial
	r := ts.do(t, "GET", "/api/v1/layers/dltb/features?limit=10", "")
	m := r.json(t)
	if r.status != 200 || m["numberMatched"].(float64) != 25 || m["numberReturned"].(float64) != 10 {
		t.Fatalf("page 1: %d %v %v", r.status, m["numberMatched"], m["numberReturned"])
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/geo+json") {
		t.Errorf("content type %q", ct)
	}
	// Follow next links to the end: every feature once, in id order.
	seen := []float64{}
	next := ts.URL + "/api/v1/layers/dltb/features?limit=10"
	for next != "" {
		res, err := http.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Features []struct{ ID float64 } `json:"features"`
			Links    []struct{ Href, Rel string }
		}
		json.NewDecoder(res.Body).Decode(&fc)
		res.Body.Close()
		next = ""
		for _, f := range fc.Features {
			seen = append(seen, f.ID)
		}
		for _, l := range fc.Links {
			if l.Rel == "next" {
				next = l.Href
			}
		}
	}
	if len(seen) != 25 {
		t.Fatalf("followed next links to %d features", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("not in id order: %v", seen)
		}
	}
	// bbox covering the first column of cells (x 112–112.005) over rows 0 and 1.
	r = ts.do(t, "GET", "/api/v1/layers/dltb/features?bbox=111.99,29.99,112.004,30.014", "")
	m = r.json(t)
	if m["numberMatched"].(float64) != 2 {
		t.Fatalf("bbox matched %v, want 2", m["numberMatched"])
	}
	// A bbox that falls between cells matches nothing.
	r = ts.do(t, "GET", "/api/v1/layers/dltb/features?bbox=112.006,30.006,112.009,30.009", "")
	if m = r.json(t); m["numberMatched"].(float64) != 0 {
		t.Fatalf("gap bbox matched %v", m["numberMatched"])
	}
	// Clamped limit says so.
	r = ts.do(t, "GET", "/api/v1/layers/dltb/features?limit=50000", "")
	m = r.json(t)
	if m["limit"].(float64) != 10000 || !strings.Contains(m["notice"].(string), "10000") {
		t.Fatalf("clamp: limit %v notice %v", m["limit"], m["notice"])
	}
	for _, q := range []string{"bbox=1,2,3", "bbox=a,b,c,d", "bbox=10,10,0,0", "bbox=0,0,200,10", "limit=-1", "limit=x", "offset=-5"} {
		r := ts.do(t, "GET", "/api/v1/layers/dltb/features?"+q, "")
		if r.status != 400 {
			t.Errorf("%s: status %d, want 400", q, r.status)
		}
		errorOf(t, r)
	}
}

func TestEditingWithVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.gpkg")
	ts := start(t, path)
	r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(112.1, 30.1, 0.002), ""))
	if r.status != 201 {
		t.Fatalf("create %d %s", r.status, r.body)
	}
	m := r.json(t)
	id := int64(m["id"].(float64))
	if m["version"].(float64) != 1 || r.header.Get("ETag") != `"1"` || r.header.Get("Location") == "" {
		t.Fatalf("create answer %v %v", m, r.header)
	}
	if g := m["geometry"].(map[string]any)["type"]; g != "MultiPolygon" {
		t.Fatalf("stored geometry type %v, want MultiPolygon", g)
	}
	url := fmt.Sprintf("/api/v1/layers/dltb/features/%d", id)
	r = ts.do(t, "GET", url, "")
	if r.status != 200 || r.json(t)["properties"].(map[string]any)["DLBM"] != "0101" {
		t.Fatalf("get %d %s", r.status, r.body)
	}

	changed := parcelJSON(squareJSON(112.2, 30.2, 0.002), `{"DLBM":"0702","ZLDWDM":"429901001002"}`)
	r = ts.do(t, "PUT", url, changed, "If-Match", `"7"`)
	if r.status != 409 {
		t.Fatalf("stale If-Match: %d %s", r.status, r.body)
	}
	errorOf(t, r)
	r = ts.do(t, "PUT", url, changed, "If-Match", `"1"`)
	if r.status != 200 || r.json(t)["version"].(float64) != 2 || r.header.Get("ETag") != `"2"` {
		t.Fatalf("replace %d %s", r.status, r.body)
	}
	if r := ts.do(t, "PUT", url, changed, "If-Match", "abc"); r.status != 400 {
		t.Fatalf("malformed If-Match: %d", r.status)
	}
	if r := ts.do(t, "DELETE", url, "", "If-Match", `"1"`); r.status != 409 {
		t.Fatalf("stale delete: %d", r.status)
	}

	// Restart: the edit is there.
	ts.stop()
	ts = start(t, path)
	r = ts.do(t, "GET", url, "")
	m = r.json(t)
	if r.status != 200 || m["version"].(float64) != 2 || m["properties"].(map[string]any)["DLBM"] != "0702" {
		t.Fatalf("after restart: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "DELETE", url, "", "If-Match", `"2"`); r.status != 204 {
		t.Fatalf("delete %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", url, ""); r.status != 404 {
		t.Fatalf("deleted feature: %d", r.status)
	}
	if r := ts.do(t, "PUT", url, changed); r.status != 404 {
		t.Fatalf("replace deleted feature: %d", r.status)
	}
	ts.stop()
	ts = start(t, path)
	if r := ts.do(t, "GET", url, ""); r.status != 404 {
		t.Fatalf("deleted feature back after restart: %d", r.status)
	}
}

func TestInvalidInputChangesNothing(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 1)
	open := `{"type":"Polygon","coordinates":[[[112,30],[112.01,30],[112.01,30.01],[112,30.01]]]}`
	bowtie := `{"type":"Polygon","coordinates":[[[112,30],[112.01,30.01],[112.01,30],[112,30.01],[112,30]]]}`
	cases := []struct {
		name, body string
		status     int
		mention    string
	}{
		{"open ring", parcelJSON(open, ""), 422, "not closed"},
		{"self-intersection", parcelJSON(bowtie, ""), 422, "Self-intersection"},
		{"unknown field", parcelJSON(squareJSON(112, 30, 0.01), `{"DLBM":"0101","ZLDWDM":"4299","COLOR":"red"}`), 422, "COLOR"},
		{"wrong type", parcelJSON(squareJSON(112, 30, 0.01), `{"DLBM":101,"ZLDWDM":"4299"}`), 422, "DLBM"},
		{"missing required", parcelJSON(squareJSON(112, 30, 0.01), `{"ZLDWDM":"4299"}`), 422, "DLBM"},
		{"point on polygon layer", parcelJSON(`{"type":"Point","coordinates":[112,30]}`, ""), 422, "Polygon"},
		{"latitude out of range", parcelJSON(squareJSON(112, 95, 0.01), ""), 422, "latitude"},
		{"no geometry", parcelJSON("null", ""), 422, "geometry"},
		{"malformed JSON", `{"type":"Feature",`, 400, "GeoJSON"},
		{"not a feature", squareJSON(112, 30, 0.01), 400, "Feature"},
		{"bad geometry JSON", parcelJSON(`{"type":"Polygon","coordinates":"x"}`, ""), 400, "geometry"},
		{"unknown geometry type", parcelJSON(`{"type":"Circle","coordinates":[1,2]}`, ""), 400, "geometry"},
		{"too large", parcelJSON(squareJSON(112, 30, 0.01), `{"DLBM":"`+strings.Repeat("x", 2<<20)+`"}`), 413, "large"},
	}
	before := ts.idx.Snapshot().Count("dltb")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", "/api/v1/layers/dltb/features", tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			e := errorOf(t, r)
			if !strings.Contains(string(r.body), tc.mention) {
				t.Fatalf("error %v does not mention %q", e, tc.mention)
			}
		})
	}
	n, err := ts.store.Count(context.Background(), "dltb")
	if err != nil {
		t.Fatal(err)
	}
	if int(n) != before || ts.idx.Snapshot().Count("dltb") != before {
		t.Fatalf("refused writes changed the data: store %d, index %d, before %d", n, ts.idx.Snapshot().Count("dltb"), before)
	}
	// The 422 carries the problem's location for a GEOS finding.
	r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(bowtie, ""))
	details := errorOf(t, r)["details"].([]any)
	if loc, ok := details[0].(map[string]any)["location"].([]any); !ok || len(loc) != 2 {
		t.Fatalf("no location in %v", details)
	}
	// With repair the same geometry is accepted and the answer says so.
	r = ts.do(t, "POST", "/api/v1/layers/dltb/features?repair=true", parcelJSON(bowtie, ""))
	if r.status != 201 || r.json(t)["repaired"] != true {
		t.Fatalf("repair: %d %s", r.status, r.body)
	}
	// DESIGN's form: "repair": true in the body.
	body := strings.Replace(parcelJSON(bowtie, ""), `"type":"Feature"`, `"type":"Feature","repair":true`, 1)
	r = ts.do(t, "POST", "/api/v1/layers/dltb/features", body)
	if r.status != 201 || r.json(t)["repaired"] != true {
		t.Fatalf("repair in the body: %d %s", r.status, r.body)
	}
	body = strings.Replace(parcelJSON(bowtie, ""), `"type":"Feature"`, `"type":"Feature","repair":false`, 1)
	if r = ts.do(t, "POST", "/api/v1/layers/dltb/features", body); r.status != 422 {
		t.Fatalf("repair false in the body: %d %s", r.status, r.body)
	}
}

// TestNeverA500 throws malformed requests at every editing route.
func TestNeverA500(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 2)
	r := rand.New(rand.NewPCG(9, 9))
	pieces := []string{`{`, `}`, `[`, `]`, `"type"`, `:`, `,`, `"Feature"`, `"geometry"`, `"properties"`, `null`, `1e999`, `-0`,
		`"Polygon"`, `"coordinates"`, `[[[112,30],[112,31],[113,31],[112,30]]]`, `"DLBM"`, `"0101"`, `{"type":"Point","coordinates":[]}`,
		`{"type":"MultiPolygon","coordinates":[[]]}`, `{"type":"Polygon","coordinates":[[]]}`, `{"type":"GeometryCollection","geometries":[]}`, `"id"`, `true`}
	paths := []string{"/api/v1/layers/dltb/features", "/api/v1/layers/dltb/features/1", "/api/v1/layers/dltb/features/99999", "/api/v1/layers/jtlw/features", "/api/v1/layers/dzzhd/features"}
	for i := 0; i < 600; i++ {
		var b bytes.Buffer
		if i%3 == 0 {
			b.WriteString(`{"type":"Feature","geometry":`)
		}
		for j := 0; j < 1+r.IntN(12); j++ {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		method := []string{"POST", "PUT", "DELETE", "GET"}[r.IntN(4)]
		p := paths[r.IntN(len(paths))]
		res := ts.do(t, method, p, b.String())
		if res.status >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, p, b.String(), res.status, res.body)
		}
		if res.status >= 400 {
			errorOf(t, res)
		}
	}
	// Geometry edge cases that must be refused cleanly.
	for _, g := range []string{
		`{"type":"Polygon","coordinates":[]}`, `{"type":"Polygon","coordinates":[[]]}`, `{"type":"MultiPolygon","coordinates":[]}`,
		`{"type":"MultiPolygon","coordinates":[[[]]]}`, `{"type":"LineString","coordinates":[]}`, `{"type":"Point","coordinates":[]}`,
		`{"type":"GeometryCollection","geometries":[]}`, `{"type":"Polygon","coordinates":[[[112,30],[112,30],[112,30],[112,30]]]}`,
	} {
		res := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(g, ""))
		if res.status != 400 && res.status != 422 {
			t.Errorf("%s: status %d %s", g, res.status, res.body)
		}
	}
}
