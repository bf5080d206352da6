package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/crs"
	"github.com/onemap/onemap/spatial/topology"
)

// startDemo serves the demo dataset (scale 3000) read-only from its index.
func startDemo(t *testing.T) (*testServer, *demotest.Dataset) {
	t.Helper()
	d := demotest.Load(t, 1, 3000)
	srv := httptest.NewServer(New(Config{Catalog: d.Catalog, Index: d.Index, Log: quiet, AsOf: d.Manifest.AsOf}))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, idx: d.Index}, d
}

// demoSite is a rectangle of about 2 × 1.5 km in the middle of the first
// county's parcels.
func demoSite(t *testing.T, d *demotest.Dataset) orb.Polygon {
	t.Helper()
	b, ok := d.Index.Snapshot().Bound("dltb")
	if !ok {
		t.Fatal("no parcels")
	}
	c := b.Center()
	dx, dy := 0.01, 0.007
	return orb.Polygon{{{c[0] - dx, c[1] - dy}, {c[0] + dx, c[1] - dy}, {c[0] + dx, c[1] + dy}, {c[0] - dx, c[1] + dy}, {c[0] - dx, c[1] - dy}}}
}

type overlayReport struct {
	Area   struct{ M2, Ha, Mu float64 } `json:"area"`
	CRS    int                          `json:"crs"`
	Layers []struct {
		Layer string `json:"layer"`
		Total struct {
			Count int     `json:"count"`
			M2    float64 `json:"m2"`
			Mu    float64 `json:"mu"`
			Net   *struct{ M2 float64 }
		} `json:"total"`
		Groups []struct {
			Key, Label string
			Count      int
			M2, Ha, Mu float64
			Net        *struct{ M2 float64 }
		} `json:"groups"`
		Features []struct {
			ID int64
			M2 float64
		} `json:"features"`
	} `json:"layers"`
}

func postOverlay(t *testing.T, ts *testServer, body string, header ...string) (overlayReport, response) {
	t.Helper()
	return postOverlayPath(t, ts, "/api/v1/analysis/overlay", body, header...)
}

func postOverlayPath(t *testing.T, ts *testServer, path, body string, header ...string) (overlayReport, response) {
	t.Helper()
	r := ts.do(t, "POST", path, body, header...)
	var rep overlayReport
	if r.status == 200 {
		if err := json.Unmarshal(r.body, &rep); err != nil {
			t.Fatal(err)
		}
	}
	return rep, r
}

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

