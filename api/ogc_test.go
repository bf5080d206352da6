package api

// The conformance classes /ogc/conformance declares and the tests that
// cover each:
//
//	core                         TestOGCCore, TestOGCGDAL
//	oas30                        TestOGCOpenAPI (swagger-parser; every path answers)
//	html                         TestOGCHTML
//	geojson                      TestOGCCore (items and item as GeoJSON), TestOGCGDAL
//	crs (Part 2)                 TestOGCCRS, TestOGCZones (spatial/crs, checked with cs2cs)
//	queryables, queryables-query-parameters (Part 3)   TestOGCQueries, TestOGCGDAL
//	filter, features-filter (Part 3) and the CQL2 classes (basic-cql2,
//	advanced-comparison-operators, basic-spatial-functions, cql2-text,
//	cql2-json)                   TestOGCFilter (against a scan and POST /api/v1/query)
//	create-replace-delete, update, features, optimistic-locking-etags (Part 4)   TestOGCEditing

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/api/ogc"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/topology"
)

type linkJSON struct {
	Href, Rel, Type, Title string
}

func linkOf(t *testing.T, links []linkJSON, rel string) linkJSON {
	t.Helper()
	for _, l := range links {
		if l.Rel == rel {
			return l
		}
	}
	t.Fatalf("no %q link in %v", rel, links)
	return linkJSON{}
}

// get fetches an absolute URL (a link the API wrote).
func getURL(t *testing.T, href string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest("GET", href, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b []byte
	b, _ = readAll(res)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func readAll(res *http.Response) ([]byte, error) {
	var out []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, nil
		}
	}
}

type featureCollection struct {
	Type           string
	NumberMatched  int
	NumberReturned int
	TimeStamp      string
	Features       []struct {
		ID         int64
		Version    int64
		Geometry   json.RawMessage
		Properties map[string]any
	}
	Links []linkJSON
}

