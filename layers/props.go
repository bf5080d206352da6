package layers

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"math"
	"sync"
	"sync/atomic"
)

// Props holds a feature's attribute values, one per field of its layer, in
// field order, packed into one immutable string: a tag byte per value, then
// its data. Repeated strings (codes, names, dates) are kept once in a
// StringTable (one per index, so its lifetime is the index's, not the
// process's) and stored as a small number; unique ones (BSM, PZWH) inline. Compared with a []any of boxed values this takes about a third of
// the memory and one allocation instead of one per value, which matters with
// millions of features in the index.
//
// The zero Props holds no values. Values are string (dates as YYYY-MM-DD),
// int64, float64 or nil.
type Props struct {
	enc string
	tab *StringTable // where tagShared ids point; nil when every string is inline
}

const (
	tagNull   = 0
	tagShared = 1 // uvarint id in the string table
	tagInline = 2 // uvarint length, bytes
	tagInt    = 3 // zig-zag varint
	tagFloat  = 4 // 8 bytes, little endian
)

// NewProps packs values (string, int64, float64, nil; int, int32 and float32
// are widened). Any other type is a programming error: values from clients
// go through Field.Coerce first.
func NewProps(vals ...any) Props {
	var b PropsBuilder
	for _, v := range vals {
		if err := b.Add(v); err != nil {
			panic("layers.NewProps: " + err.Error())
		}
	}
	return b.Done()
}

// Len is the number of values.
func (p Props) Len() int {
	n := 0
	for i := 0; i < len(p.enc); n++ {
		i = p.skip(i)
	}
	return n
}

// At returns the i-th value (nil when null or past the end).
func (p Props) At(i int) any {
	off := 0
	for ; i > 0 && off < len(p.enc); i-- {
		off = p.skip(off)
	}
	if off >= len(p.enc) {
		return nil
	}
	v, _ := p.decode(off)
	return v
}

// Values unpacks every value into a new slice.
func (p Props) Values() []any {
	var out []any
	for off := 0; off < len(p.enc); {
		var v any
		v, off = p.decode(off)
		out = append(out, v)
	}
	return out
}

// All yields the values with their field positions.
func (p Props) All() iter.Seq2[int, any] {
	return func(yield func(int, any) bool) {
		for i, off := 0, 0; off < len(p.enc); i++ {
			var v any
			v, off = p.decode(off)
			if !yield(i, v) {
				return
			}
		}
	}
}

// Raw is one value as Props packs it, unboxed, for encoders that number
// repeated strings by their id in the string table (vector tiles).
type Raw struct {
	Kind  RawKind
	ID    uint32  // RawShared: the string's id in Props.Table (String gives it)
	Str   string  // RawString: the string, not copied
	Int   int64   // RawInt
	Float float64 // RawFloat
}

// RawKind says which of Raw's fields holds the value.
type RawKind uint8

const (
	RawNull   RawKind = iota
	RawShared         // a string kept once in the table
	RawString         // a string kept inline
	RawInt
	RawFloat
)

// Raw yields the values with their field positions, unboxed and uncopied.
func (p Props) Raw() iter.Seq2[int, Raw] {
	return func(yield func(int, Raw) bool) {
		for i, off := 0, 0; off < len(p.enc); i++ {
			var r Raw
			tag := p.enc[off]
			off++
			switch tag {
			case tagShared:
				id, w := uvarint(p.enc[off:])
				off += w
				r = Raw{Kind: RawShared, ID: uint32(id)}
			case tagInline:
				n, w := uvarint(p.enc[off:])
				off += w
				r = Raw{Kind: RawString, Str: p.enc[off : off+int(n)]}
				off += int(n)
			case tagInt:
				u, w := uvarint(p.enc[off:])
				off += w
				r = Raw{Kind: RawInt, Int: int64(u>>1) ^ -int64(u&1)}
			case tagFloat:
				r = Raw{Kind: RawFloat, Float: math.Float64frombits(binary.LittleEndian.Uint64([]byte(p.enc[off : off+8])))}
				off += 8
			}
			if !yield(i, r) {
				return
			}
		}
	}
}

// Table is the string table the values' shared ids point into (nil when
// every string is inline).
func (p Props) Table() *StringTable { return p.tab }

// String returns the shared string numbered id.
func (t *StringTable) String(id uint32) string { return t.get(id).(string) }

// Size is the packed size in bytes.
func (p Props) Size() int { return len(p.enc) }

