package tiles

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// encoder holds the scratch space of one layer's encoding; encoders are
// pooled so that a tile costs few allocations.
type encoder struct {
	w     *LayerWriter
	own   LayerWriter
	proj  Projector
	box   box
	clip  clipper
	lbuf  []lpoint
	ibuf  []IPoint
	ends  []int // end of each ring in ibuf
	exts  []bool
	rings [][]IPoint
	segs  []segment
	keys  []int32 // key index per field position, -1 until used
	// onInvalid says what to do with a polygon that quantising broke.
	onInvalid invalidPolicy
	invalid   bool // the last feature was left out as invalid (skipInvalid)
}

// invalidPolicy is what the encoder does with polygons that quantising or
// clipping made invalid.
type invalidPolicy int

const (
	repairInvalid invalidPolicy = iota // repair on the grid with GEOS
	skipInvalid                        // leave the feature out, and say so
	keepInvalid                        // write it as it is: for size estimates only
)

var encoders = sync.Pool{New: func() any { return &encoder{} }}

// Encode makes the exact tile t of the given layers from snap: every
// feature that reaches into the tile (buffer included), nothing
// generalised, whatever the zoom. It returns the encoded tile and how many
// features it holds; no features means an empty tile (a server's 204).
func Encode(ctx context.Context, snap *spatial.Snapshot, ls []*layers.Layer, t maptile.Tile) ([]byte, int, error) {
	var out []byte
	total := 0
	for _, l := range ls {
		var n int
		var err error
		out, n, err = AppendExact(ctx, out, snap, l, t)
		if err != nil {
			return nil, 0, err
		}
		total += n
	}
	return out, total, nil
}