func (ts *testServer) items(t *testing.T, path string) (featureCollection, response) {
	t.Helper()
	r := ts.do(t, "GET", path, "")
	if r.status != 200 {
		t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	var fc featureCollection
	if err := json.Unmarshal(r.body, &fc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fc, r
}

func ids(fc featureCollection) []int64 {
	out := make([]int64, len(fc.Features))
	for i, f := range fc.Features {
		out[i] = f.ID
	}
	return out
}

// visibleIDs are the catalogue's layers that anonymous callers may read.
func visibleIDs(cat *layers.Catalog) []string {
	var out []string
	for _, l := range cat.Layers {
		if l.Access != layers.Restricted {
			out = append(out, l.ID)
		}
	}
	return out
}

func TestOGCCore(t *testing.T) {
	ts, d := startOGCDemo(t)
	snap := ts.idx.Snapshot()

	// Landing page: every link it names answers.
	r := ts.do(t, "GET", "/ogc", "")
	var landing struct {
		Title string
		Links []linkJSON
	}
	if r.status != 200 || json.Unmarshal(r.body, &landing) != nil || landing.Title == "" {
		t.Fatalf("landing: %d %s", r.status, r.body)
	}
	if l := linkOf(t, landing.Links, "service-desc"); l.Type != ogc.MediaOpenAPI || l.Href != ts.URL+"/ogc/api" {
		t.Errorf("service-desc %+v", l)
	}
	for _, rel := range []string{"self", "service-desc", "service-doc", "conformance", "data"} {
		if r := getURL(t, linkOf(t, landing.Links, rel).Href); r.status != 200 {
			t.Errorf("landing link %s: %d", rel, r.status)
		}
	}

	// Conformance: exactly what is implemented.
	var conf struct{ ConformsTo []string }
	json.Unmarshal(ts.do(t, "GET", "/ogc/conformance", "").body, &conf)
	want := append([]string{ogc.ConfCore, ogc.ConfOAS30, ogc.ConfHTML, ogc.ConfGeoJSON, ogc.ConfCRS, ogc.ConfQueryables, ogc.ConfQueryParam,
		ogc.ConfCRD, ogc.ConfUpdate, ogc.ConfFeatures4, ogc.ConfETags}, cql2Conformance...)
	if !slices.Equal(conf.ConformsTo, want) {
		t.Errorf("conformsTo %v", conf.ConformsTo)
	}

	// Collections: every layer but the restricted ones, in catalogue order,
	// with its Chinese title, extent, CRSs and items link.
	var cols struct {
		Collections []struct {
			ID, Title, Description, StorageCrs, ItemType string
			Crs                                          []string
			Extent                                       struct {
				Spatial struct {
					Bbox [][]float64
					Crs  string
				}
				Temporal *struct{ Interval [][]*string }
			}
			Links []linkJSON
		}
	}
	r = ts.do(t, "GET", "/ogc/collections", "")
	if err := json.Unmarshal(r.body, &cols); err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, c := range cols.Collections {
		gotIDs = append(gotIDs, c.ID)
		l := d.Catalog.Layer(c.ID)
		if c.Title != l.Name || !strings.Contains(c.Description, l.Name) || c.ItemType != "feature" {
			t.Errorf("%s: title %q description %q", c.ID, c.Title, c.Description)
		}
		b, _ := snap.Bound(c.ID)
		if bb := c.Extent.Spatial.Bbox; len(bb) != 1 || bb[0][0] != b.Min[0] || bb[0][1] != b.Min[1] || bb[0][2] != b.Max[0] || bb[0][3] != b.Max[1] {
			t.Errorf("%s: bbox %v, index bound %v", c.ID, c.Extent.Spatial.Bbox, b)
		}
		if c.StorageCrs != ogc.EPSGURI(4490) || !slices.Contains(c.Crs, ogc.CRS84URI) || !slices.Contains(c.Crs, ogc.EPSGURI(4326)) || !slices.Contains(c.Crs, ogc.EPSGURI(4490)) {
			t.Errorf("%s: crs %v storage %s", c.ID, c.Crs, c.StorageCrs)
		}
		if items := linkOf(t, c.Links, "items"); items.Href != ts.URL+"/ogc/collections/"+c.ID+"/items" || items.Type != "application/geo+json" {
			t.Errorf("%s: items link %+v", c.ID, items)
		}
		// The temporal extent is the span of the layer's dates, by brute force.
		lo, hi := "9999", "0000"
		for _, f := range d.Features[c.ID] {
			if len(l.Temporal) == 0 {
				break
			}
			if v, ok := f.Props.At(l.FieldIndex(l.Temporal[0])).(string); ok {
				lo = min(lo, v)
				hi = max(hi, v)
			}
			if v, ok := f.Props.At(l.FieldIndex(l.Temporal[len(l.Temporal)-1])).(string); ok {
				hi = max(hi, v)
			}
		}
		switch {
		case len(l.Temporal) == 0 && c.Extent.Temporal != nil:
			t.Errorf("%s has no date but a temporal extent", c.ID)
		case len(l.Temporal) > 0:
			iv := c.Extent.Temporal
			if iv == nil || *iv.Interval[0][0] != lo+"T00:00:00Z" || *iv.Interval[0][1] != hi+"T23:59:59Z" {
				t.Errorf("%s: temporal extent %v, want %s…%s", c.ID, iv, lo, hi)
			}
		}
	}
	if !slices.Equal(gotIDs, visibleIDs(d.Catalog)) {
		t.Errorf("collections %v", gotIDs)
	}
	for path, status := range map[string]int{"/ogc/collections/bdcdj": 403, "/ogc/collections/tdzfaj/items": 403, "/ogc/collections/bdcdj/items/1": 403,
		"/ogc/collections/nosuch": 404, "/ogc/collections/dltb/items/999999": 404, "/ogc/collections/dltb/items/x": 400,
		"/ogc/collections/dltb/queryables": 200, "/ogc/collections/dltb/schema": 200, "/ogc/collections/": 404} {
		if r := ts.do(t, "GET", path, ""); r.status != status {
			t.Errorf("%s: %d, want %d", path, r.status, status)
		} else if status >= 400 {
			errorOf(t, r)
		}
	}

	// Items: paging through next links gives every parcel once, in id
	// order; prev goes back; numberMatched and timeStamp are there.
	n := snap.Count("dltb")
	next := ts.URL + "/ogc/collections/dltb/items?limit=700"
	var seen []int64
	for page := 0; next != ""; page++ {
		r := getURL(t, next)
		var fc featureCollection
		if err := json.Unmarshal(r.body, &fc); err != nil || r.status != 200 {
			t.Fatalf("%s: %d %v", next, r.status, err)
		}
		if fc.NumberMatched != n || fc.NumberReturned != len(fc.Features) {
			t.Fatalf("page %d: matched %d returned %d (%d features), want matched %d", page, fc.NumberMatched, fc.NumberReturned, len(fc.Features), n)
		}
		if _, err := time.Parse(time.RFC3339, fc.TimeStamp); err != nil {
			t.Fatalf("timeStamp %q: %v", fc.TimeStamp, err)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/geo+json" {
			t.Fatalf("content type %q", ct)
		}
		if page == 1 {
			prev := linkOf(t, fc.Links, "prev")
			pfc, _ := ts.items(t, strings.TrimPrefix(prev.Href, ts.URL))
			if len(pfc.Features) != 700 || pfc.Features[0].ID != seen[0] {
				t.Fatalf("prev page starts at %d with %d features", pfc.Features[0].ID, len(pfc.Features))
			}
		}
		seen = append(seen, ids(fc)...)
		next = ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				next = l.Href
			}
		}
	}
	if len(seen) != n || !slices.IsSorted(seen) || seen[0] != 1 || seen[n-1] != int64(n) {
		t.Fatalf("next links gave %d features (of %d), sorted %v", len(seen), n, slices.IsSorted(seen))
	}
	// A clamped limit says so.
	if fc, r := ts.items(t, "/ogc/collections/dltb/items?limit=20000"); len(fc.Features) != min(n, 10000) || !strings.Contains(r.header.Get("Warning"), "10000") {
		t.Errorf("limit clamp: %d features, Warning %q", len(fc.Features), r.header.Get("Warning"))
	}

	// One item: the stored feature, its ETag and links.
	want5 := d.Features["dltb"][4]
	r = ts.do(t, "GET", "/ogc/collections/dltb/items/5", "")
	var item struct {
		ID       int64
		Geometry struct {
			Type        string
			Coordinates [][][][2]float64
		}
		Properties map[string]any
		Links      []linkJSON
	}
	if err := json.Unmarshal(r.body, &item); err != nil || r.status != 200 || item.ID != 5 || r.header.Get("ETag") != `"1"` {
		t.Fatalf("item 5: %d %s", r.status, r.body)
	}
	l := d.Catalog.Layer("dltb")
	for name, v := range l.Properties(want5) {
		if got := item.Properties[name]; fmt.Sprint(got) != fmt.Sprint(jsonValue(v)) {
			t.Errorf("item 5 %s = %v, stored %v", name, got, v)
		}
	}
	mp := want5.Geometry.(orb.MultiPolygon)
	if item.Geometry.Type != "MultiPolygon" || item.Geometry.Coordinates[0][0][1] != [2]float64(mp[0][0][1]) {
		t.Errorf("item 5 geometry %v, stored %v", item.Geometry.Coordinates[0][0][:2], mp[0][0][:2])
	}
	if c := linkOf(t, item.Links, "collection"); c.Href != ts.URL+"/ogc/collections/dltb" {
		t.Errorf("collection link %v", c)
	}
	// HEAD answers like GET without a body.
	if r := ts.do(t, "HEAD", "/ogc/collections/dltb/items?limit=3", ""); r.status != 200 || len(r.body) != 0 {
		t.Errorf("HEAD: %d, %d bytes", r.status, len(r.body))
	}
}

