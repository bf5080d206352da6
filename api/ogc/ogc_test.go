package ogc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

func feature(l *layers.Layer, vals map[string]any) *layers.Feature {
	out := make([]any, len(l.Fields))
	for k, v := range vals {
		out[l.FieldIndex(k)] = v
	}
	return &layers.Feature{ID: 1, Version: 1, Geometry: orb.Point{112, 30}, Props: layers.NewProps(out...)}
}

func TestDatetimeOnInstantAndInterval(t *testing.T) {
	cat := layers.DefaultCatalog()
	patch := cat.Layer("wpbhtb") // HSX, an instant
	licence := cat.Layer("ckq")  // YXQQ–YXQZ, an interval
	p := feature(patch, map[string]any{"HSX": "2024-05-01"})
	undated := feature(patch, nil)
	lic := feature(licence, map[string]any{"YXQQ": "2020-01-01", "YXQZ": "2024-12-31"})
	openEnd := feature(licence, map[string]any{"YXQQ": "2020-01-01"})
	cases := []struct {
		q    string
		f    *layers.Feature
		l    *layers.Layer
		want bool
	}{
		{"2024-05-01", p, patch, true},
		{"2024-05-02", p, patch, false},
		{"2024-05-01T23:59:59Z", p, patch, true},
		{"2024-05-02T00:00:00Z", p, patch, false},
		{"2024-05-02T07:00:00+08:00", p, patch, true}, // 2024-05-01T23:00Z
		{"2024-04-01/2024-05-01", p, patch, true},
		{"2024-05-02/..", p, patch, false},
		{"../2024-05-01", p, patch, true},
		{"/2024-04-30", p, patch, false},
		{"2024-05-01/", p, patch, true},
		{"2024-05-01T/..", p, patch, true}, // GDAL 3.6's form of a date
		{"2024-05-02T/..", p, patch, false},
		{"../..", undated, patch, false}, // a null date never matches
		{"2023-06-01", lic, licence, true},
		{"2024-12-31", lic, licence, true},
		{"2025-01-01", lic, licence, false},
		{"2019-12-31", lic, licence, false},
		{"2019-01-01/2020-01-01", lic, licence, true},
		{"2030-01-01", openEnd, licence, true}, // no end: still valid
		{"2019-06-01", openEnd, licence, false},
	}
	for _, c := range cases {
		m, err := datetimeFilter(c.l, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if got := m(c.f); got != c.want {
			t.Errorf("datetime=%s on %s: %v, want %v", c.q, c.f.Props.Values(), got, c.want)
		}
	}
	for _, bad := range []string{"", "2024-13-01", "2024-05-01T10:00:00", "yesterday", "2024-05-02/2024-05-01", "a/b/c", "2024-05-01/x"} {
		_, err := datetimeFilter(patch, bad)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Param != "datetime" {
			t.Errorf("datetime=%q: %v, want a ParamError", bad, err)
		}
	}
	if _, err := datetimeFilter(cat.Layer("dltb"), "2024-01-01"); err == nil || !strings.Contains(err.Error(), "dltb") {
		t.Errorf("datetime on a layer without time: %v", err)
	}
}

func TestTemporalInterval(t *testing.T) {
	l := layers.DefaultCatalog().Layer("ckq")
	feats := []*layers.Feature{
		feature(l, map[string]any{"YXQQ": "2021-03-01", "YXQZ": "2023-02-28"}),
		feature(l, map[string]any{"YXQQ": "2019-07-15", "YXQZ": "2022-01-01"}),
	}
	got := TemporalInterval(l, func(yield func(*layers.Feature) bool) {
		for _, f := range feats {
			if !yield(f) {
				return
			}
		}
	})
	if got == nil || *got[0] != "2019-07-15T00:00:00Z" || *got[1] != "2023-02-28T23:59:59Z" {
		t.Fatalf("interval %v", got)
	}
	if TemporalInterval(layers.DefaultCatalog().Layer("dltb"), func(func(*layers.Feature) bool) {}) != nil {
		t.Fatal("a layer without time has an interval")
	}
}

func TestFieldParameters(t *testing.T) {
	a := New(layers.DefaultCatalog(), Options{})
	l := a.cat.Layer("dltb")
	f := feature(l, map[string]any{"DLBM": "0101", "SJNF": int64(2024), "TBMJ": 12.5, "ZLDWDM": "4299"})
	match := func(q string) bool {
		t.Helper()
		v, _ := url.ParseQuery(q)
		m, _, err := a.Filter(l, v)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return m(f)
	}
	for q, want := range map[string]bool{
		"DLBM=0101": true, "DLBM=0102": false, "DLBM=101": false, "SJNF=2024": true, "SJNF=2023": false,
		"TBMJ=12.5": true, "TBMJ=12.50": true, "TBMJ=12": false, "DLBM=0101&SJNF=2024": true, "DLBM=0101&SJNF=2023": false,
		"BSM=x": false, // null never matches
	} {
		if got := match(q); got != want {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	for _, q := range []string{"SJNF=20x4", "SJNF=2024.5", "TBMJ=abc", "TBMJ=NaN"} {
		v, _ := url.ParseQuery(q)
		_, err := a.ParseItems(context.Background(), l, v)
		var pe *ParamError
		if !errors.As(err, &pe) {
			t.Errorf("%s: %v, want a ParamError", q, err)
		}
	}
	// Unknown, lower-case and repeated parameters, and filter without a compiler.
	for q, mention := range map[string]string{"dlbm=0101": "DLBM", "colour=red": "known:", "DLBM=0101&DLBM=0102": "2 times",
		"filter=DLBM%3D%270101%27": "filter", "bbox-crs=" + url.QueryEscape(EPSGURI(4326)): "without bbox"} {
		v, _ := url.ParseQuery(q)
		_, err := a.ParseItems(context.Background(), l, v)
		if err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("%s: %v, want an error mentioning %q", q, err, mention)
		}
	}
	v, _ := url.ParseQuery("limit=5")
	if _, err := a.ParseItem(l, v); err == nil {
		t.Error("limit accepted on a single item")
	}
}

func TestBBoxAxisOrder(t *testing.T) {
	a := New(layers.DefaultCatalog(), Options{})
	l := a.cat.Layer("dltb")
	want := orb.Bound{Min: orb.Point{112, 30}, Max: orb.Point{113, 31}}
	for _, q := range []string{
		"bbox=112,30,113,31",
		"bbox=112,30,0,113,31,100",
		"bbox=30,112,31,113&bbox-crs=" + url.QueryEscape(EPSGURI(4490)),
		"bbox=30,112,31,113&bbox-crs=" + url.QueryEscape(EPSGURI(4326)),
		"bbox=30,112,31,113&bbox-crs=EPSG:4326",
		"bbox=112,30,113,31&bbox-crs=" + url.QueryEscape(CRS84URI),
	} {
		v, _ := url.ParseQuery(q)
		iq, err := a.ParseItems(context.Background(), l, v)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if *iq.BBox != want {
			t.Errorf("%s: box %v, want %v", q, *iq.BBox, want)
		}
	}
	for _, q := range []string{"bbox=112,30,113", "bbox=113,30,112,31", "bbox=112,95,113,96", "bbox=112,30,113,31&bbox-crs=" + url.QueryEscape(EPSGURI(4326)),
		"bbox=1,2,3,4&bbox-crs=EPSG:3857", "crs=EPSG:4527", "crs=nonsense"} {
		v, _ := url.ParseQuery(q)
		if _, err := a.ParseItems(context.Background(), l, v); err == nil {
			t.Errorf("%s accepted", q)
		}
	}
}

// TestProjectorSeam: with a projector, the Gauss-Krüger zones are offered,
// written northing first, and a bbox in a zone becomes the lon/lat box of
// its corners.
func TestProjectorSeam(t *testing.T) {
	// A stand-in projection: metres = degrees × 100000 (easting first).
	fake := func(_ context.Context, g orb.Geometry, from, to int) (orb.Geometry, error) {
		k := 100000.0
		if to == StorageEPSG {
			k = 1 / k
		}
		return scale(g, k), nil
	}
	var outline orb.Geometry
	intersects := func(l *layers.Layer, g orb.Geometry) (func(*layers.Feature) bool, error) {
		outline = g
		return func(*layers.Feature) bool { return false }, nil
	}
	a := New(layers.DefaultCatalog(), Options{Project: fake, Intersects: intersects})
	if n := len(a.CRSs()); n != 3+64 {
		t.Fatalf("%d CRSs offered", n)
	}
	v, _ := url.ParseQuery("crs=" + url.QueryEscape(EPSGURI(4527)) + "&bbox=3000000,11200000,3100000,11300000&bbox-crs=EPSG:4527")
	iq, err := a.ParseItems(context.Background(), a.cat.Layer("dltb"), v)
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b orb.Point) bool { return math.Abs(a[0]-b[0]) < 1e-9 && math.Abs(a[1]-b[1]) < 1e-9 }
	if !near(iq.BBox.Min, orb.Point{112, 30}) || !near(iq.BBox.Max, orb.Point{113, 31}) {
		t.Fatalf("zone bbox became %v", *iq.BBox)
	}
	// The box's outline, in lon/lat, is what features must meet.
	if p, ok := outline.(orb.Polygon); !ok || len(p[0]) < 5 || p[0][0] != p[0][len(p[0])-1] || !near(p.Bound().Max, orb.Point{113, 31}) {
		t.Fatalf("outline %v", outline)
	}
	if iq.Match == nil || iq.Match(feature(a.cat.Layer("dltb"), nil)) {
		t.Fatal("the outline test is not applied")
	}
	g, err := iq.CRS.FromStorage(context.Background(), orb.Point{112, 30})
	if err != nil || g.(orb.Point) != (orb.Point{3000000, 11200000}) {
		t.Fatalf("to the zone: %v %v (want northing first)", g, err)
	}
	back, err := iq.CRS.ToStorage(context.Background(), g)
	if err != nil || !near(back.(orb.Point), orb.Point{112, 30}) {
		t.Fatalf("back: %v %v", back, err)
	}
}

func scale(g orb.Geometry, k float64) orb.Geometry {
	switch v := g.(type) {
	case orb.Point:
		return orb.Point{v[0] * k, v[1] * k}
	case orb.Polygon:
		out := orb.Polygon{}
		for _, r := range v {
			var o orb.Ring
			for _, p := range r {
				o = append(o, orb.Point{p[0] * k, p[1] * k})
			}
			out = append(out, o)
		}
		return out
	}
	panic("unexpected geometry")
}

// TestFilterSeam: with a FilterCompiler, filter and filter-lang are
// accepted and passed on, its match is ANDed with the other parameters,
// its bound selects the candidates when there is no bbox, and its
// conformance classes, parameters and the geometry queryable appear.
func TestFilterSeam(t *testing.T) {
	var gotText, gotLang string
	b := orb.Bound{Min: orb.Point{112, 30}, Max: orb.Point{112.5, 30.5}}
	compile := func(l *layers.Layer, text, lang string) (func(*layers.Feature) bool, *orb.Bound, error) {
		gotText, gotLang = text, lang
		if text == "bad" {
			return nil, nil, errors.New("syntax error")
		}
		return func(f *layers.Feature) bool { return f.ID%2 == 0 }, &b, nil
	}
	a := New(layers.DefaultCatalog(), Options{Filter: compile, FilterConformance: []string{"http://example.org/conf/cql2-text"}})
	l := a.cat.Layer("dltb")
	v, _ := url.ParseQuery("filter=DLBM%3D%270101%27&DLBM=0101")
	iq, err := a.ParseItems(context.Background(), l, v)
	if err != nil || gotText != "DLBM='0101'" || gotLang != "cql2-text" || iq.BBox == nil || *iq.BBox != b {
		t.Fatalf("%v %q %q %v", err, gotText, gotLang, iq.BBox)
	}
	even := feature(l, map[string]any{"DLBM": "0101"})
	even.ID = 2
	odd := feature(l, map[string]any{"DLBM": "0101"})
	odd.ID = 3
	other := feature(l, map[string]any{"DLBM": "0102"})
	other.ID = 4
	if !iq.Match(even) || iq.Match(odd) || iq.Match(other) {
		t.Fatal("filter and DLBM=0101 are not both required")
	}
	v, _ = url.ParseQuery("filter=x&filter-lang=cql2-json&bbox=112,30,113,31")
	if iq, err = a.ParseItems(context.Background(), l, v); err != nil || gotLang != "cql2-json" || iq.BBox.Max != (orb.Point{113, 31}) {
		t.Fatalf("json: %v %q %v", err, gotLang, iq.BBox)
	}
	for _, q := range []string{"filter=bad", "filter=x&filter-lang=sql", "filter-lang=cql2-text", "filter=x&filter-crs=EPSG:4326"} {
		v, _ := url.ParseQuery(q)
		if _, err := a.ParseItems(context.Background(), l, v); err == nil {
			t.Errorf("%s accepted", q)
		}
	}
	if c := a.ConformsTo(); c[len(c)-1] != "http://example.org/conf/cql2-text" {
		t.Errorf("conformance %v", c)
	}
	if _, ok := a.Queryables("", l)["properties"].(members); !ok {
		t.Fatal("queryables properties")
	}
	props := a.Queryables("", l)["properties"].(members)
	if props[0].name != "geometry" {
		t.Errorf("no geometry queryable: %v", props[0].name)
	}
	doc, _ := json.Marshal(a.OpenAPI("", []*layers.Layer{l}))
	if !bytes.Contains(doc, []byte(`"name":"filter-lang"`)) {
		t.Error("filter-lang missing from the OpenAPI document")
	}
}

func TestSwapAxesTwiceIsIdentity(t *testing.T) {
	g := orb.MultiPolygon{{{{1, 2}, {3, 4}, {5, 6}, {1, 2}}}, {{{7, 8}, {9, 10}, {11, 12}, {7, 8}}}}
	s := swapAxes(g).(orb.MultiPolygon)
	if s[0][0][1] != (orb.Point{4, 3}) || g[0][0][1] != (orb.Point{3, 4}) {
		t.Fatalf("swap %v (input changed: %v)", s, g)
	}
	if !orb.Equal(swapAxes(s), g) {
		t.Fatal("swapping twice changed the geometry")
	}
}

func TestNegotiate(t *testing.T) {
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	cases := []struct {
		f, accept string
		want      Format
	}{
		{"", "", JSON}, {"", browser, HTML}, {"", "*/*", JSON}, {"", "application/geo+json, application/json", JSON},
		{"json", browser, JSON}, {"html", "application/json", HTML}, {"", "application/json;q=0.5, text/html;q=0.4", JSON},
		{"", "text/html;q=0.4, application/json;q=0.3", HTML},
	}
	for _, c := range cases {
		got, err := Negotiate(c.f, c.accept)
		if err != nil || got != c.want {
			t.Errorf("f=%q Accept %q: %v %v, want %v", c.f, c.accept, got, err, c.want)
		}
	}
	if _, err := Negotiate("xml", ""); err == nil {
		t.Error("f=xml accepted")
	}
}

// TestMergePatch runs the examples of RFC 7396, appendix A.
func TestMergePatch(t *testing.T) {
	cases := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
		{`{"n":9007199254740993}`, `{"m":1.10}`, `{"m":1.10,"n":9007199254740993}`}, // numbers kept as text
	}
	for _, c := range cases {
		got, err := MergePatch([]byte(c.target), []byte(c.patch))
		if err != nil {
			t.Fatalf("%s + %s: %v", c.target, c.patch, err)
		}
		if !jsonEqual(t, got, []byte(c.want)) {
			t.Errorf("%s + %s = %s, want %s", c.target, c.patch, got, c.want)
		}
	}
	for _, p := range []string{`["a"]`, `"x"`, `null`, `{`, `{} {}`} {
		if _, err := MergePatch([]byte(`{}`), []byte(p)); err == nil {
			t.Errorf("patch %s accepted", p)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var x, y bytes.Buffer
	if err := json.Compact(&x, a); err != nil {
		t.Fatal(err)
	}
	if err := json.Compact(&y, b); err != nil {
		t.Fatal(err)
	}
	var xm, ym any
	dx := json.NewDecoder(&x)
	dx.UseNumber()
	dy := json.NewDecoder(&y)
	dy.UseNumber()
	dx.Decode(&xm)
	dy.Decode(&ym)
	xb, _ := json.Marshal(xm)
	yb, _ := json.Marshal(ym)
	return bytes.Equal(xb, yb)
}

func TestHTMLPages(t *testing.T) {
	a := New(layers.DefaultCatalog(), Options{})
	base := "http://example.org"
	l := a.cat.Layer("dltb")
	f := feature(l, map[string]any{"DLBM": "0101", "DLMC": "<script>alert(1)</script>", "TBMJ": 12.5})
	f.Geometry = orb.MultiPolygon{{{{112, 30}, {112.01, 30}, {112.01, 30.01}, {112, 30}}}}
	n := 7
	col := a.CollectionDoc(base, l, CollectionState{Count: &n, Bound: &orb.Bound{Min: orb.Point{112, 30}, Max: orb.Point{113, 31}}})
	var buf bytes.Buffer
	steps := []struct {
		name    string
		render  func() error
		mention []string
	}{
		{"landing", func() error { return a.RenderLanding(&buf, base) }, []string{"图层集合", base + "/ogc/api"}},
		{"conformance", func() error { return a.RenderConformance(&buf, base) }, []string{ConfCore, ConfCRS}},
		{"collections", func() error { return a.RenderCollections(&buf, base, []Collection{col}) }, []string{"地类图斑", ">7<"}},
		{"collection", func() error { return a.RenderCollection(&buf, base, l, col) }, []string{"地类编码", "DLBM", EPSGURI(4490)}},
		{"queryables", func() error { return a.RenderQueryables(&buf, base, l) }, []string{"地类编码"}},
		{"api", func() error { return a.RenderAPI(&buf, base, a.OpenAPI(base, []*layers.Layer{l})) }, []string{"/collections/dltb/items/{featureId}", "PATCH"}},
		{"items", func() error {
			return a.RenderItems(&buf, base, l, ItemsPage{Matched: 1, Returned: 1, Next: base + "/next", JSON: base + "/json"})
		}, []string{"地类编码", `rel="next"`}},
		{"item", func() error { return a.RenderItem(&buf, base, l, f) }, []string{"地类编码", "<svg", "<path d=\"M", "&lt;script&gt;", "12.5"}},
	}
	for _, s := range steps {
		buf.Reset()
		if err := s.render(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		out := buf.String()
		for _, m := range s.mention {
			if !strings.Contains(out, m) {
				t.Errorf("%s page lacks %q", s.name, m)
			}
		}
		if strings.Contains(out, "<script>") {
			t.Errorf("%s page carries an unescaped script", s.name)
		}
	}
}

func TestSVGFitsItsBox(t *testing.T) {
	g := orb.MultiPolygon{{{{112, 30}, {112.01, 30}, {112.01, 30.02}, {112, 30}}}}
	s := string(SVG(g, 200, 100))
	if !strings.HasPrefix(s, "<svg") || !strings.Contains(s, `viewBox="0 0 200 100"`) {
		t.Fatalf("svg %s", s)
	}
	// Every coordinate of the path lies inside the box.
	d := s[strings.Index(s, `d="`)+3:]
	d = d[:strings.IndexByte(d, '"')]
	for _, tok := range strings.FieldsFunc(d, func(r rune) bool { return r == 'M' || r == 'L' || r == 'Z' || r == ' ' }) {
		var x float64
		if err := json.Unmarshal([]byte(tok), &x); err != nil || x < 0 || x > 200 {
			t.Fatalf("coordinate %q outside the box in %s", tok, d)
		}
	}
	if !strings.Contains(string(SVG(orb.Point{112, 30}, 100, 100)), "<circle") {
		t.Fatal("a point is not drawn")
	}
}
