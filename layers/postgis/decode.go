package postgis

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/onemap/onemap/layers"
)

// pgEpoch is day 0 of PostgreSQL's binary date format.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// decodeRow turns a (fid, version, fields…, geom) row into a Feature,
// reading the binary wire values directly: start-up reads millions of rows
// and pgx's generic Values() costs an allocation per value. A column that
// did not arrive in binary falls back to Values().
func decodeRow(l *layers.Layer, rows pgx.Rows, strs map[string]any) (*layers.Feature, error) {
	raw := rows.RawValues()
	fds := rows.FieldDescriptions()
	if len(raw) != len(l.Fields)+3 {
		return nil, fmt.Errorf("row has %d columns, want %d", len(raw), len(l.Fields)+3)
	}
	for _, fd := range fds {
		if fd.Format != pgx.BinaryFormatCode {
			vals, err := rows.Values()
			if err != nil {
				return nil, err
			}
			return decode(l, vals)
		}
	}
	if len(raw[0]) != 8 || len(raw[1]) != 8 {
		return nil, fmt.Errorf("fid/version are not bigint")
	}
	f := &layers.Feature{
		ID:      int64(binary.BigEndian.Uint64(raw[0])),
		Version: int64(binary.BigEndian.Uint64(raw[1])),
		Props:   make([]any, len(l.Fields)),
	}
	for i, fd := range l.Fields {
		b := raw[i+2]
		if b == nil {
			continue
		}
		switch fd.Type {
		case layers.String:
			f.Props[i] = internBytes(strs, b)
		case layers.Integer:
			if len(b) != 8 {
				return nil, fmt.Errorf("field %s: %d-byte integer", fd.Name, len(b))
			}
			f.Props[i] = int64(binary.BigEndian.Uint64(b))
		case layers.Number:
			if len(b) != 8 {
				return nil, fmt.Errorf("field %s: %d-byte number", fd.Name, len(b))
			}
			f.Props[i] = math.Float64frombits(binary.BigEndian.Uint64(b))
		case layers.Date:
			if len(b) != 4 {
				return nil, fmt.Errorf("field %s: %d-byte date", fd.Name, len(b))
			}
			days := int32(binary.BigEndian.Uint32(b))
			f.Props[i] = layers.Intern(pgEpoch.AddDate(0, 0, int(days)).Format(time.DateOnly))
		}
	}
	g, _, err := ewkb.Unmarshal(raw[len(raw)-1])
	if err != nil {
		return nil, fmt.Errorf("decode geometry of %d: %w", f.ID, err)
	}
	f.Geometry = g
	return f, nil
}

// internBytes interns a string column value through a per-scan cache in
// front of layers.Intern; the map lookup with string(b) does not allocate.
func internBytes(cache map[string]any, b []byte) any {
	if v, ok := cache[string(b)]; ok {
		return v
	}
	v := layers.Intern(string(b))
	if len(cache) < 1<<16 {
		cache[string(b)] = v
	}
	return v
}
