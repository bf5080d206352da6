package topology

import (
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
)

// Dissolve returns the union of polygons that are valid each on its own
// but may share edges or overlap (the parcels of one coordinate file, a
// site drawn in pieces) as one valid MultiPolygon (GEOS UnaryUnion).
func Dissolve(layerID string, mp orb.MultiPolygon) (orb.MultiPolygon, error) {
	var out orb.MultiPolygon
	err := WithContext(func(c *geos.Context) error {
		gg, err := ToGEOS(c, mp)
		if err != nil {
			return err
		}
		u := gg.UnaryUnion()
		if u == nil {
			return &layers.ValidationError{Layer: layerID, Problems: layers.Problems{{Reason: "GEOS could not dissolve the polygons"}}}
		}
		og, err := FromGEOS(u)
		if err != nil {
			return err
		}
		out = polygonal(og)
		return nil
	})
	return out, err
}
