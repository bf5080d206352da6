package gpkg

import (
	"bytes"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"modernc.org/sqlite"
)

// srsID is the spatial reference every layer uses: CGCS2000 lon/lat.
const srsID = 4490

// GeoPackage binary header (GeoPackage 1.3, §2.1.3): "GP", version 0, flags,
// srs_id, optional envelope, then standard WKB.
const (
	gpHeaderLen    = 8
	flagLittle     = 0x01      // bit 0: byte order of the header (1 = little endian)
	flagEnvXY      = 0x01 << 1 // bits 1–3 = 1: envelope [minx, maxx, miny, maxy]
	flagEnvMask    = 0x07 << 1
	flagEmpty      = 0x01 << 4
	flagExtended   = 0x01 << 5
	wkbPointLE     = 1
	wkbPointHeader = 5 // byte order + uint32 type
)

var errNotGP = errors.New("not a GeoPackage geometry blob")

// appendGP appends the GeoPackage binary form of g to buf: little endian,
// with an [minx,maxx,miny,maxy] envelope for everything but points, srs 4490.
// It returns the bound of g too (valid unless g is empty).
func appendGP(buf *bytes.Buffer, g orb.Geometry) (orb.Bound, bool, error) {
	if g == nil {
		return orb.Bound{}, false, errors.New("geometry is missing")
	}
	empty := isEmpty(g)
	flags := byte(flagLittle)
	_, point := g.(orb.Point)
	switch {
	case empty:
		flags |= flagEmpty
	case !point:
		flags |= flagEnvXY
	}
	var hdr [gpHeaderLen + 32]byte
	hdr[0], hdr[1], hdr[2], hdr[3] = 'G', 'P', 0, flags
	binary.LittleEndian.PutUint32(hdr[4:], uint32(srsID))
	n := gpHeaderLen
	var b orb.Bound
	if !empty {
		b = g.Bound()
		if !point {
			binary.LittleEndian.PutUint64(hdr[8:], math.Float64bits(b.Min[0]))
			binary.LittleEndian.PutUint64(hdr[16:], math.Float64bits(b.Max[0]))
			binary.LittleEndian.PutUint64(hdr[24:], math.Float64bits(b.Min[1]))
			binary.LittleEndian.PutUint64(hdr[32:], math.Float64bits(b.Max[1]))
			n += 32
		}
	}
	buf.Write(hdr[:n])
	if err := wkb.NewEncoder(buf).SetByteOrder(binary.LittleEndian).Encode(g); err != nil {
		return orb.Bound{}, false, fmt.Errorf("encode geometry: %w", err)
	}
	return b, !empty, nil
}

// encodeGP returns the GeoPackage binary form of g in a new slice.
func encodeGP(g orb.Geometry) ([]byte, orb.Bound, bool, error) {
	var buf bytes.Buffer
	b, ok, err := appendGP(&buf, g)
	return buf.Bytes(), b, ok, err
}

func isEmpty(g orb.Geometry) bool {
	switch v := g.(type) {
	case orb.Point:
		return math.IsNaN(v[0]) && math.IsNaN(v[1])
	case orb.MultiPoint:
		return len(v) == 0
	case orb.LineString:
		return len(v) == 0
	case orb.MultiLineString:
		for _, l := range v {
			if len(l) > 0 {
				return false
			}
		}
		return true
	case orb.Ring:
		return len(v) == 0
	case orb.Polygon:
		return len(v) == 0 || len(v[0]) == 0
	case orb.MultiPolygon:
		for _, p := range v {
			if len(p) > 0 && len(p[0]) > 0 {
				return false
			}
		}
		return true
	case orb.Collection:
		for _, c := range v {
			if !isEmpty(c) {
				return false
			}
		}
		return true
	}
	return false
}

// gpHeader parses a GeoPackage binary header: the offset of the WKB, the
// flags, and the byte order of header values.
func gpHeader(b []byte) (wkbOff int, flags byte, order binary.ByteOrder, err error) {
	if len(b) < gpHeaderLen || b[0] != 'G' || b[1] != 'P' {
		return 0, 0, nil, errNotGP
	}
	if b[2] != 0 {
		return 0, 0, nil, fmt.Errorf("GeoPackage binary version %d not supported", b[2])
	}
	flags = b[3]
	if flags&flagExtended != 0 {
		return 0, 0, nil, errors.New("extended GeoPackage geometry not supported")
	}
	order = binary.ByteOrder(binary.BigEndian)
	if flags&flagLittle != 0 {
		order = binary.LittleEndian
	}
	var envLen int
	switch (flags & flagEnvMask) >> 1 {
	case 0:
	case 1:
		envLen = 32
	case 2, 3:
		envLen = 48
	case 4:
		envLen = 64
	default:
		return 0, 0, nil, fmt.Errorf("GeoPackage envelope indicator %d invalid", (flags&flagEnvMask)>>1)
	}
	if len(b) < gpHeaderLen+envLen {
		return 0, 0, nil, errNotGP
	}
	return gpHeaderLen + envLen, flags, order, nil
}

