package tiles

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/onemap/onemap/layers"
)

// GeomType is an MVT feature's geometry type.
type GeomType uint32

const (
	GeomPoint      GeomType = 1
	GeomLineString GeomType = 2
	GeomPolygon    GeomType = 3
)

// Protobuf field numbers of vector_tile.proto (MVT 2.1) and wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2

	tileLayers = 3

	layerName     = 1
	layerFeatures = 2
	layerKeys     = 3
	layerValues   = 4
	layerExtent   = 5
	layerVersion  = 15

	featureID       = 1
	featureTags     = 2
	featureType     = 3
	featureGeometry = 4

	valueString = 1
	valueDouble = 3
	valueUint   = 5
	valueSint   = 6

	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

func appendTag(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendBytesField(b []byte, field int, v []byte) []byte {
	b = appendTag(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendStringField(b []byte, field int, v string) []byte {
	b = appendTag(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendVarintField(b []byte, field int, v uint64) []byte {
	b = appendTag(b, field, wireVarint)
	return binary.AppendUvarint(b, v)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func zigzag(v int32) uint32 { return uint32(v<<1) ^ uint32(v>>31) }

// LayerWriter writes one MVT layer: features with their ids, attributes and
// geometry commands, keys and values kept once per layer. It writes the
// protobuf directly; the zero value is not ready, use NewLayerWriter or
// Reset. A writer is reused across tiles to keep its buffers.
type LayerWriter struct {
	name   string
	extent uint32

	keys   []string
	keyIdx map[string]uint32
	vals   []byte // encoded Value messages, each with its field tag
	nvals  uint32
	strs   stringSet
	ints   numberSet
	floats numberSet // by bit pattern: NaN-safe, -0 ≠ 0
	// shared numbers the strings of a layers.StringTable by their id, so
	// that a repeated string is looked up without hashing it.
	shared sharedStrings

	feats []byte // encoded Feature messages, each with its field tag
	n     int

	// the feature being written: tags and geometry commands already
	// varint-encoded, so that End only copies them
	id    uint64
	hasID bool
	tags  []byte
	geom  []byte
	cx    int32
	cy    int32
}

// NewLayerWriter returns a writer for a layer with the given name.
func NewLayerWriter(name string) *LayerWriter {
	w := &LayerWriter{}
	w.Reset(name)
	return w
}

// Reset empties the writer for a new layer, keeping its buffers.
func (w *LayerWriter) Reset(name string) {
	w.name, w.extent = name, Extent
	w.keys = w.keys[:0]
	w.vals = w.vals[:0]
	w.nvals = 0
	w.feats = w.feats[:0]
	w.n = 0
	if w.keyIdx == nil {
		w.keyIdx = map[string]uint32{}
	} else {
		clear(w.keyIdx)
	}
	w.strs.reset()
	w.ints.reset()
	w.floats.reset()
	w.shared.reset()
	w.Begin()
}

// Len is the number of features written so far.
func (w *LayerWriter) Len() int { return w.n }

// Size is about the encoded size so far, in bytes.
func (w *LayerWriter) Size() int {
	return len(w.feats) + len(w.vals) + 8*len(w.keys) + len(w.name) + 16
}

// Begin starts a new feature, dropping whatever an unfinished one held.
func (w *LayerWriter) Begin() {
	w.hasID = false
	w.tags = w.tags[:0]
	w.geom = w.geom[:0]
	w.cx, w.cy = 0, 0
}

// ID sets the feature's id.
func (w *LayerWriter) ID(id uint64) { w.id, w.hasID = id, true }

// Key returns the index of a key in the layer's key table, adding it once.
func (w *LayerWriter) Key(k string) uint32 {
	if i, ok := w.keyIdx[k]; ok {
		return i
	}
	i := uint32(len(w.keys))
	w.keys = append(w.keys, k)
	w.keyIdx[k] = i
	return i
}

// String tags the feature with key index k = s.
func (w *LayerWriter) String(k uint32, s string) { w.tag(k, w.stringIndex(s)) }

func (w *LayerWriter) stringIndex(s string) uint32 {
	i, added := w.strs.number(s, w.nvals)
	if added {
		w.nvals++
		w.vals = appendTag(w.vals, layerValues, wireBytes)
		w.vals = binary.AppendUvarint(w.vals, uint64(1+uvarintLen(uint64(len(s)))+len(s)))
		w.vals = appendStringField(w.vals, valueString, s)
	}
	return i
}

func (w *LayerWriter) tag(k, i uint32) {
	w.tags = binary.AppendUvarint(w.tags, uint64(k))
	w.tags = binary.AppendUvarint(w.tags, uint64(i))
}

// Int tags the feature with key index k = v (uint_value when v ≥ 0,
// sint_value otherwise).
func (w *LayerWriter) Int(k uint32, v int64) { w.tag(k, w.intIndex(v)) }

func (w *LayerWriter) intIndex(v int64) uint32 {
	i, added := w.ints.number(uint64(v), w.nvals)
	if added {
		w.nvals++
		field, u := valueUint, uint64(v)
		if v < 0 {
			field, u = valueSint, uint64(v<<1)^uint64(v>>63)
		}
		w.vals = appendTag(w.vals, layerValues, wireBytes)
		w.vals = binary.AppendUvarint(w.vals, uint64(1+uvarintLen(u)))
		w.vals = appendVarintField(w.vals, field, u)
	}
	return i
}

// Float tags the feature with key index k = v (double_value).
func (w *LayerWriter) Float(k uint32, v float64) { w.tag(k, w.floatIndex(v)) }

func (w *LayerWriter) floatIndex(v float64) uint32 {
	bits := math.Float64bits(v)
	i, added := w.floats.number(bits, w.nvals)
	if added {
		w.nvals++
		w.vals = appendTag(w.vals, layerValues, wireBytes)
		w.vals = binary.AppendUvarint(w.vals, 9)
		w.vals = appendTag(w.vals, valueDouble, wireFixed64)
		w.vals = binary.LittleEndian.AppendUint64(w.vals, bits)
	}
	return i
}

// Value tags the feature with key index k = v for a string, int64 or
// float64 (int is widened); nil and other types are left out, as MVT has
// no null.
func (w *LayerWriter) Value(k uint32, v any) {
	switch x := v.(type) {
	case string:
		w.String(k, x)
	case int64:
		w.Int(k, x)
	case int:
		w.Int(k, int64(x))
	case float64:
		w.Float(k, x)
	}
}

// Raw tags the feature with key index k = v as layers.Props packs it;
// nulls are left out. A shared string is found by its id in the table.
func (w *LayerWriter) Raw(k uint32, tab *layers.StringTable, v layers.Raw) {
	var i uint32
	switch v.Kind {
	case layers.RawShared:
		i = w.sharedIndex(tab, v.ID)
	case layers.RawString:
		i = w.stringIndex(v.Str)
	case layers.RawInt:
		i = w.intIndex(v.Int)
	case layers.RawFloat:
		i = w.floatIndex(v.Float)
	default:
		return
	}
	w.tag(k, i)
}

// sharedIndex returns the index in the layer's values of the string
// numbered id in tab.
func (w *LayerWriter) sharedIndex(tab *layers.StringTable, id uint32) uint32 {
	if i, ok := w.shared.get(tab, id); ok {
		return i
	}
	i := w.stringIndex(tab.String(id))
	w.shared.set(id, i)
	return i
}

// sharedStrings remembers which strings of one table a layer holds, by
// their id: a stamp per id says whether the entry belongs to this layer,
// so that a new layer starts afresh without clearing.
type sharedStrings struct {
	tab    *layers.StringTable
	gen    uint32
	stamps []uint32
	index  []uint32
}

func (s *sharedStrings) reset() {
	s.tab = nil
	s.gen++
	if s.gen == 0 {
		clear(s.stamps)
		s.gen = 1
	}
}

func (s *sharedStrings) get(tab *layers.StringTable, id uint32) (uint32, bool) {
	if s.tab != tab {
		s.reset()
		s.tab = tab
	}
	if int(id) < len(s.stamps) && s.stamps[id] == s.gen {
		return s.index[id], true
	}
	return 0, false
}

func (s *sharedStrings) set(id, i uint32) {
	if int(id) >= len(s.stamps) {
		n := max(int(id)+1, 2*len(s.stamps), 64)
		s.stamps = append(s.stamps, make([]uint32, n-len(s.stamps))...)
		s.index = append(s.index, make([]uint32, n-len(s.index))...)
	}
	s.stamps[id], s.index[id] = s.gen, i
}

func (w *LayerWriter) to(p IPoint) {
	w.geom = binary.AppendUvarint(w.geom, uint64(zigzag(p.X-w.cx)))
	w.geom = binary.AppendUvarint(w.geom, uint64(zigzag(p.Y-w.cy)))
	w.cx, w.cy = p.X, p.Y
}

// MoveTo starts a ring, a line or a run of points at p.
func (w *LayerWriter) MoveTo(p IPoint) {
	w.geom = append(w.geom, cmdMoveTo|1<<3)
	w.to(p)
}

// lineToCount starts a LineTo of n points, which the caller writes with to.
func (w *LayerWriter) lineToCount(n int) {
	w.geom = binary.AppendUvarint(w.geom, uint64(cmdLineTo|uint32(n)<<3))
}

// LineTo draws to each of ps in turn.
func (w *LayerWriter) LineTo(ps []IPoint) {
	if len(ps) == 0 {
		return
	}
	w.geom = binary.AppendUvarint(w.geom, uint64(cmdLineTo|uint32(len(ps))<<3))
	for _, p := range ps {
		w.to(p)
	}
}

// ClosePath closes the current ring.
func (w *LayerWriter) ClosePath() { w.geom = append(w.geom, cmdClosePath|1<<3) }

// Ring writes a closed ring given without its closing point (MoveTo, LineTo,
// ClosePath). The caller gives rings the MVT winding.
func (w *LayerWriter) Ring(r []IPoint) {
	w.MoveTo(r[0])
	w.LineTo(r[1:])
	w.ClosePath()
}

// Line writes one line string.
func (w *LayerWriter) Line(l []IPoint) {
	w.MoveTo(l[0])
	w.LineTo(l[1:])
}

// Points writes points as one MoveTo with a count.
func (w *LayerWriter) Points(ps []IPoint) {
	w.geom = binary.AppendUvarint(w.geom, uint64(cmdMoveTo|uint32(len(ps))<<3))
	for _, p := range ps {
		w.to(p)
	}
}

// End finishes the feature as geometry type t; a feature with no geometry
// is dropped. It reports whether the feature was kept.
func (w *LayerWriter) End(t GeomType) bool {
	if len(w.geom) == 0 {
		w.Begin()
		return false
	}
	n := 0
	if w.hasID {
		n += 1 + uvarintLen(w.id)
	}
	if len(w.tags) > 0 {
		n += 1 + uvarintLen(uint64(len(w.tags))) + len(w.tags)
	}
	n += 2
	n += 1 + uvarintLen(uint64(len(w.geom))) + len(w.geom)
	w.feats = appendTag(w.feats, layerFeatures, wireBytes)
	w.feats = binary.AppendUvarint(w.feats, uint64(n))
	if w.hasID {
		w.feats = appendVarintField(w.feats, featureID, w.id)
	}
	if len(w.tags) > 0 {
		w.feats = appendBytesField(w.feats, featureTags, w.tags)
	}
	w.feats = appendVarintField(w.feats, featureType, uint64(t))
	w.feats = appendBytesField(w.feats, featureGeometry, w.geom)
	w.n++
	w.Begin()
	return true
}

// AppendTo appends the layer as a field of a Tile message (field 3, so that
// layers concatenate into a tile), or nothing when it holds no feature.
func (w *LayerWriter) AppendTo(b []byte) []byte {
	if w.n == 0 {
		return b
	}
	n := 1 + uvarintLen(uint64(len(w.name))) + len(w.name)
	n += len(w.feats)
	for _, k := range w.keys {
		n += 1 + uvarintLen(uint64(len(k))) + len(k)
	}
	n += len(w.vals)
	n += 1 + uvarintLen(uint64(w.extent))
	n += 2
	b = slices.Grow(b, 1+uvarintLen(uint64(n))+n)
	b = appendTag(b, tileLayers, wireBytes)
	b = binary.AppendUvarint(b, uint64(n))
	b = appendVarintField(b, layerVersion, 2)
	b = appendStringField(b, layerName, w.name)
	b = append(b, w.feats...)
	for _, k := range w.keys {
		b = appendStringField(b, layerKeys, k)
	}
	b = append(b, w.vals...)
	b = appendVarintField(b, layerExtent, uint64(w.extent))
	return b
}
