package spatial

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// DecodeError says a request body is not the GeoJSON it should be (a 400,
// unlike a *layers.ValidationError, which is well-formed but breaks the rules).
type DecodeError struct{ Msg string }

func (e *DecodeError) Error() string { return e.Msg }

// draftJSON is what a client sends to create or replace a feature.
type draftJSON struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
	Repair     *bool           `json:"repair"`
}

// DecodeDraft parses a GeoJSON Feature into a draft, and its id when it
// carries one. What parses but breaks the layer's rules is left to Validate.
func DecodeDraft(body []byte) (Draft, *int64, error) {
	var d draftJSON
	if err := json.Unmarshal(body, &d); err != nil {
		return Draft{}, nil, &DecodeError{fmt.Sprintf("not a GeoJSON Feature: %v", err)}
	}
	if d.Type != "Feature" {
		return Draft{}, nil, &DecodeError{fmt.Sprintf(`must be a GeoJSON Feature ("type": "Feature"), got type %q`, d.Type)}
	}
	var id *int64
	if len(d.ID) > 0 && string(d.ID) != "null" {
		var n int64
		if err := json.Unmarshal(d.ID, &n); err != nil {
			return Draft{}, nil, &DecodeError{"feature id must be an integer"}
		}
		id = &n
	}
	var geom orb.Geometry
	if len(d.Geometry) > 0 && string(d.Geometry) != "null" {
		g, err := geojson.UnmarshalGeometry(d.Geometry)
		if err != nil {
			return Draft{}, nil, &DecodeError{fmt.Sprintf("geometry is not valid GeoJSON: %v", err)}
		}
		geom = g.Geometry()
		if geom == nil {
			return Draft{}, nil, &DecodeError{"geometry has no coordinates"}
		}
	}
	if d.Properties == nil {
		d.Properties = map[string]any{}
	}
	return Draft{Geometry: geom, Properties: d.Properties, Repair: d.Repair != nil && *d.Repair}, id, nil
}
