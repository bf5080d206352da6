package api

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestPositionsAreNeverFilledIn: a position with fewer than 2 or more than
// 3 numbers is refused with a 400 naming it, and nothing is stored.
func TestPositionsAreNeverFilledIn(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 1)
	hazard := func(geom string) string {
		return `{"type":"Feature","geometry":` + geom + `,"properties":{"ZHLX":"滑坡"}}`
	}
	cases := []struct{ layer, body, mention string }{
		{"dzzhd", hazard(`{"type":"Point","coordinates":[]}`), "0 numbers"},
		{"dzzhd", hazard(`{"type":"Point","coordinates":[112.95]}`), "1 numbers"},
		{"dzzhd", hazard(`{"type":"Point","coordinates":[112.95,30.1,5,7]}`), "4 numbers"},
		{"dltb", parcelJSON(`{"type":"Polygon","coordinates":[[[112,30],[112.01,30],[112.95],[112,30.01],[112,30]]]}`, ""), "ring 0, vertex 2"},
		{"dltb", parcelJSON(`{"type":"MultiPolygon","coordinates":[[[[112,30],[112.01,30],[112.01,30.01],[112],[112,30]]]]}`, ""), "polygon 0, ring 0, vertex 3"},
		{"jtlw", `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[112,30],[]]},"properties":{"DLDJ":"县道"}}`, "vertex 1"},
		{"dzzhd", hazard(`{"type":"Point","coordinates":[1e400,30]}`), "not a finite number"},
	}
	snapBefore := ts.idx.Snapshot()
	for _, c := range cases {
		r := ts.do(t, "POST", "/api/v1/layers/"+c.layer+"/features", c.body)
		if r.status != 400 || !strings.Contains(string(r.body), c.mention) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", c.body, r.status, r.body, c.mention)
		}
	}
	for _, layer := range []string{"dzzhd", "dltb", "jtlw"} {
		n, _ := ts.store.Count(context.Background(), layer)
		if int(n) != snapBefore.Count(layer) || ts.idx.Snapshot().Count(layer) != snapBefore.Count(layer) {
			t.Errorf("%s: refused writes stored something (store %d, index %d, before %d)", layer, n, ts.idx.Snapshot().Count(layer), snapBefore.Count(layer))
		}
	}
	b, _ := snapBefore.Bound("dltb")
	if a, _ := ts.idx.Snapshot().Bound("dltb"); a != b {
		t.Errorf("dltb bounds grew from %v to %v", b, a)
	}
	// A height is accepted and dropped (the layers are 2D).
	r := ts.do(t, "POST", "/api/v1/layers/dzzhd/features", hazard(`{"type":"Point","coordinates":[112.95,30.1,42]}`))
	if r.status != 201 || !strings.Contains(string(r.body), `"coordinates":[112.95,30.1]`) {
		t.Fatalf("point with height: %d %s", r.status, r.body)
	}
}

// TestAttributesExactly: NUL and empty required strings are refused;
// integers are stored exactly or refused, never rounded.
func TestAttributesExactly(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	sq := squareJSON(112.1, 30.1, 0.002)
	refused := []struct{ props, mention string }{
		{`{"DLBM":"01\u00000","ZLDWDM":"429901001001"}`, "NUL"},
		{`{"DLBM":"","ZLDWDM":"429901001001"}`, "DLBM: required field is empty"},
		{`{"DLBM":"0101","ZLDWDM":"429901001001","SJNF":2024.5}`, "SJNF: must be an integer"},
		{`{"DLBM":"0101","ZLDWDM":"429901001001","SJNF":9223372036854775808}`, "outside the range"},
		{`{"DLBM":"0101","ZLDWDM":"429901001001","SJNF":1e400}`, "SJNF"},
		{`{"DLBM":"0101","ZLDWDM":"429901001001","TBMJ":1e400}`, "TBMJ: must be a finite number"},
		{`{"DLBM":"0101","ZLDWDM":"429901001001","SJNF":1e-50}`, "SJNF: must be an integer"},
	}
	for _, c := range refused {
		r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(sq, c.props))
		if r.status != 422 || !strings.Contains(string(r.body), c.mention) {
			t.Errorf("%s: %d %s, want 422 mentioning %q", c.props, r.status, r.body, c.mention)
		}
	}
	if n, _ := ts.store.Count(context.Background(), "dltb"); n != 0 {
		t.Fatalf("%d refused features stored", n)
	}
	kept := []struct{ given, stored string }{
		{"9007199254740993", "9007199254740993"}, // 2^53+1: a float64 would round it to …992
		{"-9223372036854775808", "-9223372036854775808"},
		{"2.024e3", "2024"},
		{"2024.0", "2024"},
	}
	for _, c := range kept {
		r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(sq, `{"DLBM":"0101","ZLDWDM":"429901001001","SJNF":`+c.given+`}`))
		if r.status != 201 {
			t.Fatalf("SJNF %s: %d %s", c.given, r.status, r.body)
		}
		id := int64(r.json(t)["id"].(float64))
		g := ts.do(t, "GET", fmt.Sprintf("/api/v1/layers/dltb/features/%d", id), "")
		if !strings.Contains(string(g.body), `"SJNF":`+c.stored+`,`) && !strings.Contains(string(g.body), `"SJNF":`+c.stored+`}`) {
			t.Errorf("SJNF %s came back as %s", c.given, g.body)
		}
	}
}

