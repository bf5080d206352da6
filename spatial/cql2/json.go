package cql2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/spatial/inputgeom"
)

// maxDepth bounds nesting in both encodings, so hostile input cannot
// exhaust the stack.
const maxDepth = 64

// ParseJSON reads a CQL2-JSON filter.
func ParseJSON(b []byte) (Expr, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &SyntaxError{Path: "$", Msg: "malformed JSON: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &SyntaxError{Path: "$", Msg: "text after the filter object"}
	}
	return jsonExpr(v, "$", 0)
}

func jsonExpr(v any, path string, depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, &SyntaxError{Path: path, Msg: fmt.Sprintf("nested deeper than %d", maxDepth)}
	}
	if b, ok := v.(bool); ok {
		return Bool{Value: b}, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &SyntaxError{Path: path, Msg: fmt.Sprintf("expected a predicate object {\"op\":…,\"args\":[…]}, got %s", kind(v))}
	}
	rawOp, ok := obj["op"]
	if !ok {
		return nil, &SyntaxError{Path: path, Msg: `predicate has no "op"`}
	}
	op, ok := rawOp.(string)
	if !ok {
		return nil, &SyntaxError{Path: path + ".op", Msg: "op must be a string"}
	}
	for k := range obj {
		if k != "op" && k != "args" {
			return nil, &SyntaxError{Path: path, Msg: fmt.Sprintf("unknown member %q in a predicate", k)}
		}
	}
	args, ok := obj["args"].([]any)
	if !ok {
		return nil, &SyntaxError{Path: path + ".args", Msg: "args must be an array"}
	}
	ap := func(i int) string { return fmt.Sprintf("%s.args[%d]", path, i) }
	need := func(n int) error {
		if len(args) != n {
			return &SyntaxError{Path: path + ".args", Msg: fmt.Sprintf("%q takes %d arguments, got %d", op, n, len(args))}
		}
		return nil
	}
	operands := func() ([]Operand, error) {
		out := make([]Operand, len(args))
		for i, a := range args {
			o, err := jsonOperand(a, ap(i))
			if err != nil {
				return nil, err
			}
			out[i] = o
		}
		return out, nil
	}
	switch lop := strings.ToLower(op); lop {
	case "and", "or":
		if len(args) < 2 {
			return nil, &SyntaxError{Path: path + ".args", Msg: fmt.Sprintf("%q takes at least 2 arguments, got %d", op, len(args))}
		}
		sub := make([]Expr, len(args))
		for i, a := range args {
			e, err := jsonExpr(a, ap(i), depth+1)
			if err != nil {
				return nil, err
			}
			sub[i] = e
		}
		if lop == "and" {
			return And{Args: sub}, nil
		}
		return Or{Args: sub}, nil
	case "not":
		if err := need(1); err != nil {
			return nil, err
		}
		e, err := jsonExpr(args[0], ap(0), depth+1)
		if err != nil {
			return nil, err
		}
		return Not{Arg: e}, nil
	case "=", "<>", "<", "<=", ">", ">=":
		if err := need(2); err != nil {
			return nil, err
		}
		o, err := operands()
		if err != nil {
			return nil, err
		}
		return Comparison{Op: lop, Left: o[0], Right: o[1]}, nil
	case "like":
		if err := need(2); err != nil {
			return nil, err
		}
		o, err := operands()
		if err != nil {
			return nil, err
		}
		return Like{Arg: o[0], Pattern: o[1]}, nil
	case "between":
		if err := need(3); err != nil {
			return nil, err
		}
		o, err := operands()
		if err != nil {
			return nil, err
		}
		return Between{Arg: o[0], Low: o[1], High: o[2]}, nil
	case "in":
		if err := need(2); err != nil {
			return nil, err
		}
		arg, err := jsonOperand(args[0], ap(0))
		if err != nil {
			return nil, err
		}
		list, ok := args[1].([]any)
		if !ok || len(list) == 0 {
			return nil, &SyntaxError{Path: ap(1), Msg: `"in" takes a non-empty array of values as its second argument`}
		}
		in := In{Arg: arg, List: make([]Operand, len(list))}
		for i, x := range list {
			o, err := jsonOperand(x, fmt.Sprintf("%s[%d]", ap(1), i))
			if err != nil {
				return nil, err
			}
			in.List[i] = o
		}
		return in, nil
	case "isnull":
		if err := need(1); err != nil {
			return nil, err
		}
		o, err := operands()
		if err != nil {
			return nil, err
		}
		return IsNull{Arg: o[0]}, nil
	case "s_intersects":
		if err := need(2); err != nil {
			return nil, err
		}
		return jsonIntersects(args, path)
	}
	return nil, &UnsupportedError{What: fmt.Sprintf("operator %q", op)}
}

