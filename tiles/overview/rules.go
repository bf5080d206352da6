package overview

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
)

const (
	// pixel is a pixel of a 512-pixel tile, in tile units.
	pixel = tiles.Extent / 512
	// maxCells bounds the dissolve grid's side.
	maxCells = 1024
	// clusterCell is the side of a point cluster's cell (8 pixels).
	clusterCell = 8 * pixel
)

// builder makes one overview tile of one layer.
type builder struct {
	o      *Overviews
	snap   *spatial.Snapshot
	l      *layers.Layer
	t      maptile.Tile
	detail int
	budget int
	w      tiles.LayerWriter
}

// each calls fn for every feature of the layer that reaches into the tile,
// checking ctx now and then.
func (b *builder) each(ctx context.Context, fn func(*layers.Feature)) error {
	var err error
	n := 0
	b.snap.Search(b.l.ID, tiles.BufferedBound(b.t, tiles.Buffer), func(f *layers.Feature) bool {
		if n++; n&1023 == 0 {
			if err = ctx.Err(); err != nil {
				return false
			}
		}
		fn(f)
		return true
	})
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// classOf is the dissolve class of a feature: its key field's value, DLBM
// cut to its first-level class more than two zooms below the detail zoom.
func (b *builder) classOf(f *layers.Feature, ki int) (string, any) {
	if ki < 0 {
		return "", nil
	}
	v := f.Props.At(ki)
	s, isString := v.(string)
	if !isString {
		if v == nil {
			return "", nil
		}
		return fmt.Sprint(v), v
	}
	if b.l.KeyField == "DLBM" && int(b.t.Z) < b.detail-2 && len(s) > 2 {
		s = s[:2]
		return s, s
	}
	return s, s
}

// dissolve draws the layer as classes rasterised on a grid and turned back
// into polygons along cell edges (see the package comment).
func (b *builder) dissolve(ctx context.Context) error {
	b.w.Reset(b.l.ID)
	lb, ok := b.snap.Bound(b.l.ID)
	if !ok {
		return nil
	}
	proj := tiles.NewProjector(b.t)
	lo, hi := proj.Bound(lb)
	const edgeLo, edgeHi = -tiles.Buffer, tiles.Extent + tiles.Buffer
	lo.X, lo.Y = max(lo.X, edgeLo), max(lo.Y, edgeLo)
	hi.X, hi.Y = min(hi.X, edgeHi), min(hi.Y, edgeHi)
	if lo.X >= hi.X || lo.Y >= hi.Y {
		return nil
	}
	size := int32(1)
	for max(hi.X-lo.X, hi.Y-lo.Y)/size > maxCells {
		size *= 2
	}
	ki := b.l.FieldIndex(b.l.KeyField)
	for {
		x0, y0 := floorTo(lo.X, size), floorTo(lo.Y, size)
		g := newGrid(x0, y0, int((hi.X-x0)/size)+1, int((hi.Y-y0)/size)+1, size)
		classes := map[string]int32{}
		var values []any
		var rings [][]orb.Point
		var xs []float64
		err := b.each(ctx, func(f *layers.Feature) {
			polys := polygonsOf(f.Geometry)
			if len(polys) == 0 || !g.coversACentre(proj, f.Bound()) {
				return
			}
			name, v := b.classOf(f, ki)
			c, ok := classes[name]
			if !ok {
				c = int32(len(values))
				classes[name] = c
				values = append(values, v)
			}
			for _, p := range polys {
				rings = projectRings(proj, p, rings)
				xs = g.fill(rings, c, xs)
			}
		})
		if err != nil {
			return err
		}
		b.w.Reset(b.l.ID)
		k := b.w.Key(b.l.KeyField)
		for _, cp := range g.polygonise() {
			b.w.Begin()
			for _, p := range cp.polys {
				for _, r := range p {
					b.w.Ring(r)
				}
			}
			b.w.Value(k, values[cp.class])
			b.w.End(tiles.GeomPolygon)
		}
		if b.w.Size() <= b.budget || size >= 256 {
			return nil
		}
		size *= 2
	}
}

func floorTo(v, size int32) int32 {
	return int32(math.Floor(float64(v)/float64(size))) * size
}

// coversACentre says whether a lon/lat bound holds the centre of a cell of
// the grid (a cheap test before projecting a whole feature).
func (g *grid) coversACentre(proj tiles.Projector, b orb.Bound) bool {
	x0, y1 := proj.Float(b.Min)
	x1, y0 := proj.Float(b.Max)
	s := float64(g.size)
	i0 := math.Ceil((x0-float64(g.x0))/s - 0.5)
	i1 := math.Floor((x1-float64(g.x0))/s - 0.5)
	j0 := math.Ceil((y0-float64(g.y0))/s - 0.5)
	j1 := math.Floor((y1-float64(g.y0))/s - 0.5)
	return i0 <= i1 && j0 <= j1 && i1 >= 0 && j1 >= 0 && i0 < float64(g.w) && j0 < float64(g.h)
}

func polygonsOf(g orb.Geometry) []orb.Polygon {
	switch v := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{v}
	case orb.MultiPolygon:
		return v
	}
	return nil
}