func TestQueryStringThatDoesNotParse(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 3)
	for _, q := range []string{"bbox=112.9;30.7;113;30.8", "limit=1;offset=2", "bbox=%zz"} {
		r := ts.do(t, "GET", "/api/v1/layers/dltb/features?"+q, "")
		if r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
		errorOf(t, r)
	}
}

// TestLoadingAnswers503: until the index is loaded, data routes and writes
// answer 503 with Retry-After, and nothing is stored.
func TestLoadingAnswers503(t *testing.T) {
	var ready atomic.Bool
	ts := startWith(t, filepath.Join(t.TempDir(), "t.gpkg"), func(c *Config) { c.Ready = &ready })
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/api/v1/layers", ""},
		{"GET", "/api/v1/layers/dltb", ""},
		{"GET", "/api/v1/layers/dltb/features", ""},
		{"GET", "/api/v1/layers/dltb/features/1", ""},
		{"GET", "/tiles/dltb/12/3370/1683.mvt", ""},
		{"POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(112, 30, 0.01), "")},
		{"PUT", "/api/v1/layers/dltb/features/1", parcelJSON(squareJSON(112, 30, 0.01), "")},
		{"DELETE", "/api/v1/layers/dltb/features/1", ""},
		{"GET", "/readyz", ""},
	} {
		r := ts.do(t, req.method, req.path, req.body)
		if r.status != 503 || r.header.Get("Retry-After") == "" {
			t.Errorf("%s %s while loading: %d (Retry-After %q) %s", req.method, req.path, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	if r := ts.do(t, "GET", "/healthz", ""); r.status != 200 {
		t.Fatalf("healthz while loading: %d", r.status)
	}
	if n, _ := ts.store.Count(context.Background(), "dltb"); n != 0 {
		t.Fatalf("a write during loading stored %d features", n)
	}
	ready.Store(true)
	if r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(112, 30, 0.01), "")); r.status != 201 {
		t.Fatalf("after loading: %d %s", r.status, r.body)
	}
}

func TestProtocolDetails(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 1)
	body := parcelJSON(squareJSON(112.1, 30.1, 0.002), "")

	// Location carries no query string of the request.
	r := ts.do(t, "POST", "/api/v1/layers/dltb/features?repair=true", body)
	loc := r.header.Get("Location")
	if r.status != 201 || strings.Contains(loc, "?") || !strings.HasSuffix(loc, fmt.Sprintf("/api/v1/layers/dltb/features/%d", int64(r.json(t)["id"].(float64)))) {
		t.Fatalf("Location %q", loc)
	}
	// Writes take JSON only.
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/jsonx"} {
		r := ts.do(t, "POST", "/api/v1/layers/dltb/features", body, "Content-Type", ct)
		if r.status != 415 {
			t.Errorf("Content-Type %q: %d", ct, r.status)
		}
	}
	if r := ts.do(t, "POST", "/api/v1/layers/dltb/features", body, "Content-Type", "application/geo+json; charset=utf-8"); r.status != 201 {
		t.Errorf("geo+json with charset: %d %s", r.status, r.body)
	}
	// HEAD on GET routes.
	for _, p := range []string{"/healthz", "/readyz", "/api/v1/layers", "/api/v1/layers/dltb/features?limit=1", "/api/v1/layers/dltb/features/1"} {
		r := ts.do(t, "HEAD", p, "")
		if r.status != 200 || len(r.body) != 0 {
			t.Errorf("HEAD %s: %d, %d body bytes", p, r.status, len(r.body))
		}
	}
	// A trailing slash is a JSON 404, not an HTML redirect.
	r = ts.do(t, "GET", "/api/v1/layers/", "")
	if r.status != 404 || !strings.Contains(string(r.body), "trailing slash") {
		t.Fatalf("trailing slash: %d %s", r.status, r.body)
	}
	errorOf(t, r)
	// Tiles past the catalogue's maxzoom are refused with a reason.
	r = ts.do(t, "GET", "/tiles/dltb/23/0/0.mvt", "")
	if r.status != 404 || !strings.Contains(string(r.body), "22") {
		t.Fatalf("z23 tile: %d %s", r.status, r.body)
	}
	// The catalogue shows string lengths and the vertex cap.
	r = ts.do(t, "GET", "/api/v1/layers/dltb", "")
	if !strings.Contains(string(r.body), `"max_length":5`) || !strings.Contains(string(r.body), `"max_vertices":`) {
		t.Fatalf("catalogue entry lacks limits: %s", r.body)
	}
	// Restricted layers show neither size nor extent.
	r = ts.do(t, "GET", "/api/v1/layers/bdcdj", "")
	if m := r.json(t); m["count"] != nil || m["bounds"] != nil {
		t.Fatalf("restricted layer shows count %v bounds %v", m["count"], m["bounds"])
	}
	// The 413 names the limit.
	r = ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(112, 30, 0.01), `{"DLBM":"`+strings.Repeat("x", 2<<20)+`"}`))
	if r.status != 413 || !strings.Contains(string(r.body), "1 MiB") {
		t.Fatalf("413: %d %s", r.status, r.body)
	}
}

