package overview

import (
	"cmp"
	"context"
	"math"
	"slices"

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
	// maxFeatureCells bounds the side of the grid one feature is traced on.
	maxFeatureCells = 256
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
	tg     tiles.TileGrid
	rings  tiles.Rings
	fill   filler
}

// each calls fn for every feature of the layer that reaches into the tile,
// as kept ready, checking ctx now and then.
func (b *builder) each(ctx context.Context, fn func(tiles.WorldFeature)) error {
	var err error
	n := 0
	b.snap.Search(b.l.ID, tiles.BufferedBound(b.t, tiles.Buffer), func(f *layers.Feature) bool {
		if n++; n&1023 == 0 {
			if err = ctx.Err(); err != nil {
				return false
			}
		}
		fn(tiles.OnWorld(f))
		return true
	})
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// unit is a tile unit in world units at the tile's zoom.
func (b *builder) unit() int64 { return max(1, b.tg.Unit()) }

// classes numbers the dissolve classes of one tile: a feature's class is
// its key field's value, DLBM cut to its first-level class more than two
// zooms below the detail zoom.
type classes struct {
	cut    bool
	byName map[layers.Raw]int32
	values []layers.Raw // per class
}

func (b *builder) newClasses() *classes {
	return &classes{
		cut:    b.l.KeyField == "DLBM" && int(b.t.Z) < b.detail-2,
		byName: map[layers.Raw]int32{},
	}
}

func (cs *classes) of(v layers.Raw) int32 {
	if cs.cut && v.Kind == layers.RawString && len(v.Str) > 2 {
		v.Str = v.Str[:2]
	}
	c, ok := cs.byName[v]
	if !ok {
		c = int32(len(cs.values))
		cs.byName[v] = c
		cs.values = append(cs.values, v)
	}
	return c
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
	x0, y0 := floorTo(lo.X, size), floorTo(lo.Y, size)
	g := newGrid(x0, y0, int((hi.X-x0)/size)+1, int((hi.Y-y0)/size)+1, size)
	g.onWorld(b.tg.Corner(), b.unit())
	cs := b.newClasses()
	err := b.each(ctx, func(rd tiles.WorldFeature) {
		if rd.Kind() != tiles.GeomPolygon || !g.coversACentre(rd.Bound()) {
			return
		}
		var c int32
		if ki >= 0 {
			c = cs.of(rd.Value(ki))
		} else {
			c = cs.of(layers.Raw{})
		}
		rd.Polygons(&b.rings, func(rings [][]tiles.WorldPoint) { g.fill(rings, c, &b.fill) })
	})
	if err != nil {
		return err
	}
	for {
		b.w.Reset(b.l.ID)
		k := b.w.Key(b.l.KeyField)
		for _, cp := range g.polygonise() {
			b.w.Begin()
			for _, p := range cp.polys {
				for _, r := range p {
					b.w.Ring(r)
				}
			}
			b.w.Raw(k, nil, cs.values[cp.class])
			b.w.End(tiles.GeomPolygon)
		}
		if b.w.Size() <= b.budget || g.size >= 256 {
			return nil
		}
		g = g.coarser()
	}
}

func floorTo(v, size int32) int32 {
	return int32(math.Floor(float64(v)/float64(size))) * size
}

// candidate is a polygon of the keep-large rule with its area in square
// tile units.
type candidate struct {
	rd   tiles.WorldFeature
	area float64
}

// keepLarge keeps features of a pixel or more and turns the small ones
// into pixel squares as their area adds up (see the package comment).
// Features are taken largest first, so that an attempt over the budget
// stops early.
func (b *builder) keepLarge(ctx context.Context) error {
	u := float64(b.unit())
	var cands []candidate
	err := b.each(ctx, func(rd tiles.WorldFeature) {
		if rd.Kind() == tiles.GeomPolygon {
			cands = append(cands, candidate{rd, rd.Area(&b.rings) / (u * u)})
		}
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(cands, func(p, q candidate) int { return cmp.Compare(q.area, p.area) })
	minArea := float64(pixel * pixel)
	for attempt := 0; attempt < 5; attempt++ {
		ok, err := b.keepLargeAt(cands, minArea)
		if err != nil || ok {
			return err
		}
		minArea *= 4
	}
	return b.dissolve(ctx)
}

// keepLargeAt writes the candidates with minArea as the threshold; ok is
// false as soon as the tile is over the budget.
func (b *builder) keepLargeAt(cands []candidate, minArea float64) (ok bool, err error) {
	// Features of this many pixels or more that quantising breaks are
	// traced on a grid; smaller ones become pixel squares.
	const bigArea = 64 * pixel * pixel
	b.w.Reset(b.l.ID)
	fw := b.o.ready.NewFeatureWriter(&b.w, b.l, b.t)
	var acc float64
	for i, c := range cands {
		if i&63 == 0 && b.w.Size() > b.budget {
			return false, nil
		}
		f := c.rd.Feature()
		if c.area >= minArea {
			_, invalid, err := fw.WriteIfValid(f)
			if err != nil {
				return false, err
			}
			if !invalid {
				continue
			}
			if c.area >= bigArea {
				b.trace(fw, c.rd)
				continue
			}
		} else if acc += c.area; acc < minArea {
			continue
		} else {
			acc -= minArea
		}
		b.square(fw, c.rd)
	}
	return b.w.Size() <= b.budget, nil
}

// square draws a feature as the pixel-sized square under its bound's
// centre, with its id and attributes.
func (b *builder) square(fw *tiles.FeatureWriter, rd tiles.WorldFeature) {
	lo, hi := rd.Bound()
	x, y := b.tg.At(tiles.WorldPoint{X: (lo.X + hi.X) / 2, Y: (lo.Y + hi.Y) / 2})
	sx, sy := int32(math.Floor(float64(x)/pixel))*pixel, int32(math.Floor(float64(y)/pixel))*pixel
	if sx < -tiles.Buffer || sy < -tiles.Buffer || sx+pixel > tiles.Extent+tiles.Buffer || sy+pixel > tiles.Extent+tiles.Buffer {
		return
	}
	b.w.Begin()
	b.w.Ring([]tiles.IPoint{{X: sx, Y: sy}, {X: sx + pixel, Y: sy}, {X: sx + pixel, Y: sy + pixel}, {X: sx, Y: sy + pixel}})
	fw.Tags(rd.Feature())
	b.w.End(tiles.GeomPolygon)
}

// trace draws a feature that quantising breaks as the cells of a grid
// whose centres it covers, traced along cell edges (valid by
// construction): cells of a tile unit, coarser for big features, so that
// the grid over the feature (within the tile and its buffer) is at most
// maxFeatureCells a side.
func (b *builder) trace(fw *tiles.FeatureWriter, rd tiles.WorldFeature) {
	wlo, whi := rd.Bound()
	lx, ly := b.tg.At(wlo)
	hx, hy := b.tg.At(whi)
	const edgeLo, edgeHi = -tiles.Buffer, tiles.Extent + tiles.Buffer
	lx, ly, hx, hy = max(lx, edgeLo), max(ly, edgeLo), min(hx, edgeHi), min(hy, edgeHi)
	if lx >= hx || ly >= hy {
		return
	}
	size := int32(1)
	for max(hx-lx, hy-ly)/int64(size) > maxFeatureCells {
		size *= 2
	}
	x0, y0 := floorTo(int32(lx), size), floorTo(int32(ly), size)
	g := newGrid(x0, y0, int((int32(hx)-x0)/size)+1, int((int32(hy)-y0)/size)+1, size)
	g.onWorld(b.tg.Corner(), b.unit())
	rd.Polygons(&b.rings, func(rings [][]tiles.WorldPoint) { g.fill(rings, 0, &b.fill) })
	polys := g.polygonise()
	if len(polys) == 0 {
		b.square(fw, rd)
		return
	}
	b.w.Begin()
	for _, p := range polys[0].polys {
		for _, r := range p {
			b.w.Ring(r)
		}
	}
	fw.Tags(rd.Feature())
	b.w.End(tiles.GeomPolygon)
}

// keepLong keeps lines of a pixel or more (see the package comment).
func (b *builder) keepLong(ctx context.Context) error {
	u := float64(b.unit())
	type line struct {
		rd     tiles.WorldFeature
		length float64
	}
	var ls []line
	err := b.each(ctx, func(rd tiles.WorldFeature) {
		if rd.Kind() != tiles.GeomLineString {
			return
		}
		total := 0.0
		rd.Lines(&b.rings, func(pts []tiles.WorldPoint) {
			for i := 1; i < len(pts); i++ {
				total += math.Hypot(float64(pts[i].X-pts[i-1].X), float64(pts[i].Y-pts[i-1].Y))
			}
		})
		ls = append(ls, line{rd, total / u})
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(ls, func(p, q line) int { return cmp.Compare(q.length, p.length) })
	minLen := float64(pixel)
	for {
		b.w.Reset(b.l.ID)
		fw := b.o.ready.NewFeatureWriter(&b.w, b.l, b.t)
		over := false
		for i, l := range ls {
			if l.length < minLen {
				break
			}
			if i&63 == 0 && b.w.Size() > b.budget {
				over = true
				break
			}
			if _, err := fw.Write(l.rd.Feature()); err != nil {
				return err
			}
		}
		if !over && b.w.Size() <= b.budget || minLen > tiles.Extent {
			return nil
		}
		minLen *= 2
	}
}

// cluster gathers points in cells (see the package comment).
func (b *builder) cluster(ctx context.Context) error {
	b.w.Reset(b.l.ID)
	type cell struct {
		x, y   int32
		n      int
		sx, sy float64
		first  *layers.Feature
		keys   map[layers.Raw]int
	}
	cells := map[[2]int32]*cell{}
	ki := b.l.FieldIndex(b.l.KeyField)
	var pts []tiles.WorldPoint
	err := b.each(ctx, func(rd tiles.WorldFeature) {
		pts = rd.Points(pts[:0])
		if len(pts) == 0 {
			return
		}
		xi, yi := b.tg.At(pts[0])
		x, y := float64(xi), float64(yi)
		if x < -tiles.Buffer || y < -tiles.Buffer || x > tiles.Extent+tiles.Buffer || y > tiles.Extent+tiles.Buffer {
			return
		}
		k := [2]int32{int32(math.Floor(x / clusterCell)), int32(math.Floor(y / clusterCell))}
		c := cells[k]
		if c == nil {
			c = &cell{x: k[0], y: k[1], keys: map[layers.Raw]int{}}
			cells[k] = c
		}
		c.n++
		c.sx += x
		c.sy += y
		f := rd.Feature()
		if c.first == nil || f.ID < c.first.ID {
			c.first = f
		}
		if ki >= 0 {
			if v := rd.Value(ki); v.Kind != layers.RawNull {
				c.keys[v]++
			}
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
	fw := b.o.ready.NewFeatureWriter(&b.w, b.l, b.t)
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
		var best layers.Raw
		bestN := 0
		for v, n := range c.keys {
			if n > bestN || (n == bestN && before(v, best)) {
				best, bestN = v, n
			}
		}
		if bestN > 0 {
			b.w.Raw(b.w.Key(b.l.KeyField), nil, best)
		}
		b.w.End(tiles.GeomPoint)
	}
	return nil
}

// before orders values of one field, for ties decided the same way every
// time.
func before(a, b layers.Raw) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	switch a.Kind {
	case layers.RawString:
		return a.Str < b.Str
	case layers.RawInt:
		return a.Int < b.Int
	case layers.RawFloat:
		return a.Float < b.Float
	}
	return false
}
