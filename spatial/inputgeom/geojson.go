package inputgeom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
)

// maxCollectionDepth bounds GeometryCollection nesting.
const maxCollectionDepth = 8

// DecodeGeoJSON reads one GeoJSON geometry object (a Feature is accepted
// for its geometry) strictly: every position has 2 or 3 numbers (the third,
// a height, is dropped), nesting matches the type, and errors name the JSON
// path. orb's geojson package reads [1] as the point (1, 0), which is not
// what a client meant.
func DecodeGeoJSON(b []byte) (orb.Geometry, error) {
	return decodeGeometry(b, "", 0)
}

type geometryJSON struct {
	Type        string            `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometries  []json.RawMessage `json:"geometries"`
	Geometry    json.RawMessage   `json:"geometry"` // of a Feature
}

func decodeGeometry(b []byte, path string, depth int) (orb.Geometry, error) {
	var gj geometryJSON
	if err := json.Unmarshal(b, &gj); err != nil {
		return nil, syntaxErr(path, err)
	}
	at := func(s string) string {
		if path == "" {
			return s
		}
		return path + "." + s
	}
	if gj.Type == "Feature" {
		if len(gj.Geometry) == 0 || bytes.Equal(bytes.TrimSpace(gj.Geometry), []byte("null")) {
			return nil, &SyntaxError{Format: "GeoJSON", Msg: at("geometry") + ": the Feature has no geometry"}
		}
		return decodeGeometry(gj.Geometry, at("geometry"), depth)
	}
	if gj.Type == "GeometryCollection" {
		if depth >= maxCollectionDepth {
			return nil, &SyntaxError{Format: "GeoJSON", Msg: fmt.Sprintf("%s: geometry collections nested deeper than %d", at("geometries"), maxCollectionDepth)}
		}
		c := orb.Collection{}
		for i, m := range gj.Geometries {
			g, err := decodeGeometry(m, fmt.Sprintf("%s[%d]", at("geometries"), i), depth+1)
			if err != nil {
				return nil, err
			}
			c = append(c, g)
		}
		return c, nil
	}
	levels := map[string]int{"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4}
	n, ok := levels[gj.Type]
	switch {
	case gj.Type == "":
		return nil, &SyntaxError{Format: "GeoJSON", Msg: at("type") + " is missing"}
	case gj.Type == "FeatureCollection":
		return nil, &SyntaxError{Format: "GeoJSON", Msg: "a FeatureCollection is not one geometry: send its geometry, or a MultiPolygon"}
	case !ok:
		return nil, &SyntaxError{Format: "GeoJSON", Msg: fmt.Sprintf("%s %q is not a GeoJSON geometry type", at("type"), gj.Type)}
	case len(gj.Coordinates) == 0 || bytes.Equal(bytes.TrimSpace(gj.Coordinates), []byte("null")):
		return nil, &SyntaxError{Format: "GeoJSON", Msg: at("coordinates") + " is missing"}
	}
	cpath := at("coordinates")
	switch n {
	case 1:
		var c []float64
		if err := json.Unmarshal(gj.Coordinates, &c); err != nil {
			return nil, shapeErr(cpath, gj.Type, err)
		}
		return position(c, cpath)
	case 2:
		var c [][]float64
		if err := json.Unmarshal(gj.Coordinates, &c); err != nil {
			return nil, shapeErr(cpath, gj.Type, err)
		}
		pts, err := positions(c, cpath)
		if gj.Type == "MultiPoint" {
			return orb.MultiPoint(pts), err
		}
		return orb.LineString(pts), err
	case 3:
		var c [][][]float64
		if err := json.Unmarshal(gj.Coordinates, &c); err != nil {
			return nil, shapeErr(cpath, gj.Type, err)
		}
		if gj.Type == "Polygon" {
			return polygon(c, cpath)
		}
		ml := make(orb.MultiLineString, len(c))
		for i, l := range c {
			pts, err := positions(l, fmt.Sprintf("%s[%d]", cpath, i))
			if err != nil {
				return nil, err
			}
			ml[i] = pts
		}
		return ml, nil
	default:
		var c [][][][]float64
		if err := json.Unmarshal(gj.Coordinates, &c); err != nil {
			return nil, shapeErr(cpath, gj.Type, err)
		}
		mp := make(orb.MultiPolygon, len(c))
		for i, p := range c {
			poly, err := polygon(p, fmt.Sprintf("%s[%d]", cpath, i))
			if err != nil {
				return nil, err
			}
			mp[i] = poly
		}
		return mp, nil
	}
}

func polygon(c [][][]float64, path string) (orb.Polygon, error) {
	poly := make(orb.Polygon, len(c))
	for i, r := range c {
		pts, err := positions(r, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		poly[i] = pts
	}
	return poly, nil
}

func positions(c [][]float64, path string) ([]orb.Point, error) {
	pts := make([]orb.Point, len(c))
	for i, p := range c {
		pt, err := position(p, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		pts[i] = pt
	}
	return pts, nil
}

func position(c []float64, path string) (orb.Point, error) {
	if len(c) < 2 || len(c) > 3 {
		return orb.Point{}, &SyntaxError{Format: "GeoJSON", Msg: fmt.Sprintf("%s: a position has 2 or 3 numbers (x, y[, z]), got %d", path, len(c))}
	}
	return orb.Point{c[0], c[1]}, nil
}

func syntaxErr(path string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Format: "GeoJSON", Msg: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, err)}
	}
	if path == "" {
		path = "geometry"
	}
	return &SyntaxError{Format: "GeoJSON", Msg: fmt.Sprintf("%s: %v", path, err)}
}

// shapeErr explains a coordinates array of the wrong nesting or content.
func shapeErr(path, typ string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		var msg string
		switch {
		case te.Value == "number" || te.Value == "array":
			msg = fmt.Sprintf("a %s's coordinates are arrays nested %s", typ, depthName(typ))
		case strings.HasPrefix(te.Value, "number "):
			msg = fmt.Sprintf("%s is out of range", strings.TrimPrefix(te.Value, "number "))
		default:
			msg = fmt.Sprintf("found a %s where numbers or arrays belong", te.Value)
		}
		return &SyntaxError{Format: "GeoJSON", Msg: path + ": " + msg}
	}
	return &SyntaxError{Format: "GeoJSON", Msg: fmt.Sprintf("%s: %v", path, err)}
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