func TestIfMatchAsRFC9110(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 1)
	url := "/api/v1/layers/dltb/features/1"
	body := parcelJSON(squareJSON(112.2, 30.2, 0.002), "")
	for _, h := range []string{`"1`, `1"`, `""1""`, `1`, `"1" "2"`, `"1",`, `W/1`, `"a b"`} {
		if r := ts.do(t, "PUT", url, body, "If-Match", h); r.status != 400 {
			t.Errorf("If-Match %s: %d %s", h, r.status, r.body)
		}
	}
	// A weak tag never matches: answered like a stale version.
	if r := ts.do(t, "PUT", url, body, "If-Match", `W/"1"`); r.status != 409 {
		t.Errorf(`W/"1": %d %s`, r.status, r.body)
	}
	if r := ts.do(t, "PUT", url, body, "If-Match", `"7", "9"`); r.status != 409 {
		t.Errorf(`"7", "9": %d %s`, r.status, r.body)
	}
	// A list that names the current version matches.
	if r := ts.do(t, "PUT", url, body, "If-Match", `"7", "1"`); r.status != 200 || r.header.Get("ETag") != `"2"` {
		t.Fatalf(`"7", "1": %d %s`, r.status, r.body)
	}
	if r := ts.do(t, "PUT", url, body, "If-Match", `*`); r.status != 200 {
		t.Fatalf(`*: %d %s`, r.status, r.body)
	}
	if r := ts.do(t, "DELETE", url, "", "If-Match", `"3"`); r.status != 204 {
		t.Fatalf(`delete "3": %d %s`, r.status, r.body)
	}
}

// TestLinksFollowOneRule: X-Forwarded-* count only from trusted proxies;
// --public-url pins every link.
func TestLinksFollowOneRule(t *testing.T) {
	fwd := []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example"}
	next := func(ts *testServer) string {
		r := ts.do(t, "GET", "/api/v1/layers/dltb/features?limit=1", "", fwd...)
		for _, l := range r.json(t)["links"].([]any) {
			if l.(map[string]any)["rel"] == "next" {
				return l.(map[string]any)["href"].(string)
			}
		}
		t.Fatalf("no next link: %s", r.body)
		return ""
	}
	untrusting := startWith(t, filepath.Join(t.TempDir(), "a.gpkg"), func(c *Config) { c.TrustedProxies = []netip.Prefix{} })
	seed(t, untrusting, 2)
	if h := next(untrusting); !strings.HasPrefix(h, untrusting.URL+"/") {
		t.Errorf("untrusted X-Forwarded-Host went into a link: %s", h)
	}
	trusting := start(t, filepath.Join(t.TempDir(), "b.gpkg")) // loopback is trusted by default
	seed(t, trusting, 2)
	if h := next(trusting); !strings.HasPrefix(h, "https://evil.example/api/v1/layers/dltb/features?") {
		t.Errorf("trusted proxy's headers not used: %s", h)
	}
	pub, _ := url.Parse("https://map.example.gov.cn/onemap")
	pinned := startWith(t, filepath.Join(t.TempDir(), "c.gpkg"), func(c *Config) { c.PublicURL = pub })
	seed(t, pinned, 2)
	if h := next(pinned); !strings.HasPrefix(h, "https://map.example.gov.cn/onemap/api/v1/layers/dltb/features?") {
		t.Errorf("public URL not used: %s", h)
	}
	r := pinned.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(112.5, 30.5, 0.001), ""))
	if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "https://map.example.gov.cn/onemap/api/v1/layers/dltb/features/") {
		t.Errorf("Location %s", loc)
	}
}

