package query

import (
	"context"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/prepared"
	"github.com/onemap/onemap/spatial/topology"
)

// IdentifyOptions choose what Identify looks at.
type IdentifyOptions struct {
	Layers     []string // none: every layer of the catalogue
	ToleranceM float64  // how far (metres, on the ellipsoid) points and lines may be
}

// Identify finds the features at a point (lon/lat): the polygons that
// contain it (or have it on their boundary) and the points and lines
// within the tolerance, grouped by layer in the order asked, each layer's
// features in id order. Layers with nothing there are left out.
func Identify(ctx context.Context, snap *spatial.Snapshot, cat *layers.Catalog, pt orb.Point, opts IdentifyOptions) ([]Result, error) {
	if !(math.Abs(pt[0]) <= 180 && math.Abs(pt[1]) <= 90) {
		return nil, fmt.Errorf("%w: point (%v %v) is not a finite lon/lat", ErrBadRequest, pt[0], pt[1])
	}
	if !(opts.ToleranceM >= 0) || math.IsInf(opts.ToleranceM, 0) {
		return nil, fmt.Errorf("%w: tolerance_m must be a finite number ≥ 0, got %v", ErrBadRequest, opts.ToleranceM)
	}
	ls, err := pickLayers(snap, cat, opts.Layers)
	if err != nil {
		return nil, err
	}
	var out []Result
	err = topology.WithContext(func(c *geos.Context) error {
		q, err := prepared.New(c, pt)
		if err != nil {
			return err
		}
		for _, l := range ls {
			req := Request{Geometry: pt, Relation: DWithin, DistanceM: opts.ToleranceM, Limit: math.MaxInt}
			if l.Geometry == layers.Polygon {
				req.Relation, req.DistanceM = Intersects, 0
			}
			r, err := queryLayer(ctx, snap, l, q, req)
			if err != nil {
				return fmt.Errorf("identify %s: %w", l.ID, err)
			}
			if r.NumberMatched > 0 {
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pointInPolygons tests a point against a polygonal feature without GEOS,
// in one pass over its rings (even-odd): sure is false when the point lies
// within a hair of the feature's boundary (or the feature is not
// polygonal), and GEOS must decide.
func pointInPolygons(g orb.Geometry, pt orb.Point) (in, sure bool) {
	var mp orb.MultiPolygon
	switch v := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{v}
	case orb.MultiPolygon:
		mp = v
	default:
		return false, false
	}
	const hair = 1e-9 // degrees, as in spatial/prepared
	box := orb.Bound{Min: pt, Max: pt}.Pad(hair)
	for _, p := range mp {
		inside := false
		for k, r := range p {
			odd := false
			for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
				a, c := r[i], r[j]
				if (a[1] > pt[1]) != (c[1] > pt[1]) && pt[0] < (c[0]-a[0])*(pt[1]-a[1])/(c[1]-a[1])+a[0] {
					odd = !odd
				}
				if max(a[0], c[0]) >= box.Min[0] && min(a[0], c[0]) <= box.Max[0] && max(a[1], c[1]) >= box.Min[1] && min(a[1], c[1]) <= box.Max[1] &&
					prepared.SegmentMeetsBox(a, c, box) {
					return false, false
				}
			}
			if k == 0 {
				if !odd {
					break // outside the exterior, so away from the holes too
				}
				inside = true
			} else if odd {
				inside = false // in a hole, away from its edges
				break
			}
		}
		if inside {
			// Away from this polygon's boundary; the others of a valid
			// multipolygon cannot come near a point inside it.
			return true, true
		}
	}
	return false, true
}