// projectRings projects a polygon's rings to unrounded tile coordinates,
// reusing buf.
func projectRings(proj tiles.Projector, p orb.Polygon, buf [][]orb.Point) [][]orb.Point {
	buf = buf[:0]
	for _, r := range p {
		var pr []orb.Point
		if len(buf) < cap(buf) {
			pr = buf[:len(buf)+1][len(buf)][:0]
		}
		for _, q := range r {
			x, y := proj.Float(q)
			pr = append(pr, orb.Point{x, y})
		}
		buf = append(buf, pr)
	}
	return buf
}

// areaOf is the area of a polygonal feature in tile units², about: its
// lon/lat area scaled by the tile's scale at the feature (fine for
// features much smaller than a tile, which is where it decides).
func areaOf(proj tiles.Projector, f *layers.Feature) float64 {
	b := f.Bound()
	x0, y1 := proj.Float(b.Min)
	x1, y0 := proj.Float(b.Max)
	dlon, dlat := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	if dlon == 0 || dlat == 0 {
		return 0
	}
	sx, sy := (x1-x0)/dlon, (y1-y0)/dlat
	var a float64
	for _, p := range polygonsOf(f.Geometry) {
		for i, r := range p {
			ra := math.Abs(ringArea(r))
			if i > 0 {
				ra = -ra
			}
			a += ra
		}
	}
	return a * sx * sy
}

func ringArea(r orb.Ring) float64 {
	var s float64
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i][0]*r[j][1] - r[j][0]*r[i][1]
	}
	return s / 2
}

// keepLarge keeps features of a pixel or more and turns the small ones
// into pixel squares as their area adds up (see the package comment).
func (b *builder) keepLarge(ctx context.Context) error {
	proj := tiles.NewProjector(b.t)
	minArea := float64(pixel * pixel)
	// Features of this many pixels or more are repaired when quantising
	// breaks them; smaller ones become pixel squares instead.
	const bigArea = 64 * pixel * pixel
	for attempt := 0; attempt < 5; attempt++ {
		b.w.Reset(b.l.ID)
		fw := tiles.NewFeatureWriter(&b.w, b.l, b.t)
		var acc float64
		var werr error
		err := b.each(ctx, func(f *layers.Feature) {
			if werr != nil {
				return
			}
			a := areaOf(proj, f)
			if a >= max(bigArea, minArea) {
				_, werr = fw.Write(f)
				return
			}
			if a >= minArea {
				// A small feature that quantising would break stands as
				// its pixel square (GEOS repairs cost too much here).
				var invalid bool
				if _, invalid, werr = fw.WriteIfValid(f); !invalid || werr != nil {
					return
				}
			} else if acc += a; acc < minArea {
				return
			} else {
				acc -= minArea
			}
			c := f.Bound().Center()
			x, y := proj.Float(c)
			sx, sy := int32(math.Floor(x/pixel))*pixel, int32(math.Floor(y/pixel))*pixel
			if sx < -tiles.Buffer || sy < -tiles.Buffer || sx+pixel > tiles.Extent+tiles.Buffer || sy+pixel > tiles.Extent+tiles.Buffer {
				return
			}
			b.w.Begin()
			b.w.Ring([]tiles.IPoint{{X: sx, Y: sy}, {X: sx + pixel, Y: sy}, {X: sx + pixel, Y: sy + pixel}, {X: sx, Y: sy + pixel}})
			fw.Tags(f)
			b.w.End(tiles.GeomPolygon)
		})
		if err == nil {
			err = werr
		}
		if err != nil {
			return err
		}
		if b.w.Size() <= b.budget {
			return nil
		}
		minArea *= 4
	}
	return b.dissolve(ctx)
}

