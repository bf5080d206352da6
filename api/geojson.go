package api

import (
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/layers"
)

// featureJSON is a GeoJSON Feature with onemap's foreign members.
type featureJSON struct {
	Type       string            `json:"type"`
	ID         int64             `json:"id"`
	Version    int64             `json:"version"`
	Repaired   bool              `json:"repaired,omitempty"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
}

func encodeFeature(l *layers.Layer, f *layers.Feature) featureJSON {
	return featureJSON{Type: "Feature", ID: f.ID, Version: f.Version, Geometry: geojson.NewGeometry(f.Geometry), Properties: l.Properties(f)}
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

type featureCollectionJSON struct {
	Type           string        `json:"type"`
	Features       []featureJSON `json:"features"`
	NumberMatched  int           `json:"numberMatched"`
	NumberReturned int           `json:"numberReturned"`
	Limit          int           `json:"limit"`
	Offset         int           `json:"offset"`
	Notice         string        `json:"notice,omitempty"`
	Links          []link        `json:"links"`
}