// Equal says whether both hold the same values (however they are packed).
func (p Props) Equal(q Props) bool {
	if p.enc == q.enc {
		return true
	}
	a, b := p.Values(), q.Values()
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// skip returns the offset after the value at off.
func (p Props) skip(off int) int {
	tag := p.enc[off]
	off++
	switch tag {
	case tagShared, tagInt:
		for p.enc[off]&0x80 != 0 {
			off++
		}
		return off + 1
	case tagInline:
		n, w := uvarint(p.enc[off:])
		return off + w + int(n)
	case tagFloat:
		return off + 8
	}
	return off
}

// decode returns the value at off and the offset after it.
func (p Props) decode(off int) (any, int) {
	tag := p.enc[off]
	off++
	switch tag {
	case tagShared:
		id, w := uvarint(p.enc[off:])
		return p.tab.get(uint32(id)), off + w
	case tagInline:
		n, w := uvarint(p.enc[off:])
		off += w
		return p.enc[off : off+int(n)], off + int(n)
	case tagInt:
		u, w := uvarint(p.enc[off:])
		return int64(u>>1) ^ -int64(u&1), off + w
	case tagFloat:
		return math.Float64frombits(binary.LittleEndian.Uint64([]byte(p.enc[off : off+8]))), off + 8
	}
	return nil, off
}

func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return x, len(s)
}

// String shows the values, for logs and test failures.
func (p Props) String() string { return fmt.Sprint(p.Values()) }

// PropsBuilder packs values one by one; a decoder keeps one per scan. With a
// Strings table it shares strings through it, but judges each field
// position on its first values: a field whose values are mostly distinct
// (identifiers such as BSM) is stored inline from then on, since sharing it
// would save nothing and only grow the table. A small cache per field keeps
// a scan of millions of rows off the shared table's lock.
type PropsBuilder struct {
	// Strings is the table repeated strings are shared through; nil stores
	// every string inline (features only passing through, or edits).
	Strings *StringTable
	// NoSharing stores every string inline even with a table.
	NoSharing bool

	buf       []byte
	field     int  // position of the next value
	usedTable bool // the row being built refers to Strings
	stats     []fieldSharing
}

type fieldSharing struct {
	local        map[string]uint32
	hits, misses int
	off          bool
}

const (
	shareSample   = 1024 // values of a field looked at before judging it
	shareMaxLocal = 8192 // distinct values kept in a field's cache
)

// Null adds a null.
func (b *PropsBuilder) Null() {
	b.buf = append(b.buf, tagNull)
	b.field++
}

// Int adds an integer.
func (b *PropsBuilder) Int(v int64) {
	b.buf = append(b.buf, tagInt)
	b.buf = binary.AppendUvarint(b.buf, uint64(v<<1)^uint64(v>>63))
	b.field++
}

// Float adds a number.
func (b *PropsBuilder) Float(v float64) {
	b.buf = append(b.buf, tagFloat)
	b.buf = binary.LittleEndian.AppendUint64(b.buf, math.Float64bits(v))
	b.field++
}

// String adds a string, shared through the string table where that pays.
func (b *PropsBuilder) String(s string) {
	fs := b.sharing()
	if fs == nil {
		b.Inline(s)
		return
	}
	if id, ok := fs.local[s]; ok {
		fs.hits++
		b.shared(id)
		return
	}
	b.miss(fs, s)
}

// Bytes adds a string given as bytes; one seen before, or one not shared,
// costs no allocation.
func (b *PropsBuilder) Bytes(s []byte) {
	fs := b.sharing()
	if fs == nil {
		b.inline(s)
		return
	}
	if id, ok := fs.local[string(s)]; ok {
		fs.hits++
		b.shared(id)
		return
	}
	b.miss(fs, string(s))
}

// miss adds a string the field's cache does not hold: shared through the
// table while the field is still worth sharing, inline otherwise.
func (b *PropsBuilder) miss(fs *fieldSharing, s string) {
	if b.judge(fs) {
		if id, ok := b.Strings.intern(s); ok {
			if len(fs.local) < shareMaxLocal {
				if fs.local == nil {
					fs.local = map[string]uint32{}
				}
				fs.local[s] = id
			}
			b.shared(id)
			return
		}
	}
	b.Inline(s)
}

