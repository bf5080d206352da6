// Package codec reads and writes features as GeoJSON (RFC 7946): what a
// client sends to create or replace a feature, and what the API answers.
// Decoding is strict: a position must have two or three numbers, a number
// must fit its type exactly, and nothing is filled in or rounded silently;
// what does not parse is a *DecodeError (a 400), what parses but breaks a
// layer's rules is left to validation (a 422).
package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// DecodeError says a body is not the GeoJSON it should be. Msg is written
// for the client: it names the member at fault, never a Go type.
type DecodeError struct{ Msg string }

func (e *DecodeError) Error() string { return e.Msg }

func decodeErr(format string, args ...any) *DecodeError {
	return &DecodeError{Msg: fmt.Sprintf(format, args...)}
}

// Feature is a decoded GeoJSON Feature: the draft, its id when it carries
// one, and its "repair" member when present.
type Feature struct {
	Draft  layers.Draft
	ID     *int64
	Repair *bool
}

type featureJSON struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
	Repair     *bool           `json:"repair"`
}

// DecodeFeature parses one GeoJSON Feature.
func DecodeFeature(body []byte) (Feature, error) {
	var fj featureJSON
	if err := decodeStrict(body, &fj, "a GeoJSON Feature"); err != nil {
		return Feature{}, err
	}
	if fj.Type != "Feature" {
		return Feature{}, decodeErr(`must be a GeoJSON Feature ("type": "Feature"), got type %q`, fj.Type)
	}
	var out Feature
	out.Repair = fj.Repair
	if isPresent(fj.ID) {
		var n json.Number
		if err := json.Unmarshal(fj.ID, &n); err != nil || fj.ID[0] == '"' {
			return Feature{}, decodeErr("feature id must be an integer")
		}
		id, err := n.Int64()
		if err != nil {
			return Feature{}, decodeErr("feature id must be an integer, got %s", n)
		}
		out.ID = &id
	}
	if isPresent(fj.Geometry) {
		g, err := DecodeGeometry(fj.Geometry)
		if err != nil {
			return Feature{}, err
		}
		out.Draft.Geometry = g
	}
	out.Draft.Properties = map[string]any{}
	if isPresent(fj.Properties) {
		dec := json.NewDecoder(bytes.NewReader(fj.Properties))
		dec.UseNumber()
		if err := dec.Decode(&out.Draft.Properties); err != nil {
			return Feature{}, decodeErr("properties must be a JSON object of field names and values")
		}
		for name, v := range out.Draft.Properties {
			switch v.(type) {
			case map[string]any, []any:
				return Feature{}, decodeErr("property %s must be a string, number or null, not an object or array", name)
			}
		}
	}
	return out, nil
}

func isPresent(raw json.RawMessage) bool {
	return len(raw) > 0 && string(bytes.TrimSpace(raw)) != "null"
}

// decodeStrict unmarshals one JSON value and refuses trailing data.
func decodeStrict(body []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, what)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return decodeErr("not %s: more data after the JSON value", what)
	}
	return nil
}

// jsonError says in the client's terms what encoding/json found.
func jsonError(err error, what string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return decodeErr("not %s: malformed JSON at byte %d (%s)", what, se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &te):
		member := te.Field
		if member == "" {
			return decodeErr("not %s: expected a JSON object, got %s", what, jsonKind(te.Value))
		}
		return decodeErr("not %s: member %q must be %s, got %s", what, member, goKind(te.Type.Kind().String()), jsonKind(te.Value))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return decodeErr("not %s: the JSON ends early", what)
	}
	return decodeErr("not %s: %v", what, err)
}

func jsonKind(v string) string {
	switch {
	case v == "string":
		return "a string"
	case v == "number" || strings.HasPrefix(v, "number "):
		return "a number"
	case v == "object":
		return "an object"
	case v == "array":
		return "an array"
	case v == "bool":
		return "a boolean"
	}
	return v
}

func goKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int64", "int", "float64":
		return "a number"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool", "ptr":
		return "a boolean"
	}
	return "another type"
}

// ErrEmptyGeometry is wrapped by errors about geometries without coordinates.
var ErrEmptyGeometry = errors.New("empty geometry")

