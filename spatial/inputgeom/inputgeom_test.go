package inputgeom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/crs"
	"github.com/onemap/onemap/spatial/topology"
)

func TestReadLonLat(t *testing.T) {
	ctx := context.Background()
	gj := `{"type":"Polygon","coordinates":[[[117,30],[117.01,30],[117.01,30.01],[117,30.01],[117,30]]]}`
	res, err := Read(ctx, Input{GeoJSON: json.RawMessage(gj)}, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := orb.Polygon{{{117, 30}, {117.01, 30}, {117.01, 30.01}, {117, 30.01}, {117, 30}}}
	if !orb.Equal(res.Geometry, want) || res.CRS.EPSG != 4490 || res.Vertices != 5 || res.Repaired {
		t.Fatalf("got %+v", res)
	}
	if res.AreaM2 != area.Geodesic(want) || res.AreaM2 < 1e6 {
		t.Fatalf("area %v", res.AreaM2)
	}
	// The same as WKT, as a Feature, and in WGS 84 give the same geometry.
	for _, in := range []Input{
		{WKT: "POLYGON((117 30,117.01 30,117.01 30.01,117 30.01,117 30))"},
		{WKT: "SRID=4326;POLYGON((117 30,117.01 30,117.01 30.01,117 30.01,117 30))"},
		{GeoJSON: json.RawMessage(`{"type":"Feature","properties":{},"geometry":` + gj + `}`), CRS: 4326},
	} {
		r, err := Read(ctx, in, DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if !orb.Equal(r.Geometry, want) {
			t.Fatalf("%+v gave %v", in, r.Geometry)
		}
	}
}

// TestReadZone: a 1 km square on the central meridian of 3° zone 39, where
// the Gauss-Krüger scale is 1, has an ellipsoidal area of 1 km² to a few
// parts per billion: an independent check of transform and area together.
func TestReadZone(t *testing.T) {
	ctx := context.Background()
	sq := "((39499500 3400000,39500500 3400000,39500500 3401000,39499500 3401000,39499500 3400000))"
	for _, in := range []Input{
		{WKT: "POLYGON" + sq, CRS: 4527},
		{WKT: "SRID=4527;POLYGON" + sq},
		{GeoJSON: json.RawMessage(`{"type":"Polygon","coordinates":[[[499500,3400000],[500500,3400000],[500500,3401000],[499500,3401000],[499500,3400000]]]}`), CRS: 4548},
	} {
		res, err := Read(ctx, in, DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.AreaM2-1e6)/1e6 > 1e-7 {
			t.Errorf("%+v: area %.3f m², want 1 km²", in, res.AreaM2)
		}
		b := res.Geometry.Bound()
		if math.Abs(b.Center()[0]-117) > 1e-9 || b.Min[1] < 30.72 || b.Max[1] > 30.74 {
			t.Errorf("%+v: bound %v", in, b)
		}
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	poly := func(coords string) Input {
		return Input{GeoJSON: json.RawMessage(`{"type":"Polygon","coordinates":` + coords + `}`)}
	}
	var (
		syntax *SyntaxError
		limit  *LimitError
		valid  *layers.ValidationError
		coord  *crs.CoordinateError
		code   *crs.UnsupportedError
	)
	cases := []struct {
		name   string
		in     Input
		target any
		msg    string
	}{
		{"malformed JSON", Input{GeoJSON: json.RawMessage(`{"type":"Polygon",`)}, &syntax, "JSON ends early"},
		{"point with one number", Input{GeoJSON: json.RawMessage(`{"type":"Point","coordinates":[117]}`)}, &syntax, "the point has 1 numbers"},
		{"position with one number", poly(`[[[117,30],[117.01],[117.01,30.01],[117,30]]]`), &syntax, "ring 0, vertex 1 has 1 numbers"},
		{"wrong nesting", poly(`[[117,30],[117.01,30]]`), &syntax, "three levels"},
		{"string coordinate", poly(`[[["117",30]]]`), &syntax, "found a string"},
		{"huge JSON number", poly(`[[[1e999,30],[117.01,30],[117.01,30.01],[1e999,30]]]`), &syntax, "1e999 is out of range"},
		{"missing coordinates", Input{GeoJSON: json.RawMessage(`{"type":"Polygon"}`)}, &syntax, "has no coordinates"},
		{"unknown type", Input{GeoJSON: json.RawMessage(`{"type":"Circle","coordinates":[1,2]}`)}, &syntax, `"Circle" is not`},
		{"feature collection", Input{GeoJSON: json.RawMessage(`{"type":"FeatureCollection","features":[]}`)}, &syntax, "FeatureCollection"},
		{"feature without geometry", Input{GeoJSON: json.RawMessage(`{"type":"Feature","geometry":null}`)}, &syntax, "no geometry"},
		{"both", Input{GeoJSON: json.RawMessage(`{}`), WKT: "POINT(1 2)"}, &syntax, "not both"},
		{"neither", Input{}, &syntax, "no geometry"},
		{"malformed WKT", Input{WKT: "POLYGON((117 30, 117.01 30, 117.01 30.01 117 30))"}, &syntax, "offset"},
		{"NaN in WKT", Input{WKT: "POINT(NaN 30)"}, &syntax, "expected a coordinate"},
		{"SRID contradicts crs", Input{WKT: "SRID=4527;POINT(39500000 3400000)", CRS: 4490}, &syntax, "contradicts"},
		{"huge coordinate", poly(`[[[1e300,30],[117.01,30],[117.01,30.01],[1e300,30]]]`), &coord, "longitude"},
		{"lat/lon swapped", poly(`[[[30,117],[30,117.01],[30.01,117.01],[30,117]]]`), &coord, "latitude"},
		{"empty WKT", Input{WKT: "POLYGON EMPTY"}, &valid, "empty"},
		{"empty GeoJSON", poly(`[]`), &valid, "empty"},
		{"empty multipolygon", Input{GeoJSON: json.RawMessage(`{"type":"MultiPolygon","coordinates":[[]]}`)}, &valid, "empty"},
		{"collection", Input{WKT: "GEOMETRYCOLLECTION(POINT(117 30))"}, &valid, "GeometryCollection"},
		{"unclosed ring", poly(`[[[117,30],[117.01,30],[117.01,30.01],[117,30.01]]]`), &valid, "not closed"},
		{"too few points", poly(`[[[117,30],[117.01,30],[117,30]]]`), &valid, "at least 4"},
		{"self-intersecting", poly(`[[[117,30],[117.01,30.01],[117.01,30],[117,30.01],[117,30]]]`), &valid, "Self-intersection"},
		{"line of one point", Input{WKT: "LINESTRING(117 30, 117 30)"}, &valid, "2 distinct"},
		{"zone that does not exist", Input{WKT: "POINT(39500000 3400000)", CRS: 4555}, &code, "EPSG:4555"},
		{"zone coordinates in the wrong zone", Input{WKT: "POINT(38500000 3400000)", CRS: 4527}, &coord, "zone number 39"},
		{"too many vertices", Input{WKT: "LINESTRING(" + strings.Repeat("117 30,", 100) + "117.1 30)"}, &limit, "limit of 50"},
		{"too large", poly(`[[[110,30],[112,30],[112,32],[110,32],[110,30]]]`), &limit, "limit of 1000000000 m²"},
		{"too long a line", Input{WKT: "LINESTRING(110 30, 112 32)"}, &limit, "limit of 1000000000 m²"},
	}
	lim := Limits{MaxVertices: 50, MaxAreaM2: 1e9}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(ctx, tc.in, lim)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.As(err, tc.target) {
				t.Fatalf("want %T, got %T: %v", tc.target, err, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("%q does not say %q", err, tc.msg)
			}
		})
	}
	// NaN cannot be written in JSON or (for us) in WKT, but a caller with an
	// orb geometry can pass one.
	_, err := Prepare(ctx, orb.Point{math.NaN(), 30}, 4490, false, lim)
	if !errors.As(err, &coord) {
		t.Fatalf("NaN: want *crs.CoordinateError, got %v", err)
	}
	// The self-intersection carries GEOS's location.
	_, err = Read(ctx, poly(`[[[117,30],[117.01,30.01],[117.01,30],[117,30.01],[117,30]]]`), lim)
	if !errors.As(err, &valid) || len(valid.Problems[0].Location) != 2 {
		t.Fatalf("no location in %v", err)
	}
}

func TestRepair(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		gj   string
		m2   float64 // expected area, computed independently of the repair
	}{
		{"unclosed ring", `[[[117,30],[117.01,30],[117.01,30.01],[117,30.01]]]`, area.Geodesic(orb.Polygon{{{117, 30}, {117.01, 30}, {117.01, 30.01}, {117, 30.01}, {117, 30}}})},
		{"degenerate hole", `[[[117,30],[117.01,30],[117.01,30.01],[117,30.01],[117,30]],[[117.002,30.002],[117.003,30.003],[117.002,30.002]]]`, area.Geodesic(orb.Polygon{{{117, 30}, {117.01, 30}, {117.01, 30.01}, {117, 30.01}, {117, 30}}})},
		{"bow tie", `[[[117,30],[117.01,30.01],[117.01,30],[117,30.01],[117,30]]]`, area.Geodesic(orb.MultiPolygon{
			{{{117, 30}, {117.005, 30.005}, {117, 30.01}, {117, 30}}},
			{{{117.01, 30}, {117.01, 30.01}, {117.005, 30.005}, {117.01, 30}}},
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{GeoJSON: json.RawMessage(`{"type":"Polygon","coordinates":` + tc.gj + `}`), Repair: true}
			res, err := Read(ctx, in, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Repaired {
				t.Error("not marked repaired")
			}
			if err := topology.Validate("t", res.Geometry); err != nil {
				t.Errorf("still invalid: %v", err)
			}
			if math.Abs(res.AreaM2-tc.m2)/tc.m2 > 1e-6 {
				t.Errorf("area %.3f, want %.3f", res.AreaM2, tc.m2)
			}
		})
	}
	// A valid input asked to be repaired is left alone and not marked.
	res, err := Read(ctx, Input{WKT: "POLYGON((117 30,117.01 30,117.01 30.01,117 30))", Repair: true}, DefaultLimits)
	if err != nil || res.Repaired {
		t.Fatalf("valid input: %+v, %v", res, err)
	}
}

func TestDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Read(ctx, Input{WKT: "POLYGON((117 30,117.01 30,117.01 30.01,117 30))"}, DefaultLimits)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestLinesAndPoints(t *testing.T) {
	for _, w := range []string{"POINT(117 30)", "MULTIPOINT(117 30, 117.1 30.1)", "LINESTRING(117 30, 117.1 30.1)", "MULTILINESTRING((117 30, 117.1 30.1),(117.2 30, 117.3 30))"} {
		res, err := Read(context.Background(), Input{WKT: w}, DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", w, err)
		}
		if res.AreaM2 != 0 || fmt.Sprint(res.Geometry.GeoJSONType()) == "" {
			t.Fatalf("%s: %+v", w, res)
		}
	}
}

func TestPrepareParcels(t *testing.T) {
	ctx := context.Background()
	sq := func(e, n float64) orb.Polygon {
		return orb.Polygon{{{e, n}, {e + 1000, n}, {e + 1000, n + 1000}, {e, n + 1000}, {e, n}}}
	}
	// Two 1 km parcels on the central meridian sharing an edge.
	parcels := orb.MultiPolygon{sq(39499000, 3400000), sq(39500000, 3400000)}
	if _, err := Prepare(ctx, parcels, 4527, false, DefaultLimits); err == nil {
		t.Fatal("as one MultiPolygon, parcels sharing an edge are invalid")
	}
	res, err := PrepareParcels(ctx, parcels, 4527, false, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if res.Repaired || len(res.Geometry.(orb.MultiPolygon)) != 1 {
		t.Fatalf("dissolved into %v (repaired %v)", res.Geometry, res.Repaired)
	}
	if math.Abs(res.AreaM2-2e6)/2e6 > 1e-6 {
		t.Fatalf("area %.3f, want 2 km²", res.AreaM2)
	}
	// A parcel that is itself invalid is named, or repaired on request.
	bowtie := orb.Polygon{{{39502000, 3400000}, {39503000, 3401000}, {39503000, 3400000}, {39502000, 3401000}, {39502000, 3400000}}}
	withBad := append(parcels, bowtie)
	_, err = PrepareParcels(ctx, withBad, 4527, false, DefaultLimits)
	var ve *layers.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Part == nil || *ve.Problems[0].Part != 2 {
		t.Fatalf("want a validation error naming part 2, got %v", err)
	}
	res, err = PrepareParcels(ctx, withBad, 4527, true, DefaultLimits)
	if err != nil || !res.Repaired {
		t.Fatalf("repair: %+v, %v", res, err)
	}
	if err := topology.Validate("t", res.Geometry); err != nil {
		t.Fatal(err)
	}
}
