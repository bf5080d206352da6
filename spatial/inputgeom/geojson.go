package inputgeom

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers/codec"
)

// DecodeGeoJSON reads one GeoJSON geometry object (a Feature is accepted
// for its geometry) with the strict decoder features are written with
// (layers/codec): every position has 2 or 3 numbers, nesting matches the
// type, nothing is filled in. Its errors are *SyntaxError.
func DecodeGeoJSON(b []byte) (orb.Geometry, error) {
	var probe struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(b, &probe); err == nil {
		switch probe.Type {
		case "Feature":
			if g := bytes.TrimSpace(probe.Geometry); len(g) == 0 || string(g) == "null" {
				return nil, &SyntaxError{Format: "GeoJSON", Msg: "geometry: the Feature has no geometry"}
			}
			b = probe.Geometry
		case "FeatureCollection":
			return nil, &SyntaxError{Format: "GeoJSON", Msg: "a FeatureCollection is not one geometry: send its geometry, or a MultiPolygon"}
		}
	}
	g, err := codec.DecodeGeometry(b)
	var de *codec.DecodeError
	if errors.As(err, &de) {
		return nil, &SyntaxError{Format: "GeoJSON", Msg: de.Msg}
	}
	return g, err
}
