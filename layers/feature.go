package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// Feature is the one model every package passes around: an id assigned by the
// store, a version (+1 per change), a geometry (lon/lat, EPSG:4490) and the
// attribute values. Once a Feature has been handed to the index it is never
// mutated; edits produce a new Feature.
type Feature struct {
	ID       int64
	Version  int64
	Geometry orb.Geometry
	// Props holds one value per Layer.Fields entry, in the same order:
	// string (also for dates, as YYYY-MM-DD), int64, float64, or nil for null,
	// packed (see Props) rather than a map per feature, so that millions of
	// features stay compact.
	Props Props
	// measure caches the feature's area or length (see Measure).
	measure uint64
}

// Bound is the bounding box of the feature's geometry.
func (f *Feature) Bound() orb.Bound { return f.Geometry.Bound() }

// Properties returns the attributes as a name→value map for encoders.
func (l *Layer) Properties(f *Feature) map[string]any {
	m := make(map[string]any, len(l.Fields))
	for _, fd := range l.Fields {
		m[fd.Name] = nil
	}
	for i, v := range f.Props.All() {
		if i < len(l.Fields) {
			m[l.Fields[i].Name] = v
		}
	}
	return m
}

// Value returns the value of the named field, or nil.
func (l *Layer) Value(f *Feature, name string) any {
	i := l.FieldIndex(name)
	if i < 0 {
		return nil
	}
	return f.Props.At(i)
}

// ParseProperties checks a name→value map (as decoded from JSON, numbers as
// float64 or json.Number) against the layer's fields and returns the
// packed positional values. Unknown names, wrong types, missing required
// fields and over-long strings are reported, every one of them.
func (l *Layer) ParseProperties(in map[string]any) (Props, error) {
	var probs Problems
	out := make([]any, len(l.Fields))
	for name, raw := range in {
		i := l.FieldIndex(name)
		if i < 0 {
			probs = append(probs, Problem{Field: name, Reason: "unknown field"})
			continue
		}
		v, err := l.Fields[i].Coerce(raw)
		if err != nil {
			probs = append(probs, Problem{Field: name, Reason: err.Error()})
			continue
		}
		out[i] = v
	}
	for i, f := range l.Fields {
		if !f.Required {
			continue
		}
		if out[i] == "" {
			probs = append(probs, Problem{Field: f.Name, Reason: "required field is empty"})
		} else if _, given := in[f.Name]; out[i] == nil && (!given || in[f.Name] == nil) {
			probs = append(probs, Problem{Field: f.Name, Reason: "required field is missing or null"})
		}
	}
	if len(probs) > 0 {
		probs.sort()
		return Props{}, &ValidationError{Layer: l.ID, Problems: probs}
	}
	return NewProps(out...), nil
}

// CheckProps verifies values built by code (fixtures, stores).
func (l *Layer) CheckProps(p Props) error {
	props := p.Values()
	if len(props) != len(l.Fields) {
		return &ValidationError{Layer: l.ID, Problems: Problems{{Reason: fmt.Sprintf("%d values for %d fields", len(props), len(l.Fields))}}}
	}
	var probs Problems
	for i, f := range l.Fields {
		v := props[i]
		if v == nil || v == "" {
			if f.Required {
				probs = append(probs, Problem{Field: f.Name, Reason: "required field is missing, null or empty"})
			}
			if v == nil {
				continue
			}
		}
		if _, err := f.Coerce(v); err != nil {
			probs = append(probs, Problem{Field: f.Name, Reason: err.Error()})
		}
	}
	if len(probs) > 0 {
		return &ValidationError{Layer: l.ID, Problems: probs}
	}
	return nil
}

const maxSafeInteger = 1 << 53

