package postgis

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/onemap/onemap/layers"
)

// pgEpoch is day 0 of PostgreSQL's binary date format.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// decodeRow turns a (fid, version, fields…, geom) row into a Feature,
// reading the binary wire values directly: start-up reads millions of rows
// and pgx's generic Values() costs an allocation per value. A column that
// did not arrive in binary (other than text, which pgx asks for in text
// format: the same bytes) falls back to Values().
func decodeRow(l *layers.Layer, rows pgx.Rows, pb *layers.PropsBuilder) (*layers.Feature, error) {
	raw := rows.RawValues()
	fds := rows.FieldDescriptions()
	if len(raw) != len(l.Fields)+3 {
		return nil, fmt.Errorf("row has %d columns, want %d", len(raw), len(l.Fields)+3)
	}
	for i, fd := range fds {
		if !fastColumn(l, i, len(fds), fd) {
			genericRows.Add(1)
			vals, err := rows.Values()
			if err != nil {
				return nil, err
			}
			return decode(l, vals, pb)
		}
	}
	if len(raw[0]) != 8 || len(raw[1]) != 8 {
		return nil, fmt.Errorf("fid/version are not bigint")
	}
	f := &layers.Feature{
		ID:      int64(binary.BigEndian.Uint64(raw[0])),
		Version: int64(binary.BigEndian.Uint64(raw[1])),
	}
	pb.Done() // a row that failed half-way leaves nothing behind
	var date [10]byte
	for i, fd := range l.Fields {
		b := raw[i+2]
		if b == nil {
			pb.Null()
			continue
		}
		switch fd.Type {
		case layers.String:
			pb.Bytes(b)
		case layers.Integer:
			if len(b) != 8 {
				return nil, fmt.Errorf("field %s: %d-byte integer", fd.Name, len(b))
			}
			pb.Int(int64(binary.BigEndian.Uint64(b)))
		case layers.Number:
			if len(b) != 8 {
				return nil, fmt.Errorf("field %s: %d-byte number", fd.Name, len(b))
			}
			pb.Float(math.Float64frombits(binary.BigEndian.Uint64(b)))
		case layers.Date:
			if len(b) != 4 {
				return nil, fmt.Errorf("field %s: %d-byte date", fd.Name, len(b))
			}
			days := int32(binary.BigEndian.Uint32(b))
			pb.Bytes(pgEpoch.AddDate(0, 0, int(days)).AppendFormat(date[:0], time.DateOnly))
		default:
			pb.Null()
		}
	}
	f.Props = pb.Done()
	g, _, err := ewkb.Unmarshal(raw[len(raw)-1])
	if err != nil {
		return nil, fmt.Errorf("decode geometry of %d: %w", f.ID, err)
	}
	f.Geometry = g
	return f, nil
}

// genericRows counts rows that missed the fast path (a test watches it).
var genericRows atomic.Int64

// fastColumn says whether column i arrived in the form decodeRow reads:
// bigint fid and version, each field in the PostgreSQL type its catalogue
// type maps to (text may come in text format: pgx asks for it so, and the
// bytes are the same), binary geometry. A column of another type (a field
// retyped in the catalogue, see Migrate) goes the generic way.
func fastColumn(l *layers.Layer, i, n int, fd pgconn.FieldDescription) bool {
	if i < 2 || i == n-1 {
		return fd.Format == pgx.BinaryFormatCode && (i == n-1 || fd.DataTypeOID == pgtype.Int8OID)
	}
	switch l.Fields[i-2].Type {
	case layers.String:
		return fd.DataTypeOID == pgtype.TextOID || fd.DataTypeOID == pgtype.VarcharOID
	case layers.Integer:
		return fd.Format == pgx.BinaryFormatCode && fd.DataTypeOID == pgtype.Int8OID
	case layers.Number:
		return fd.Format == pgx.BinaryFormatCode && fd.DataTypeOID == pgtype.Float8OID
	case layers.Date:
		return fd.Format == pgx.BinaryFormatCode && fd.DataTypeOID == pgtype.DateOID
	}
	return false
}
