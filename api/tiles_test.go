package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/tiles/cache"
)

// TestTiles: a tile over created parcels decodes with their ids; an edit
// shows in the next tile; empty tiles are 204; bad requests get JSON errors.
func TestTiles(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 4) // 0.005° squares at 112.00, 112.01, 112.02, 112.03 (lat 30)
	tile := maptile.At(orb.Point{112.0025, 30.0025}, 12)
	path := fmt.Sprintf("/tiles/dltb/%d/%d/%d", tile.Z, tile.X, tile.Y)
	ids := func(ext string) map[uint64]bool {
		t.Helper()
		r := ts.do(t, "GET", path+ext, "")
		if r.status != 200 || r.header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
			t.Fatalf("%s: %d %s %s", path+ext, r.status, r.header.Get("Content-Type"), r.body)
		}
		ls, err := mvt.Unmarshal(r.body)
		if err != nil || len(ls) != 1 || ls[0].Name != "dltb" {
			t.Fatalf("tile decodes as %v, %v", ls, err)
		}
		out := map[uint64]bool{}
		for _, f := range ls[0].Features {
			out[uint64(f.ID.(float64))] = true
		}
		return out
	}
	got := ids(".mvt")
	if len(got) != 4 || !got[1] || !got[4] {
		t.Fatalf("tile holds parcels %v, want 1–4", got)
	}
	if r := ts.do(t, "DELETE", "/api/v1/layers/dltb/features/2", ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if got := ids(".pbf"); len(got) != 3 || got[2] {
		t.Fatalf("after deleting 2 the tile holds %v", got)
	}
	far := maptile.At(orb.Point{100, 20}, 12)
	for _, c := range []struct {
		path   string
		status int
	}{
		{fmt.Sprintf("/tiles/dltb/%d/%d/%d.mvt", far.Z, far.X, far.Y), 204},
		{fmt.Sprintf("/tiles/dltb,yjjbnt/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y), 200},
		{"/tiles/nosuch/0/0/0.mvt", 404},
		{"/tiles/bdcdj/0/0/0.mvt", 401},
		{"/tiles/dltb,dltb/0/0/0.mvt", 400},
		{"/tiles/dltb,/0/0/0.mvt", 400},
		{"/tiles/dltb/25/0/0.mvt", 400},
		{"/tiles/dltb/2/4/0.mvt", 400},
		{"/tiles/dltb/a/0/0.mvt", 400},
		{"/tiles/dltb/1/+1/0.mvt", 400}, // found by FuzzTileAddress: one tile, one address
		{"/tiles/dltb/0/0/0.png", 404},
		{"/tiles/dltb/0/0/0", 404},
	} {
		r := ts.do(t, "GET", c.path, "")
		if r.status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.path, r.status, c.status, r.body)
		}
		if c.status >= 400 {
			errorOf(t, r)
		}
	}
}

// startCached is start with a tile cache of 1 MiB.
func startCached(t *testing.T) (*testServer, *cache.Cache) {
	t.Helper()
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "t.gpkg"), cat)
	if err != nil {
		t.Fatal(err)
	}
	idx := spatial.NewIndex(cat)
	if _, err := idx.Load(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	c := cache.New(1 << 20)
	srv := httptest.NewServer(New(Config{Catalog: cat, Index: idx, Editor: spatial.NewEditor(idx, st), Store: st,
		MaxBody: 1 << 20, Tiles: tiles.NewSource(idx, nil, c), Policy: auth.Policy{Demo: true}}))
	ts := &testServer{Server: srv, store: st, idx: idx}
	t.Cleanup(ts.stop)
	return ts, c
}

