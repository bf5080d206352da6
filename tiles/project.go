package tiles

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// IPoint is a point in tile coordinates: integers, 0–Extent across the
// tile, y down.
type IPoint struct{ X, Y int32 }

// maxLat is where Web Mercator ends (the square world of the tile pyramid).
const maxLat = 85.05112877980659

// Mercator returns lon/lat (degrees) as Web Mercator world coordinates
// scaled to 0–1 across the world, y down (the tile pyramid's own frame).
func Mercator(lon, lat float64) (x, y float64) {
	lat = math.Max(-maxLat, math.Min(maxLat, lat))
	x = lon/360 + 0.5
	s := math.Sin(lat * math.Pi / 180)
	y = 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
	return x, y
}

// Projector takes lon/lat to the integer coordinates of one tile,
// rounding to the nearest unit: a coordinate i stands for the world
// position i/Extent across the tile, so neighbouring features that share a
// vertex share its tile coordinates too.
type Projector struct {
	scale, x0, y0 float64
}

// NewProjector returns the projection into tile t.
func NewProjector(t maptile.Tile) Projector {
	s := float64(uint64(1)<<t.Z) * Extent
	return Projector{scale: s, x0: float64(t.X) * Extent, y0: float64(t.Y) * Extent}
}

// Point projects lon/lat.
func (p Projector) Point(q orb.Point) IPoint {
	x, y := Mercator(q[0], q[1])
	return IPoint{X: int32(math.Floor(x*p.scale - p.x0 + 0.5)), Y: int32(math.Floor(y*p.scale - p.y0 + 0.5))}
}

// Float projects lon/lat without rounding.
func (p Projector) Float(q orb.Point) (x, y float64) {
	mx, my := Mercator(q[0], q[1])
	return mx*p.scale - p.x0, my*p.scale - p.y0
}

// Bound projects a lon/lat bound to tile coordinates (min and max in tile
// terms: y is flipped).
func (p Projector) Bound(b orb.Bound) (min, max IPoint) {
	a := p.Point(orb.Point{b.Min[0], b.Max[1]})
	c := p.Point(orb.Point{b.Max[0], b.Min[1]})
	return a, c
}

// BufferedBound is the tile's lon/lat bound widened by buffer tile units on
// every side: the part of the world whose features reach into the tile.
func BufferedBound(t maptile.Tile, buffer int) orb.Bound {
	n := float64(uint64(1) << t.Z)
	e := float64(buffer) / Extent
	lon := func(x float64) float64 { return x/n*360 - 180 }
	lat := func(y float64) float64 {
		return math.Atan(math.Sinh(math.Pi*(1-2*y/n))) * 180 / math.Pi
	}
	x0, x1 := float64(t.X)-e, float64(t.X)+1+e
	y0, y1 := float64(t.Y)-e, float64(t.Y)+1+e
	b := orb.Bound{
		Min: orb.Point{math.Max(-180, lon(x0)), -90},
		Max: orb.Point{math.Min(180, lon(x1)), 90},
	}
	// Past the pyramid's edge, Mercator clamps: what lies beyond belongs
	// to the edge tiles.
	if y1 < n {
		b.Min[1] = lat(y1)
	}
	if y0 > 0 {
		b.Max[1] = lat(y0)
	}
	return b
}

// Range is a range of tiles at one zoom, bounds included.
type Range struct{ X0, X1, Y0, Y1 uint32 }

// TileRange is the range of tiles at zoom z whose bounds, widened by
// buffer tile units on every side, meet b (a hair wider, so that float
// rounding never leaves out a tile a feature is drawn in).
func TileRange(b orb.Bound, z int, buffer int) Range {
	n := float64(uint64(1) << z)
	e := float64(buffer)/Extent + 1e-6
	x0, y0 := Mercator(b.Min[0], b.Max[1])
	x1, y1 := Mercator(b.Max[0], b.Min[1])
	// Tile x, widened, spans [x-e, x+1+e]: it meets [x0, x1] when
	// x0-1-e ≤ x ≤ x1+e.
	clamp := func(v float64) uint32 { return uint32(max(0, min(n-1, v))) }
	return Range{
		X0: clamp(math.Ceil(x0*n - 1 - e)), X1: clamp(math.Floor(x1*n + e)),
		Y0: clamp(math.Ceil(y0*n - 1 - e)), Y1: clamp(math.Floor(y1*n + e)),
	}
}

// fast projects lon/lat without rounding, by fastMercator: what the
// encoder uses for every vertex.
func (p Projector) fast(q orb.Point) (x, y float64) {
	mx, my := fastMercator(q[0], q[1])
	return mx*p.scale - p.x0, my*p.scale - p.y0
}
