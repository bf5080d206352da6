package prepared

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// appendWKB appends g as little-endian WKB. It is the hot path of every
// feature that goes to GEOS, so it writes straight into a reused buffer.
func appendWKB(b []byte, g orb.Geometry) ([]byte, error) {
	header := func(b []byte, typ uint32) []byte {
		b = append(b, 1)
		return binary.LittleEndian.AppendUint32(b, typ)
	}
	u32 := func(b []byte, n int) []byte { return binary.LittleEndian.AppendUint32(b, uint32(n)) }
	pts := func(b []byte, ps []orb.Point) []byte {
		b = u32(b, len(ps))
		for _, p := range ps {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
		}
		return b
	}
	poly := func(b []byte, p orb.Polygon) []byte {
		b = header(b, 3)
		b = u32(b, len(p))
		for _, r := range p {
			b = pts(b, r)
		}
		return b
	}
	switch v := g.(type) {
	case orb.Point:
		b = header(b, 1)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v[0]))
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(v[1])), nil
	case orb.LineString:
		return pts(header(b, 2), v), nil
	case orb.Polygon:
		return poly(b, v), nil
	case orb.Ring:
		return poly(b, orb.Polygon{v}), nil
	case orb.MultiPoint:
		b = u32(header(b, 4), len(v))
		for _, p := range v {
			b, _ = appendWKB(b, p)
		}
		return b, nil
	case orb.MultiLineString:
		b = u32(header(b, 5), len(v))
		for _, l := range v {
			b = pts(header(b, 2), l)
		}
		return b, nil
	case orb.MultiPolygon:
		b = u32(header(b, 6), len(v))
		for _, p := range v {
			b = poly(b, p)
		}
		return b, nil
	case orb.Bound:
		return poly(b, v.ToPolygon()), nil
	case orb.Collection:
		b = u32(header(b, 7), len(v))
		var err error
		for _, m := range v {
			if b, err = appendWKB(b, m); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("encode wkb: unsupported geometry %T", g)
}
