package cql2

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/onemap/onemap/layers"
)

// TestTextAndJSONAgree: each pair is one filter in both encodings.
func TestTextAndJSONAgree(t *testing.T) {
	pairs := []struct{ text, json string }{
		{`DLBM = '0101'`, `{"op":"=","args":[{"property":"DLBM"},"0101"]}`},
		{`DLBM = '0101' AND TBMJ > 1000`, `{"op":"and","args":[{"op":"=","args":[{"property":"DLBM"},"0101"]},{"op":">","args":[{"property":"TBMJ"},1000]}]}`},
		{`HSX BETWEEN DATE('2025-01-01') AND DATE('2025-06-30')`, `{"op":"between","args":[{"property":"HSX"},{"date":"2025-01-01"},{"date":"2025-06-30"}]}`},
		{`HSX > TIMESTAMP('2025-03-01T12:00:00Z')`, `{"op":">","args":[{"property":"HSX"},{"timestamp":"2025-03-01T12:00:00Z"}]}`},
		{`DLBM IN ('0101', '0102')`, `{"op":"in","args":[{"property":"DLBM"},["0101","0102"]]}`},
		{`DLMC LIKE '%田'`, `{"op":"like","args":[{"property":"DLMC"},"%田"]}`},
		{`DLMC IS NULL`, `{"op":"isNull","args":[{"property":"DLMC"}]}`},
		{`DLMC IS NOT NULL`, `{"op":"not","args":[{"op":"isNull","args":[{"property":"DLMC"}]}]}`},
		{`NOT (TBMJ < 2000 OR KCXS <= 0.1)`, `{"op":"not","args":[{"op":"or","args":[{"op":"<","args":[{"property":"TBMJ"},2000]},{"op":"<=","args":[{"property":"KCXS"},0.1]}]}]}`},
		{`DLBM NOT LIKE '01%'`, `{"op":"not","args":[{"op":"like","args":[{"property":"DLBM"},"01%"]}]}`},
		{`S_INTERSECTS(geometry, BBOX(113, 30.5, 113.1, 30.6))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[113,30.5,113.1,30.6]}]}`},
		{`S_INTERSECTS(geom, POLYGON((113 30.5, 113.1 30.5, 113.1 30.6, 113 30.5)))`, `{"op":"s_intersects","args":[{"property":"geom"},{"type":"Polygon","coordinates":[[[113,30.5],[113.1,30.5],[113.1,30.6],[113,30.5]]]}]}`},
		{`"TBMJ" <> -1.5e3`, `{"op":"<>","args":[{"property":"TBMJ"},-1500]}`},
		{`TRUE`, `true`},
		{`dlbm='01' or dlbm='02' and tbmj>=1`, `{"op":"or","args":[{"op":"=","args":[{"property":"dlbm"},"01"]},{"op":"and","args":[{"op":"=","args":[{"property":"dlbm"},"02"]},{"op":">=","args":[{"property":"tbmj"},1]}]}]}`},
		{`QSDWDM = 'it''s'`, `{"op":"=","args":[{"property":"QSDWDM"},"it's"]}`},
	}
	for _, p := range pairs {
		te, err := ParseText(p.text)
		if err != nil {
			t.Fatalf("%s: %v", p.text, err)
		}
		je, err := ParseJSON([]byte(p.json))
		if err != nil {
			t.Fatalf("%s: %v", p.json, err)
		}
		if !reflect.DeepEqual(te, je) {
			t.Errorf("%s\n text: %#v\n json: %#v", p.text, te, je)
		}
		// The text an Expr writes reads back to the same tree.
		back, err := ParseText(te.String())
		if err != nil || !reflect.DeepEqual(back, te) {
			t.Errorf("%s → %s → %#v, %v", p.text, te.String(), back, err)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	texts := []struct {
		in  string
		off int
		msg string
	}{
		{``, 0, "empty"},
		{`DLBM = `, 7, "expected a property or a value"},
		{`DLBM = '0101`, 7, "not closed"},
		{`(DLBM = '1'`, 11, `expected ")"`},
		{`DLBM == '1'`, 6, "expected a property or a value"},
		{`DLBM '1'`, 5, "expected a comparison"},
		{`TBMJ BETWEEN 1`, 14, "expected AND"},
		{`AND`, 0, "keyword AND"},
		{`DLBM = '1' junk`, 11, "unexpected"},
		{`DLBM NOT = '1'`, 9, "expected LIKE, BETWEEN or IN after NOT"},
		{`TBMJ > 1e999`, 7, "out of range"},
		{`TBMJ > 12abc`, 7, "malformed number"},
		{`HSX > DATE('2025-13-01')`, 11, "not a date"},
		{`HSX > TIMESTAMP('2025-01-01 08:00')`, 16, "not a timestamp"},
		{`DLBM IN ()`, 9, "expected a property or a value"},
		{`S_INTERSECTS(geometry, BBOX(1, 2, 3))`, 23, "4 numbers"},
		{`S_INTERSECTS(geometry, BBOX(3, 2, 1, 4))`, 23, "exceeds"},
		{`S_INTERSECTS(geometry, POLYGON((1 2, 3)))`, 38, "expected a coordinate"},
		{`S_INTERSECTS(geometry, POLYGON EMPTY)`, 23, "empty"},
		{`S_INTERSECTS(geometry, geom)`, 27, "one geometry property and one"},
		{`S_INTERSECTS(geometry, POINT(39500000 3400000))`, 23, "lon/lat on EPSG:4490"},
		{`DLBM = '1' ; DROP TABLE dltb`, 11, "unexpected character"},
		{strings.Repeat("NOT ", 100) + `DLBM = '1'`, 260, "nested deeper"},
		{strings.Repeat("(", 100) + `DLBM = '1'` + strings.Repeat(")", 100), 65, "nested deeper"},
	}
	for _, tc := range texts {
		_, err := ParseText(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: want *SyntaxError, got %v", tc.in, err)
			continue
		}
		if se.Offset != tc.off || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%q: got %q at %d, want %q at %d", tc.in, se.Msg, se.Offset, tc.msg, tc.off)
		}
	}
	jsons := []struct{ in, path, msg string }{
		{`{"op":"=","args":[{"property":"DLBM"}]}`, "$.args", "takes 2 arguments"},
		{`{"args":[]}`, "$", `no "op"`},
		{`[1,2]`, "$", "got an array"},
		{`{"op":"=","args":[{"property":"DLBM"},null]}`, "$.args[1]", "isNull"},
		{`{"op":"in","args":[{"property":"DLBM"},"x"]}`, "$.args[1]", "non-empty array"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[0,0,200,1]}]}`, "$.args[1].bbox", "outside"},
		{`{"op":">","args":[{"property":"TBMJ"},1e999]}`, "$.args[1]", "out of range"},
		{`{"op":"=","args":[{"property":"DLBM"},"1"]} {}`, "$", "text after"},
		{`{"op":"=","args":[{"property":"DLBM"},"1"],"extra":1}`, "$", `unknown member "extra"`},
		{`{"op":"and","args":[true]}`, "$.args", "at least 2"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[117,91]}]}`, "$.args[1]", "outside"},
		{`{"op":"=","args":[{"property":""},"1"]}`, "$.args[0].property", "non-empty"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[1]]]}]}`, "$.args[1]", "has 1 numbers"},
		{`{"op":"=","args":[{"property":"HSX"},{"date":"yesterday"}]}`, "$.args[1].date", "not a date"},
		{`{"op":`, "$", "malformed JSON"},
	}
	for _, tc := range jsons {
		_, err := ParseJSON([]byte(tc.in))
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: want *SyntaxError, got %v", tc.in, err)
			continue
		}
		if se.Path != tc.path || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%s: got %q at %s, want %q at %s", tc.in, se.Msg, se.Path, tc.msg, tc.path)
		}
	}
	unsupported := []string{`S_WITHIN(geometry, BBOX(1,2,3,4))`, `T_AFTER(HSX, DATE('2025-01-01'))`, `UPPER(DLMC) = 'X'`, `HSX = INTERVAL('2025-01-01','..')`}
	for _, s := range unsupported {
		var ue *UnsupportedError
		if _, err := ParseText(s); !errors.As(err, &ue) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: want *UnsupportedError, got %v", s, err)
		}
	}
	var ue *UnsupportedError
	if _, err := ParseJSON([]byte(`{"op":"s_within","args":[]}`)); !errors.As(err, &ue) {
		t.Errorf("s_within: want *UnsupportedError, got %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	cat := layers.DefaultCatalog()
	dltb, wpbhtb := cat.Layer("dltb"), cat.Layer("wpbhtb")
	cases := []struct {
		layer *layers.Layer
		text  string
		field string // named in the error
		want  any
	}{
		{dltb, `NOSUCH = '1'`, "NOSUCH", new(*FieldError)},
		{dltb, `DLBM = '1' AND HSX > DATE('2025-01-01')`, "HSX", new(*FieldError)},
		{dltb, `TBMJ > '1000'`, "TBMJ", new(*TypeError)},
		{dltb, `DLBM = 101`, "DLBM", new(*TypeError)},
		{dltb, `'0101' = DLBM AND 5 = DLMC`, "DLMC", new(*TypeError)},
		{dltb, `TBMJ LIKE '1%'`, "TBMJ", new(*TypeError)},
		{dltb, `DLBM LIKE DLMC`, "DLBM", new(*TypeError)},
		{dltb, `DLBM = TBMJ`, "DLBM", new(*TypeError)},
		{dltb, `TBMJ BETWEEN 1 AND '9'`, "TBMJ", new(*TypeError)},
		{dltb, `DLBM IN ('0101', 2)`, "DLBM", new(*TypeError)},
		{dltb, `DLBM = TRUE`, "DLBM", new(*TypeError)},
		{dltb, `TRUE < FALSE`, "", new(*TypeError)},
		{dltb, `geometry = 'x'`, "geometry", new(*TypeError)},
		{dltb, `S_INTERSECTS(DLBM, BBOX(1,2,3,4))`, "DLBM", new(*TypeError)},
		{dltb, `S_INTERSECTS(shape, BBOX(1,2,3,4))`, "shape", new(*FieldError)},
		{wpbhtb, `HSX > 'tomorrow'`, "HSX", new(*TypeError)},
		{wpbhtb, `HSX > 20250101`, "HSX", new(*TypeError)},
		{wpbhtb, `HSX = JCBH`, "HSX", new(*TypeError)},
	}
	for _, tc := range cases {
		e, err := ParseText(tc.text)
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		_, err = Compile(e, tc.layer, Options{})
		if err == nil || !errors.As(err, tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: want %T, got %v", tc.text, tc.want, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %q does not name %s", tc.text, err, tc.field)
		}
	}
}

func TestEquals(t *testing.T) {
	dltb := layers.DefaultCatalog().Layer("dltb")
	e, err := Equals(dltb, "sjnf", "2024")
	if err != nil || e.String() != `("SJNF" = 2024)` {
		t.Fatalf("got %v, %v", e, err)
	}
	if _, err := Equals(dltb, "SJNF", "twenty"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("want a type error, got %v", err)
	}
	if _, err := Equals(dltb, "NOPE", "1"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("want a field error, got %v", err)
	}
}

func TestLike(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"01%", "0101", true}, {"01%", "1001", false},
		{"%田", "水田", true}, {"%田", "田地", false},
		{"_田", "水田", true}, {"_田", "水浇田", false},
		{"%林%", "乔木林地", true}, {"%林%", "草地", false},
		{"a%b%c", "aXXbYYc", true}, {"a%b%c", "aXXcYYb", false},
		{"a%bc", "abcbc", true}, {"%a_c%", "xxabcxx", true},
		{"", "", true}, {"", "x", false}, {"%", "", true},
		{`100\%`, "100%", true}, {`100\%`, "1000", false}, {`a\_b`, "a_b", true}, {`a\_b`, "axb", false},
		{"4299__1%", "429901100", true}, {"4299__1%", "429901200", false},
		{"%%a", "a", true}, {"_", "", false}, {"__", "田", false},
	}
	for _, tc := range cases {
		if got := compileLike(tc.pattern).match(tc.s); got != tc.want {
			t.Errorf("%q LIKE %q = %v, want %v", tc.s, tc.pattern, got, tc.want)
		}
	}
}
