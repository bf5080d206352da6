package wkt

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	owkt "github.com/paulmach/orb/encoding/wkt"
)

func TestParseValid(t *testing.T) {
	sq := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	hole := orb.Ring{{0.2, 0.2}, {0.2, 0.4}, {0.4, 0.4}, {0.2, 0.2}}
	cases := []struct {
		in   string
		want orb.Geometry
		srid int
	}{
		{"POINT(117 30.5)", orb.Point{117, 30.5}, 0},
		{"  point ( -1.5e2   +3.25E-1 )  ", orb.Point{-150, 0.325}, 0},
		{"POINT Z (1 2 3)", orb.Point{1, 2}, 0},
		{"POINT ZM (1 2 3 4)", orb.Point{1, 2}, 0},
		{"POINT (1 2 3)", orb.Point{1, 2}, 0},
		{"POINT(.5 5.)", orb.Point{0.5, 5}, 0},
		{"LINESTRING(0 0,1 1, 2 0)", orb.LineString{{0, 0}, {1, 1}, {2, 0}}, 0},
		{"POLYGON((0 0,1 0,1 1,0 1,0 0),(0.2 0.2,0.2 0.4,0.4 0.4,0.2 0.2))", orb.Polygon{sq, hole}, 0},
		{"POLYGON Z ((0 0 5,1 0 5,1 1 5,0 1 5,0 0 5))", orb.Polygon{sq}, 0},
		{"MULTIPOINT(1 2, 3 4)", orb.MultiPoint{{1, 2}, {3, 4}}, 0},
		{"MULTIPOINT((1 2), (3 4))", orb.MultiPoint{{1, 2}, {3, 4}}, 0},
		{"MULTILINESTRING((0 0,1 1),(2 2,3 3))", orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}, 0},
		{"MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)),((5 5,6 5,6 6,5 5)))", orb.MultiPolygon{{sq}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}, 0},
		{"MULTIPOLYGON(EMPTY,((0 0,1 0,1 1,0 1,0 0)))", orb.MultiPolygon{{sq}}, 0},
		{"GEOMETRYCOLLECTION(POINT(1 2),POLYGON((0 0,1 0,1 1,0 1,0 0)))", orb.Collection{orb.Point{1, 2}, orb.Polygon{sq}}, 0},
		{"SRID=4527;POINT(39500000 3400000)", orb.Point{39500000, 3400000}, 4527},
		{"srid=4490 ; POINT(117 30)", orb.Point{117, 30}, 4490},
		{"POLYGON EMPTY", orb.Polygon{}, 0},
		{"POINT EMPTY", orb.MultiPoint{}, 0},
		{"GEOMETRYCOLLECTION EMPTY", orb.Collection{}, 0},
		{"POLYGON\n(\n(0 0,\t1 0,1 1,0 1,0 0)\r\n)", orb.Polygon{sq}, 0},
	}
	for _, tc := range cases {
		g, srid, err := ParseSRID(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !orb.Equal(g, tc.want) || srid != tc.srid {
			t.Errorf("%q: got %#v srid %d, want %#v srid %d", tc.in, g, srid, tc.want, tc.srid)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	cases := []struct {
		in, msg string
		off     int
	}{
		{"", "expected a geometry type", 0},
		{"POLYGN((0 0,1 0,1 1,0 0))", "unknown geometry type", 0},
		{"POINT(1)", "expected a coordinate", 7},
		{"POINT(1 2", `expected ')'`, 9},
		{"POINT(NaN 2)", "expected a coordinate", 6},
		{"POINT(1 nan)", "expected a coordinate", 8},
		{"POINT(1 Infinity)", "expected a coordinate", 8},
		{"POINT(1e999 2)", "out of range", 6},
		{"POINT(1 -1e400)", "out of range", 8},
		{"POINT(0x10 2)", "malformed number", 6},
		{"POINT(1.2.3 4)", "malformed number", 6},
		{"POINT(1e 4)", "malformed exponent", 6},
		{"POINT(- 4)", "malformed number", 6},
		{"POINT(1 2) junk", "after the geometry", 11},
		{"POINT(1 2),", "after the geometry", 10},
		{"LINESTRING(0 0, 1 1 1)", "point has 3 coordinates", 16},
		{"POINT Z (1 2)", "point has 2 coordinates", 9},
		{"POLYGON((0 0,1 0,1 1,0 0)", `expected ')'`, 25},
		{"POLYGON(0 0,1 0,1 1,0 0)", `expected '('`, 8},
		{"POLYGON((0 0,1 0,,1 1,0 0))", "expected a coordinate", 17},
		{"MULTIPOLYGON((0 0,1 0,1 1,0 0))", `expected '('`, 14},
		{"SRID=abc;POINT(1 2)", "SRID", 5},
		{"SRID=4490 POINT(1 2)", `expected ";"`, 10},
		{"POINT(1 2", "expected", 9},
		{strings.Repeat("GEOMETRYCOLLECTION(", 40) + "POINT(1 2)" + strings.Repeat(")", 40), "nested deeper", 19 * maxDepth},
	}
	for _, tc := range cases {
		_, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: want *SyntaxError, got %v", tc.in, err)
			continue
		}
		if !strings.Contains(se.Msg, tc.msg) || se.Offset != tc.off {
			t.Errorf("%q: got %q at %d, want %q at %d", tc.in, se.Msg, se.Offset, tc.msg, tc.off)
		}
	}
}

func TestScanEmbedded(t *testing.T) {
	s := "S_INTERSECTS(geom, POLYGON((0 0,1 0,1 1,0 0))) AND X = 1"
	off := strings.Index(s, "POLYGON")
	g, end, err := Scan(s, off)
	if err != nil {
		t.Fatal(err)
	}
	if s[end:] != ") AND X = 1" {
		t.Fatalf("scan stopped at %q", s[end:])
	}
	if _, ok := g.(orb.Polygon); !ok {
		t.Fatalf("got %T", g)
	}
	_, _, err = Scan("x POINT(1 q)", 2)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 10 {
		t.Fatalf("want an error at offset 10 of the whole text, got %v", err)
	}
}

// TestRoundTripThroughOrb reads what orb's WKT writer (not ours) writes.
func TestRoundTripThroughOrb(t *testing.T) {
	geoms := []orb.Geometry{
		orb.Point{117.123456789, 30.987654321},
		orb.LineString{{1, 2}, {3, 4}, {-5.5, 6e-7}},
		orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0.1, 0.1}, {0.2, 0.1}, {0.2, 0.2}, {0.1, 0.1}}},
		orb.MultiPoint{{1, 2}, {3, 4}},
		orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{2, 2}, {3, 2}, {3, 3}, {2, 2}}}},
		orb.Collection{orb.Point{1, 2}, orb.LineString{{0, 0}, {1, 1}}},
	}
	for _, g := range geoms {
		s := owkt.MarshalString(g)
		back, err := Parse(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if !orb.Equal(g, back) {
			t.Fatalf("%s read back as %v", s, back)
		}
	}
}
