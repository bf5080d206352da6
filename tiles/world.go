package tiles

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The world grid: Web Mercator's square, y down, as 2^32 units a side
// (about 9 mm at the equator). Features are kept ready on it; it is the grid
// of zoom 20's tile units, so a tile of zoom z ≤ 20 takes its integer
// coordinates from it by one rounding shift, and two features that share a
// vertex share it in every tile.
const (
	// WorldBits is the world grid's precision: 2^WorldBits units a side.
	WorldBits = 32
	worldZoom = WorldBits - 12 // the zoom whose tile units are world units
	worldSize = int64(1) << WorldBits
)

// WorldPoint is a point on the world grid.
type WorldPoint struct{ X, Y int64 }

// toWorld puts lon/lat on the world grid (rounded to the nearest unit).
func toWorld(q orb.Point) WorldPoint {
	x, y := Mercator(q[0], q[1])
	return WorldPoint{int64(math.Floor(x*float64(worldSize) + 0.5)), int64(math.Floor(y*float64(worldSize) + 0.5))}
}

// TileGrid takes world units to the integer coordinates of one tile: for
// zoom z ≤ 20 a shift with rounding, past it a multiplication (the world
// grid's precision is then coarser than the tile's).
type TileGrid struct {
	shift, up uint
	half      int64
	ox, oy    int64 // the tile's corner in its zoom's units
}

// NewTileGrid returns the grid of tile t.
func NewTileGrid(t maptile.Tile) TileGrid {
	g := TileGrid{ox: int64(t.X) * Extent, oy: int64(t.Y) * Extent}
	if z := int(t.Z); z <= worldZoom {
		g.shift = uint(worldZoom - z)
		if g.shift > 0 {
			g.half = 1 << (g.shift - 1)
		}
	} else {
		g.up = uint(z - worldZoom)
	}
	return g
}

// Unit is the size of a tile unit in world units (0 past zoom 20).
func (g TileGrid) Unit() int64 {
	if g.up > 0 {
		return 0
	}
	return 1 << g.shift
}

// Corner is the tile's corner on the world grid.
func (g TileGrid) Corner() WorldPoint {
	if g.up > 0 {
		return WorldPoint{g.ox >> g.up, g.oy >> g.up}
	}
	return WorldPoint{g.ox << g.shift, g.oy << g.shift}
}

// At returns the tile coordinates of a world point.
func (g TileGrid) At(p WorldPoint) (x, y int64) {
	q := g.at(p)
	return q.X, q.Y
}

// at returns the tile coordinates of a world point.
func (g TileGrid) at(p WorldPoint) lpoint {
	if g.up > 0 {
		return lpoint{p.X<<g.up - g.ox, p.Y<<g.up - g.oy}
	}
	return lpoint{(p.X+g.half)>>g.shift - g.ox, (p.Y+g.half)>>g.shift - g.oy}
}
