package layers

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

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
	// string (also for dates, as YYYY-MM-DD), int64, float64, or nil for null.
	// A positional slice of interned values instead of a map per feature keeps
	// millions of features compact.
	Props []any
}

// Bound is the bounding box of the feature's geometry.
func (f *Feature) Bound() orb.Bound { return f.Geometry.Bound() }

// Properties returns the attributes as a name→value map for encoders.
func (l *Layer) Properties(f *Feature) map[string]any {
	m := make(map[string]any, len(l.Fields))
	for i, fd := range l.Fields {
		if i < len(f.Props) {
			m[fd.Name] = f.Props[i]
		} else {
			m[fd.Name] = nil
		}
	}
	return m
}

// Value returns the value of the named field, or nil.
func (l *Layer) Value(f *Feature, name string) any {
	i := l.FieldIndex(name)
	if i < 0 || i >= len(f.Props) {
		return nil
	}
	return f.Props[i]
}

// internTable shares one boxed value per distinct short string, so repeated
// codes (DLBM, ZLDWDM, dates) cost one allocation in all. It stops growing
// at maxInterned entries: past that, unique identifiers (BSM, BDCDYH, …)
// would only fill it, so new strings are boxed on their own.
var internTable = struct {
	sync.RWMutex
	m map[string]any
}{m: map[string]any{}}

const maxInterned = 1 << 18

// Intern returns a shared boxed copy of s where it can.
func Intern(s string) any {
	internTable.RLock()
	v, ok := internTable.m[s]
	internTable.RUnlock()
	if ok {
		return v
	}
	if len(s) > 64 {
		return s
	}
	internTable.Lock()
	defer internTable.Unlock()
	if v, ok := internTable.m[s]; ok {
		return v
	}
	if len(internTable.m) >= maxInterned {
		return s
	}
	v = s
	internTable.m[s] = v
	return v
}

// ParseProperties checks a name→value map (as decoded from JSON, numbers as
// float64 or json.Number) against the layer's fields and returns the
// positional values. Unknown names, wrong types, missing required fields and
// over-long strings are reported, every one of them.
func (l *Layer) ParseProperties(in map[string]any) ([]any, error) {
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
		if f.Required && out[i] == nil {
			if _, given := in[f.Name]; !given || in[f.Name] == nil {
				probs = append(probs, Problem{Field: f.Name, Reason: "required field is missing or null"})
			}
		}
	}
	if len(probs) > 0 {
		probs.sort()
		return nil, &ValidationError{Layer: l.ID, Problems: probs}
	}
	return out, nil
}

// CheckProps verifies positional values built by code (fixtures, stores).
func (l *Layer) CheckProps(props []any) error {
	if len(props) != len(l.Fields) {
		return &ValidationError{Layer: l.ID, Problems: Problems{{Reason: fmt.Sprintf("%d values for %d fields", len(props), len(l.Fields))}}}
	}
	var probs Problems
	for i, f := range l.Fields {
		v := props[i]
		if v == nil {
			if f.Required {
				probs = append(probs, Problem{Field: f.Name, Reason: "required field is missing or null"})
			}
			continue
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
		if f.MaxLength > 0 && len([]rune(s)) > f.MaxLength {
			return nil, fmt.Errorf("is %d characters long, at most %d allowed", len([]rune(s)), f.MaxLength)
		}
		return Intern(s), nil
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
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("must be an integer, got %s", v)
			}
			return n, nil
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
				return nil, fmt.Errorf("must be a finite number, got %s", v)
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
		return Intern(s), nil
	}
	return nil, fmt.Errorf("field type %q unknown", f.Type)
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
