package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers/codec"
)

// TestFeaturePageJSON: a page written by appending is byte for byte what
// encoding/json writes for it (the page around its features: the
// features' own bytes are checked against reflection in layers/codec).
func TestFeaturePageJSON(t *testing.T) {
	d := demotest.Load(t, 1, 0)
	l := d.Catalog.Layer("dltb")
	type viaReflection featureCollectionJSON
	for _, n := range []int{0, 1, 3, 250} {
		fc := featureCollectionJSON{Type: "FeatureCollection", Features: []codec.GeoJSONFeature{}, NumberMatched: 9999, NumberReturned: n,
			Limit: 250, Offset: 10, TimeStamp: "2026-12-05T00:00:00Z", Links: []link{{Href: "http://x/?a=<b>&c", Rel: "self", Type: "application/geo+json"}}}
		if n == 3 {
			fc.Notice = "limit \"clamped\" <to> 250"
			fc.Features = nil
		}
		for _, f := range d.Features["dltb"][:n] {
			fc.Features = append(fc.Features, codec.EncodeFeature(l, f))
		}
		got, err := fc.appendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(viaReflection(fc))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d features: bytes differ\nappended   %.400s\nreflection %.400s", n, got, want)
		}
	}
}
