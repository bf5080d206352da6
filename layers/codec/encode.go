package codec

import (
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/layers"
)

// GeoJSONFeature is a stored feature as the API writes it: a GeoJSON
// Feature with onemap's foreign members (version, repaired).
type GeoJSONFeature struct {
	Type       string            `json:"type"`
	ID         int64             `json:"id"`
	Version    int64             `json:"version"`
	Repaired   bool              `json:"repaired,omitempty"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
}

// EncodeFeature turns a stored feature of layer l into its GeoJSON form,
// with every catalogue field present (null when it has no value).
func EncodeFeature(l *layers.Layer, f *layers.Feature) GeoJSONFeature {
	return GeoJSONFeature{Type: "Feature", ID: f.ID, Version: f.Version, Geometry: geojson.NewGeometry(f.Geometry), Properties: l.Properties(f)}
}