// TestOverlayAPI: per-DLBM gross and net areas in m², ha and 亩 that add up;
// the dltb total is the site's area (it lies inside the prefecture); CSV
// with Chinese headers; the same site in Gauss-Krüger zone 38, as WKT and
// as a coordinate file, gives the same answer.
func TestOverlayAPI(t *testing.T) {
	ts, d := startDemo(t)
	site := demoSite(t, d)
	gj, _ := json.Marshal(geojson.NewGeometry(site))
	rep, r := postOverlay(t, ts, `{"geometry":`+string(gj)+`,"layers":["dltb","yjjbnt","jtlw","dzzhd"]}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	want := area.Geodesic(site)
	inside := areaInsidePrefecture(t, d, site)
	if !near(rep.Area.M2, want, 1e-9) || !near(rep.Area.Mu, want/(10000.0/15), 1e-9) || !near(rep.Area.Ha, want/1e4, 1e-9) {
		t.Fatalf("site area %+v, want %.3f m²", rep.Area, want)
	}
	if len(rep.Layers) != 4 || rep.Layers[0].Layer != "dltb" {
		t.Fatalf("layers %+v", rep.Layers)
	}
	dltb := rep.Layers[0]
	// The parcels tile the counties, whose union is the prefecture's outline
	// up to the generator's snapping (fixtures checks 0.01 %); here 1.4e-5.
	if !near(dltb.Total.M2, inside, 5e-5) || inside < want/2 {
		t.Errorf("dltb total %.3f m², the site has %.3f m² (of %.3f) inside the prefecture", dltb.Total.M2, inside, want)
	}
	var sum, net float64
	for _, g := range dltb.Groups {
		sum += g.M2
		if g.Net == nil || g.Net.M2 > g.M2 || g.Label == "" || len(g.Key) != 4 || !near(g.Mu, g.M2*15/10000, 1e-12) {
			t.Errorf("group %+v", g)
			continue
		}
		net += g.Net.M2
	}
	if !near(sum, dltb.Total.M2, 1e-9) || dltb.Total.Net == nil || !near(net, dltb.Total.Net.M2, 1e-9) {
		t.Errorf("groups add up to %.3f (net %.3f), total %.3f (net %+v)", sum, net, dltb.Total.M2, dltb.Total.Net)
	}

	// CSV, as a spreadsheet opens it.
	r = ts.do(t, "POST", "/api/v1/analysis/overlay?f=csv", `{"geometry":`+string(gj)+`,"layers":["dltb"]}`)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(r.body), "\ufeff") || !strings.Contains(string(r.body), "亩") {
		t.Fatalf("csv: %d %s %.200s", r.status, r.header.Get("Content-Type"), r.body)
	}

	// The same site in zone 38 (EPSG:4526, easting with the zone prefix).
	zoned, err := crs.Transform(context.Background(), site, crs.CGCS2000, 4526)
	if err != nil {
		t.Fatal(err)
	}
	ring := zoned.(orb.Polygon)[0]
	var pts []string
	for _, p := range ring {
		pts = append(pts, fmt.Sprintf("%.3f %.3f", p[0], p[1]))
	}
	wktBody := fmt.Sprintf(`{"wkt":"POLYGON((%s))","crs":4526,"layers":["dltb"]}`, strings.Join(pts, ","))
	zrep, r := postOverlay(t, ts, wktBody)
	if r.status != 200 {
		t.Fatalf("zone 38 WKT: %d %s", r.status, r.body)
	}
	if !near(zrep.Area.M2, rep.Area.M2, 1e-5) || !near(zrep.Layers[0].Total.M2, dltb.Total.M2, 1e-5) || zrep.CRS != 4526 {
		t.Errorf("zone 38: site %.3f dltb %.3f; lon/lat: site %.3f dltb %.3f", zrep.Area.M2, zrep.Layers[0].Total.M2, rep.Area.M2, dltb.Total.M2)
	}
	// … and as the exchange format's coordinate file (X northing, Y easting).
	var file strings.Builder
	file.WriteString("[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=38\n[地块坐标]\n")
	fmt.Fprintf(&file, "%d,%.4f,1,测试地块,面,,建设用地,,@\n", len(ring), zrep.Area.M2/1e4)
	for i, p := range ring {
		n := i + 1
		if i == len(ring)-1 {
			n = 1
		}
		fmt.Fprintf(&file, "J%d,1,%.3f,%.3f\n", n, p[1], p[0])
	}
	frep, r := postOverlayPath(t, ts, "/api/v1/analysis/overlay?layers=dltb", file.String(), "Content-Type", "text/plain; charset=utf-8")
	if r.status != 200 {
		t.Fatalf("coordinate file: %d %s\n%s", r.status, r.body, file.String())
	}
	if !near(frep.Area.M2, rep.Area.M2, 1e-5) || !near(frep.Layers[0].Total.M2, dltb.Total.M2, 1e-5) {
		t.Errorf("coordinate file: site %.3f dltb %.3f; GeoJSON: site %.3f dltb %.3f", frep.Area.M2, frep.Layers[0].Total.M2, rep.Area.M2, dltb.Total.M2)
	}
	for i := range dltb.Groups {
		if i < len(frep.Layers[0].Groups) && !near(frep.Layers[0].Groups[i].M2, dltb.Groups[i].M2, 1e-5) {
			t.Errorf("group %s: file %.3f, GeoJSON %.3f", dltb.Groups[i].Key, frep.Layers[0].Groups[i].M2, dltb.Groups[i].M2)
		}
	}
}

// TestComplianceAPI: every planted compliance site gets the manifest's
// pass/fail per control.
func TestComplianceAPI(t *testing.T) {
	ts, d := startDemo(t)
	for _, site := range d.Manifest.Sites {
		gj, _ := json.Marshal(site.Geometry)
		r := ts.do(t, "POST", "/api/v1/analysis/compliance", `{"geometry":`+string(gj)+`}`)
		if r.status != 200 {
			t.Fatalf("site %s: %d %s", site.Key, r.status, r.body)
		}
		var got struct {
			Pass     bool
			Controls []struct {
				Control  string
				Pass     bool
				M2       float64
				Features []int64
			}
		}
		json.Unmarshal(r.body, &got)
		if got.Pass != site.Pass || len(got.Controls) != len(site.Controls) {
			t.Errorf("site %s (%s): pass %v, manifest %v", site.Key, site.Kind, got.Pass, site.Pass)
			continue
		}
		for i, c := range site.Controls {
			g := got.Controls[i]
			if g.Control != c.Control || g.Pass != c.Pass || !(math.Abs(g.M2-c.M2) <= 0.01 || near(g.M2, c.M2, 1e-5)) {
				t.Errorf("site %s (%s) %s: pass %v %.3f m², manifest %v %.3f m²", site.Key, site.Kind, c.Control, g.Pass, g.M2, c.Pass, c.M2)
			}
		}
	}
}

// TestIdentifyAndQueryAPI: a parcel's inner point finds it; a filtered
// query gives what a scan of the layer gives.
func TestIdentifyAndQueryAPI(t *testing.T) {
	ts, d := startDemo(t)
	l := d.Catalog.Layer("dltb")
	parcel := d.Features["dltb"][100]
	pt := innerPoint(t, parcel.Geometry.(orb.MultiPolygon))
	r := ts.do(t, "GET", fmt.Sprintf("/api/v1/identify?lon=%.9f&lat=%.9f&layers=dltb,jtlw", pt[0], pt[1]), "")
	if r.status != 200 {
		t.Fatalf("identify: %d %s", r.status, r.body)
	}
	var idf struct {
		Results []struct {
			Layer, Name string
			Fields      []struct{ Name, Label string }
			Features    []struct{ ID int64 }
		}
	}
	json.Unmarshal(r.body, &idf)
	found := false
	for _, res := range idf.Results {
		if res.Layer == "dltb" {
			found = len(res.Features) == 1 && res.Features[0].ID == parcel.ID && res.Name == "地类图斑" && len(res.Fields) == len(l.Fields)
		}
	}
	if !found {
		t.Fatalf("identify at parcel %d's inner point: %s", parcel.ID, r.body)
	}

	site := demoSite(t, d)
	gj, _ := json.Marshal(geojson.NewGeometry(site))
	body := `{"geometry":` + string(gj) + `,"layers":["dltb"],"filter":{"op":"like","args":[{"property":"DLBM"},"01%"]},"limit":10000}`
	r = ts.do(t, "POST", "/api/v1/query", body)
	if r.status != 200 {
		t.Fatalf("query: %d %s", r.status, r.body)
	}
	var q struct {
		Results []struct {
			NumberMatched int
			Features      []struct {
				ID         int64
				Properties map[string]any
			}
		}
	}
	json.Unmarshal(r.body, &q)
	want := 0
	sb := site.Bound()
	d.Index.Snapshot().Search("dltb", sb, func(f *layers.Feature) bool {
		if strings.HasPrefix(l.Value(f, "DLBM").(string), "01") && spatial.IntersectsBound(f.Geometry, sb) {
			want++
		}
		return true
	})
	if len(q.Results) != 1 || q.Results[0].NumberMatched != want || want == 0 {
		t.Fatalf("query matched %+v, a scan finds %d", len(q.Results), want)
	}
	for _, f := range q.Results[0].Features {
		if !strings.HasPrefix(f.Properties["DLBM"].(string), "01") {
			t.Fatalf("feature %d has DLBM %v", f.ID, f.Properties["DLBM"])
		}
	}
}

// innerPoint is a point well inside the first polygon (the centroid of a
// triangle of its first vertices would do for convex cells; fall back to a
// scan of a small grid).
func innerPoint(t *testing.T, mp orb.MultiPolygon) orb.Point {
	t.Helper()
	b := mp.Bound()
	for i := 1; i < 20; i++ {
		for j := 1; j < 20; j++ {
			p := orb.Point{b.Min[0] + (b.Max[0]-b.Min[0])*float64(i)/20, b.Min[1] + (b.Max[1]-b.Min[1])*float64(j)/20}
			if spatial.IntersectsBound(mp, orb.Bound{Min: p, Max: p}) {
				return p
			}
		}
	}
	t.Fatal("no inner point")
	return orb.Point{}
}

// TestAnalysisBadInput: every kind of bad input gets a clear 4xx.
func TestAnalysisBadInput(t *testing.T) {
	ts, d := startDemo(t)
	site := demoSite(t, d)
	gj, _ := json.Marshal(geojson.NewGeometry(site))
	big := make([]string, 0, 60001)
	for i := range 60000 {
		big = append(big, fmt.Sprintf("[%g,%g]", 113+float64(i)*1e-6, 30.5+float64(i%2)*1e-6))
	}
	cases := []struct {
		name, path, body, ct string
		status               int
		mention              string
	}{
		{"malformed JSON", "overlay", `{"geometry":`, "", 400, "malformed"},
		{"unknown member", "overlay", `{"geom":{}}`, "", 400, "geom"},
		{"wrong type", "overlay", `{"geometry":` + string(gj) + `,"layers":"dltb"}`, "", 400, "layers"},
		{"malformed WKT", "overlay", `{"wkt":"POLYGON((1 2, 3 4"}`, "", 400, "WKT"},
		{"NaN in WKT", "overlay", `{"wkt":"POLYGON((113 30, NaN 30, 113.1 30.1, 113 30))"}`, "", 400, "WKT"},
		{"huge coordinate", "overlay", `{"geometry":{"type":"Polygon","coordinates":[[[1e300,30],[113.1,30],[113.1,30.1],[1e300,30]]]}}`, "", 422, ""},
		{"no geometry", "overlay", `{"layers":["dltb"]}`, "", 400, "geometry"},
		{"empty polygon", "overlay", `{"geometry":{"type":"Polygon","coordinates":[]}}`, "", 422, "empty"},
		{"unclosed ring", "overlay", `{"geometry":{"type":"Polygon","coordinates":[[[113,30],[113.1,30],[113.1,30.1],[113,30.1]]]}}`, "", 422, ""},
		{"self-intersection", "overlay", `{"geometry":{"type":"Polygon","coordinates":[[[113,30],[113.1,30.1],[113.1,30],[113,30.1],[113,30]]]}}`, "", 422, "Self-intersection"},
		{"no such zone", "overlay", `{"wkt":"POLYGON((38400000 3400000,38400100 3400000,38400100 3400100,38400000 3400000))","crs":4999}`, "", 400, "4999"},
		{"too many vertices", "overlay", `{"geometry":{"type":"LineString","coordinates":[` + strings.Join(big, ",") + `]}}`, "", 422, "50000"},
		{"too large an area", "overlay", `{"geometry":{"type":"Polygon","coordinates":[[[100,20],[120,20],[120,40],[100,20]]]}}`, "", 422, "limit"},
		{"point as site", "overlay", `{"geometry":{"type":"Point","coordinates":[113,30]}}`, "", 422, "Polygon"},
		{"unknown layer", "overlay", `{"geometry":` + string(gj) + `,"layers":["nosuch"]}`, "", 404, "nosuch"},
		{"restricted layer", "overlay", `{"geometry":` + string(gj) + `,"layers":["bdcdj"]}`, "", 403, "bdcdj"},
		{"file without coordinates", "overlay", "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n带号=38\n", "text/plain", 400, "地块坐标"},
		{"file ring not closed", "overlay", "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n带号=38\n[地块坐标]\n4,1,1,a,面,,,,@\nJ1,1,3403600,38404100\nJ2,1,3403600,38404200\nJ3,1,3403700,38404200\nJ4,1,3403700,38404100\n", "text/plain", 400, "line"},
		{"unknown field in filter", "query", `{"geometry":` + string(gj) + `,"layers":["dltb"],"filter":{"op":"=","args":[{"property":"NOPE"},"1"]}}`, "", 400, "NOPE"},
		{"wrongly typed literal", "query", `{"geometry":` + string(gj) + `,"layers":["dltb"],"filter":{"op":">","args":[{"property":"TBMJ"},"big"]}}`, "", 400, "TBMJ"},
		{"bad relation", "query", `{"geometry":` + string(gj) + `,"relation":"touches"}`, "", 400, "relation"},
		{"dwithin without distance", "query", `{"geometry":` + string(gj) + `,"relation":"dwithin"}`, "", 400, "distance_m"},
		{"compliance with layers", "compliance", `{"geometry":` + string(gj) + `,"layers":["dltb"]}`, "", 400, "layers"},
		{"form post", "overlay", `geometry=x`, "application/x-www-form-urlencoded", 415, ""},
	}
	for _, c := range cases {
		path := "/api/v1/analysis/" + c.path
		if c.path == "query" {
			path = "/api/v1/query"
		}
		var hdr []string
		if c.ct != "" {
			hdr = []string{"Content-Type", c.ct}
		}
		r := ts.do(t, "POST", path, c.body, hdr...)
		if r.status != c.status || !strings.Contains(string(r.body), c.mention) {
			t.Errorf("%s: %d %.300s, want %d mentioning %q", c.name, r.status, r.body, c.status, c.mention)
			continue
		}
		errorOf(t, r)
	}
	for _, q := range []string{"lon=113", "lon=x&lat=30", "lon=200&lat=30", "lon=113&lat=30&tolerance_m=-1", "lon=113&lat=30&layers=nosuch"} {
		if r := ts.do(t, "GET", "/api/v1/identify?"+q, ""); r.status != 400 && r.status != 404 {
			t.Errorf("identify %s: %d %s", q, r.status, r.body)
		}
	}
}

// areaInsidePrefecture is the area of the site within the demo prefecture's
// outline (xzq 4299), by GEOS and the ellipsoid.
func areaInsidePrefecture(t *testing.T, d *demotest.Dataset, site orb.Polygon) float64 {
	t.Helper()
	xzq := d.Catalog.Layer("xzq")
	var pref orb.Geometry
	for _, f := range d.Features["xzq"] {
		if xzq.Value(f, "XZQDM") == "4299" {
			pref = f.Geometry
		}
	}
	if pref == nil {
		t.Fatal("no prefecture outline")
	}
	var m2 float64
	err := topology.WithContext(func(c *geos.Context) error {
		a, err := topology.ToGEOS(c, pref)
		if err != nil {
			return err
		}
		b, err := topology.ToGEOS(c, site)
		if err != nil {
			return err
		}
		mp, err := topology.Polygonal(a.Intersection(b))
		m2 = area.Geodesic(mp)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m2
}
