package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/spatial/region"
	"github.com/onemap/onemap/spatial/supervise"
)

// startSupervision serves the demo (scale 3000) with a supervision engine
// that is not started yet.
func startSupervision(t *testing.T) (*testServer, *demotest.Dataset, *supervise.Engine) {
	t.Helper()
	d := demotest.Load(t, 1, 3000)
	e, err := supervise.NewEngine(d.Index, supervise.Options{Log: quiet, Regions: region.New(d.Index)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Catalog: d.Catalog, Index: d.Index, Log: quiet, AsOf: d.Manifest.AsOf, Supervision: e, Policy: auth.Policy{Demo: true}}))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, idx: d.Index}, d, e
}

func waitReady(t *testing.T, e *supervise.Engine) {
	t.Helper()
	e.Start(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

func casesWhere(d *demotest.Dataset, keep func(fixtures.Case) bool) []fixtures.Case {
	var out []fixtures.Case
	for _, c := range d.Manifest.Cases {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

func featureIDs(t *testing.T, m map[string]any) []int64 {
	t.Helper()
	fs, _ := m["features"].([]any)
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = int64(f.(map[string]any)["id"].(float64))
	}
	return out
}

func caseIDs(cs []fixtures.Case) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	slices.Sort(out)
	return out
}

func TestSupervisionAPI(t *testing.T) {
	ts, d, e := startSupervision(t)

	// Until the verdicts are computed: 503 "computing" with Retry-After.
	for _, path := range []string{"/api/v1/supervision/patches", "/api/v1/supervision/summary", "/api/v1/stats/landuse", "/api/v1/supervision/idle"} {
		r := ts.do(t, "GET", path, "")
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || errorOf(t, r)["code"] != "computing" {
			t.Fatalf("%s before the verdicts: %d %s (Retry-After %q)", path, r.status, r.body, r.header.Get("Retry-After"))
		}
	}
	waitReady(t, e)

	// Every patch, then filters that match the manifest.
	m := ts.do(t, "GET", "/api/v1/supervision/patches?limit=10000", "").json(t)
	if int(m["numberMatched"].(float64)) != len(d.Features["wpbhtb"]) {
		t.Errorf("numberMatched %v, %d patches", m["numberMatched"], len(d.Features["wpbhtb"]))
	}
	for _, v := range supervise.Verdicts {
		want := caseIDs(casesWhere(d, func(c fixtures.Case) bool { return c.Layer == "wpbhtb" && c.Verdict == string(v) }))
		got := featureIDs(t, ts.do(t, "GET", "/api/v1/supervision/patches?limit=10000&status="+string(v), "").json(t))
		if !slices.Equal(got, want) {
			t.Errorf("status=%s: %v, manifest %v", v, got, want)
		}
	}
	county := d.Manifest.Counties[1].Code
	for _, reason := range []supervise.Reason{supervise.OccupiesBasicFarmland, supervise.OccupiesRedLine, supervise.OutsideDevelopmentBoundary} {
		want := caseIDs(casesWhere(d, func(c fixtures.Case) bool {
			return c.Layer == "wpbhtb" && c.County == county && slices.Contains(c.Reasons, string(reason))
		}))
		got := featureIDs(t, ts.do(t, "GET", "/api/v1/supervision/patches?limit=10000&region="+county+"&reason="+string(reason), "").json(t))
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("region=%s reason=%s: %v, manifest %v", county, reason, got, want)
		}
	}
	// sort=area: largest first; paging follows next links to the end.
	var areas []float64
	var ids []int64
	next := "/api/v1/supervision/patches?sort=area&limit=7"
	for pages := 0; next != ""; pages++ {
		if pages > 100 {
			t.Fatal("next links never end")
		}
		m := ts.do(t, "GET", next, "").json(t)
		next = ""
		for _, f := range m["features"].([]any) {
			fm := f.(map[string]any)
			ids = append(ids, int64(fm["id"].(float64)))
			areas = append(areas, fm["properties"].(map[string]any)["area"].(map[string]any)["m2"].(float64))
			if fm["geometry"] == nil {
				t.Errorf("patch %v without geometry", fm["id"])
			}
		}
		for _, l := range m["links"].([]any) {
			if lm := l.(map[string]any); lm["rel"] == "next" {
				next = strings.TrimPrefix(lm["href"].(string), ts.URL)
			}
		}
	}
	if len(ids) != len(d.Features["wpbhtb"]) || !slices.IsSortedFunc(areas, func(a, b float64) int { return -cmpFloat(a, b) }) {
		t.Errorf("sort=area over pages: %d patches, areas %v", len(ids), areas)
	}

	// One patch: its evidence names the approvals, supplies and farmland
	// the manifest names, with their areas.
	var c fixtures.Case
	for _, x := range d.Manifest.Cases {
		if x.Layer == "wpbhtb" && x.Kind == "straddles_boundary" {
			c = x
		}
	}
	pm := ts.do(t, "GET", fmt.Sprintf("/api/v1/supervision/patches/%d", c.ID), "").json(t)
	props := pm["properties"].(map[string]any)
	if props["verdict"] != c.Verdict || props["verdict_label"] != "未批先建" {
		t.Errorf("patch %d: %v (%v), manifest %s", c.ID, props["verdict"], props["verdict_label"], c.Verdict)
	}
	evs := props["evidence"].([]any)
	for layer, want := range c.Evidence {
		for i, id := range want {
			found := false
			for _, ev := range evs {
				em := ev.(map[string]any)
				if em["layer"] == layer && int64(em["id"].(float64)) == id {
					found = true
					if a := em["m2"].(float64); a-c.EvidenceM2[layer][i] > 0.015 || c.EvidenceM2[layer][i]-a > 0.015 {
						t.Errorf("evidence %s %d: %.3f m², manifest %.2f", layer, id, a, c.EvidenceM2[layer][i])
					}
					if em["mu"].(float64) <= 0 {
						t.Errorf("evidence %s %d without 亩", layer, id)
					}
				}
			}
			if !found {
				t.Errorf("patch %d evidence lacks %s %d: %v", c.ID, layer, id, evs)
			}
		}
	}
	if r := ts.do(t, "GET", "/api/v1/supervision/patches/999999", ""); r.status != http.StatusNotFound {
		t.Errorf("unknown patch: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"/api/v1/supervision/patches/x", "/api/v1/supervision/patches?status=fine",
		"/api/v1/supervision/patches?reason=ugly", "/api/v1/supervision/patches?sort=colour", "/api/v1/supervision/patches?check=maybe",
		"/api/v1/supervision/patches?region=42%2A", "/api/v1/supervision/mining?all=perhaps"} {
		if r := ts.do(t, "GET", bad, ""); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
	// Without a check store, checks are refused, not lost.
	if r := ts.do(t, "PUT", fmt.Sprintf("/api/v1/supervision/patches/%d/check", c.ID), `{"result":"confirmed_illegal"}`); r.status != http.StatusServiceUnavailable {
		t.Errorf("a check without a store: %d %s", r.status, r.body)
	}

	// Mining and idle land: exactly the planted cases.
	for _, x := range []struct {
		path, layer string
		reason      supervise.Reason
	}{{"/api/v1/supervision/mining", "kcjc", supervise.OutOfBoundsMining}, {"/api/v1/supervision/idle", "tdgy", supervise.IdleLand}} {
		want := caseIDs(casesWhere(d, func(c fixtures.Case) bool { return c.Layer == x.layer && slices.Contains(c.Reasons, string(x.reason)) }))
		if got := featureIDs(t, ts.do(t, "GET", x.path+"?limit=10000", "").json(t)); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: %v, manifest %v", x.path, got, want)
		}
		if got := featureIDs(t, ts.do(t, "GET", x.path+"?all=true&limit=10000", "").json(t)); len(got) != len(d.Features[x.layer]) {
			t.Errorf("%s?all=true: %d of %d", x.path, len(got), len(d.Features[x.layer]))
		}
	}

	// CSV: a BOM, Chinese headers, one row per patch.
	for _, x := range []struct{ path, head string }{
		{"/api/v1/supervision/patches?f=csv", "监测编号"}, {"/api/v1/supervision/mining", "监测编号"}, {"/api/v1/supervision/idle", "电子监管号"},
	} {
		r := ts.do(t, "GET", x.path, "", "Accept", "text/csv")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(r.body), "\uFEFF"+x.head) {
			t.Errorf("%s as CSV: %d %q %.80s", x.path, r.status, r.header.Get("Content-Type"), r.body)
			continue
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.body), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if x.path == "/api/v1/supervision/patches?f=csv" && len(recs) != 1+len(d.Features["wpbhtb"]) {
			t.Errorf("patches CSV: %d rows for %d patches", len(recs)-1, len(d.Features["wpbhtb"]))
		}
		if !slices.Contains(recs[0], "面积(亩)") {
			t.Errorf("%s CSV header %v", x.path, recs[0])
		}
	}
}

// TestSummaryAndLandUseAPI: the county summary lists every county with
// its planted verdict counts; both tables come as CSV with Chinese headers.
func TestSummaryAndLandUseAPI(t *testing.T) {
	ts, d, e := startSupervision(t)
	waitReady(t, e)
	var sum struct {
		Level int `json:"level"`
		Rows  []struct {
			Code     string                         `json:"code"`
			Name     string                         `json:"name"`
			Verdicts map[string]struct{ Count int } `json:"verdicts"`
		} `json:"rows"`
	}
	r := ts.do(t, "GET", "/api/v1/supervision/summary?level=6", "")
	if err := json.Unmarshal(r.body, &sum); err != nil || r.status != 200 {
		t.Fatalf("summary: %d %s", r.status, r.body)
	}
	if sum.Level != 6 || len(sum.Rows) != len(d.Manifest.Counties) {
		t.Fatalf("summary level %d with %d rows for %d counties", sum.Level, len(sum.Rows), len(d.Manifest.Counties))
	}
	for i, county := range d.Manifest.Counties {
		row := sum.Rows[i]
		if row.Code != county.Code || row.Name != county.Name {
			t.Errorf("row %d: %s %s, county %s %s", i, row.Code, row.Name, county.Code, county.Name)
		}
		for _, v := range supervise.Verdicts {
			want := len(casesWhere(d, func(c fixtures.Case) bool { return c.County == county.Code && c.Verdict == string(v) }))
			if row.Verdicts[string(v)].Count != want {
				t.Errorf("county %s: %d %s, manifest %d", county.Code, row.Verdicts[string(v)].Count, v, want)
			}
		}
	}
	var lu struct {
		Rows []struct {
			Code   string  `json:"code"`
			AreaM2 float64 `json:"area_m2"`
		} `json:"rows"`
	}
	r = ts.do(t, "GET", "/api/v1/stats/landuse?level=6", "")
	if err := json.Unmarshal(r.body, &lu); err != nil || r.status != 200 || len(lu.Rows) != len(d.Manifest.Counties) {
		t.Fatalf("land use: %d %.200s", r.status, r.body)
	}
	for i, county := range d.Manifest.Counties {
		if lu.Rows[i].Code != county.Code || math.Abs(lu.Rows[i].AreaM2-county.AreaM2) > 1e-6*county.AreaM2 {
			t.Errorf("land use row %d: %+v, county %s of %.2f m²", i, lu.Rows[i], county.Code, county.AreaM2)
		}
	}
	for _, x := range []struct{ path, head string }{
		{"/api/v1/supervision/summary?level=6&f=csv", "行政区代码,行政区名称,变化图斑数"}, {"/api/v1/stats/landuse?f=csv", "行政区代码,行政区名称,统计项"},
	} {
		r := ts.do(t, "GET", x.path, "")
		if r.status != 200 || !strings.HasPrefix(string(r.body), "\uFEFF"+x.head) || !strings.Contains(string(r.body), "合计") {
			t.Errorf("%s: %d %.120s", x.path, r.status, r.body)
		}
	}
	for _, bad := range []string{"/api/v1/supervision/summary?level=5", "/api/v1/supervision/summary?level=x",
		"/api/v1/stats/landuse?region=4299&level=2", "/api/v1/stats/landuse?region=42a"} {
		if r := ts.do(t, "GET", bad, ""); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
