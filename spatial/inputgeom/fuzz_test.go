package inputgeom

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/onemap/onemap/spatial/topology"
)

// FuzzReadGeoJSON: no GeoJSON input panics, and what is accepted is valid.
func FuzzReadGeoJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[117,30],[117.01,30],[117.01,30.01],[117,30]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[117,30],[117.01,30],[117.01,30.01],[117,30]]]]}`,
		`{"type":"Point","coordinates":[117,30]}`,
		`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[117,30],[117.1,30.1]]}}`,
		`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}`,
		`{"type":"Polygon","coordinates":[[[117,30],[117.01,30.01],[117.01,30],[117,30.01]]]}`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, repair bool) {
		res, err := Read(context.Background(), Input{GeoJSON: json.RawMessage(s), Repair: repair}, Limits{MaxVertices: 1000, MaxAreaM2: 1e12})
		if err != nil {
			return
		}
		if err := topology.Validate("t", res.Geometry); err != nil {
			t.Fatalf("%q accepted but invalid: %v", s, err)
		}
	})
}
