package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
	"github.com/onemap/onemap/spatial/region"
	"github.com/onemap/onemap/spatial/supervise"
)

// demoGeoPackage writes the demo dataset (scale 3000) into a new
// GeoPackage, ids as the index has them.
func demoGeoPackage(t *testing.T, d *demotest.Dataset) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo.gpkg")
	st, err := gpkg.Open(context.Background(), path, d.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, l := range d.Catalog.Layers {
		fs := d.Features[l.ID]
		if _, err := st.Import(context.Background(), l.ID, func(yield func(*layers.Feature, error) bool) {
			for _, f := range fs {
				if !yield(f, nil) {
					return
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// startWithSupervision serves the GeoPackage with a supervision engine
// that keeps its checks in the store, once its verdicts are computed.
func startWithSupervision(t *testing.T, path string) *testServer {
	t.Helper()
	return startWith(t, path, func(cfg *Config) {
		e, err := supervise.NewEngine(cfg.Index, supervise.Options{Checks: cfg.Store.(layers.CheckStore), Log: quiet, Regions: region.New(cfg.Index)})
		if err != nil {
			t.Fatal(err)
		}
		waitReady(t, e)
		cfg.Supervision, cfg.Log = e, quiet
	})
}

func patchProps(t *testing.T, ts *testServer, id int64) map[string]any {
	t.Helper()
	r := ts.do(t, "GET", fmt.Sprintf("/api/v1/supervision/patches/%d", id), "")
	if r.status != http.StatusOK {
		t.Fatalf("patch %d: %d %s", id, r.status, r.body)
	}
	return r.json(t)["properties"].(map[string]any)
}

// TestFieldChecksAndHistory: checks are kept beside the verdicts (never
// changing them), filter and flag disagreement, survive a restart and
// appear in the audit trail; feature edits appear there with who and when.
func TestFieldChecksAndHistory(t *testing.T) {
	d := demotest.Load(t, 1, 3000)
	path := demoGeoPackage(t, d)
	ts := startWithSupervision(t, path)

	pick := func(kind string) fixtures.Case {
		for _, c := range d.Manifest.Cases {
			if c.Layer == "wpbhtb" && c.Kind == kind {
				return c
			}
		}
		t.Fatalf("no %s patch", kind)
		return fixtures.Case{}
	}
	a, b, c := pick("unapproved_in_boundary"), pick("legal"), pick("on_red_line")
	put := func(id int64, body string) response {
		t.Helper()
		return ts.do(t, "PUT", fmt.Sprintf("/api/v1/supervision/patches/%d/check", id), body)
	}
	r := put(a.ID, `{"result":"confirmed_illegal","comment":"现场已硬化"}`)
	if r.status != http.StatusOK {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
	r = put(a.ID, `{"result":"confirmed_legal","comment":"补办手续中，暂认定合法"}`)
	if m := r.json(t); r.status != http.StatusOK || m["verdict"] != "unapproved" || m["check_disagrees"] != true {
		t.Fatalf("second check of %d: %d %s", a.ID, r.status, r.body)
	}
	put(b.ID, `{"result":"confirmed_illegal"}`)
	put(c.ID, `{"result":"rectifying","comment":"责令恢复"}`)

	p := patchProps(t, ts, a.ID)
	check := p["check"].(map[string]any)
	if p["verdict"] != "unapproved" || check["result"] != "confirmed_legal" || check["user"] != layers.Anonymous || check["at"] == "" {
		t.Errorf("patch %d: verdict %v, check %v", a.ID, p["verdict"], check)
	}
	if hist := p["checks"].([]any); len(hist) != 2 || hist[0].(map[string]any)["comment"] != "现场已硬化" {
		t.Errorf("patch %d check history %v", a.ID, hist)
	}
	list := func(q string) []int64 {
		return featureIDs(t, ts.do(t, "GET", "/api/v1/supervision/patches?limit=10000&"+q, "").json(t))
	}
	if got, want := list("check=disagrees"), sortedIDs(a.ID, b.ID); !slices.Equal(got, want) {
		t.Errorf("check=disagrees: %v, want %v", got, want)
	}
	if got := list("check=rectifying"); !slices.Equal(got, []int64{c.ID}) {
		t.Errorf("check=rectifying: %v", got)
	}
	if got := list("check=none"); len(got) != len(d.Features["wpbhtb"])-3 {
		t.Errorf("check=none: %d patches", len(got))
	}
	for _, bad := range []struct {
		body   string
		status int
	}{{`{"result":"looks_fine"}`, http.StatusUnprocessableEntity}, {`{"result":"other","extra":1}`, http.StatusBadRequest},
		{`{"result":"other","comment":"` + strings.Repeat("长", layers.MaxCheckComment+1) + `"}`, http.StatusUnprocessableEntity}} {
		if r := put(a.ID, bad.body); r.status != bad.status {
			t.Errorf("check %.40s: %d %s, want %d", bad.body, r.status, r.body, bad.status)
		}
	}
	if r := put(999999, `{"result":"other"}`); r.status != http.StatusNotFound {
		t.Errorf("check of an unknown patch: %d", r.status)
	}

	// An edit: the audit trail names it.
	appr := d.Features["jsydsp"][0]
	props := d.Catalog.Layer("jsydsp").Properties(appr)
	props["PZJG"] = "省人民政府"
	body := fmt.Sprintf(`{"type":"Feature","geometry":%s,"properties":%s}`, mustJSON(t, appr.Geometry), mustJSON(t, props))
	if r := ts.do(t, "PUT", fmt.Sprintf("/api/v1/layers/jsydsp/features/%d", appr.ID), body); r.status != http.StatusOK {
		t.Fatalf("edit approval: %d %s", r.status, r.body)
	}
	h := ts.do(t, "GET", fmt.Sprintf("/api/v1/layers/jsydsp/features/%d/history", appr.ID), "").json(t)
	revs := h["revisions"].([]any)
	if len(revs) != 1 {
		t.Fatalf("history of approval %d: %v", appr.ID, h)
	}
	rev := revs[0].(map[string]any)
	if rev["op"] != "replace" || rev["user"] != layers.Anonymous || rev["old"].(map[string]any)["version"].(float64) != 1 ||
		rev["new"].(map[string]any)["properties"].(map[string]any)["PZJG"] != "省人民政府" {
		t.Errorf("revision %v", rev)
	}
	if r := ts.do(t, "GET", "/api/v1/layers/jsydsp/features/999999/history", ""); r.status != http.StatusNotFound {
		t.Errorf("history of an unknown feature: %d", r.status)
	}
	if r := ts.do(t, "GET", fmt.Sprintf("/api/v1/layers/jsydsp/features/%d/history?f=csv", appr.ID), ""); r.status != 200 || !strings.HasPrefix(string(r.body), "\uFEFF类型") {
		t.Errorf("history CSV: %d %.60s", r.status, r.body)
	}

	// Restart: the checks are still there, in the patch's audit trail too.
	ts.stop()
	ts = startWithSupervision(t, path)
	p = patchProps(t, ts, a.ID)
	if check := p["check"].(map[string]any); check["result"] != "confirmed_legal" || p["check_disagrees"] != true {
		t.Errorf("after restart: check %v, disagrees %v", check, p["check_disagrees"])
	}
	if got, want := list("check=disagrees"), sortedIDs(a.ID, b.ID); !slices.Equal(got, want) {
		t.Errorf("after restart, check=disagrees: %v, want %v", got, want)
	}
	h = ts.do(t, "GET", fmt.Sprintf("/api/v1/layers/wpbhtb/features/%d/history", a.ID), "").json(t)
	if cs, _ := h["checks"].([]any); len(cs) != 2 || cs[1].(map[string]any)["result"] != "confirmed_legal" {
		t.Errorf("after restart, the patch's audit trail: %v", h)
	}
}

func sortedIDs(ids ...int64) []int64 {
	slices.Sort(ids)
	return ids
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	if g, ok := v.(orb.Geometry); ok {
		v = geojson.NewGeometry(g)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
