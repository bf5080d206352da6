package cql2

import (
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// fuzzFeatures are a few dltb features to evaluate what the fuzzer builds.
func fuzzFeatures() (*layers.Layer, []*layers.Feature) {
	l := layers.DefaultCatalog().Layer("dltb")
	sq := orb.MultiPolygon{{{{113, 30.5}, {113.01, 30.5}, {113.01, 30.51}, {113, 30.5}}}}
	return l, []*layers.Feature{
		{ID: 1, Geometry: sq, Props: layers.NewProps("1", "1", "0101", "水田", "10", "4299010010010000000", "429901001001", 1234.5, 0.1, int64(2024))},
		{ID: 2, Geometry: sq, Props: layers.NewProps(nil, nil, "0301", nil, nil, nil, "429901001001", nil, nil, nil)},
	}
}

// checkExpr: what parsed compiles or fails with a typed error, evaluates
// without panicking, and its text reads back to the same tree.
func checkExpr(t *testing.T, e Expr) {
	l, feats := fuzzFeatures()
	if f, err := Compile(e, l, Options{}); err == nil {
		for _, feat := range feats {
			f.Match(feat)
		}
	}
	text := e.String()
	back, err := ParseText(text)
	if err != nil {
		t.Fatalf("%#v writes %q, which does not parse: %v", e, text, err)
	}
	if !reflect.DeepEqual(back, e) {
		t.Fatalf("%q reads back as %#v, not %#v", text, back, e)
	}
}

func FuzzParseText(f *testing.F) {
	for _, s := range []string{
		`DLBM = '0101' AND TBMJ > 1000`,
		`HSX BETWEEN DATE('2025-01-01') AND DATE('2025-06-30')`,
		`HSX > TIMESTAMP('2025-03-01T12:00:00+08:00')`,
		`DLBM IN ('0101', '0102') OR NOT DLMC LIKE '%田' AND DLMC IS NOT NULL`,
		`S_INTERSECTS(geometry, BBOX(113, 30.5, 113.1, 30.6))`,
		`S_INTERSECTS(geom, POLYGON((113 30.5, 113.1 30.5, 113.1 30.6, 113 30.5)))`,
		`"TBMJ" <> -1.5e3 AND TRUE`,
		`(((DLBM = 'it''s')))`,
		`TBMJ NOT BETWEEN 1 AND 2`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseText(s)
		if err != nil {
			return
		}
		checkExpr(t, e)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"op":"=","args":[{"property":"DLBM"},"0101"]}`,
		`{"op":"and","args":[{"op":"=","args":[{"property":"DLBM"},"0101"]},{"op":">","args":[{"property":"TBMJ"},1000]}]}`,
		`{"op":"between","args":[{"property":"HSX"},{"date":"2025-01-01"},{"date":"2025-06-30"}]}`,
		`{"op":"in","args":[{"property":"DLBM"},["0101","0102"]]}`,
		`{"op":"not","args":[{"op":"isNull","args":[{"property":"DLMC"}]}]}`,
		`{"op":"like","args":[{"property":"DLMC"},"%田"]}`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[113,30.5,113.1,30.6]}]}`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"MultiPolygon","coordinates":[[[[113,30.5],[113.1,30.5],[113.1,30.6],[113,30.5]]]]}]}`,
		`{"op":"<","args":[{"property":"HSX"},{"timestamp":"2025-03-01T12:00:00Z"}]}`,
		`true`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseJSON([]byte(s))
		if err != nil {
			return
		}
		checkExpr(t, e)
	})
}
