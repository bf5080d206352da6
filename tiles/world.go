package tiles

import (
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The world grid: Web Mercator's square, y down, as 2^32 units a side
// (about 9 mm at the equator), the grid of zoom 20's tile units.
// Generalisation rules work on it (tiles/overview).
const (
	// WorldBits is the world grid's precision: 2^WorldBits units a side.
	WorldBits = 32
	worldZoom = WorldBits - 12 // the zoom whose tile units are world units
	worldSize = float64(int64(1) << WorldBits)
)

// WorldPoint is a point on the world grid.
type WorldPoint struct{ X, Y int64 }

// toWorld puts lon/lat on the world grid (rounded to the nearest unit).
func toWorld(q orb.Point) WorldPoint {
	x, y := fastMercator(q[0], q[1])
	return WorldPoint{int64(math.Floor(x*worldSize + 0.5)), int64(math.Floor(y*worldSize + 0.5))}
}

// Web Mercator's y is a logarithm of a sine: too slow for every vertex of
// every tile. fastMercator interpolates it instead, a cubic Hermite
// between knots every 1/128° of latitude with the exact slope at each knot:
// within 0.0001 world units (a micrometre) of the exact value up to 85°,
// far closer at mid latitudes. It is a fixed function of its
// input, so a vertex two features share lands on the same tile
// coordinates in both.
const knotsPerDegree = 128

var mercTable struct {
	once sync.Once
	y, m []float64 // y and its slope per knot, as fractions of the world
}

func buildMercTable() {
	n := 180*knotsPerDegree + 1
	mercTable.y = make([]float64, n)
	mercTable.m = make([]float64, n)
	for i := range n {
		// Past 85.06° the table only has to be finite: latitudes are
		// clamped before they reach it.
		lat := math.Max(-89.9, math.Min(89.9, -90+float64(i)/knotsPerDegree))
		mercTable.y[i] = mercY(lat)
		// dy/dlat = -1/(360 cos lat) per degree; per knot, 1/128 of it.
		mercTable.m[i] = -1 / (360 * math.Cos(lat*math.Pi/180)) / knotsPerDegree
	}
}

// mercY is Web Mercator's y without clamping (|lat| < 90).
func mercY(lat float64) float64 {
	s := math.Sin(lat * math.Pi / 180)
	return 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
}

// fastMercator is Mercator (fractions of the world, y down) by
// interpolation.
func fastMercator(lon, lat float64) (x, y float64) {
	mercTable.once.Do(buildMercTable)
	lat = math.Max(-maxLat, math.Min(maxLat, lat))
	t := (lat + 90) * knotsPerDegree
	i := int(t)
	u := t - float64(i)
	ys, ms := mercTable.y, mercTable.m
	y0, y1, m0, m1 := ys[i], ys[i+1], ms[i], ms[i+1]
	u2 := u * u
	u3 := u2 * u
	y = (2*u3-3*u2+1)*y0 + (u3-2*u2+u)*m0 + (-2*u3+3*u2)*y1 + (u3-u2)*m1
	return lon/360 + 0.5, y
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
	if g.up > 0 {
		return p.X<<g.up - g.ox, p.Y<<g.up - g.oy
	}
	return (p.X+g.half)>>g.shift - g.ox, (p.Y+g.half)>>g.shift - g.oy
}