// TestTileCacheAndValidators: ETag, 304, gzip only when accepted, and an
// edit evicts exactly the cached tile it touches: the next fetch is fresh,
// an unrelated cached tile is still served from the cache (counted).
func TestTileCacheAndValidators(t *testing.T) {
	ts, c := startCached(t)
	seed(t, ts, 4) // parcels 1–4 near 112.0°E 30.0°N
	if r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(113, 31, 0.005), "")); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	near := maptile.At(orb.Point{112.0025, 30.0025}, 12)
	far := maptile.At(orb.Point{113.0025, 31.0025}, 12)
	pathOf := func(tl maptile.Tile) string { return fmt.Sprintf("/tiles/dltb/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y) }
	get := func(tl maptile.Tile, header ...string) response {
		t.Helper()
		return ts.do(t, "GET", pathOf(tl), "", append([]string{"Accept-Encoding", "identity"}, header...)...)
	}
	r := get(near)
	tag := r.header.Get("ETag")
	if r.status != 200 || tag == "" || r.header.Get("Content-Encoding") != "" {
		t.Fatalf("first fetch: %d %v", r.status, r.header)
	}
	for k, want := range map[string]string{"Vary": "Accept-Encoding", "Access-Control-Allow-Origin": "*", "Cache-Control": "public, no-cache"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	before := c.Stats()
	if r := get(near, "If-None-Match", tag); r.status != 304 || len(r.body) != 0 || r.header.Get("ETag") != tag {
		t.Fatalf("revalidation: %d %v", r.status, r.header)
	}
	if c.Stats().Hits != before.Hits+1 {
		t.Fatalf("the revalidation did not come from the cache: %+v", c.Stats())
	}
	// gzip only when accepted, with its own ETag.
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	req, _ := http.NewRequest("GET", ts.URL+pathOf(near), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := raw.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("ETag") == tag || res.Header.Get("ETag") == "" {
		t.Fatalf("gzip: %v", res.Header)
	}
	if r := get(far); r.status != 200 {
		t.Fatalf("far tile: %d", r.status)
	}
	// An edit in the near tile: exactly that tile goes.
	before = c.Stats()
	if r := ts.do(t, "DELETE", "/api/v1/layers/dltb/features/2", ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if got := c.Stats().Invalidated - before.Invalidated; got != 1 {
		t.Fatalf("the edit evicted %d tiles, want 1", got)
	}
	before = c.Stats()
	if r := get(far); r.status != 200 || c.Stats().Hits != before.Hits+1 {
		t.Fatalf("the unrelated tile was not served from the cache: %d %+v", r.status, c.Stats())
	}
	r = get(near, "If-None-Match", tag)
	if r.status != 200 || r.header.Get("ETag") == tag {
		t.Fatalf("after the edit: %d, etag %s (was %s)", r.status, r.header.Get("ETag"), tag)
	}
	ls, err := mvt.Unmarshal(r.body)
	if err != nil || len(ls) != 1 || len(ls[0].Features) != 3 {
		t.Fatalf("after the edit the tile holds %v (%v)", ls, err)
	}
}

func TestWriteTile(t *testing.T) {
	e := cache.NewEntry([]byte("a tile, not a real one"))
	for _, c := range []struct {
		accept  string
		gzip    bool
		private bool
	}{
		{"", false, false},
		{"gzip", true, false},
		{"gzip, deflate, br", true, true},
		{"gzip;q=0, *", false, false},
		{"*", true, false},
		{"br", false, false},
		{"x-gzip;q=0.5", true, false},
	} {
		req := httptest.NewRequest("GET", "/tiles/x/1/1/1.mvt", nil)
		if c.accept != "" {
			req.Header.Set("Accept-Encoding", c.accept)
		}
		w := httptest.NewRecorder()
		writeTile(w, req, e, c.private)
		gz := w.Header().Get("Content-Encoding") == "gzip"
		if w.Code != 200 || gz != c.gzip {
			t.Errorf("%q: %d gzip=%v", c.accept, w.Code, gz)
		}
		if vary := w.Header().Get("Vary"); c.private != strings.Contains(vary, "Authorization") || !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("%q private=%v: Vary %q", c.accept, c.private, vary)
		}
		if cc := w.Header().Get("Cache-Control"); c.private != strings.HasPrefix(cc, "private") {
			t.Errorf("Cache-Control %q", cc)
		}
		// The tag sent matches the bytes sent.
		want := e.ETag()
		if gz {
			want = e.Gzipped().ETag[0]
		}
		if w.Header().Get("ETag") != want {
			t.Errorf("%q: etag %s, want %s", c.accept, w.Header().Get("ETag"), want)
		}
		for _, inm := range []string{want, "W/" + want, `"other", ` + want, "*"} {
			req.Header.Set("If-None-Match", inm)
			w := httptest.NewRecorder()
			writeTile(w, req, e, c.private)
			if w.Code != 304 {
				t.Errorf("If-None-Match %s: %d", inm, w.Code)
			}
		}
		req.Header.Set("If-None-Match", `"other"`)
		w = httptest.NewRecorder()
		writeTile(w, req, e, c.private)
		if w.Code != 200 {
			t.Errorf("If-None-Match other: %d", w.Code)
		}
	}
	w := httptest.NewRecorder()
	writeTile(w, httptest.NewRequest("GET", "/", nil), cache.NewEntry(nil), false)
	if w.Code != 204 {
		t.Fatalf("empty tile: %d", w.Code)
	}
}

func TestTileJSONAndStyle(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 2)
	r := ts.do(t, "GET", "/tiles/dltb.json", "", "X-Forwarded-Proto", "https")
	var tj struct {
		TileJSON     string     `json:"tilejson"`
		Tiles        []string   `json:"tiles"`
		Bounds       [4]float64 `json:"bounds"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal(r.body, &tj); err != nil || r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	host := strings.TrimPrefix(ts.URL, "http://")
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != "https://"+host+"/tiles/dltb/{z}/{x}/{y}.mvt" {
		t.Fatalf("tilejson %s", r.body)
	}
	if tj.Bounds[0] != 112 || tj.Bounds[1] != 30 || len(tj.VectorLayers) != 1 || tj.VectorLayers[0].Fields["DLBM"] != "String" {
		t.Fatalf("tilejson %s", r.body)
	}
	for path, status := range map[string]int{"/tiles/dltb,jtlw.json": 200, "/tiles/nosuch.json": 404, "/tiles/bdcdj.json": 401, "/tiles/dltb": 404} {
		if r := ts.do(t, "GET", path, ""); r.status != status {
			t.Errorf("%s: %d, want %d", path, r.status, status)
		}
	}
	r = ts.do(t, "GET", "/style.json", "")
	var st struct {
		Version int                        `json:"version"`
		Sources map[string]json.RawMessage `json:"sources"`
	}
	if err := json.Unmarshal(r.body, &st); err != nil || r.status != 200 || st.Version != 8 {
		t.Fatalf("style: %d %s", r.status, r.body)
	}
	if _, ok := st.Sources["bdcdj"]; ok || st.Sources["dltb"] == nil {
		t.Fatalf("style sources: restricted layer in, or dltb out: %v", st.Sources)
	}
}