type geometryJSON struct {
	Type        string            `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometries  []json.RawMessage `json:"geometries"`
}

// DecodeGeometry parses a GeoJSON geometry strictly: every position has two
// or three finite numbers (a third, the height, is dropped), nothing is
// filled in. Empty arrays decode to empty geometries, which the layer's
// rules then refuse with their own reasons.
func DecodeGeometry(raw []byte) (orb.Geometry, error) {
	return decodeGeometry(raw, 0)
}

func decodeGeometry(raw []byte, depth int) (orb.Geometry, error) {
	var gj geometryJSON
	if err := decodeStrict(raw, &gj, "a GeoJSON geometry"); err != nil {
		return nil, err
	}
	at := func(err error) error {
		var de *DecodeError
		if errors.As(err, &de) {
			return decodeErr("geometry (%s): %s", gj.Type, de.Msg)
		}
		return err
	}
	if gj.Type == "GeometryCollection" {
		if depth > 0 {
			return nil, decodeErr("geometry: a GeometryCollection may not nest another")
		}
		out := orb.Collection{}
		for _, m := range gj.Geometries {
			g, err := decodeGeometry(m, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	}
	if !isPresent(gj.Coordinates) {
		if gj.Type == "" {
			return nil, decodeErr(`geometry has no "type"`)
		}
		return nil, decodeErr("geometry (%s) has no coordinates", gj.Type)
	}
	var err error
	switch gj.Type {
	case "Point":
		var p []coord
		if err = unmarshalCoords(gj.Coordinates, &p, gj.Type); err == nil {
			var pt orb.Point
			if pt, err = position(p, "the point"); err == nil {
				return pt, nil
			}
		}
	case "MultiPoint":
		var ps [][]coord
		if err = unmarshalCoords(gj.Coordinates, &ps, gj.Type); err == nil {
			var mp orb.MultiPoint
			if mp, err = positions(ps, "point"); err == nil {
				return mp, nil
			}
		}
	case "LineString":
		var ps [][]coord
		if err = unmarshalCoords(gj.Coordinates, &ps, gj.Type); err == nil {
			var ls []orb.Point
			if ls, err = positions(ps, "vertex"); err == nil {
				return orb.LineString(ls), nil
			}
		}
	case "MultiLineString":
		var ls [][][]coord
		if err = unmarshalCoords(gj.Coordinates, &ls, gj.Type); err == nil {
			out := make(orb.MultiLineString, len(ls))
			for i, l := range ls {
				var pts []orb.Point
				if pts, err = positions(l, fmt.Sprintf("line %d, vertex", i)); err != nil {
					break
				}
				out[i] = pts
			}
			if err == nil {
				return out, nil
			}
		}
	case "Polygon":
		var rs [][][]coord
		if err = unmarshalCoords(gj.Coordinates, &rs, gj.Type); err == nil {
			var p orb.Polygon
			if p, err = polygon(rs, ""); err == nil {
				return p, nil
			}
		}
	case "MultiPolygon":
		var ps [][][][]coord
		if err = unmarshalCoords(gj.Coordinates, &ps, gj.Type); err == nil {
			out := make(orb.MultiPolygon, len(ps))
			for i, rs := range ps {
				if out[i], err = polygon(rs, fmt.Sprintf("polygon %d, ", i)); err != nil {
					break
				}
			}
			if err == nil {
				return out, nil
			}
		}
	case "":
		return nil, decodeErr(`geometry has no "type"`)
	default:
		return nil, decodeErr("geometry type %q is not a GeoJSON geometry type", gj.Type)
	}
	return nil, at(err)
}

func unmarshalCoords(raw []byte, v any, typ string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var ce *coordError
		if errors.As(err, &ce) {
			return decodeErr("coordinates: %s", ce.msg)
		}
		return decodeErr("coordinates: a %s's coordinates are arrays of numbers nested %s", typ, depthName(typ))
	}
	return nil
}

func depthName(typ string) string {
	switch typ {
	case "Point":
		return "one level deep ([x, y])"
	case "LineString", "MultiPoint":
		return "two levels deep ([[x, y], …])"
	case "Polygon", "MultiLineString":
		return "three levels deep ([[[x, y], …]])"
	}
	return "four levels deep ([[[[x, y], …]]])"
}

// coordError is a value where a coordinate number belongs.
type coordError struct{ msg string }

func (e *coordError) Error() string { return e.msg }

func polygon(rs [][][]coord, where string) (orb.Polygon, error) {
	p := make(orb.Polygon, len(rs))
	for j, r := range rs {
		pts, err := positions(r, fmt.Sprintf("%sring %d, vertex", where, j))
		if err != nil {
			return nil, err
		}
		p[j] = pts
	}
	return p, nil
}

func positions(ps [][]coord, what string) ([]orb.Point, error) {
	out := make([]orb.Point, len(ps))
	for i, p := range ps {
		pt, err := position(p, fmt.Sprintf("%s %d", what, i))
		if err != nil {
			return nil, err
		}
		out[i] = pt
	}
	return out, nil
}

// coord is one number of a position: a JSON number literal, never a string
// (json.Number alone would take "1").
type coord string

func (c *coord) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || !(b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		kind := "a non-number"
		switch {
		case len(b) > 0 && b[0] == '"':
			kind = "a string"
		case len(b) > 0 && b[0] == '[':
			kind = "an array nested too deep"
		case len(b) > 0 && b[0] == '{':
			kind = "an object"
		case string(b) == "null":
			kind = "null"
		}
		return &coordError{msg: "found " + kind + " where a coordinate number belongs"}
	}
	*c = coord(b)
	return nil
}

// Float64 parses the number; out of range is an error.
func (c coord) Float64() (float64, error) { return strconv.ParseFloat(string(c), 64) }

// position reads [x, y] or [x, y, z]; z is dropped (the layers are 2D).
func position(p []coord, what string) (orb.Point, error) {
	switch {
	case len(p) < 2:
		return orb.Point{}, decodeErr("%s has %d numbers; a position is [longitude, latitude]", what, len(p))
	case len(p) > 3:
		return orb.Point{}, decodeErr("%s has %d numbers; a position has 2 (longitude, latitude) or 3 (with height)", what, len(p))
	}
	var pt orb.Point
	for i := range 2 {
		f, err := p[i].Float64()
		if err != nil {
			return orb.Point{}, decodeErr("%s: %s is out of range (not a finite number)", what, p[i])
		}
		pt[i] = f
	}
	if len(p) == 3 {
		if _, err := p[2].Float64(); err != nil {
			return orb.Point{}, decodeErr("%s: height %s is not a finite number", what, p[2])
		}
	}
	return pt, nil
}
