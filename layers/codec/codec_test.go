package codec

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestDecodeGeometry(t *testing.T) {
	ok := []struct {
		in   string
		want orb.Geometry
	}{
		{`{"type":"Point","coordinates":[112.5,30.25]}`, orb.Point{112.5, 30.25}},
		{`{"type":"Point","coordinates":[112.5,30.25,12]}`, orb.Point{112.5, 30.25}},
		{`{"type":"LineString","coordinates":[[1,2],[3,4]]}`, orb.LineString{{1, 2}, {3, 4}}},
		{`{"type":"Polygon","coordinates":[]}`, orb.Polygon{}},
		{`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`, orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
		{`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}`, orb.Collection{orb.Point{1, 2}}},
	}
	for _, c := range ok {
		g, err := DecodeGeometry([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !orb.Equal(g, c.want) {
			t.Errorf("%s: %v, want %v", c.in, g, c.want)
		}
	}
	bad := []struct{ in, mention string }{
		{`{"type":"Point","coordinates":[]}`, "0 numbers"},
		{`{"type":"Point","coordinates":[1]}`, "1 numbers"},
		{`{"type":"Point","coordinates":[1,2,3,4]}`, "4 numbers"},
		{`{"type":"Point","coordinates":["1",2]}`, "found a string"},
		{`{"type":"Point","coordinates":[1e999,2]}`, "not a finite number"},
		{`{"type":"Polygon","coordinates":[[[0,0],[1],[1,1],[0,0]]]}`, "ring 0, vertex 1"},
		{`{"type":"Polygon","coordinates":[[0,0]]}`, "three levels deep"},
		{`{"type":"Polygon"}`, "no coordinates"},
		{`{"type":"Circle","coordinates":[1,2]}`, "not a GeoJSON geometry type"},
		{`{"coordinates":[1,2]}`, `no "type"`},
		{`{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[]}]}`, "nest"},
		{`[1,2]`, "expected a JSON object"},
		{`{"type":"Point","coordinates":[1,2]} {}`, "more data"},
		{`{"type":"Point",`, "ends early"},
	}
	for _, c := range bad {
		_, err := DecodeGeometry([]byte(c.in))
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(de.Msg, c.mention) {
			t.Errorf("%s: %v, want a DecodeError mentioning %q", c.in, err, c.mention)
		}
	}
}

func TestDecodeFeatureKeepsNumbersExact(t *testing.T) {
	f, err := DecodeFeature([]byte(`{"type":"Feature","id":7,"repair":true,"geometry":null,"properties":{"SJNF":9007199254740993,"MJ":1.5,"X":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if f.ID == nil || *f.ID != 7 || f.Repair == nil || !*f.Repair || f.Draft.Geometry != nil {
		t.Fatalf("%+v", f)
	}
	if n, ok := f.Draft.Properties["SJNF"].(json.Number); !ok || n.String() != "9007199254740993" {
		t.Fatalf("SJNF decoded as %#v", f.Draft.Properties["SJNF"])
	}
	for _, in := range []string{`{"type":"Feature","id":1.5}`, `{"type":"Feature","id":"x"}`, `{"type":"Feature","properties":{"A":{"b":1}}}`, `{"type":"Feature","properties":[]}`, `{"type":"FeatureCollection"}`} {
		if _, err := DecodeFeature([]byte(in)); err == nil {
			t.Errorf("%s decoded", in)
		}
	}
}

// FuzzDecodeFeature: any bytes give a feature or a DecodeError, never a
// panic, and a decoded point always has the two numbers it was given.
func FuzzDecodeFeature(f *testing.F) {
	for _, s := range []string{
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[112,30]},"properties":{"ZHLX":"滑坡"}}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[112,30],[112.1,30],[112,30.1],[112,30]]]},"properties":{}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[]}}`,
		`{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}}`,
		`{"type":"Feature","id":9223372036854775807,"properties":{"A":1e400}}`,
		`{"type":"Feature"`, `null`, `[]`, `{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[]]]]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		feat, err := DecodeFeature(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("%q: error %T %v is not a DecodeError", b, err, err)
			}
			return
		}
		if feat.Draft.Properties == nil {
			t.Fatal("nil properties")
		}
	})
}
