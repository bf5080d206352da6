// Package query answers spatial queries from an index snapshot: the
// features of some layers that intersect a geometry, lie within it, or lie
// within a distance of it (metres on the ellipsoid), filtered by an
// attribute predicate and paged per layer in id order; and identify, the
// features at a point.
package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/codec"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/prepared"
	"github.com/onemap/onemap/spatial/topology"
)

// Relation is how features must relate to the query geometry.
type Relation string

const (
	Intersects Relation = "intersects" // share at least one point (ST_Intersects)
	Within     Relation = "within"     // lie within the geometry (ST_Within(feature, geometry))
	DWithin    Relation = "dwithin"    // lie within DistanceM metres of it, on the ellipsoid
)

// DefaultLimit is the page size when a request gives none.
const DefaultLimit = 100

// Errors for requests the caller got wrong; wrapped with the detail.
var (
	ErrUnknownLayer = errors.New("unknown layer")
	ErrBadRequest   = errors.New("bad query")
)

// Request is one query.
type Request struct {
	Geometry  orb.Geometry // lon/lat (EPSG:4490)
	Layers    []string     // none: every layer of the snapshot's catalogue
	Relation  Relation     // "" means intersects
	DistanceM float64      // for dwithin, ≥ 0
	// Filter holds, per layer id, a predicate on attributes (a compiled
	// CQL2 filter); a layer without one is not filtered.
	Filter map[string]func(*layers.Feature) bool
	Limit  int // per layer; 0 means DefaultLimit
	Offset int // per layer
}

// Result is one layer's page of matching features.
type Result struct {
	Layer          string            `json:"layer"`
	NumberMatched  int               `json:"numberMatched"`
	NumberReturned int               `json:"numberReturned"`
	Features       []*layers.Feature `json:"-"`

	layer *layers.Layer
}

// MarshalJSON writes the result with its features as GeoJSON Features.
func (r Result) MarshalJSON() ([]byte, error) {
	fs := make([]codec.GeoJSONFeature, len(r.Features))
	for i, f := range r.Features {
		fs[i] = codec.EncodeFeature(r.layer, f)
	}
	return json.Marshal(struct {
		Layer          string                 `json:"layer"`
		NumberMatched  int                    `json:"numberMatched"`
		NumberReturned int                    `json:"numberReturned"`
		Features       []codec.GeoJSONFeature `json:"features"`
	}{r.Layer, r.NumberMatched, r.NumberReturned, fs})
}

// checkEvery is how many candidates pass between two looks at the context.
const checkEvery = 256

// Query answers a request: for each layer, in the order asked, the number
// of features that match and the page of them, in id order.
func Query(ctx context.Context, snap *spatial.Snapshot, cat *layers.Catalog, req Request) ([]Result, error) {
	if err := check(&req); err != nil {
		return nil, err
	}
	ls, err := pickLayers(snap, cat, req.Layers)
	if err != nil {
		return nil, err
	}
	var out []Result
	err = topology.WithContext(func(c *geos.Context) error {
		q, err := prepared.New(c, req.Geometry)
		if err != nil {
			return fmt.Errorf("query geometry: %w: %w", ErrBadRequest, err)
		}
		out = make([]Result, 0, len(ls))
		for _, l := range ls {
			r, err := queryLayer(ctx, snap, l, q, req)
			if err != nil {
				return fmt.Errorf("query %s: %w", l.ID, err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func check(req *Request) error {
	if req.Geometry == nil {
		return fmt.Errorf("%w: geometry is missing", ErrBadRequest)
	}
	if err := checkCoords(req.Geometry); err != nil {
		return err
	}
	switch req.Relation {
	case "":
		req.Relation = Intersects
	case Intersects, Within:
	case DWithin:
		if !(req.DistanceM >= 0) || math.IsInf(req.DistanceM, 0) {
			return fmt.Errorf("%w: distance_m must be a finite number ≥ 0, got %v", ErrBadRequest, req.DistanceM)
		}
	default:
		return fmt.Errorf("%w: relation %q is not intersects, within or dwithin", ErrBadRequest, req.Relation)
	}
	if req.Limit == 0 {
		req.Limit = DefaultLimit
	}
	if req.Limit < 0 || req.Offset < 0 {
		return fmt.Errorf("%w: limit and offset must not be negative", ErrBadRequest)
	}
	return nil
}

// checkCoords refuses empty geometries and coordinates that are not finite
// lon/lat, and polygons GEOS finds invalid (a *layers.ValidationError).
func checkCoords(g orb.Geometry) error {
	segs := segments(g, nil)
	if len(segs) == 0 {
		return fmt.Errorf("%w: geometry is empty", ErrBadRequest)
	}
	for _, s := range segs {
		for _, p := range []orb.Point{s.a, s.b} {
			if !(math.Abs(p[0]) <= 180 && math.Abs(p[1]) <= 90) {
				return fmt.Errorf("%w: coordinate (%v %v) is not a finite lon/lat", ErrBadRequest, p[0], p[1])
			}
		}
	}
	return topology.Validate("query", g)
}

func pickLayers(snap *spatial.Snapshot, cat *layers.Catalog, ids []string) ([]*layers.Layer, error) {
	if len(ids) == 0 {
		return cat.Layers, nil
	}
	out := make([]*layers.Layer, 0, len(ids))
	for _, id := range ids {
		l := cat.Layer(id)
		if l == nil || !snap.Has(id) {
			return nil, fmt.Errorf("query: layer %q: %w", id, ErrUnknownLayer)
		}
		out = append(out, l)
	}
	return out, nil
}

// queryLayer finds every match of one layer, then cuts the page.
func queryLayer(ctx context.Context, snap *spatial.Snapshot, l *layers.Layer, q *prepared.Geometry, req Request) (Result, error) {
	box := q.Bound()
	if req.Relation == DWithin {
		box = padMetres(box, req.DistanceM)
	}
	keep := req.Filter[l.ID]
	var cands []*layers.Feature
	snap.Search(l.ID, box, func(f *layers.Feature) bool {
		if keep == nil || keep(f) {
			cands = append(cands, f)
		}
		return true
	})
	var (
		hits []*layers.Feature
		buf  []seg
	)
	for i, f := range cands {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
		}
		var ok bool
		var err error
		switch req.Relation {
		case Intersects:
			sure := false
			if pt, isPoint := req.Geometry.(orb.Point); isPoint {
				ok, sure = pointInPolygons(f.Geometry, pt)
			}
			if !sure {
				ok, err = q.Intersects(f.Geometry)
			}
		case Within:
			ok, err = q.Contains(f.Geometry)
		case DWithin:
			ok, buf = within(q, f.Geometry, req.DistanceM, buf)
		}
		if err != nil {
			return Result{}, fmt.Errorf("feature %d: %w", f.ID, err)
		}
		if ok {
			hits = append(hits, f)
		}
	}
	slices.SortFunc(hits, func(a, b *layers.Feature) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	r := Result{Layer: l.ID, NumberMatched: len(hits), layer: l}
	if req.Offset < len(hits) {
		r.Features = hits[req.Offset:min(len(hits), req.Offset+req.Limit)]
	}
	r.NumberReturned = len(r.Features)
	return r, nil
}