// AppendExact appends to dst the layer l of tile t as a Tile's layer field
// (layers concatenate into a tile), with every feature of snap that reaches
// into the tile, clipped to the tile and its buffer, quantised to the
// tile's integer grid, polygons valid as MVT 2.1 §4.3.4.4 asks (repaired
// on the grid where quantising broke them). Features that quantise to
// nothing (under a tile unit) are left out. It appends nothing when no
// feature is left.
func AppendExact(ctx context.Context, dst []byte, snap *spatial.Snapshot, l *layers.Layer, t maptile.Tile) ([]byte, int, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.start(l, t)
	var err error
	seen := 0
	snap.Search(l.ID, BufferedBound(t, Buffer), func(f *layers.Feature) bool {
		if seen++; seen&255 == 0 {
			if err = ctx.Err(); err != nil {
				return false
			}
		}
		if ferr := e.feature(l, f); ferr != nil {
			err = fmt.Errorf("tile %d/%d/%d layer %s feature %d: %w", t.Z, t.X, t.Y, l.ID, f.ID, ferr)
			return false
		}
		return true
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return dst, 0, err
	}
	return e.w.AppendTo(dst), e.w.Len(), nil
}

func (e *encoder) start(l *layers.Layer, t maptile.Tile) {
	e.w = &e.own
	e.w.Reset(l.ID)
	e.prepare(l, t)
}

// prepare readies the encoder for features of l in tile t, written to e.w.
func (e *encoder) prepare(l *layers.Layer, t maptile.Tile) {
	e.proj = NewProjector(t)
	e.box = box{lo: -Buffer, hi: Extent + Buffer}
	e.keys = e.keys[:0]
	for range l.Fields {
		e.keys = append(e.keys, -1)
	}
}

// feature writes one feature; one that is left with no geometry is dropped.
func (e *encoder) feature(l *layers.Layer, f *layers.Feature) error {
	e.w.Begin()
	e.invalid = false
	var t GeomType
	switch g := f.Geometry.(type) {
	case orb.MultiPolygon:
		t = GeomPolygon
		if err := e.polygons(g); err != nil {
			return err
		}
	case orb.Polygon:
		t = GeomPolygon
		if err := e.polygons(orb.MultiPolygon{g}); err != nil {
			return err
		}
	case orb.MultiLineString:
		t = GeomLineString
		for _, ls := range g {
			e.line(ls)
		}
	case orb.LineString:
		t = GeomLineString
		e.line(g)
	case orb.Point:
		t = GeomPoint
		e.points([]orb.Point{g})
	case orb.MultiPoint:
		t = GeomPoint
		e.points(g)
	default:
		return nil
	}
	e.tags(l, f)
	e.w.End(t)
	return nil
}

// tags writes the feature's id and attributes (nulls left out: MVT has no
// null, readers take a missing key as one).
func (e *encoder) tags(l *layers.Layer, f *layers.Feature) {
	if f.ID > 0 {
		e.w.ID(uint64(f.ID))
	}
	for i, v := range f.Props.All() {
		if v == nil || i >= len(e.keys) {
			continue
		}
		k := e.keys[i]
		if k < 0 {
			k = int32(e.w.Key(l.Fields[i].Name))
			e.keys[i] = k
		}
		e.w.Value(uint32(k), v)
	}
}

// FeatureWriter writes exact features of one layer of one tile into a
// LayerWriter, as AppendExact does for each of them: for callers that pick
// the features themselves (overviews).
type FeatureWriter struct {
	e *encoder
	l *layers.Layer
}

// NewFeatureWriter returns a writer of l's features in tile t into w.
func NewFeatureWriter(w *LayerWriter, l *layers.Layer, t maptile.Tile) *FeatureWriter {
	e := &encoder{w: w}
	e.prepare(l, t)
	return &FeatureWriter{e: e, l: l}
}

// Write writes the feature, clipped, quantised and valid; it reports
// whether anything was left of it.
func (fw *FeatureWriter) Write(f *layers.Feature) (bool, error) {
	n := fw.e.w.Len()
	err := fw.e.feature(fw.l, f)
	return fw.e.w.Len() > n, err
}

// WriteIfValid writes the feature like Write, except a polygon that
// quantising would make invalid: that one is left out (invalid true)
// rather than repaired, for callers that have a cheaper stand-in for it.
func (fw *FeatureWriter) WriteIfValid(f *layers.Feature) (written, invalid bool, err error) {
	fw.e.onInvalid = skipInvalid
	defer func() { fw.e.onInvalid = repairInvalid }()
	n := fw.e.w.Len()
	err = fw.e.feature(fw.l, f)
	return fw.e.w.Len() > n, fw.e.invalid, err
}

// ExactSize is about the size in bytes of the exact layer l at tile t
// (AppendExact's), without repairing what quantising breaks: cheap enough
// to size up dense tiles.
func ExactSize(ctx context.Context, snap *spatial.Snapshot, l *layers.Layer, t maptile.Tile) (int, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.start(l, t)
	e.onInvalid = keepInvalid
	defer func() { e.onInvalid = repairInvalid }()
	var err error
	seen := 0
	snap.Search(l.ID, BufferedBound(t, Buffer), func(f *layers.Feature) bool {
		if seen++; seen&255 == 0 {
			if err = ctx.Err(); err != nil {
				return false
			}
		}
		err = e.feature(l, f)
		return err == nil
	})
	if err != nil {
		return 0, err
	}
	return len(e.w.AppendTo(nil)), nil
}

// Tags writes the feature's id and attributes into the feature the
// LayerWriter is writing (a caller-made geometry standing for f).
func (fw *FeatureWriter) Tags(f *layers.Feature) { fw.e.tags(fw.l, f) }

// project projects a ring or line into e.lbuf, dropping repeated points,
// and returns it with its bound.
func (e *encoder) project(pts []orb.Point) ([]lpoint, lpoint, lpoint) {
	lb := e.lbuf[:0]
	lo := lpoint{math.MaxInt64, math.MaxInt64}
	hi := lpoint{math.MinInt64, math.MinInt64}
	for _, q := range pts {
		x, y := e.proj.Float(q)
		p := lpoint{int64(math.Floor(x + 0.5)), int64(math.Floor(y + 0.5))}
		if n := len(lb); n > 0 && lb[n-1] == p {
			continue
		}
		lb = append(lb, p)
		lo.X, lo.Y = min(lo.X, p.X), min(lo.Y, p.Y)
		hi.X, hi.Y = max(hi.X, p.X), max(hi.Y, p.Y)
	}
	e.lbuf = lb
	return lb, lo, hi
}

// ring projects, clips and cleans one ring onto the end of e.ibuf and
// reports whether anything with an area is left.
func (e *encoder) ring(r orb.Ring) bool {
	if n := len(r); n > 1 && r[0] == r[n-1] {
		r = r[:n-1]
	}
	lb, lo, hi := e.project(r)
	if len(lb) < 3 || hi.X < e.box.lo || lo.X > e.box.hi || hi.Y < e.box.lo || lo.Y > e.box.hi {
		return false
	}
	if lo.X < e.box.lo || hi.X > e.box.hi || lo.Y < e.box.lo || hi.Y > e.box.hi {
		lb = e.clip.ring(lb, e.box)
	}
	start := len(e.ibuf)
	for _, p := range lb {
		e.ibuf = append(e.ibuf, IPoint{int32(p.X), int32(p.Y)})
	}
	cleaned := CleanRing(e.ibuf[start:])
	e.ibuf = e.ibuf[:start+len(cleaned)]
	if len(cleaned) < 3 || Area2(cleaned) == 0 {
		e.ibuf = e.ibuf[:start]
		return false
	}
	return true
}

// polygons writes a multipolygon's rings with MVT winding, repaired on the
// grid when quantising or clipping made them invalid.
func (e *encoder) polygons(mp orb.MultiPolygon) error {
	e.ibuf, e.ends, e.exts = e.ibuf[:0], e.ends[:0], e.exts[:0]
	for _, p := range mp {
		for i, r := range p {
			if !e.ring(r) {
				if i == 0 {
					break // no exterior left: its holes go with it
				}
				continue
			}
			e.ends = append(e.ends, len(e.ibuf))
			e.exts = append(e.exts, i == 0)
		}
	}
	if len(e.ends) == 0 {
		return nil
	}
	e.rings = e.rings[:0]
	start := 0
	for i, end := range e.ends {
		r := e.ibuf[start:end:end]
		Orient(r, e.exts[i])
		e.rings = append(e.rings, r)
		start = end
	}
	var bad bool
	if e.onInvalid != keepInvalid {
		bad, e.segs = Intersecting(e.rings, e.segs)
	}
	if bad && e.onInvalid == skipInvalid {
		e.invalid = true
		return nil
	}
	if !bad {
		for _, r := range e.rings {
			e.w.Ring(r)
		}
		return nil
	}
	var polys []Polygon
	for i, r := range e.rings {
		if e.exts[i] {
			polys = append(polys, Polygon{r})
		} else {
			polys[len(polys)-1] = append(polys[len(polys)-1], r)
		}
	}
	fixed, err := repair(polys)
	if err != nil {
		return err
	}
	for _, p := range fixed {
		for _, r := range p {
			e.w.Ring(r)
		}
	}
	return nil
}

// line writes the parts of a line string left inside the box.
func (e *encoder) line(ls orb.LineString) {
	lb, lo, hi := e.project(ls)
	if len(lb) < 2 || hi.X < e.box.lo || lo.X > e.box.hi || hi.Y < e.box.lo || lo.Y > e.box.hi {
		return
	}
	e.ibuf = e.ibuf[:0]
	var scratch [64]lpoint
	clipLine(lb, e.box, func(part []lpoint) {
		start := len(e.ibuf)
		for _, p := range part {
			q := IPoint{int32(p.X), int32(p.Y)}
			if n := len(e.ibuf); n > start && e.ibuf[n-1] == q {
				continue
			}
			e.ibuf = append(e.ibuf, q)
		}
		if len(e.ibuf)-start >= 2 {
			e.w.Line(e.ibuf[start:])
		}
	}, scratch[:0])
}

// points writes the points inside the box.
func (e *encoder) points(ps []orb.Point) {
	e.ibuf = e.ibuf[:0]
	for _, q := range ps {
		x, y := e.proj.Float(q)
		p := lpoint{int64(math.Floor(x + 0.5)), int64(math.Floor(y + 0.5))}
		if e.box.inside(p) {
			e.ibuf = append(e.ibuf, IPoint{int32(p.X), int32(p.Y)})
		}
	}
	if len(e.ibuf) > 0 {
		e.w.Points(e.ibuf)
	}
}
