package tiles

import (
	"context"
	"fmt"
	"sync"

	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// encoder holds the scratch space of one layer's encoding; encoders are
// pooled so that a tile costs few allocations.
type encoder struct {
	w     *LayerWriter
	own   LayerWriter
	grid  TileGrid
	zoom  uint
	box   box
	clip  clipper
	lbuf  []lpoint
	ibuf  []IPoint
	ends  []int // end of each ring in ibuf
	exts  []bool
	rings [][]IPoint
	segs  []segment
	keys  []int32 // key index per field position, -1 until used
	d     *dict
	// records gives the record of a feature: the Prepared store's, or
	// one made on the spot.
	records recordSource
	// onInvalid says what to do with a polygon that quantising broke.
	onInvalid invalidPolicy
	invalid   bool // the last feature was left out as invalid (skipInvalid)
}

// recordSource gives a feature's record and the dictionary of its values.
type recordSource interface {
	recordOf(l *layers.Layer, f *layers.Feature) (*record, *dict)
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

// onTheSpot makes records as they are asked for and keeps none: for
// callers without a Prepared store.
type onTheSpot struct {
	b     recordBuilder
	dicts map[string]*dict
}

func (o *onTheSpot) recordOf(l *layers.Layer, f *layers.Feature) (*record, *dict) {
	if o.dicts == nil {
		o.dicts = map[string]*dict{}
	}
	d := o.dicts[l.ID]
	if d == nil {
		d = newDict(len(l.Fields))
		o.dicts[l.ID] = d
	}
	return o.b.build(f, d), d
}

// Encode makes the exact tile t of the given layers from snap: every
// feature that reaches into the tile (buffer included), nothing
// generalised, whatever the zoom. It returns the encoded tile and how many
// features it holds; no features means an empty tile (a server's 204).
// Each feature is made ready on the spot: a Prepared store's AppendExact
// keeps them ready instead.
func Encode(ctx context.Context, snap *spatial.Snapshot, ls []*layers.Layer, t maptile.Tile) ([]byte, int, error) {
	var out []byte
	total := 0
	src := &onTheSpot{}
	for _, l := range ls {
		var n int
		var err error
		out, n, err = appendExact(ctx, out, src, snap, l, t, repairInvalid)
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
// feature is left. Features are made ready on the spot.
func AppendExact(ctx context.Context, dst []byte, snap *spatial.Snapshot, l *layers.Layer, t maptile.Tile) ([]byte, int, error) {
	return appendExact(ctx, dst, &onTheSpot{}, snap, l, t, repairInvalid)
}

// AppendExact is the package's AppendExact from the features kept ready.
func (p *Prepared) AppendExact(ctx context.Context, dst []byte, snap *spatial.Snapshot, l *layers.Layer, t maptile.Tile) ([]byte, int, error) {
	return appendExact(ctx, dst, p, snap, l, t, repairInvalid)
}

// ExactSize is about the size in bytes of the exact layer l at tile t
// (AppendExact's), without repairing what quantising breaks: cheap enough
// to size up dense tiles.
func (p *Prepared) ExactSize(ctx context.Context, snap *spatial.Snapshot, l *layers.Layer, t maptile.Tile) (int, error) {
	out, _, err := appendExact(ctx, nil, p, snap, l, t, keepInvalid)
	return len(out), err
}

func appendExact(ctx context.Context, dst []byte, src recordSource, snap *spatial.Snapshot, l *layers.Layer, t maptile.Tile, policy invalidPolicy) ([]byte, int, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.w = &e.own
	e.w.Reset(l.ID)
	e.prepare(l, t, src)
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
	e.records = nil
	if err != nil {
		return dst, 0, err
	}
	return e.w.AppendTo(dst), e.w.Len(), nil
}

// recordOf is the Prepared store's recordSource.
func (p *Prepared) recordOf(l *layers.Layer, f *layers.Feature) (*record, *dict) {
	pl := p.layers[l.ID]
	if pl == nil {
		return (&onTheSpot{}).recordOf(l, f)
	}
	return p.record(pl, f), pl.dict
}

// prepare readies the encoder for features of l in tile t, written to e.w.
func (e *encoder) prepare(l *layers.Layer, t maptile.Tile, src recordSource) {
	e.grid = NewTileGrid(t)
	e.zoom = uint(t.Z)
	e.box = box{lo: -Buffer, hi: Extent + Buffer}
	e.records = src
	e.onInvalid = repairInvalid
	e.keys = e.keys[:0]
	for range l.Fields {
		e.keys = append(e.keys, -1)
	}
}

// feature writes one feature; one that is left with no geometry is dropped.
func (e *encoder) feature(l *layers.Layer, f *layers.Feature) error {
	r, d := e.records.recordOf(l, f)
	e.d = d
	return e.record(l, r)
}

// record writes a feature from its record.
func (e *encoder) record(l *layers.Layer, r *record) error {
	e.w.Begin()
	e.invalid = false
	if r.kind == 0 {
		return nil
	}
	lo, hi := e.grid.at(r.min), e.grid.at(r.max)
	if hi.X < e.box.lo || lo.X > e.box.hi || hi.Y < e.box.lo || lo.Y > e.box.hi {
		return nil
	}
	inside := e.box.inside(lo) && e.box.inside(hi)
	switch r.kind {
	case GeomPolygon:
		if err := e.polygons(r, inside); err != nil {
			return err
		}
	case GeomLineString:
		e.lines(r, inside)
	case GeomPoint:
		e.points(r)
	}
	e.tags(l, r)
	e.w.End(r.kind)
	return nil
}

// tags writes the feature's id and attributes (nulls are not in the
// record: MVT has no null, readers take a missing key as one).
func (e *encoder) tags(l *layers.Layer, r *record) {
	if r.f.ID > 0 {
		e.w.ID(uint64(r.f.ID))
	}
	rd := reader{b: r.tags()}
	for len(rd.b) > 0 {
		i := rd.uvarint()
		code := rd.uvarint()
		var vi uint32
		if code&1 == 0 {
			vi = e.w.sharedValue(e.d, uint32(code>>1))
		} else {
			n := code >> 1
			vi = e.w.valueIndex(rd.b[:n])
			rd.b = rd.b[n:]
		}
		if i >= len(e.keys) {
			continue
		}
		k := e.keys[i]
		if k < 0 {
			k = int32(e.w.Key(l.Fields[i].Name))
			e.keys[i] = k
		}
		e.w.tag(uint32(k), vi)
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
// from the features kept ready.
func (p *Prepared) NewFeatureWriter(w *LayerWriter, l *layers.Layer, t maptile.Tile) *FeatureWriter {
	e := &encoder{w: w}
	e.prepare(l, t, p)
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
func (fw *FeatureWriter) Tags(f *layers.Feature) {
	r, d := fw.e.records.recordOf(fw.l, f)
	fw.e.d = d
	fw.e.tags(fw.l, r)
}

// decodeRun reads a run of points from rd onto the tile's grid into
// e.lbuf, dropping points that round onto the one before; changed says
// whether any was dropped.
func (e *encoder) decodeRun(rd *reader) (pts []lpoint, changed bool) {
	n := rd.uvarint()
	lb := e.lbuf[:0]
	for k := 0; k < n; k++ {
		q := e.grid.at(rd.point())
		if m := len(lb); m > 0 && lb[m-1] == q {
			changed = true
			continue
		}
		lb = append(lb, q)
	}
	e.lbuf = lb
	return lb, changed
}

// polygons writes a record's rings with MVT winding, repaired on the grid
// when quantising or clipping made them invalid. A feature wholly inside
// the box whose rings came out of this zoom's rounding clean before is
// streamed straight into the writer.
func (e *encoder) polygons(r *record, inside bool) error {
	state := uint64(zoomDirty)
	if inside && e.zoom < 32 {
		state = r.zoomState(e.zoom)
		if state == zoomClean {
			e.stream(r)
			return nil
		}
	}
	rd := reader{b: r.geom()}
	e.ibuf, e.ends, e.exts = e.ibuf[:0], e.ends[:0], e.exts[:0]
	changed := false
	np := rd.uvarint()
	for p := 0; p < np; p++ {
		nr := rd.uvarint()
		skip := false
		for i := 0; i < nr; i++ {
			lb, ch := e.decodeRun(&rd)
			changed = changed || ch
			if skip {
				continue
			}
			if n := len(lb); n > 1 && lb[0] == lb[n-1] {
				lb = lb[:n-1]
				changed = true
			}
			ok, ch := e.ring(lb, inside)
			changed = changed || ch
			if !ok {
				changed = true
				skip = i == 0 // no exterior left: its holes go with it
				continue
			}
			e.ends = append(e.ends, len(e.ibuf))
			e.exts = append(e.exts, i == 0)
		}
	}
	if len(e.ends) == 0 {
		if state == zoomUnknown {
			r.setZoomState(e.zoom, zoomDirty)
		}
		return nil
	}
	e.rings = e.rings[:0]
	start := 0
	for i, end := range e.ends {
		ring := e.ibuf[start:end:end]
		if (Area2(ring) > 0) != e.exts[i] {
			Orient(ring, e.exts[i])
			changed = true
		}
		e.rings = append(e.rings, ring)
		start = end
	}
	var bad bool
	if e.onInvalid != keepInvalid || state == zoomUnknown {
		bad, e.segs = Intersecting(e.rings, e.segs)
	}
	if state == zoomUnknown {
		if changed || bad {
			r.setZoomState(e.zoom, zoomDirty)
		} else {
			r.setZoomState(e.zoom, zoomClean)
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
		for _, ring := range e.rings {
			e.w.Ring(ring)
		}
		return nil
	}
	var polys []Polygon
	for i, ring := range e.rings {
		if e.exts[i] {
			polys = append(polys, Polygon{ring})
		} else {
			polys[len(polys)-1] = append(polys[len(polys)-1], ring)
		}
	}
	fixed, err := repair(polys)
	if err != nil {
		return err
	}
	for _, p := range fixed {
		for _, ring := range p {
			e.w.Ring(ring)
		}
	}
	return nil
}

// stream writes a clean record's rings as they are decoded.
func (e *encoder) stream(r *record) {
	rd := reader{b: r.geom()}
	np := rd.uvarint()
	for p := 0; p < np; p++ {
		nr := rd.uvarint()
		for i := 0; i < nr; i++ {
			n := rd.uvarint()
			for k := 0; k < n; k++ {
				q := e.grid.at(rd.point())
				ip := IPoint{int32(q.X), int32(q.Y)}
				switch k {
				case 0:
					e.w.MoveTo(ip)
					e.w.lineToCount(n - 1)
				default:
					e.w.to(ip)
				}
			}
			e.w.ClosePath()
		}
	}
}

// ring clips (unless inside) and cleans one ring onto the end of e.ibuf
// and reports whether anything with an area is left, and whether cleaning
// changed it.
func (e *encoder) ring(lb []lpoint, inside bool) (ok, changed bool) {
	if len(lb) < 3 {
		return false, true
	}
	if !inside {
		lb = e.clip.ring(lb, e.box)
	}
	start := len(e.ibuf)
	for _, p := range lb {
		e.ibuf = append(e.ibuf, IPoint{int32(p.X), int32(p.Y)})
	}
	cleaned := CleanRing(e.ibuf[start:])
	changed = len(cleaned) != len(lb)
	e.ibuf = e.ibuf[:start+len(cleaned)]
	if len(cleaned) < 3 || Area2(cleaned) == 0 {
		e.ibuf = e.ibuf[:start]
		return false, true
	}
	return true, changed
}

// lines writes the parts of a record's lines left inside the box.
func (e *encoder) lines(r *record, inside bool) {
	rd := reader{b: r.geom()}
	nl := rd.uvarint()
	for i := 0; i < nl; i++ {
		lb, _ := e.decodeRun(&rd)
		if len(lb) < 2 {
			continue
		}
		e.ibuf = e.ibuf[:0]
		if inside {
			for _, p := range lb {
				e.ibuf = append(e.ibuf, IPoint{int32(p.X), int32(p.Y)})
			}
			e.w.Line(e.ibuf)
			continue
		}
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
}

// points writes a record's points inside the box.
func (e *encoder) points(r *record) {
	rd := reader{b: r.geom()}
	n := rd.uvarint()
	e.ibuf = e.ibuf[:0]
	for k := 0; k < n; k++ {
		p := e.grid.at(rd.point())
		if e.box.inside(p) {
			e.ibuf = append(e.ibuf, IPoint{int32(p.X), int32(p.Y)})
		}
	}
	if len(e.ibuf) > 0 {
		e.w.Points(e.ibuf)
	}
}