func jsonIntersects(args []any, path string) (Expr, error) {
	prop, gi := -1, -1
	for i, a := range args {
		if m, ok := a.(map[string]any); ok {
			if _, ok := m["property"]; ok {
				prop = i
				continue
			}
		}
		gi = i
	}
	if prop < 0 || gi < 0 {
		return nil, &SyntaxError{Path: path + ".args", Msg: `s_intersects takes {"property":"geometry"} and a geometry`}
	}
	name, ok := args[prop].(map[string]any)["property"].(string)
	if !ok || name == "" {
		return nil, &SyntaxError{Path: fmt.Sprintf("%s.args[%d].property", path, prop), Msg: "property must be a non-empty string"}
	}
	g, err := jsonGeometry(args[gi], fmt.Sprintf("%s.args[%d]", path, gi))
	if err != nil {
		return nil, err
	}
	g, ok = tidy(g)
	if !ok {
		return nil, &SyntaxError{Path: fmt.Sprintf("%s.args[%d]", path, gi), Msg: "the geometry is empty"}
	}
	if err := outside(g); err != nil {
		return nil, &SyntaxError{Path: fmt.Sprintf("%s.args[%d]", path, gi), Msg: err.Error()}
	}
	return Intersects{Property: name, Geometry: g}, nil
}

func jsonGeometry(v any, path string) (orb.Geometry, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &SyntaxError{Path: path, Msg: "expected a GeoJSON geometry or {\"bbox\":[…]}"}
	}
	if raw, ok := m["bbox"]; ok && m["type"] == nil {
		arr, ok := raw.([]any)
		if !ok {
			return nil, &SyntaxError{Path: path + ".bbox", Msg: "bbox must be an array of 4 numbers"}
		}
		nums := make([]float64, len(arr))
		for i, x := range arr {
			n, ok := x.(json.Number)
			if !ok {
				return nil, &SyntaxError{Path: fmt.Sprintf("%s.bbox[%d]", path, i), Msg: "bbox values must be numbers"}
			}
			f, err := finite(string(n))
			if err != nil {
				return nil, &SyntaxError{Path: fmt.Sprintf("%s.bbox[%d]", path, i), Msg: err.Error()}
			}
			nums[i] = f
		}
		b, err := bbox(nums)
		if err != nil {
			return nil, &SyntaxError{Path: path + ".bbox", Msg: err.Error()}
		}
		return b, nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, &SyntaxError{Path: path, Msg: err.Error()}
	}
	g, err := inputgeom.DecodeGeoJSON(raw)
	if err != nil {
		return nil, &SyntaxError{Path: path, Msg: err.Error()}
	}
	return g, nil
}

// bbox reads 4 numbers (or 6, with heights, which are dropped) as lon/lat
// minimum and maximum.
func bbox(n []float64) (orb.Bound, error) {
	var b orb.Bound
	switch len(n) {
	case 4:
		b = orb.Bound{Min: orb.Point{n[0], n[1]}, Max: orb.Point{n[2], n[3]}}
	case 6:
		b = orb.Bound{Min: orb.Point{n[0], n[1]}, Max: orb.Point{n[3], n[4]}}
	default:
		return b, fmt.Errorf("a bbox has 4 numbers (or 6 with heights), got %d", len(n))
	}
	if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return b, fmt.Errorf("bbox minimum (%g %g) exceeds its maximum (%g %g)", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	}
	if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
		return b, fmt.Errorf("bbox lies outside -180…180, -90…90 (lon/lat on EPSG:4490)")
	}
	return b, nil
}

func finite(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("number %s is out of range", s)
		}
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return f, nil
}

func jsonOperand(v any, path string) (Operand, error) {
	switch x := v.(type) {
	case string:
		return Literal{Kind: StringLit, Str: x}, nil
	case json.Number:
		f, err := finite(string(x))
		if err != nil {
			return nil, &SyntaxError{Path: path, Msg: err.Error()}
		}
		return Literal{Kind: NumberLit, Num: f}, nil
	case bool:
		return Literal{Kind: BoolLit, Bool: x}, nil
	case map[string]any:
		if len(x) != 1 {
			break
		}
		for k, val := range x {
			s, ok := val.(string)
			switch k {
			case "property":
				if !ok || s == "" {
					return nil, &SyntaxError{Path: path + ".property", Msg: "property must be a non-empty string"}
				}
				return Property{Name: s}, nil
			case "date":
				if ok {
					l, err := parseDate(s)
					if err != nil {
						return nil, &SyntaxError{Path: path + ".date", Msg: err.Error()}
					}
					return l, nil
				}
				return nil, &SyntaxError{Path: path + ".date", Msg: "date must be a string YYYY-MM-DD"}
			case "timestamp":
				if ok {
					l, err := parseTimestamp(s)
					if err != nil {
						return nil, &SyntaxError{Path: path + ".timestamp", Msg: err.Error()}
					}
					return l, nil
				}
				return nil, &SyntaxError{Path: path + ".timestamp", Msg: "timestamp must be a string"}
			case "op":
				return nil, &UnsupportedError{What: "a function or nested predicate as a value"}
			case "interval":
				return nil, &UnsupportedError{What: "interval"}
			}
		}
	case nil:
		return nil, &SyntaxError{Path: path, Msg: "null is not a value: use isNull"}
	}
	if m, ok := v.(map[string]any); ok && m["op"] != nil {
		return nil, &UnsupportedError{What: "a function or nested predicate as a value"}
	}
	return nil, &SyntaxError{Path: path, Msg: fmt.Sprintf("expected a value: a string, a number, {\"property\":…}, {\"date\":…} or {\"timestamp\":…}, got %s", kind(v))}
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
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