// decodeGP decodes a GeoPackage binary geometry.
func decodeGP(b []byte) (orb.Geometry, error) {
	off, _, _, err := gpHeader(b)
	if err != nil {
		return nil, err
	}
	body := b[off:]
	// Fast path for the commonest small case: a little-endian 2D point.
	if len(body) == wkbPointHeader+16 && body[0] == 1 && binary.LittleEndian.Uint32(body[1:]) == wkbPointLE {
		return orb.Point{
			math.Float64frombits(binary.LittleEndian.Uint64(body[5:])),
			math.Float64frombits(binary.LittleEndian.Uint64(body[13:])),
		}, nil
	}
	g, err := wkb.Unmarshal(body)
	if err != nil {
		return nil, fmt.Errorf("decode WKB: %w", err)
	}
	return g, nil
}

// envelope returns the bound of a GeoPackage binary geometry, from its
// header envelope when there is one, else from its WKB. ok is false for an
// empty geometry.
func envelope(b []byte) (bd orb.Bound, ok bool, err error) {
	off, flags, order, err := gpHeader(b)
	if err != nil {
		return orb.Bound{}, false, err
	}
	if flags&flagEmpty != 0 {
		return orb.Bound{}, false, nil
	}
	if off > gpHeaderLen {
		f := func(i int) float64 { return math.Float64frombits(order.Uint64(b[gpHeaderLen+8*i:])) }
		bd = orb.Bound{Min: orb.Point{f(0), f(2)}, Max: orb.Point{f(1), f(3)}}
		if math.IsNaN(bd.Min[0]) || math.IsNaN(bd.Min[1]) {
			return orb.Bound{}, false, nil
		}
		return bd, true, nil
	}
	g, err := decodeGP(b)
	if err != nil {
		return orb.Bound{}, false, err
	}
	if isEmpty(g) {
		return orb.Bound{}, false, nil
	}
	return g.Bound(), true, nil
}

// The SQL functions the standard gpkg_rtree_index triggers call. GDAL and
// QGIS register their own; we register these on every connection we open so
// the standard triggers keep rtree_<t>_geom current when we write, and a file
// that GDAL or QGIS edit stays indexed too.
func registerFunctions(d *sqlite.Driver) error {
	blobArg := func(args []driver.Value) ([]byte, bool) {
		if len(args) != 1 || args[0] == nil {
			return nil, false
		}
		b, ok := args[0].([]byte)
		return b, ok
	}
	isEmptyFn := func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		b, ok := blobArg(args)
		if !ok {
			return nil, nil
		}
		_, nonEmpty, err := envelope(b)
		if err != nil {
			return nil, nil // not a geometry: neither empty nor indexable
		}
		if nonEmpty {
			return int64(0), nil
		}
		return int64(1), nil
	}
	coord := func(name string, pick func(orb.Bound) float64) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
		return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			b, ok := blobArg(args)
			if !ok {
				return nil, nil
			}
			bd, nonEmpty, err := envelope(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if !nonEmpty {
				return nil, nil
			}
			return pick(bd), nil
		}
	}
	fns := []struct {
		name string
		fn   func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error)
	}{
		{"ST_IsEmpty", isEmptyFn},
		{"ST_MinX", coord("ST_MinX", func(b orb.Bound) float64 { return b.Min[0] })},
		{"ST_MaxX", coord("ST_MaxX", func(b orb.Bound) float64 { return b.Max[0] })},
		{"ST_MinY", coord("ST_MinY", func(b orb.Bound) float64 { return b.Min[1] })},
		{"ST_MaxY", coord("ST_MaxY", func(b orb.Bound) float64 { return b.Max[1] })},
	}
	for _, f := range fns {
		// The functions only read the blob during the call, so they may see
		// SQLite's own memory instead of a copy (VolatileArgs).
		if err := d.RegisterFunction(f.name, &sqlite.FunctionImpl{NArgs: 1, Deterministic: true, Scalar: f.fn, VolatileArgs: true}); err != nil {
			return err
		}
	}
	return nil
}
