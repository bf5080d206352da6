// Package tiles makes Mapbox Vector Tiles (MVT 2.1) from the index: every
// feature of the asked layers that touches the tile, projected to Web
// Mercator tile coordinates, clipped to the tile plus a small buffer,
// simplified to the tile's resolution, with its id and attributes. It reads
// a spatial.Snapshot and knows nothing of stores.
//
// This is the first slice: tiles are made on request, uncached, with no
// generalised overviews for low zooms yet.
package tiles

import (
	"context"
	"errors"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

const (
	// Extent is the tile's coordinate range (MVT's default).
	Extent = mvt.DefaultExtent
	// Buffer is how far, in tile units, geometry reaches past the tile's
	// edge, so that renderers draw no seams at tile borders.
	Buffer = 64
	// MaxZoom is the deepest zoom served.
	MaxZoom = 24
)

// ErrBadTile says the z/x/y address is outside the tile pyramid.
var ErrBadTile = errors.New("no such tile")

// Address checks z/x/y and returns the tile.
func Address(z, x, y int) (maptile.Tile, error) {
	if z < 0 || z > MaxZoom {
		return maptile.Tile{}, fmt.Errorf("%w: zoom %d is outside 0–%d", ErrBadTile, z, MaxZoom)
	}
	n := 1 << z
	if x < 0 || x >= n || y < 0 || y >= n {
		return maptile.Tile{}, fmt.Errorf("%w: at zoom %d, x and y run from 0 to %d (got %d/%d)", ErrBadTile, z, n-1, x, y)
	}
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z)), nil
}

// Encode makes the tile t of the given layers from snap, each layer from its
// catalogue minzoom on. It returns the
// encoded tile and how many features it holds; no features means an empty
// tile, which a server answers with 204.
func Encode(ctx context.Context, snap *spatial.Snapshot, ls []*layers.Layer, t maptile.Tile) ([]byte, int, error) {
	search := bufferedBound(t)
	clip := orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}
	var out mvt.Layers
	total := 0
	for _, l := range ls {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		// Below its catalogue minzoom a layer is not drawn (the style says
		// the same); above maxzoom clients overzoom, so it is still served.
		if int(t.Z) < l.MinZoom {
			continue
		}
		ml := &mvt.Layer{Name: l.ID, Version: 2, Extent: Extent}
		snap.Search(l.ID, search, func(f *layers.Feature) bool {
			ml.Features = append(ml.Features, toGeoJSON(l, f))
			return true
		})
		if len(ml.Features) == 0 {
			continue
		}
		// ProjectToTile rewrites geometries in place: toGeoJSON cloned them,
		// the index's own are never touched.
		ml.ProjectToTile(t)
		ml.Clip(clip)
		ml.Simplify(simplify.DouglasPeucker(1))
		ml.RemoveEmpty(1, 1)
		for _, f := range ml.Features {
			f.Geometry = orient(f.Geometry)
		}
		if len(ml.Features) == 0 {
			continue
		}
		total += len(ml.Features)
		out = append(out, ml)
	}
	if total == 0 {
		return nil, 0, nil
	}
	b, err := mvt.Marshal(out)
	if err != nil {
		return nil, 0, fmt.Errorf("encode tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	return b, total, nil
}

// bufferedBound is the tile's lon/lat bound widened by Buffer tile units.
func bufferedBound(t maptile.Tile) orb.Bound {
	b := t.Bound()
	dx := (b.Max[0] - b.Min[0]) * Buffer / Extent
	dy := (b.Max[1] - b.Min[1]) * Buffer / Extent
	return orb.Bound{Min: orb.Point{b.Min[0] - dx, b.Min[1] - dy}, Max: orb.Point{b.Max[0] + dx, b.Max[1] + dy}}
}

// toGeoJSON copies a feature for encoding: the geometry is cloned, nulls
// are left out (MVT has no null; readers take a missing key as one).
func toGeoJSON(l *layers.Layer, f *layers.Feature) *geojson.Feature {
	gf := geojson.NewFeature(orb.Clone(f.Geometry))
	gf.ID = f.ID
	for i, v := range f.Props.All() {
		if v != nil && i < len(l.Fields) {
			gf.Properties[l.Fields[i].Name] = v
		}
	}
	return gf
}

// orient gives polygon rings the winding MVT asks for: exterior rings with
// a positive area in tile coordinates (y down), holes negative; in orb's
// terms on tile coordinates, exteriors CCW and holes CW.
func orient(g orb.Geometry) orb.Geometry {
	fix := func(p orb.Polygon) {
		for i, r := range p {
			want := orb.CW
			if i == 0 {
				want = orb.CCW
			}
			if r.Orientation() != want {
				r.Reverse()
			}
		}
	}
	switch v := g.(type) {
	case orb.Polygon:
		fix(v)
	case orb.MultiPolygon:
		for _, p := range v {
			fix(p)
		}
	}
	return g
}
