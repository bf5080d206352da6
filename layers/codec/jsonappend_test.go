package codec_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers/codec"
)

// viaReflection is GeoJSONFeature without its MarshalJSON: what
// encoding/json writes for it by reflection, the reference.
type viaReflection codec.GeoJSONFeature

func sameAsReflection(t *testing.T, f codec.GeoJSONFeature) {
	t.Helper()
	want, werr := json.Marshal(viaReflection(f))
	got, gerr := json.Marshal(f)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("errors differ: reflection %v, ours %v", werr, gerr)
	}
	if werr == nil && !bytes.Equal(got, want) {
		t.Fatalf("bytes differ:\nours       %.300s\nreflection %.300s", got, want)
	}
}

// TestMarshalJSONMatchesReflection: every feature of every layer of the
// demo, written by MarshalJSON, is byte for byte what encoding/json's
// reflection writes.
func TestMarshalJSONMatchesReflection(t *testing.T) {
	d := demotest.Load(t, 1, 0)
	n := 0
	for _, l := range d.Catalog.Layers {
		for _, f := range d.Features[l.ID] {
			fj := codec.EncodeFeature(l, f)
			fj.Repaired = n%7 == 0
			sameAsReflection(t, fj)
			n++
		}
	}
	if n < 1000 {
		t.Fatalf("only %d features compared", n)
	}
	t.Logf("%d features compared", n)
}

// TestMarshalJSONEdgeCases: strings that need escaping, numbers at the
// edges of encoding/json's formats, every geometry type, nulls.
func TestMarshalJSONEdgeCases(t *testing.T) {
	strs := []string{"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnl\ncr\rbs\bff\f", "\x00\x01\x1f\x7f",
		"图斑编号 0101", "bad \xff utf8 \xc3", "line\u2028para\u2029", "emoji 🗺️", "\u00e9\u0301"}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99999e-7, 1e-7, 1.5e-9, 1e20, 1e21, 123456789.123, 112.12345678901234, -33.333333333333336, 5e-324, math.MaxFloat64, 1e100}
	props := map[string]any{"n": nil, "b": true, "i": int64(-42), "int": 7, "nested": map[string]any{"a": []int{1, 2}}}
	for i, s := range strs {
		props["s"+string(rune('a'+i))] = s
	}
	for i, f := range floats {
		props["f"+string(rune('a'+i))] = f
	}
	geoms := []orb.Geometry{
		orb.Point{floats[5], floats[7]},
		orb.MultiPoint{{1, 2}, {1e-8, 3e21}},
		orb.LineString{{0.1, 0.2}, {0.3, 0.4}},
		orb.MultiLineString{{{1, 2}, {3, 4}}, nil},
		orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0.2, 0.2}, {0.3, 0.2}, {0.3, 0.3}, {0.2, 0.2}}},
		orb.Polygon{},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, nil},
		orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}},
		orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}},
		orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}},
	}
	for _, s := range strs {
		sameAsReflection(t, codec.GeoJSONFeature{Type: s, ID: -1, Version: math.MaxInt64, Properties: props})
	}
	for _, g := range geoms {
		sameAsReflection(t, codec.GeoJSONFeature{Type: "Feature", ID: 3, Geometry: geojson.NewGeometry(g), Properties: props})
	}
	sameAsReflection(t, codec.GeoJSONFeature{Type: "Feature"})                                // nil geometry and properties
	sameAsReflection(t, codec.GeoJSONFeature{Type: "Feature", Geometry: &geojson.Geometry{}}) // empty geometry
	sameAsReflection(t, codec.GeoJSONFeature{Properties: map[string]any{"x": math.NaN()}})    // an error in both
	sameAsReflection(t, codec.GeoJSONFeature{Geometry: geojson.NewGeometry(orb.Point{math.Inf(1), 0})})
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		sameAsReflection(t, codec.GeoJSONFeature{Geometry: geojson.NewGeometry(orb.Point{f, rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))})})
	}
}

// FuzzMarshalJSON: any string and number is written as encoding/json
// writes it.
func FuzzMarshalJSON(f *testing.F) {
	f.Add("图斑", 112.5, "<&>")
	f.Add("\xff\u2028", 1e-7, "\x00")
	f.Add("", 1e21, `"\`)
	f.Fuzz(func(t *testing.T, key string, x float64, val string) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		sameAsReflection(t, codec.GeoJSONFeature{Type: val, Geometry: geojson.NewGeometry(orb.Point{x, -x}),
			Properties: map[string]any{key: val, key + "n": x}})
	})
}
