package tiles

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"

	"github.com/onemap/onemap/layers"
)

// dict numbers a layer's repeated attribute values, each kept once as an
// encoded MVT Value message, so that a tile copies a value's bytes the first
// time a feature uses it and then only refers to it by number. A field whose
// values are mostly distinct (identifiers, areas) is judged on its first
// values and keeps them inline in each record instead: numbering them would
// only grow the dictionary. Readers take values without a lock: an entry is
// written before its number is handed out, and the list is republished
// whole when it grows.
type dict struct {
	mu     sync.RWMutex
	ids    map[string]uint32
	vals   atomic.Pointer[[][]byte]
	fields []fieldJudge
}

type fieldJudge struct {
	seen, added atomic.Int64
	inline      atomic.Bool
}

const (
	judgeSample = 1024    // values of a field looked at before judging it
	maxDict     = 1 << 18 // values numbered per layer at most
)

// newDict returns an empty dictionary for a layer of n fields.
func newDict(n int) *dict {
	d := &dict{ids: map[string]uint32{}, fields: make([]fieldJudge, n)}
	d.vals.Store(&[][]byte{})
	return d
}

// value returns the encoded Value message numbered id.
func (d *dict) value(id uint32) []byte { return (*d.vals.Load())[id] }

// Len is the number of values numbered.
func (d *dict) Len() int { return len(*d.vals.Load()) }

// number returns the number of field's encoded value v, adding it; ok is
// false when the field keeps its values inline.
func (d *dict) number(field int, v []byte) (uint32, bool) {
	if field >= len(d.fields) {
		return 0, false
	}
	fj := &d.fields[field]
	if fj.inline.Load() {
		return 0, false
	}
	seen := fj.seen.Add(1)
	d.mu.RLock()
	id, ok := d.ids[string(v)]
	d.mu.RUnlock()
	if ok {
		return id, true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.ids[string(v)]; ok {
		return id, true
	}
	vals := *d.vals.Load()
	if len(vals) >= maxDict {
		return 0, false
	}
	if added := fj.added.Add(1); seen >= judgeSample && added > seen/2 {
		fj.inline.Store(true)
		return 0, false
	}
	id = uint32(len(vals))
	s := string(v)
	d.ids[s] = id
	// Readers hold the old header and never look past its length: the
	// new entry may go into the same backing array.
	grown := append(vals, []byte(s))
	d.vals.Store(&grown)
	return id, true
}

// appendTags appends the attributes of p as tags: per non-null value, the
// field's position, then its number in the dictionary times two, or its
// encoded length times two plus one followed by the encoded value.
func (d *dict) appendTags(dst []byte, p layers.Props) []byte {
	var scratch [64]byte
	for i, v := range p.All() {
		enc := appendValue(scratch[:0], v)
		if enc == nil {
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(i))
		if id, ok := d.number(i, enc); ok {
			dst = binary.AppendUvarint(dst, uint64(id)<<1)
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(len(enc))<<1|1)
		dst = append(dst, enc...)
	}
	return dst
}

// appendValue appends v as the body of an MVT Value message: a string,
// int64 (uint_value when ≥ 0, sint_value otherwise) or float64
// (double_value); nil for null and other types (MVT has no null).
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		b = appendStringField(b, valueString, x)
	case int64:
		b = appendIntValue(b, x)
	case int:
		b = appendIntValue(b, int64(x))
	case float64:
		b = appendTag(b, valueDouble, wireFixed64)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	default:
		return nil
	}
	return b
}

func appendIntValue(b []byte, v int64) []byte {
	if v < 0 {
		return appendVarintField(b, valueSint, uint64(v<<1)^uint64(v>>63))
	}
	return appendVarintField(b, valueUint, uint64(v))
}