// keepLong keeps lines of a pixel or more (see the package comment).
func (b *builder) keepLong(ctx context.Context) error {
	proj := tiles.NewProjector(b.t)
	minLen := float64(pixel)
	for {
		b.w.Reset(b.l.ID)
		fw := tiles.NewFeatureWriter(&b.w, b.l, b.t)
		var werr error
		err := b.each(ctx, func(f *layers.Feature) {
			if werr == nil && lengthOf(proj, f.Geometry) >= minLen {
				_, werr = fw.Write(f)
			}
		})
		if err == nil {
			err = werr
		}
		if err != nil || b.w.Size() <= b.budget || minLen > tiles.Extent {
			return err
		}
		minLen *= 2
	}
}

func lengthOf(proj tiles.Projector, g orb.Geometry) float64 {
	var lines []orb.LineString
	switch v := g.(type) {
	case orb.LineString:
		lines = []orb.LineString{v}
	case orb.MultiLineString:
		lines = v
	}
	var total float64
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			x0, y0 := proj.Float(l[i-1])
			x1, y1 := proj.Float(l[i])
			total += math.Hypot(x1-x0, y1-y0)
		}
	}
	return total
}

// cluster gathers points in cells (see the package comment).
func (b *builder) cluster(ctx context.Context) error {
	b.w.Reset(b.l.ID)
	proj := tiles.NewProjector(b.t)
	type cell struct {
		x, y   int32
		n      int
		sx, sy float64
		first  *layers.Feature
		keys   map[string]int
		values map[string]any
	}
	cells := map[[2]int32]*cell{}
	ki := b.l.FieldIndex(b.l.KeyField)
	err := b.each(ctx, func(f *layers.Feature) {
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			return
		}
		x, y := proj.Float(p)
		if x < -tiles.Buffer || y < -tiles.Buffer || x > tiles.Extent+tiles.Buffer || y > tiles.Extent+tiles.Buffer {
			return
		}
		k := [2]int32{int32(math.Floor(x / clusterCell)), int32(math.Floor(y / clusterCell))}
		c := cells[k]
		if c == nil {
			c = &cell{x: k[0], y: k[1], keys: map[string]int{}, values: map[string]any{}}
			cells[k] = c
		}
		c.n++
		c.sx += x
		c.sy += y
		if c.first == nil || f.ID < c.first.ID {
			c.first = f
		}
		if ki >= 0 {
			v := f.Props.At(ki)
			s := fmt.Sprint(v)
			c.keys[s]++
			c.values[s] = v
		}
	})
	if err != nil {
		return err
	}
	list := make([]*cell, 0, len(cells))
	for _, c := range cells {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b *cell) int {
		if a.y != b.y {
			return int(a.y - b.y)
		}
		return int(a.x - b.x)
	})
	fw := tiles.NewFeatureWriter(&b.w, b.l, b.t)
	for _, c := range list {
		if c.n == 1 {
			if _, err := fw.Write(c.first); err != nil {
				return err
			}
			continue
		}
		b.w.Begin()
		b.w.Points([]tiles.IPoint{{X: int32(math.Round(c.sx / float64(c.n))), Y: int32(math.Round(c.sy / float64(c.n)))}})
		b.w.Int(b.w.Key("count"), int64(c.n))
		if ki >= 0 {
			best, bestN := "", -1
			for s, n := range c.keys {
				if n > bestN || (n == bestN && s < best) {
					best, bestN = s, n
				}
			}
			b.w.Value(b.w.Key(b.l.KeyField), c.values[best])
		}
		b.w.End(tiles.GeomPoint)
	}
	return nil
}