// TestErrorsSpeakTheClientsLanguage: no repeated error chains, no Go type
// names, no internal text in 503s.
func TestErrorsSpeakTheClientsLanguage(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 1)
	r := ts.do(t, "PUT", "/api/v1/layers/dltb/features/999999", parcelJSON(squareJSON(112, 30, 0.01), ""))
	if r.status != 404 || errorOf(t, r)["message"] != "no feature 999999 in layer dltb" {
		t.Errorf("replace missing: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "DELETE", "/api/v1/layers/dltb/features/999999", ""); r.status != 404 || errorOf(t, r)["message"] != "no feature 999999 in layer dltb" {
		t.Errorf("delete missing: %d %s", r.status, r.body)
	}
	for _, body := range []string{`{"type":"Feature","id":"x"}`, `{"type":"Feature","properties":[1]}`, `{"type":7}`, `[]`, `{"type":"Feature"} x`} {
		r := ts.do(t, "POST", "/api/v1/layers/dltb/features", body)
		msg := errorOf(t, r)["message"].(string)
		if r.status != 400 || strings.Contains(msg, "Go ") || strings.Contains(msg, "featureJSON") || strings.Contains(msg, "json:") || strings.Contains(msg, "int64") {
			t.Errorf("%s: %d %q", body, r.status, msg)
		}
	}
	ts.store.Close() // the store is gone: writes fail, and say so plainly
	r = ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(112.3, 30.3, 0.001), ""))
	msg := errorOf(t, r)["message"].(string)
	if r.status != 503 || strings.Contains(msg, "gpkg") || strings.Contains(msg, "sql") {
		t.Errorf("closed store: %d %q", r.status, msg)
	}
}

// TestVertexCap: a feature over its layer's vertex cap is refused before
// GEOS sees it, with the cap in the message.
func TestVertexCap(t *testing.T) {
	ts := startWith(t, filepath.Join(t.TempDir(), "t.gpkg"), func(c *Config) { c.Catalog.Layer("dltb").MaxVertices = 20 })
	var pts []string
	for i := range 30 {
		pts = append(pts, fmt.Sprintf("[%g,30]", 112+float64(i)*0.0001))
	}
	pts = append(pts, "[112.003,30.01]", "[112,30]")
	r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(`{"type":"Polygon","coordinates":[[`+strings.Join(pts, ",")+`]]}`, ""))
	if r.status != 422 || !strings.Contains(string(r.body), "32 vertices, more than the 20") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// TestNoRequestHangsOnHTTPMethods is a guard on the method table.
func TestMethodNotAllowedIsJSON(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	r := ts.do(t, "PATCH", "/api/v1/layers/dltb/features", "")
	if r.status != http.StatusMethodNotAllowed {
		t.Fatalf("%d", r.status)
	}
	errorOf(t, r)
}

// TestRepairMendsRings: with repair, a ring that does not close is closed
// and a degenerate hole dropped; without it both are refused.
func TestRepairMendsRings(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	open := `{"type":"Polygon","coordinates":[[[112,30],[112.01,30],[112.01,30.01],[112,30.01]],[[112.002,30.002],[112.003,30.003],[112.002,30.002]]]}`
	if r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(open, "")); r.status != 422 {
		t.Fatalf("without repair: %d %s", r.status, r.body)
	}
	r := ts.do(t, "POST", "/api/v1/layers/dltb/features?repair=true", parcelJSON(open, ""))
	if r.status != 201 || r.json(t)["repaired"] != true {
		t.Fatalf("with repair: %d %s", r.status, r.body)
	}
	g := r.json(t)["geometry"].(map[string]any)["coordinates"].([]any)
	if len(g) != 1 || len(g[0].([]any)) != 1 || len(g[0].([]any)[0].([]any)) != 5 {
		t.Fatalf("repaired geometry %v", g)
	}
}
