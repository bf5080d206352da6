package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

type testServer struct {
	*httptest.Server
	store layers.Store
	idx   *spatial.Index
	path  string
}

func (ts *testServer) stop() {
	if ts.Server != nil {
		ts.Server.Close()
		ts.store.Close()
		ts.Server = nil
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d, body is not JSON: %v\n%s", r.status, err, r.body)
	}
	return m
}

func (ts *testServer) do(t *testing.T, method, path string, body string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json") // unless the test says otherwise
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func squareJSON(x, y, s float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`, x, y, x+s, y, x+s, y+s, x, y+s, x, y)
}

func parcelJSON(geom string, props string) string {
	if props == "" {
		props = `{"DLBM":"0101","DLMC":"水田","ZLDWDM":"429901001001","TBMJ":1000.5,"SJNF":2024}`
	}
	return fmt.Sprintf(`{"type":"Feature","geometry":%s,"properties":%s}`, geom, props)
}

func errorOf(t *testing.T, r response) map[string]any {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok || e["code"] == nil || e["message"] == nil {
		t.Fatalf("status %d: no JSON error body: %s", r.status, r.body)
	}
	return e
}