// jsonValue is a stored value as JSON decodes it into any.
func jsonValue(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	}
	return v
}

// TestOGCWhileLoading: data routes answer 503 until the index is loaded;
// the documents built from the catalogue answer from the start.
func TestOGCWhileLoading(t *testing.T) {
	var ready atomic.Bool
	ts := startWith(t, t.TempDir()+"/t.gpkg", func(c *Config) { c.Ready = &ready })
	for _, p := range []string{"/ogc/collections", "/ogc/collections/dltb", "/ogc/collections/dltb/items", "/ogc/collections/dltb/items/1"} {
		if r := ts.do(t, "GET", p, ""); r.status != 503 || r.header.Get("Retry-After") == "" {
			t.Errorf("%s while loading: %d", p, r.status)
		}
	}
	if r := ts.do(t, "POST", "/ogc/collections/dltb/items", parcelJSON(squareJSON(112, 30, 0.01), "")); r.status != 503 {
		t.Errorf("POST while loading: %d", r.status)
	}
	for _, p := range []string{"/ogc", "/ogc/conformance", "/ogc/api"} {
		if r := ts.do(t, "GET", p, ""); r.status != 200 {
			t.Errorf("%s while loading: %d", p, r.status)
		}
	}
}

// geosIntersects is the brute-force oracle for bbox queries: GEOS, not our
// own intersection test.
func geosIntersects(t *testing.T, feats []*layers.Feature, b orb.Bound) []int64 {
	t.Helper()
	var out []int64
	err := topology.WithContext(func(c *geos.Context) error {
		box := c.NewGeomFromBounds(b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		for _, f := range feats {
			g, err := topology.ToGEOS(c, f.Geometry)
			if err != nil {
				return err
			}
			if g.Intersects(box) {
				out = append(out, f.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func allIDs(t *testing.T, ts *testServer, path string) []int64 {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	fc, _ := ts.items(t, path+sep+"limit=10000")
	if fc.NumberMatched != len(fc.Features) {
		t.Fatalf("%s: matched %d, %d features", path, fc.NumberMatched, len(fc.Features))
	}
	return ids(fc)
}

// TestOGCQueries: bbox, FIELD=value and datetime give the same features as
// a brute-force scan of the layer.
func TestOGCQueries(t *testing.T) {
	ts, d := startOGCDemo(t)
	dltb := d.Catalog.Layer("dltb")
	parcels := d.Features["dltb"]
	ext, _ := ts.idx.Snapshot().Bound("dltb")
	r := rand.New(rand.NewPCG(12, 12))
	for i := 0; i < 12; i++ {
		w, h := ext.Max[0]-ext.Min[0], ext.Max[1]-ext.Min[1]
		x, y := ext.Min[0]+r.Float64()*w, ext.Min[1]+r.Float64()*h
		b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + r.Float64()*w/5, y + r.Float64()*h/5}}
		want := geosIntersects(t, parcels, b)
		bbox := fmt.Sprintf("%v,%v,%v,%v", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		if got := allIDs(t, ts, "/ogc/collections/dltb/items?bbox="+bbox); !slices.Equal(got, want) {
			t.Fatalf("bbox %s: %d features, GEOS finds %d", bbox, len(got), len(want))
		}
		// The same box with a field: the features of both.
		code := parcels[r.IntN(len(parcels))].Props.At(dltb.FieldIndex("DLBM")).(string)
		var both []int64
		for _, id := range want {
			if parcels[id-1].Props.At(dltb.FieldIndex("DLBM")) == code {
				both = append(both, id)
			}
		}
		if got := allIDs(t, ts, "/ogc/collections/dltb/items?bbox="+bbox+"&DLBM="+code); !slices.Equal(got, both) {
			t.Fatalf("bbox %s DLBM=%s: %v, want %v", bbox, code, got, both)
		}
	}
	// FIELD=value for each type of field, against a scan.
	for _, field := range []string{"DLBM", "ZLDWDM", "SJNF", "TBMJ"} {
		i := dltb.FieldIndex(field)
		v := parcels[r.IntN(len(parcels))].Props.At(i)
		var want []int64
		for _, f := range parcels {
			if f.Props.At(i) == v {
				want = append(want, f.ID)
			}
		}
		text := fmt.Sprint(v)
		if x, ok := v.(float64); ok {
			text = strconvFloat(x)
		}
		if got := allIDs(t, ts, "/ogc/collections/dltb/items?"+field+"="+url.QueryEscape(text)); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s=%s: %d features, scan finds %d", field, text, len(got), len(want))
		}
	}
	// datetime: on the instant HSX of change patches and the validity of licences.
	wp, ckq := d.Catalog.Layer("wpbhtb"), d.Catalog.Layer("ckq")
	hsx := wp.FieldIndex("HSX")
	dates := map[string]bool{}
	for _, f := range d.Features["wpbhtb"] {
		dates[f.Props.At(hsx).(string)] = true
	}
	sorted := slices.Sorted(func(yield func(string) bool) {
		for k := range dates {
			if !yield(k) {
				return
			}
		}
	})
	lo, hi := sorted[len(sorted)/4], sorted[3*len(sorted)/4]
	for q, keep := range map[string]func(string) bool{
		lo:                     func(s string) bool { return s == lo },
		lo + "/" + hi:          func(s string) bool { return s >= lo && s <= hi },
		"../" + lo:             func(s string) bool { return s <= lo },
		hi + "/..":             func(s string) bool { return s >= hi },
		lo + "T12:00:00Z":      func(s string) bool { return s == lo },
		lo + "T23:30:00-02:00": func(s string) bool { return s == dayAfter(lo) },
	} {
		var want []int64
		for _, f := range d.Features["wpbhtb"] {
			if keep(f.Props.At(hsx).(string)) {
				want = append(want, f.ID)
			}
		}
		if got := allIDs(t, ts, "/ogc/collections/wpbhtb/items?datetime="+url.QueryEscape(q)); !slices.Equal(got, want) {
			t.Errorf("wpbhtb datetime=%s: %v, scan finds %v", q, got, want)
		}
	}
	qq, qz := ckq.FieldIndex("YXQQ"), ckq.FieldIndex("YXQZ")
	for _, q := range []string{"2020-01-01", "2024-06-30", "2030-01-01", "2018-01-01/2021-12-31", "2026-01-01/.."} {
		a, b, _ := strings.Cut(q, "/")
		if b == "" {
			b = a
		}
		if b == ".." {
			b = "9999-12-31"
		}
		var want []int64
		for _, f := range d.Features["ckq"] {
			if f.Props.At(qq).(string) <= b && f.Props.At(qz).(string) >= a {
				want = append(want, f.ID)
			}
		}
		if got := allIDs(t, ts, "/ogc/collections/ckq/items?datetime="+url.QueryEscape(q)); !slices.Equal(got, want) {
			t.Errorf("ckq datetime=%s: %v, scan finds %v", q, got, want)
		}
	}
	// Refused: unknown or misspelt parameters, a datetime where there is no
	// date, values that are not of the field's type.
	for _, q := range []string{"dlbm=0101", "colour=red", "datetime=2024-01-01", "SJNF=abc", "TBMJ=1e999", "bbox=1,2,3", "f=xml", "filter=x"} {
		r := ts.do(t, "GET", "/ogc/collections/dltb/items?"+q, "")
		if r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
			continue
		}
		errorOf(t, r)
	}
	// Queryables: every field, typed, with its Chinese title.
	var qs struct {
		Type       string
		Properties map[string]struct{ Title, Type, Format string }
	}
	json.Unmarshal(ts.do(t, "GET", "/ogc/collections/wpbhtb/queryables", "").body, &qs)
	for _, f := range wp.Fields {
		p := qs.Properties[f.Name]
		wantType := map[layers.FieldType]string{layers.String: "string", layers.Date: "string", layers.Integer: "integer", layers.Number: "number"}[f.Type]
		if p.Title != f.Label || p.Type != wantType || (f.Type == layers.Date) != (p.Format == "date") {
			t.Errorf("queryable %s: %+v", f.Name, p)
		}
	}
	if g := qs.Properties["geometry"]; g.Format != "geometry-multipolygon" {
		t.Errorf("geometry queryable %+v", g)
	}
	if len(qs.Properties) != len(wp.Fields)+1 || qs.Type != "object" {
		t.Errorf("queryables %+v", qs)
	}
}

func strconvFloat(x float64) string { return fmt.Sprintf("%v", x) }

func dayAfter(d string) string {
	t, _ := time.Parse(time.DateOnly, d)
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// TestOGCCRS: crs and bbox-crs for CRS84, EPSG:4490 and EPSG:4326 in the
// axis order each defines, with Content-Crs.
func TestOGCCRS(t *testing.T) {
	ts, d := startOGCDemo(t)
	type fc struct {
		Features []struct {
			ID       int64
			Geometry struct{ Coordinates [][][][2]float64 }
		}
	}
	get := func(q string) (fc, string) {
		r := ts.do(t, "GET", "/ogc/collections/dltb/items?limit=20&"+q, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		var out fc
		json.Unmarshal(r.body, &out)
		return out, r.header.Get("Content-Crs")
	}
	lonlat, hdr := get("")
	if hdr != "<"+ogc.CRS84URI+">" {
		t.Errorf("default Content-Crs %q", hdr)
	}
	for _, code := range []int{4490, 4326} {
		uri := ogc.EPSGURI(code)
		latlon, hdr := get("crs=" + url.QueryEscape(uri))
		if hdr != "<"+uri+">" {
			t.Errorf("Content-Crs %q for %s", hdr, uri)
		}
		for i, f := range latlon.Features {
			a, b := lonlat.Features[i].Geometry.Coordinates[0][0], f.Geometry.Coordinates[0][0]
			for j := range a {
				if b[j][0] != a[j][1] || b[j][1] != a[j][0] {
					t.Fatalf("EPSG:%d feature %d vertex %d: %v, CRS84 %v (want lat,lon)", code, f.ID, j, b[j], a[j])
				}
			}
		}
		// One item in the CRS too.
		r := ts.do(t, "GET", "/ogc/collections/dltb/items/1?crs="+url.QueryEscape(uri), "")
		var one struct {
			Geometry struct{ Coordinates [][][][2]float64 }
		}
		json.Unmarshal(r.body, &one)
		first := d.Features["dltb"][0].Geometry.(orb.MultiPolygon)[0][0][0]
		if r.header.Get("Content-Crs") != "<"+uri+">" || one.Geometry.Coordinates[0][0][0] != [2]float64{first[1], first[0]} {
			t.Errorf("item 1 in EPSG:%d: %v, stored %v", code, one.Geometry.Coordinates[0][0][0], first)
		}
	}
	// bbox-crs: the same box as lat/lon selects the same parcels.
	ext, _ := ts.idx.Snapshot().Bound("dltb")
	c := ext.Center()
	b := fmt.Sprintf("%v,%v,%v,%v", c[0]-0.005, c[1]-0.005, c[0]+0.005, c[1]+0.005)
	bl := fmt.Sprintf("%v,%v,%v,%v", c[1]-0.005, c[0]-0.005, c[1]+0.005, c[0]+0.005)
	want := allIDs(t, ts, "/ogc/collections/dltb/items?bbox="+b)
	if len(want) == 0 {
		t.Fatal("the test box holds no parcel")
	}
	for _, q := range []string{"bbox=" + bl + "&bbox-crs=" + url.QueryEscape(ogc.EPSGURI(4490)), "bbox=" + bl + "&bbox-crs=" + url.QueryEscape(ogc.EPSGURI(4326)),
		"bbox=" + b + "&bbox-crs=" + url.QueryEscape(ogc.CRS84URI)} {
		if got := allIDs(t, ts, "/ogc/collections/dltb/items?"+q); !slices.Equal(got, want) {
			t.Errorf("%s: %d parcels, want %d", q, len(got), len(want))
		}
	}
	for _, q := range []string{"crs=" + url.QueryEscape(ogc.EPSGURI(3857)), "crs=EPSG:4555", "bbox-crs=" + url.QueryEscape(ogc.EPSGURI(4326))} {
		if r := ts.do(t, "GET", "/ogc/collections/dltb/items?"+q, ""); r.status != 400 {
			t.Errorf("%s: %d", q, r.status)
		}
	}
}

func ckqJSON(geom, name string) string {
	return fmt.Sprintf(`{"type":"Feature","geometry":%s,"properties":{"XKZH":"C4299002026001","KSMC":%q,"KZ":"石灰岩","YXQQ":"2026-01-01","YXQZ":"2030-12-31","KCBGS":120.5,"KCBGX":-20}}`, geom, name)
}

// TestOGCEditing: Part 4 through the same write path: a feature created by
// POST is served by /api/v1 and the tiles; PUT and DELETE with a stale
// If-Match get 412; PATCH merges properties; Content-Crs is honoured.
func TestOGCEditing(t *testing.T) {
	ts, _ := startOGCDemo(t)
	ext, _ := ts.idx.Snapshot().Bound("ckq")
	x, y := ext.Center()[0], ext.Center()[1]
	sq := squareJSON(x, y, 0.004)
	r := ts.do(t, "POST", "/ogc/collections/ckq/items", ckqJSON(sq, "新建矿山"), "Content-Type", "application/geo+json")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.json(t)
	id := int64(created["id"].(float64))
	loc := r.header.Get("Location")
	if loc != fmt.Sprintf("%s/ogc/collections/ckq/items/%d", ts.URL, id) || r.header.Get("ETag") != `"1"` {
		t.Fatalf("Location %q ETag %q", loc, r.header.Get("ETag"))
	}
	if g := getURL(t, loc); g.status != 200 || !strings.Contains(string(g.body), "新建矿山") {
		t.Fatalf("GET Location: %d %s", g.status, g.body)
	}
	if g := ts.do(t, "GET", fmt.Sprintf("/api/v1/layers/ckq/features/%d", id), ""); g.status != 200 || g.json(t)["properties"].(map[string]any)["KSMC"] != "新建矿山" {
		t.Fatalf("/api/v1 does not serve the created licence: %d %s", g.status, g.body)
	}
	tile := maptile.At(orb.Point{x + 0.002, y + 0.002}, 14)
	tr := ts.do(t, "GET", fmt.Sprintf("/tiles/ckq/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y), "")
	found := false
	if tr.status == 200 {
		ls, err := mvt.Unmarshal(tr.body)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			for _, f := range l.Features {
				found = found || fmt.Sprint(f.ID) == fmt.Sprint(id)
			}
		}
	}
	if !found {
		t.Fatalf("tile %v (%d) lacks the created licence %d", tile, tr.status, id)
	}

	item := fmt.Sprintf("/ogc/collections/ckq/items/%d", id)
	// PUT: stale tag 412, the right one 200.
	if r := ts.do(t, "PUT", item, ckqJSON(sq, "改名"), "If-Match", `"7"`); r.status != 412 {
		t.Fatalf("stale PUT: %d %s", r.status, r.body)
	} else if e := errorOf(t, r); e["code"] != "precondition_failed" {
		t.Fatalf("stale PUT error %v", e)
	}
	r = ts.do(t, "PUT", item, ckqJSON(sq, "改名"), "If-Match", `"1"`)
	if r.status != 200 || r.header.Get("ETag") != `"2"` {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	// PATCH: a merge patch of properties; what it does not name is kept.
	patch := `{"properties":{"KSMC":"合并补丁","KCBGS":null}}`
	if r := ts.do(t, "PATCH", item, patch, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`); r.status != 412 {
		t.Fatalf("stale PATCH: %d %s", r.status, r.body)
	}
	r = ts.do(t, "PATCH", item, patch, "Content-Type", "application/merge-patch+json", "If-Match", `"2"`)
	if r.status != 200 || r.header.Get("ETag") != `"3"` {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	props := ts.do(t, "GET", item, "").json(t)["properties"].(map[string]any)
	if props["KSMC"] != "合并补丁" || props["KCBGS"] != nil || props["KCBGX"] != -20.0 || props["XKZH"] != "C4299002026001" || props["YXQZ"] != "2030-12-31" {
		t.Fatalf("after PATCH: %v", props)
	}
	stored, _ := ts.idx.Snapshot().Get("ckq", id)
	if b := stored.Geometry.Bound(); b.Min != (orb.Point{x, y}) {
		t.Fatalf("PATCH of properties moved the geometry to %v", b)
	}
	for _, c := range []struct {
		body, ctype string
		status      int
	}{
		{patch, "text/plain", 415},
		{`["a"]`, "application/merge-patch+json", 400},
		{`{"properties":{"XKZH":null}}`, "application/merge-patch+json", 422},
		{`{"properties":{"NOPE":1}}`, "application/merge-patch+json", 422},
		{`{"id":99}`, "application/merge-patch+json", 400},
		{`{"geometry":{"type":"Point","coordinates":[112,30]}}`, "application/merge-patch+json", 422},
	} {
		if r := ts.do(t, "PATCH", item, c.body, "Content-Type", c.ctype); r.status != c.status {
			t.Errorf("PATCH %s (%s): %d %s, want %d", c.body, c.ctype, r.status, r.body, c.status)
		} else {
			errorOf(t, r)
		}
	}
	// Content-Crs: a geometry sent as lat/lon (EPSG:4326) is stored as lon/lat.
	latlon := fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}`,
		y, x, y, x+0.003, y+0.003, x+0.003, y+0.003, x, y, x)
	r = ts.do(t, "PUT", item, ckqJSON(latlon, "纬度在前"), "Content-Crs", "<"+ogc.EPSGURI(4326)+">")
	if r.status != 200 {
		t.Fatalf("PUT with Content-Crs: %d %s", r.status, r.body)
	}
	stored, _ = ts.idx.Snapshot().Get("ckq", id)
	if b := stored.Geometry.Bound(); b.Min != (orb.Point{x, y}) || b.Max != (orb.Point{x + 0.003, y + 0.003}) {
		t.Fatalf("lat/lon input stored as %v", b)
	}
	if r := ts.do(t, "PUT", item, ckqJSON(sq, "x"), "Content-Crs", "<http://www.opengis.net/def/crs/EPSG/0/3857>"); r.status != 400 {
		t.Fatalf("unknown Content-Crs: %d", r.status)
	}
	// DELETE: stale 412, then gone everywhere.
	if r := ts.do(t, "DELETE", item, "", "If-Match", `"1"`); r.status != 412 {
		t.Fatalf("stale DELETE: %d", r.status)
	}
	if r := ts.do(t, "DELETE", item, "", "If-Match", `"4"`); r.status != 204 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", item, ""); r.status != 404 {
		t.Fatalf("deleted item: %d", r.status)
	}
	// Restricted layers take no writes; bad bodies change nothing.
	if r := ts.do(t, "POST", "/ogc/collections/bdcdj/items", ckqJSON(sq, "x")); r.status != 403 {
		t.Fatalf("POST to a restricted layer: %d", r.status)
	}
	before := ts.idx.Snapshot().Count("ckq")
	for _, body := range []string{`{"type":"Feature"`, ckqJSON(`{"type":"Point","coordinates":[112,30]}`, "x")} {
		if r := ts.do(t, "POST", "/ogc/collections/ckq/items", body); r.status != 400 && r.status != 422 {
			t.Errorf("bad POST: %d", r.status)
		}
	}
	if n := ts.idx.Snapshot().Count("ckq"); n != before {
		t.Fatalf("refused writes changed the count from %d to %d", before, n)
	}
}

// TestOGCHTML: every resource renders as a plain Chinese page when a
// browser asks (Accept) or f=html says so.
func TestOGCHTML(t *testing.T) {
	ts, _ := startOGCDemo(t)
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for path, mention := range map[string]string{
		"/ogc":                                "图层集合",
		"/ogc/conformance":                    ogc.ConfCore,
		"/ogc/api":                            "/collections/dltb/items/{featureId}",
		"/ogc/collections":                    "地类图斑",
		"/ogc/collections/dltb":               "地类编码",
		"/ogc/collections/dltb/queryables":    "地类编码",
		"/ogc/collections/dltb/items?limit=5": "下一页",
		"/ogc/collections/dltb/items/3":       "<svg",
		"/ogc/collections/dzzhd/items/1":      "<circle",
	} {
		for _, how := range []string{"accept", "f"} {
			var r response
			if how == "accept" {
				r = ts.do(t, "GET", path, "", "Accept", browser)
			} else {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				r = ts.do(t, "GET", path+sep+"f=html", "")
			}
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), mention) {
				t.Errorf("%s (%s): %d %s, want HTML mentioning %q", path, how, r.status, r.header.Get("Content-Type"), mention)
			}
			if strings.Contains(string(r.body), "http://") && strings.Contains(string(r.body), "<script") {
				t.Errorf("%s loads a script", path)
			}
		}
	}
	// The items page's next link keeps the HTML format and answers.
	r := ts.do(t, "GET", "/ogc/collections/dltb/items?limit=5&f=html", "")
	body := string(r.body)
	i := strings.Index(body, `rel="next"`)
	j := strings.LastIndex(body[:i], `href="`)
	next := strings.ReplaceAll(body[j+6:strings.IndexByte(body[j+6:], '"')+j+6], "&amp;", "&")
	if g := getURL(t, next); g.status != 200 || !strings.Contains(string(g.body), "自第 6 个起") {
		t.Fatalf("next page %s: %d", next, g.status)
	}
}

// TestOGCNeverA500 throws malformed parameters and bodies at every OGC
// route: each answer is below 500, with a JSON error body when it fails.
func TestOGCNeverA500(t *testing.T) {
	ts, _ := startOGCDemo(t)
	r := rand.New(rand.NewPCG(3, 4))
	params := []string{"bbox=", "bbox=1,2,3,4,5", "bbox=nan,1,2,3", "bbox=1e400,0,1,1", "bbox-crs=x", "bbox-crs=EPSG:4326", "crs=", "crs=EPSG:abc",
		"crs=%5BEPSG:4490%5D", "datetime=", "datetime=../..", "datetime=/", "datetime=9999-12-31T23:59:59Z", "datetime=0001-01-01", "limit=1e3",
		"limit=99999999999999999999", "offset=-1", "offset=99999999", "f=", "f=html", "f=json", "DLBM=", "SJNF=1e3", "TBMJ=-0", "filter-lang=cql2-text",
		"HSX=2024-02-30", "YXQQ=2024-01-01", "x=%00", "DLBM=%E4%B8%AD"}
	bodies := []string{``, `{}`, `null`, `[]`, `{"properties":null}`, `{"geometry":null}`, `{"properties":{"KSMC":{"a":1}}}`, `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0]]]}}`,
		`{"repair":"yes"}`, `{"properties":{"YXQQ":"2024-13-01"}}`, `{"id":"x"}`, `{"geometry":{"type":"MultiPolygon","coordinates":[]}}`}
	paths := []string{"/ogc/collections/dltb/items", "/ogc/collections/ckq/items", "/ogc/collections/wpbhtb/items", "/ogc/collections/ckq/items/1",
		"/ogc/collections/ckq/items/999999", "/ogc/collections/dltb", "/ogc/collections/dltb/queryables", "/ogc/api", "/ogc"}
	for i := 0; i < 400; i++ {
		var q []string
		for j := 0; j < 1+r.IntN(3); j++ {
			q = append(q, params[r.IntN(len(params))])
		}
		method := []string{"GET", "GET", "POST", "PUT", "PATCH", "DELETE"}[r.IntN(6)]
		p := paths[r.IntN(len(paths))] + "?" + strings.Join(q, "&")
		body := ""
		header := []string{"Content-Type", []string{"application/json", "application/merge-patch+json", "application/geo+json"}[r.IntN(3)]}
		if method != "GET" && method != "DELETE" {
			body = bodies[r.IntN(len(bodies))]
		}
		if r.IntN(4) == 0 {
			header = append(header, "Content-Crs", []string{"<" + ogc.EPSGURI(4326) + ">", "nonsense", ""}[r.IntN(3)])
		}
		if r.IntN(4) == 0 {
			header = append(header, "If-Match", []string{`"1"`, `W/"1"`, "*", `"x"`, `1`}[r.IntN(5)])
		}
		res := ts.do(t, method, p, body, header...)
		if res.status >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, p, body, res.status, res.body)
		}
		if res.status >= 400 {
			errorOf(t, res)
		}
	}
}

// cs2cs converts lat/lon on EPSG:4490 to a CRS in its own axis order with
// PROJ's command-line tool, an independent check of our transformation.
func cs2cs(t *testing.T, epsg int, latlon [2]float64) [2]float64 {
	t.Helper()
	cmd := exec.Command("cs2cs", "-f", "%.6f", "EPSG:4490", fmt.Sprintf("EPSG:%d", epsg))
	cmd.Stdin = strings.NewReader(fmt.Sprintf("%.12f %.12f\n", latlon[0], latlon[1]))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cs2cs (`make test` installs proj-bin): %v\n%s", err, out)
	}
	var a, b float64
	if _, err := fmt.Sscan(string(out), &a, &b); err != nil {
		t.Fatalf("cs2cs said %q", out)
	}
	return [2]float64{a, b}
}

// TestOGCZones: the CGCS2000 Gauss-Krüger zones through spatial/crs:
// features written northing first as cs2cs writes them, a bbox given in a
// zone selects exactly the parcels GEOS finds meeting its outline.
func TestOGCZones(t *testing.T) {
	ts, d := startOGCDemo(t)
	// 6° zone 19 (CM 111°E, easting with the zone prefix): two degrees
	// west of the parcels, where its grid turns about a degree from the
	// meridians, so a box in the zone is no box in lon/lat.
	const zone = 4497
	first := d.Features["dltb"][0].Geometry.(orb.MultiPolygon)[0][0][0]
	r := ts.do(t, "GET", fmt.Sprintf("/ogc/collections/dltb/items/1?crs=EPSG:%d", zone), "")
	var one struct {
		Geometry struct{ Coordinates [][][][2]float64 }
	}
	if err := json.Unmarshal(r.body, &one); err != nil || r.status != 200 || r.header.Get("Content-Crs") != "<"+ogc.EPSGURI(zone)+">" {
		t.Fatalf("item in EPSG:%d: %d %s", zone, r.status, r.body)
	}
	got, want := one.Geometry.Coordinates[0][0][0], cs2cs(t, zone, [2]float64{first[1], first[0]})
	if math.Abs(got[0]-want[0]) > 0.001 || math.Abs(got[1]-want[1]) > 0.001 {
		t.Fatalf("first vertex in EPSG:%d: %v, cs2cs %v (northing, easting)", zone, got, want)
	}
	// A 3 km box in the zone, around the parcels' centre.
	ext, _ := ts.idx.Snapshot().Bound("dltb")
	c := cs2cs(t, zone, [2]float64{ext.Center()[1], ext.Center()[0]})
	n0, e0, n1, e1 := c[0]-1500, c[1]-1500, c[0]+1500, c[1]+1500
	q := fmt.Sprintf("bbox=%f,%f,%f,%f&bbox-crs=EPSG:%d", n0, e0, n1, e1, zone)
	var corners [][2]float64
	for i := 0; i < 40; i++ { // the box's edges, back to lon/lat by PROJ
		f := float64(i%10) / 10
		switch i / 10 {
		case 0:
			corners = append(corners, [2]float64{n0, e0 + f*(e1-e0)})
		case 1:
			corners = append(corners, [2]float64{n0 + f*(n1-n0), e1})
		case 2:
			corners = append(corners, [2]float64{n1, e1 - f*(e1-e0)})
		default:
			corners = append(corners, [2]float64{n1 - f*(n1-n0), e0})
		}
	}
	var outline orb.Ring
	for _, ll := range projInverse(t, zone, corners) {
		outline = append(outline, orb.Point{ll[1], ll[0]})
	}
	outline = append(outline, outline[0])
	var wantIDs []int64
	err := topology.WithContext(func(gc *geos.Context) error {
		box, err := topology.ToGEOS(gc, orb.Polygon{outline})
		if err != nil {
			return err
		}
		for _, f := range d.Features["dltb"] {
			g, err := topology.ToGEOS(gc, f.Geometry)
			if err != nil {
				return err
			}
			if g.Intersects(box) {
				wantIDs = append(wantIDs, f.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if gotIDs := allIDs(t, ts, "/ogc/collections/dltb/items?"+q); !slices.Equal(gotIDs, wantIDs) || len(wantIDs) == 0 {
		t.Errorf("bbox in EPSG:%d: %d parcels, GEOS on the outline %d", zone, len(gotIDs), len(wantIDs))
	}
}

// projInverse converts a zone's northing, easting pairs to lat/lon on 4490
// with cs2cs.
func projInverse(t *testing.T, epsg int, ne [][2]float64) [][2]float64 {
	t.Helper()
	var in strings.Builder
	for _, p := range ne {
		fmt.Fprintf(&in, "%.6f %.6f\n", p[0], p[1])
	}
	cmd := exec.Command("cs2cs", "-f", "%.12f", fmt.Sprintf("EPSG:%d", epsg), "EPSG:4490")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cs2cs: %v\n%s", err, out)
	}
	var res [][2]float64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var a, b float64
		if _, err := fmt.Sscan(line, &a, &b); err != nil {
			t.Fatalf("cs2cs said %q", line)
		}
		res = append(res, [2]float64{a, b})
	}
	if len(res) != len(ne) {
		t.Fatalf("cs2cs gave %d points for %d", len(res), len(ne))
	}
	return res
}

// TestOGCFilter: filter in CQL2-text and CQL2-JSON gives the features
// POST /api/v1/query gives for the same box and filter, and what a scan
// of the layer finds.
func TestOGCFilter(t *testing.T) {
	ts, d := startOGCDemo(t)
	l := d.Catalog.Layer("dltb")
	parcels := d.Features["dltb"]
	at := func(f *layers.Feature, name string) any { return f.Props.At(l.FieldIndex(name)) }
	cases := []struct {
		text, json string
		keep       func(f *layers.Feature) bool
	}{
		{`DLBM = '0101' AND SJNF = 2024`, `{"op":"and","args":[{"op":"=","args":[{"property":"DLBM"},"0101"]},{"op":"=","args":[{"property":"SJNF"},2024]}]}`,
			func(f *layers.Feature) bool { return at(f, "DLBM") == "0101" && at(f, "SJNF") == int64(2024) }},
		{`DLBM IN ('0102','0103') OR TBMJ > 20000`, `{"op":"or","args":[{"op":"in","args":[{"property":"DLBM"},["0102","0103"]]},{"op":">","args":[{"property":"TBMJ"},20000]}]}`,
			func(f *layers.Feature) bool {
				v, _ := at(f, "TBMJ").(float64)
				return at(f, "DLBM") == "0102" || at(f, "DLBM") == "0103" || v > 20000
			}},
		{`TBMJ BETWEEN 1000 AND 5000 AND NOT (DLBM LIKE '01%')`, `{"op":"and","args":[{"op":"between","args":[{"property":"TBMJ"},1000,5000]},{"op":"not","args":[{"op":"like","args":[{"property":"DLBM"},"01%"]}]}]}`,
			func(f *layers.Feature) bool {
				v, ok := at(f, "TBMJ").(float64)
				return ok && v >= 1000 && v <= 5000 && !strings.HasPrefix(at(f, "DLBM").(string), "01")
			}},
	}
	ext, _ := ts.idx.Snapshot().Bound("dltb")
	c := ext.Center()
	box := orb.Bound{Min: orb.Point{c[0] - 0.01, c[1] - 0.01}, Max: orb.Point{c[0] + 0.012, c[1] + 0.008}}
	inBox := map[int64]bool{}
	for _, id := range geosIntersects(t, parcels, box) {
		inBox[id] = true
	}
	bbox := fmt.Sprintf("%v,%v,%v,%v", box.Min[0], box.Min[1], box.Max[0], box.Max[1])
	for _, cs := range cases {
		var all, boxed []int64
		for _, f := range parcels {
			if cs.keep(f) {
				all = append(all, f.ID)
				if inBox[f.ID] {
					boxed = append(boxed, f.ID)
				}
			}
		}
		if len(boxed) == 0 || len(boxed) == len(all) {
			t.Fatalf("%s: a weak case (%d in the box of %d)", cs.text, len(boxed), len(all))
		}
		if got := allIDs(t, ts, "/ogc/collections/dltb/items?filter="+url.QueryEscape(cs.text)); !slices.Equal(got, all) {
			t.Errorf("filter %s: %d parcels, a scan %d", cs.text, len(got), len(all))
		}
		q := "/ogc/collections/dltb/items?filter-lang=cql2-json&bbox=" + bbox + "&filter=" + url.QueryEscape(cs.json)
		got := allIDs(t, ts, q)
		if !slices.Equal(got, boxed) {
			t.Errorf("bbox and %s: %d parcels, a scan %d", cs.json, len(got), len(boxed))
		}
		// The same question to POST /api/v1/query.
		body := fmt.Sprintf(`{"geometry":%s,"layers":["dltb"],"relation":"intersects","filter":%s,"limit":10000}`,
			squareBoundJSON(box), cs.json)
		r := ts.do(t, "POST", "/api/v1/query", body)
		var qr struct {
			Results []struct {
				Layer    string
				Features []struct{ ID int64 }
			}
		}
		if err := json.Unmarshal(r.body, &qr); err != nil || r.status != 200 || len(qr.Results) != 1 {
			t.Fatalf("/api/v1/query: %d %s", r.status, r.body)
		}
		var v1 []int64
		for _, f := range qr.Results[0].Features {
			v1 = append(v1, f.ID)
		}
		if !slices.Equal(got, v1) {
			t.Errorf("%s: /ogc gives %d parcels, /api/v1/query %d", cs.json, len(got), len(v1))
		}
	}
	// S_INTERSECTS alone: the R-tree finds the candidates, GEOS agrees.
	sq := fmt.Sprintf("S_INTERSECTS(geometry, BBOX(%v,%v,%v,%v))", box.Min[0], box.Min[1], box.Max[0], box.Max[1])
	if got := allIDs(t, ts, "/ogc/collections/dltb/items?filter="+url.QueryEscape(sq)); !slices.Equal(got, geosIntersects(t, parcels, box)) {
		t.Errorf("%s: %d parcels, GEOS %d", sq, len(got), len(inBox))
	}
	for _, bad := range []string{"filter=DLBM%20%3D", "filter=NOPE%20%3D%201", "filter=SJNF%20%3D%20'x'", "filter=x&filter-lang=cql", "filter=%7B&filter-lang=cql2-json"} {
		r := ts.do(t, "GET", "/ogc/collections/dltb/items?"+bad, "")
		if r.status != 400 {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		} else {
			errorOf(t, r)
		}
	}
}

func squareBoundJSON(b orb.Bound) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}`,
		b.Min[0], b.Min[1], b.Max[0], b.Min[1], b.Max[0], b.Max[1], b.Min[0], b.Max[1], b.Min[0], b.Min[1])
}