// sharing returns the statistics of the next value's field, or nil when its
// strings are to be stored inline.
func (b *PropsBuilder) sharing() *fieldSharing {
	if b.NoSharing || b.Strings == nil {
		return nil
	}
	for len(b.stats) <= b.field {
		b.stats = append(b.stats, fieldSharing{})
	}
	fs := &b.stats[b.field]
	if fs.off {
		return nil
	}
	return fs
}

// judge counts a miss of the field's cache and says whether the field is
// still worth sharing.
func (b *PropsBuilder) judge(fs *fieldSharing) bool {
	fs.misses++
	if fs.hits+fs.misses == shareSample && fs.misses > shareSample/2 {
		fs.off, fs.local = true, nil
		return false
	}
	return true
}

// Inline adds a string that is not shared.
func (b *PropsBuilder) Inline(s string) { b.inline([]byte(s)) }

func (b *PropsBuilder) inline(s []byte) {
	b.buf = append(b.buf, tagInline)
	b.buf = binary.AppendUvarint(b.buf, uint64(len(s)))
	b.buf = append(b.buf, s...)
	b.field++
}

func (b *PropsBuilder) shared(id uint32) {
	b.usedTable = true
	b.buf = append(b.buf, tagShared)
	b.buf = binary.AppendUvarint(b.buf, uint64(id))
	b.field++
}

// Add adds a Go value: string, int64, float64 or nil (int, int32 and
// float32 widened).
func (b *PropsBuilder) Add(v any) error {
	switch x := v.(type) {
	case nil:
		b.Null()
	case string:
		b.String(x)
	case int64:
		b.Int(x)
	case int:
		b.Int(int64(x))
	case int32:
		b.Int(int64(x))
	case float64:
		b.Float(x)
	case float32:
		b.Float(float64(x))
	default:
		return fmt.Errorf("attribute value of type %T", v)
	}
	return nil
}

// Done returns the packed values and empties the builder for the next row.
func (b *PropsBuilder) Done() Props {
	p := Props{enc: string(b.buf)}
	if b.usedTable {
		p.tab = b.Strings
	}
	b.buf, b.field, b.usedTable = b.buf[:0], 0, false
	return p
}

// StringTable keeps one boxed copy of each shared string. Readers decode ids
// without a lock: entries are written before their id is handed out and
// never change; the chunk list is republished whole when it grows. It stops
// taking new strings at maxShared entries (long or unique values past that
// are stored inline), so a stream of identifiers cannot grow it for ever.
type StringTable struct {
	mu     sync.RWMutex
	ids    map[string]uint32
	chunks atomic.Pointer[[]*[chunkLen]any]
	n      uint32 // entries; guarded by mu
}

const (
	chunkLen     = 4096
	maxShared    = 1 << 20 // about 100 MB at most
	maxSharedLen = 64      // bytes; longer strings are always inline
)

// NewStringTable returns an empty table; an index keeps one for its lifetime.
func NewStringTable() *StringTable { return &StringTable{ids: map[string]uint32{}} }

// Len is the number of strings the table holds.
func (t *StringTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return int(t.n)
}

type stringsKey struct{}

// WithStrings asks the stores' scans under ctx to share repeated strings
// through t (an index passes its own table when it loads).
func WithStrings(ctx context.Context, t *StringTable) context.Context {
	return context.WithValue(ctx, stringsKey{}, t)
}

// StringsFrom returns the table set by WithStrings, or nil.
func StringsFrom(ctx context.Context) *StringTable {
	t, _ := ctx.Value(stringsKey{}).(*StringTable)
	return t
}

func (t *StringTable) get(id uint32) any {
	return (*t.chunks.Load())[id/chunkLen][id%chunkLen]
}

func (t *StringTable) intern(s string) (uint32, bool) {
	if len(s) > maxSharedLen {
		return 0, false
	}
	t.mu.RLock()
	id, ok := t.ids[s]
	t.mu.RUnlock()
	if ok {
		return id, true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.ids[s]; ok {
		return id, true
	}
	if t.n >= maxShared {
		return 0, false
	}
	id = t.n
	var chunks []*[chunkLen]any
	if p := t.chunks.Load(); p != nil {
		chunks = *p
	}
	if int(id/chunkLen) == len(chunks) {
		grown := append(append([]*[chunkLen]any(nil), chunks...), new([chunkLen]any))
		chunks = grown
		t.chunks.Store(&grown)
	}
	s = string(append([]byte(nil), s...)) // never keep a caller's larger buffer alive
	chunks[id/chunkLen][id%chunkLen] = s
	t.ids[s] = id
	t.n++
	return id, true
}
