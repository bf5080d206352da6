package codec

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// MarshalJSON writes the feature with the very bytes encoding/json writes
// for it (members in order, properties by sorted key, numbers and strings
// escaped alike), by appending rather than by reflection: a page of 1,000
// parcels spent most of its time in encoding/json's reflection over
// coordinates and property maps.
func (f GeoJSONFeature) MarshalJSON() ([]byte, error) {
	return f.AppendJSON(make([]byte, 0, 512))
}

// AppendJSON appends the feature's JSON (MarshalJSON's) to b.
func (f *GeoJSONFeature) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"type":`...)
	b = appendJSONString(b, f.Type)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, f.ID, 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, f.Version, 10)
	if f.Repaired {
		b = append(b, `,"repaired":true`...)
	}
	b = append(b, `,"geometry":`...)
	if b, err = appendGeometry(b, f.Geometry); err != nil {
		return nil, err
	}
	b = append(b, `,"properties":`...)
	if b, err = appendProperties(b, f.Properties); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendProperties writes a property map as encoding/json does: null for
// nil, keys sorted.
func appendProperties(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var keyBuf [32]string
	keys := keyBuf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendValue writes one property value; kinds the catalogue does not
// use go through encoding/json.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		return appendJSONFloat(b, x)
	case bool:
		return strconv.AppendBool(b, x), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendGeometry writes a geometry as orb's geojson.Geometry marshals it.
func appendGeometry(b []byte, g *geojson.Geometry) ([]byte, error) {
	if g == nil || g.Coordinates == nil && len(g.Geometries) == 0 {
		return append(b, "null"...), nil
	}
	if len(g.Geometries) > 0 || !plainCoordinates(g.Coordinates) {
		j, err := json.Marshal(g) // collections, rings, bounds: rare
		if err != nil {
			return nil, err
		}
		return append(b, j...), nil
	}
	b = append(b, `{"type":`...)
	b = appendJSONString(b, g.Coordinates.GeoJSONType())
	b = append(b, `,"coordinates":`...)
	var err error
	switch c := g.Coordinates.(type) {
	case orb.Point:
		b, err = appendPoint(b, c)
	case orb.MultiPoint:
		b, err = appendPoints(b, c)
	case orb.LineString:
		b, err = appendPoints(b, c)
	case orb.MultiLineString:
		b = append(b, '[')
		for i, l := range c {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendPoints(b, l); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	case orb.Polygon:
		b, err = appendPolygon(b, c)
	case orb.MultiPolygon:
		b = append(b, '[')
		for i, p := range c {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendPolygon(b, p); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// plainCoordinates says whether appendGeometry writes g itself.
func plainCoordinates(g orb.Geometry) bool {
	switch g.(type) {
	case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString, orb.Polygon, orb.MultiPolygon:
		return true
	}
	return false
}

func appendPolygon(b []byte, p orb.Polygon) ([]byte, error) {
	if p == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	var err error
	for i, r := range p {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendPoints(b, r); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendPoints writes a slice of points (null when nil, as encoding/json
// writes a nil slice).
func appendPoints(b []byte, ps []orb.Point) ([]byte, error) {
	if ps == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	var err error
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendPoint(b, p); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendPoint(b []byte, p orb.Point) ([]byte, error) {
	b = append(b, '[')
	b, err := appendJSONFloat(b, p[0])
	if err != nil {
		return nil, err
	}
	b = append(b, ',')
	if b, err = appendJSONFloat(b, p[1]); err != nil {
		return nil, err
	}
	return append(b, ']'), nil
}

// appendJSONFloat writes a float64 as encoding/json does: the shortest
// decimal that reads back the same, in exponent form below 1e-6 and from
// 1e21 up; NaN and infinities are an error, as there.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted as encoding/json does with its default
// HTML escaping: <, > and & as \u003c…, control characters escaped,
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
