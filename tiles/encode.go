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
	w    *LayerWriter
	own  LayerWriter
	proj Projector
	zoom uint
	// the tile's address at its zoom
	tileX, tileY int64
	box          box
	clip         clipper
	lbuf         []lpoint
	ends         []int // end of each ring in lbuf
	exts         []bool
	ibuf         []IPoint
	iends        []int // end of each ring in ibuf
	rings        [][]IPoint
	segs         []segment
	keys         []int32 // key index per field position, -1 until used
	// notes gives the record of a feature (nil: none kept).
	notes *preparedLayer
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
// Nothing is noted for later tiles: a Prepared store's AppendExact does.
func Encode(ctx context.Context, snap *spatial.Snapshot, ls []*layers.Layer, t maptile.Tile) ([]byte, int, error) {
	var out []byte
	total := 0
	for _, l := range ls {
		var n int
		var err error
		out, n, err = appendExact(ctx, out, nil, snap, l, t, repairInvalid)
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
	return appendExact(ctx, dst, nil, snap, l, t, repairInvalid)
}

// AppendExact is the package's AppendExact, noting which features come out
// of the zoom's rounding clean and writing those it noted before without
// checking them again.
func (p *Prepared) AppendExact(ctx context.Context, dst []byte, snap *spatial.Snapshot, l *layers.Layer, t maptile.Tile) ([]byte, int, error) {
	return appendExact(ctx, dst, p.layers[l.ID], snap, l, t, repairInvalid)
}

// ExactSize is about the size in bytes of the exact layer l at tile t
// (AppendExact's), without repairing what quantising breaks: cheap enough
// to size up dense tiles.
func (p *Prepared) ExactSize(ctx context.Context, snap *spatial.Snapshot, l *layers.Layer, t maptile.Tile) (int, error) {
	out, _, err := appendExact(ctx, nil, p.layers[l.ID], snap, l, t, keepInvalid)
	return len(out), err
}

func appendExact(ctx context.Context, dst []byte, notes *preparedLayer, snap *spatial.Snapshot, l *layers.Layer, t maptile.Tile, policy invalidPolicy) ([]byte, int, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.w = &e.own
	e.w.Reset(l.ID)
	e.prepare(l, t, notes)
	e.onInvalid = policy
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
	e.notes = nil
	if err != nil {
		return dst, 0, err
	}
	return e.w.AppendTo(dst), e.w.Len(), nil
}

// prepare readies the encoder for features of l in tile t, written to e.w.
func (e *encoder) prepare(l *layers.Layer, t maptile.Tile, notes *preparedLayer) {
	e.proj = NewProjector(t)
	e.zoom = uint(t.Z)
	e.tileX, e.tileY = int64(t.X), int64(t.Y)
	e.box = box{lo: -Buffer, hi: Extent + Buffer}
	e.notes = notes
	e.onInvalid = repairInvalid
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
		if err := e.polygons(f, g); err != nil {
			return err
		}
	case orb.Polygon:
		t = GeomPolygon
		if err := e.polygons(f, orb.MultiPolygon{g}); err != nil {
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
	tab := f.Props.Table()
	for i, v := range f.Props.Raw() {
		if v.Kind == layers.RawNull || i >= len(e.keys) {
			continue
		}
		k := e.keys[i]
		if k < 0 {
			k = int32(e.w.Key(l.Fields[i].Name))
			e.keys[i] = k
		}
		e.w.Raw(uint32(k), tab, v)
	}
}

// FeatureWriter writes exact features of one layer of one tile into a
// LayerWriter, as AppendExact does for each of them: for callers that pick
// the features themselves (overviews).
type FeatureWriter struct {
	e *encoder
	l *layers.Layer
}

// NewFeatureWriter returns a writer of l's features in tile t into w,
// noting and using what Prepared notes.
func (p *Prepared) NewFeatureWriter(w *LayerWriter, l *layers.Layer, t maptile.Tile) *FeatureWriter {
	e := &encoder{w: w}
	e.prepare(l, t, p.layers[l.ID])
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

// Tags writes the feature's id and attributes into the feature the
// LayerWriter is writing (a caller-made geometry standing for f).
func (fw *FeatureWriter) Tags(f *layers.Feature) { fw.e.tags(fw.l, f) }

// project projects a ring or line onto the end of e.lbuf, rounded to the
// tile's grid, dropping points that round onto the one before, and widens
// lo/hi to its points.
func (e *encoder) project(pts []orb.Point, lo, hi *lpoint) {
	lb := e.lbuf
	start := len(lb)
	for _, q := range pts {
		x, y := e.proj.fast(q)
		p := lpoint{int64(math.Floor(x + 0.5)), int64(math.Floor(y + 0.5))}
		if n := len(lb); n > start && lb[n-1] == p {
			continue
		}
		lb = append(lb, p)
		lo.X, lo.Y = min(lo.X, p.X), min(lo.Y, p.Y)
		hi.X, hi.Y = max(hi.X, p.X), max(hi.Y, p.Y)
	}
	e.lbuf = lb
}

func emptyBound() (lpoint, lpoint) {
	return lpoint{math.MaxInt64, math.MaxInt64}, lpoint{math.MinInt64, math.MinInt64}
}

// polygons writes a multipolygon's rings with MVT winding, repaired on the
// grid when quantising or clipping made them invalid. A feature wholly
// inside the tile and its buffer that came out of this zoom's rounding
// clean before (its notes say) is written without checking.
func (e *encoder) polygons(f *layers.Feature, mp orb.MultiPolygon) error {
	var rec *record
	if e.notes != nil {
		rec = e.notes.record(f)
		// Repaired for this very tile before: nothing to project or check.
		if fs := rec.fixedAt(e.zoom, e.tileX, e.tileY); fs != nil && e.onInvalid != keepInvalid {
			if e.onInvalid == skipInvalid {
				e.invalid = true
				return nil
			}
			e.writeFixed(fs)
			return nil
		}
	}
	e.lbuf, e.ends, e.exts = e.lbuf[:0], e.ends[:0], e.exts[:0]
	lo, hi := emptyBound()
	for _, p := range mp {
		for i, r := range p {
			if n := len(r); n > 1 && r[0] == r[n-1] {
				r = r[:n-1]
			}
			e.project(r, &lo, &hi)
			e.ends = append(e.ends, len(e.lbuf))
			e.exts = append(e.exts, i == 0)
		}
	}
	if hi.X < e.box.lo || lo.X > e.box.hi || hi.Y < e.box.lo || lo.Y > e.box.hi {
		return nil
	}
	inside := e.box.inside(lo) && e.box.inside(hi)
	state := uint64(zoomDirty)
	if inside && rec != nil {
		state = rec.zoomState(e.zoom)
	}
	switch {
	case state == zoomClean:
		e.writeClean()
		return nil
	case state == zoomBroken && e.onInvalid == skipInvalid:
		e.invalid = true
		return nil
	case state == zoomBroken && e.onInvalid == repairInvalid:
		if fs := rec.fixedInside(e.zoom); fs != nil {
			e.writeFixed(fs)
			return nil
		}
	}
	changed := e.rings2(inside)
	if len(e.rings) == 0 {
		if state == zoomUnknown {
			rec.setZoomState(e.zoom, zoomDirty)
		}
		return nil
	}
	var bad bool
	if e.onInvalid != keepInvalid || state == zoomUnknown {
		bad, e.segs = Intersecting(e.rings, e.segs)
	}
	if state == zoomUnknown {
		switch {
		case bad:
			rec.setZoomState(e.zoom, zoomBroken)
		case changed:
			rec.setZoomState(e.zoom, zoomDirty)
		default:
			rec.setZoomState(e.zoom, zoomClean)
		}
	}
	if e.onInvalid == keepInvalid {
		bad = false
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
	// Kept for this tile; wholly inside, it is repaired the same in every
	// tile of this zoom it is wholly inside of (moved there).
	rec.addFixed(&fixedShape{zoom: e.zoom, x: e.tileX, y: e.tileY, inside: inside, polys: fixed})
	for _, p := range fixed {
		for _, r := range p {
			e.w.Ring(r)
		}
	}
	return nil
}

// writeFixed writes a feature's repaired rings, made in another tile of
// the same zoom, moved into this one.
func (e *encoder) writeFixed(fs *fixedShape) {
	dx, dy := int32(fs.x-e.tileX)*Extent, int32(fs.y-e.tileY)*Extent
	for _, p := range fs.polys {
		for _, r := range p {
			e.ibuf = e.ibuf[:0]
			for _, q := range r {
				e.ibuf = append(e.ibuf, IPoint{q.X + dx, q.Y + dy})
			}
			e.w.Ring(e.ibuf)
		}
	}
}

// writeClean writes the projected rings (e.lbuf, e.ends) of a feature noted
// clean at this zoom: only their winding is set.
func (e *encoder) writeClean() {
	start := 0
	for i, end := range e.ends {
		e.ibuf = e.ibuf[:0]
		for _, p := range e.lbuf[start:end] {
			e.ibuf = append(e.ibuf, IPoint{int32(p.X), int32(p.Y)})
		}
		start = end
		Orient(e.ibuf, e.exts[i])
		e.w.Ring(e.ibuf)
	}
}

// rings2 turns the projected rings into e.rings: clipped (unless inside),
// cleaned, those left without an area dropped (an exterior with its holes),
// wound as MVT wants. It reports whether cleaning changed anything (a
// point or a ring dropped), and keeps e.exts in step with e.rings.
func (e *encoder) rings2(inside bool) (changed bool) {
	e.ibuf, e.iends = e.ibuf[:0], e.iends[:0]
	exts := e.exts[:0]
	start := 0
	skip := false
	for i, end := range e.ends {
		ext := e.exts[i]
		lb := e.lbuf[start:end]
		start = end
		if ext {
			skip = false
		} else if skip {
			continue
		}
		if len(lb) < 3 {
			changed = true
			skip = skip || ext
			continue
		}
		if !inside {
			lb = e.clip.ring(lb, e.box)
		}
		s := len(e.ibuf)
		for _, p := range lb {
			e.ibuf = append(e.ibuf, IPoint{int32(p.X), int32(p.Y)})
		}
		cleaned := CleanRing(e.ibuf[s:])
		if len(cleaned) != len(lb) {
			changed = true
		}
		e.ibuf = e.ibuf[:s+len(cleaned)]
		if len(cleaned) < 3 || Area2(cleaned) == 0 {
			e.ibuf = e.ibuf[:s]
			changed = true
			skip = ext // no exterior left: its holes go with it
			continue
		}
		e.iends = append(e.iends, len(e.ibuf))
		exts = append(exts, ext)
	}
	e.exts = exts
	e.rings = e.rings[:0]
	s := 0
	for i, end := range e.iends {
		r := e.ibuf[s:end:end]
		Orient(r, e.exts[i])
		e.rings = append(e.rings, r)
		s = end
	}
	return changed
}

// line writes the parts of a line string left inside the box.
func (e *encoder) line(ls orb.LineString) {
	e.lbuf = e.lbuf[:0]
	lo, hi := emptyBound()
	e.project(ls, &lo, &hi)
	lb := e.lbuf
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
		x, y := e.proj.fast(q)
		p := lpoint{int64(math.Floor(x + 0.5)), int64(math.Floor(y + 0.5))}
		if e.box.inside(p) {
			e.ibuf = append(e.ibuf, IPoint{int32(p.X), int32(p.Y)})
		}
	}
	if len(e.ibuf) > 0 {
		e.w.Points(e.ibuf)
	}
}
