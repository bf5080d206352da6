package api

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gin-gonic/gin"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/onemap/onemap/metrics"
	"github.com/onemap/onemap/spatial"
)

// scrape reads /metrics with Prometheus's own text parser.
func scrape(t *testing.T, ts *testServer, header ...string) map[string]*dto.MetricFamily {
	t.Helper()
	r := ts.do(t, "GET", "/metrics", "", header...)
	if r.status != 200 {
		t.Fatalf("/metrics: %d %s", r.status, r.body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// seriesValue finds the value of a series by its labels (a histogram's count).
func seriesValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsScraped(t *testing.T) {
	ts := startWith(t, filepath.Join(t.TempDir(), "t.gpkg"), func(c *Config) {
		c.Metrics = metrics.NewRegistry()
		if err := metrics.RegisterIndex(c.Metrics, c.Index); err != nil {
			t.Fatal(err)
		}
		st, err := metrics.Store(c.Metrics, c.Store)
		if err != nil {
			t.Fatal(err)
		}
		c.Store, c.Editor = st, spatial.NewEditor(c.Index, st)
	})
	seed(t, ts, 3)
	for range 2 {
		ts.do(t, "GET", "/api/v1/layers/dltb/features/1", "")
	}
	ts.do(t, "GET", "/api/v1/layers/dltb/features/999", "")
	ts.do(t, "GET", "/tiles/dltb/10/843/422.mvt", "")
	ts.do(t, "GET", "/no/such/path", "")
	fams := scrape(t, ts)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"onemap_http_request_seconds", map[string]string{"route": "/api/v1/layers/:layer/features/:fid", "method": "GET", "status": "200"}, 2},
		{"onemap_http_request_seconds", map[string]string{"route": "/api/v1/layers/:layer/features/:fid", "method": "GET", "status": "404"}, 1},
		{"onemap_http_request_seconds", map[string]string{"route": "/api/v1/layers/:layer/features", "method": "POST", "status": "201"}, 3},
		{"onemap_http_request_seconds", map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 1},
		{"onemap_http_request_seconds", map[string]string{"route": "/tiles/:layers/:z/:x/:y", "method": "GET"}, 1},
		{"onemap_index_features", map[string]string{"layer": "dltb"}, 3},
		{"onemap_index_features", map[string]string{"layer": "bdcdj"}, 0},
		{"onemap_store_seconds", map[string]string{"op": "create", "outcome": "ok"}, 3},
	} {
		got, ok := seriesValue(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	for _, name := range []string{"onemap_index_data_version", "process_resident_memory_bytes", "go_goroutines"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	// Through a proxy the scrape is no longer local: it needs an admin.
	if r := ts.do(t, "GET", "/metrics", "", "X-Forwarded-For", "203.0.113.9"); r.status != 401 {
		t.Errorf("remote anonymous scrape: %d", r.status)
	}
	if r := ts.do(t, "GET", "/debug/pprof/", ""); r.status != 401 {
		t.Errorf("anonymous pprof: %d", r.status)
	}
}

func TestAdminProfiles(t *testing.T) {
	ts, _ := startLogins(t, 100)
	tok := func(user string) string {
		r := ts.do(t, "POST", "/api/v1/login", fmt.Sprintf(`{"user":%q,"password":%q}`, user, testPassword))
		return r.json(t)["token"].(string)
	}
	if r := ts.do(t, "GET", "/debug/pprof/", "", "Authorization", "Bearer "+tok("ed")); r.status != 403 {
		t.Fatalf("editor pprof: %d", r.status)
	}
	r := ts.do(t, "GET", "/debug/pprof/goroutine?debug=1", "", "Authorization", "Bearer "+tok("root"))
	if r.status != 200 || !strings.Contains(string(r.body), "goroutine profile") {
		t.Fatalf("admin pprof: %d %.200s", r.status, r.body)
	}
}

func TestLimits(t *testing.T) {
	ts := startWith(t, filepath.Join(t.TempDir(), "t.gpkg"), func(c *Config) {
		c.RatePerSecond, c.RateBurst = 0.5, 3
	})
	var last response
	for range 4 {
		last = ts.do(t, "GET", "/api/v1/layers", "")
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" || errorOf(t, last)["code"] != "rate_limited" {
		t.Fatalf("fourth request: %d %v %s", last.status, last.header, last.body)
	}
	// Another client address has its own bucket (a trusted proxy says who).
	if r := ts.do(t, "GET", "/api/v1/layers", "", "X-Forwarded-For", "198.51.100.7"); r.status != 200 {
		t.Fatalf("other client: %d", r.status)
	}
	// Health stays answerable.
	if r := ts.do(t, "GET", "/healthz", ""); r.status != 200 {
		t.Fatalf("healthz under a rate limit: %d", r.status)
	}

	path := filepath.Join(t.TempDir(), "u.gpkg")
	ts = startWith(t, path, nil)
	seed(t, ts, 5)
	ts.stop()
	ts = startWith(t, path, func(c *Config) { c.RequestTimeout = time.Nanosecond })
	r := ts.do(t, "POST", "/api/v1/query", `{"geometry":`+squareJSON(112, 30, 0.01)+`,"layers":["dltb"]}`)
	if r.status != 503 || errorOf(t, r)["code"] != "timeout" {
		t.Fatalf("past the deadline: %d %s %d", r.status, r.body, ts.idx.Snapshot().Count("dltb"))
	}
	ts = startWith(t, filepath.Join(t.TempDir(), "v.gpkg"), nil)
	r = ts.do(t, "GET", "/api/v1/layers/dltb/features?bbox=70,10,140,55", "")
	if r.status != 422 || errorOf(t, r)["code"] != "over_limit" {
		t.Fatalf("huge bbox: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/layers/dltb/features?bbox=110,28,114,32", ""); r.status != 200 {
		t.Fatalf("province-sized bbox: %d %s", r.status, r.body)
	}
}

// With every analysis slot taken, the next waits its time and gets 429.
func TestAnalysesBusy(t *testing.T) {
	s := &server{Config: Config{AnalysisQueueWait: 20 * time.Millisecond}, analyses: make(chan struct{}, 1)}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	ran := 0
	r.POST("/a", s.limitAnalyses, func(c *gin.Context) { ran++; c.Status(200) })
	do := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("POST", "/a", nil))
		return w
	}
	if w := do(); w.Code != 200 || ran != 1 {
		t.Fatalf("free slot: %d", w.Code)
	}
	s.analyses <- struct{}{} // one analysis running
	if w := do(); w.Code != 429 || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), `"busy"`) || ran != 1 {
		t.Fatalf("busy: %d %v %s", w.Code, w.Header(), w.Body)
	}
	<-s.analyses
	if w := do(); w.Code != 200 || ran != 2 {
		t.Fatalf("slot freed: %d", w.Code)
	}
}

func TestPageSecurityHeaders(t *testing.T) {
	ts := startWith(t, filepath.Join(t.TempDir(), "t.gpkg"), func(c *Config) {
		c.Web = fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>onemap</title>")}, "app.js": {Data: []byte("1")}}
	})
	for _, p := range []string{"/", "/web/app.js"} {
		r := ts.do(t, "GET", p, "")
		csp := r.header.Get("Content-Security-Policy")
		if r.status != 200 || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") ||
			strings.Contains(csp, "http") || r.header.Get("Referrer-Policy") != "no-referrer" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %v", p, r.status, r.header)
		}
	}
	if r := ts.do(t, "GET", "/api/v1/layers", ""); r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("API answer without nosniff")
	}
}

// TestPageCSPBasemap: a configured base map's origin is the one remote
// origin the page may fetch tiles from; the style draws it.
func TestPageCSPBasemap(t *testing.T) {
	ts := startWith(t, filepath.Join(t.TempDir(), "t.gpkg"), func(c *Config) {
		c.Web = fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>onemap</title>")}}
		c.BasemapURL = "https://t0.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"
	})
	csp := ts.do(t, "GET", "/", "").header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src 'self' data: blob: https://t0.tianditu.gov.cn;") ||
		!strings.Contains(csp, "connect-src 'self' https://t0.tianditu.gov.cn;") || strings.Contains(csp, "KEY") {
		t.Errorf("csp %s", csp)
	}
	r := ts.do(t, "GET", "/style.json", "")
	if !strings.Contains(string(r.body), `"basemap"`) {
		t.Errorf("style without the base map: %.200s", r.body)
	}
}