// Coerce converts a decoded value to the field's Go type (string, int64,
// float64; dates as YYYY-MM-DD strings), or says why it cannot.
func (f Field) Coerce(raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch f.Type {
	case String:
		s, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("must be a string, got %s", jsonKind(raw))
		}
		if strings.IndexByte(s, 0) >= 0 {
			return nil, fmt.Errorf("contains a NUL character (\\u0000), which text fields cannot hold")
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("is not valid UTF-8")
		}
		if f.MaxLength > 0 && len([]rune(s)) > f.MaxLength {
			return nil, fmt.Errorf("is %d characters long, at most %d allowed", len([]rune(s)), f.MaxLength)
		}
		return s, nil
	case Integer:
		switch v := raw.(type) {
		case int64:
			return v, nil
		case int:
			return int64(v), nil
		case float64:
			if v != math.Trunc(v) || math.IsInf(v, 0) || math.IsNaN(v) || math.Abs(v) > maxSafeInteger {
				return nil, fmt.Errorf("must be an integer, got %v", v)
			}
			return int64(v), nil
		case json.Number:
			return exactInteger(v)
		}
		return nil, fmt.Errorf("must be an integer, got %s", jsonKind(raw))
	case Number:
		switch v := raw.(type) {
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, fmt.Errorf("must be a finite number")
			}
			return v, nil
		case int64:
			return float64(v), nil
		case int:
			return float64(v), nil
		case json.Number:
			n, err := strconv.ParseFloat(string(v), 64)
			if err != nil || math.IsInf(n, 0) {
				return nil, fmt.Errorf("must be a finite number within ±1.8e308, got %s", v)
			}
			return n, nil
		}
		return nil, fmt.Errorf("must be a number, got %s", jsonKind(raw))
	case Date:
		s, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("must be a date string YYYY-MM-DD, got %s", jsonKind(raw))
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != 10 {
			return nil, fmt.Errorf("must be a date YYYY-MM-DD, got %q", s)
		}
		return s, nil
	}
	return nil, fmt.Errorf("field type %q unknown", f.Type)
}

// exactInteger reads a JSON number as an int64 only when it is one exactly:
// 2024 and 2.024e3 are, 2024.5 is not, and nothing is rounded (a number
// beyond the int64 range is refused, not clamped).
func exactInteger(v json.Number) (any, error) {
	if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return n, nil
	} else if errors.Is(err, strconv.ErrRange) {
		return nil, fmt.Errorf("integer %s is outside the range of a 64-bit integer (±9223372036854775807)", v)
	}
	// Only a short exponent can still be an int64 (and a long one would make
	// big.Rat build an enormous number).
	if i := strings.IndexAny(string(v), "eE"); i >= 0 {
		if e, err := strconv.Atoi(string(v)[i+1:]); err != nil || e < -40 || e > 40 {
			return nil, fmt.Errorf("must be an integer, got %s", v)
		}
	}
	r, ok := new(big.Rat).SetString(string(v))
	if !ok || !r.IsInt() {
		return nil, fmt.Errorf("must be an integer, got %s", v)
	}
	if !r.Num().IsInt64() {
		return nil, fmt.Errorf("integer %s is outside the range of a 64-bit integer (±9223372036854775807)", v)
	}
	return r.Num().Int64(), nil
}

// FromColumn converts a value a store read from a column to the field's Go
// type where the column's type differs from the field's (a file written by
// another tool, or a field retyped in the catalogue: stores report that and
// leave the column alone). What cannot be converted is returned as it is.
func (f Field) FromColumn(v any) any {
	switch x := v.(type) {
	case []byte:
		v = string(x)
	case time.Time:
		v = x.Format(time.DateOnly)
	case int32:
		v = int64(x)
	case int:
		v = int64(x)
	case float32:
		v = float64(x)
	}
	switch x := v.(type) {
	case string:
		switch f.Type {
		case Integer:
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				return n
			}
		case Number:
			if n, err := strconv.ParseFloat(x, 64); err == nil {
				return n
			}
		}
	case int64:
		switch f.Type {
		case Number:
			return float64(x)
		case String, Date:
			return strconv.FormatInt(x, 10)
		}
	case float64:
		switch f.Type {
		case Integer:
			if x == math.Trunc(x) && math.Abs(x) <= maxSafeInteger {
				return int64(x)
			}
		case String, Date:
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	}
	return v
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64, int, int64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// Draft is a feature as a client sends it, before validation: a decoded
// geometry (any GeoJSON type) and the attributes by name, numbers as
// json.Number so that none is rounded before its field's type is known.
type Draft struct {
	Geometry   orb.Geometry
	Properties map[string]any
}
