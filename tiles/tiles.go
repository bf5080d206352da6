// Package tiles makes Mapbox Vector Tiles (MVT 2.1) straight from the
// index, with its own protobuf writer: every feature of the asked layers
// that reaches into the tile, projected to Web Mercator, quantised to the
// tile's integer grid, clipped to the tile plus a small buffer in integers,
// polygons with MVT winding and valid as §4.3.4.4 asks, with the feature's
// id and attributes, each layer's keys and values written once. It reads a
// spatial.Snapshot and knows nothing of stores.
//
// What keeps it quick, without a copy of any geometry or attribute: Web
// Mercator's y is interpolated from a table (world.go) rather than taken
// from a logarithm per vertex; attributes are written from the packed
// layers.Props unboxed, a repeated string numbered once per tile by its id
// in the index's string table; and Prepared notes, per feature and zoom,
// whether the feature's polygons came out of the grid's rounding clean, so
// that later tiles write them without cleaning or checking them for
// self-intersection (about 40 bytes a feature).
package tiles

import (
	"errors"
	"fmt"

	"github.com/paulmach/orb/maptile"
)

const (
	// Extent is the tile's coordinate range (MVT's default).
	Extent = 4096
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
