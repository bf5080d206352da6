package tiles

import (
	"encoding/binary"
	"math"

	"github.com/onemap/onemap/layers"
)

// Ready is a feature as a Prepared store keeps it: its geometry on the world
// grid and its attributes as encoded MVT values, for generalisation rules
// that work on them (tiles/overview).
type Ready struct {
	r *record
	d *dict
}

// Ready returns f as kept ready, made now if it is not.
func (p *Prepared) Ready(l *layers.Layer, f *layers.Feature) Ready {
	r, d := p.recordOf(l, f)
	return Ready{r: r, d: d}
}

// Feature is the feature it was made from.
func (rd Ready) Feature() *layers.Feature { return rd.r.f }

// Kind is the geometry's type (0 when nothing of it is left on the grid).
func (rd Ready) Kind() GeomType { return rd.r.kind }

// Bound is the geometry's bound on the world grid.
func (rd Ready) Bound() (min, max WorldPoint) { return rd.r.min, rd.r.max }

// Polygons calls fn with the rings of each polygon on the world grid:
// exterior first, then its holes, wound as MVT wants them (exteriors of
// positive area, y down), without closing points. The rings are only
// valid during the call; buf is reused from call to call.
func (rd Ready) Polygons(buf *Rings, fn func(rings [][]WorldPoint)) {
	if rd.r.kind != GeomPolygon {
		return
	}
	in := reader{b: rd.r.geom()}
	np := in.uvarint()
	for p := 0; p < np; p++ {
		nr := in.uvarint()
		buf.pts = buf.pts[:0]
		buf.ends = buf.ends[:0]
		for i := 0; i < nr; i++ {
			n := in.uvarint()
			for k := 0; k < n; k++ {
				buf.pts = append(buf.pts, in.point())
			}
			buf.ends = append(buf.ends, len(buf.pts))
		}
		buf.rings = buf.rings[:0]
		start := 0
		for _, end := range buf.ends {
			buf.rings = append(buf.rings, buf.pts[start:end:end])
			start = end
		}
		fn(buf.rings)
	}
}

// Lines calls fn with each line on the world grid (valid during the call).
func (rd Ready) Lines(buf *Rings, fn func(line []WorldPoint)) {
	if rd.r.kind != GeomLineString {
		return
	}
	in := reader{b: rd.r.geom()}
	nl := in.uvarint()
	for i := 0; i < nl; i++ {
		n := in.uvarint()
		buf.pts = buf.pts[:0]
		for k := 0; k < n; k++ {
			buf.pts = append(buf.pts, in.point())
		}
		fn(buf.pts)
	}
}

// Points returns the points on the world grid, appended to dst.
func (rd Ready) Points(dst []WorldPoint) []WorldPoint {
	if rd.r.kind != GeomPoint {
		return dst
	}
	in := reader{b: rd.r.geom()}
	n := in.uvarint()
	for k := 0; k < n; k++ {
		dst = append(dst, in.point())
	}
	return dst
}

// Area is the area of a polygonal feature in square world units (holes
// taken off).
func (rd Ready) Area(buf *Rings) float64 {
	var a float64
	rd.Polygons(buf, func(rings [][]WorldPoint) {
		for _, r := range rings {
			a += worldArea(r) / 2 // holes are wound negative
		}
	})
	return a
}

// Value returns the encoded MVT Value message of field i (see
// LayerWriter.EncodedValue and ValueString), nil when it is null.
func (rd Ready) Value(i int) []byte {
	in := reader{b: rd.r.tags()}
	for len(in.b) > 0 {
		f := in.uvarint()
		code := in.uvarint()
		var v []byte
		if code&1 == 0 {
			v = rd.d.value(uint32(code >> 1))
		} else {
			n := code >> 1
			v, in.b = in.b[:n], in.b[n:]
		}
		if f == i {
			return v
		}
	}
	return nil
}

// Rings is scratch space for reading geometry off a Ready feature.
type Rings struct {
	pts   []WorldPoint
	ends  []int
	rings [][]WorldPoint
}

// EncodeValue appends v (string, int64, float64) as an encoded MVT Value
// message; nil for null and other types.
func EncodeValue(b []byte, v any) []byte { return appendValue(b, v) }

// ValueString reads an encoded MVT Value holding a string.
func ValueString(enc []byte) (string, bool) {
	if len(enc) < 2 || enc[0] != valueString<<3|wireBytes {
		return "", false
	}
	n, w := binary.Uvarint(enc[1:])
	if w <= 0 || 1+w+int(n) != len(enc) {
		return "", false
	}
	return string(enc[1+w:]), true
}

// DecodeValue reads an encoded MVT Value as a string, int64 or float64
// (nil when it is none of those).
func DecodeValue(enc []byte) any {
	if s, ok := ValueString(enc); ok {
		return s
	}
	if len(enc) < 2 {
		return nil
	}
	switch enc[0] {
	case valueUint<<3 | wireVarint:
		u, _ := binary.Uvarint(enc[1:])
		return int64(u)
	case valueSint<<3 | wireVarint:
		u, _ := binary.Uvarint(enc[1:])
		return int64(u>>1) ^ -int64(u&1)
	case valueDouble<<3 | wireFixed64:
		if len(enc) == 9 {
			return math.Float64frombits(binary.LittleEndian.Uint64(enc[1:]))
		}
	}
	return nil
}

// EncodedValue tags the feature being written with key index k = an
// encoded MVT Value message (as Ready.Value and EncodeValue give).
func (w *LayerWriter) EncodedValue(k uint32, enc []byte) {
	w.tag(k, w.valueIndex(enc))
}
