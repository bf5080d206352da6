// Package cql2 parses and evaluates the subset of OGC CQL2 (Common Query
// Language, OGC 21-065r2) that onemap serves, in both encodings:
//
//   - comparison = <> < <= > >=, BETWEEN, IN, LIKE (% and _, backslash
//     escapes), IS NULL, AND, OR, NOT, TRUE and FALSE
//   - literals: 'strings', numbers, DATE('2025-01-01'),
//     TIMESTAMP('2025-01-01T08:00:00Z')
//   - S_INTERSECTS(geometry, BBOX(…) | WKT) in text, and
//     {"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[…]} | GeoJSON]}
//     in JSON; the geometry is lon/lat on EPSG:4490
//
// ParseText and ParseJSON give the same Expr tree; Compile types it against
// a catalogue layer (a date field compares as a date; an unknown field or a
// literal of the wrong type is an error naming it) and returns a Filter, a
// tree of closures evaluated on a layers.Feature's packed attributes with no
// map per feature. Comparisons with null are unknown (SQL's three-valued
// logic), and only features for which the filter is true match.
//
// No Go library covers both encodings of CQL2 with typing against our
// catalogue (planetlabs/go-ogc reads CQL2-JSON only, into its own types),
// so the parser is ours; it is small and fuzzed.
package cql2

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// Expr is a boolean expression.
type Expr interface {
	// String writes the expression as CQL2-text.
	String() string
}

// Operand is a scalar: a Property or a Literal.
type Operand interface {
	String() string
	operand()
}

// Property names an attribute of the layer.
type Property struct{ Name string }

// LiteralKind says what a literal is.
type LiteralKind int

const (
	StringLit LiteralKind = iota
	NumberLit
	BoolLit
	DateLit      // DATE('YYYY-MM-DD')
	TimestampLit // TIMESTAMP('…Z'), held in UTC
)

// Literal is a constant.
type Literal struct {
	Kind LiteralKind
	Str  string    // StringLit; DateLit as YYYY-MM-DD
	Num  float64   // NumberLit
	Bool bool      // BoolLit
	Time time.Time // TimestampLit (UTC) and DateLit (midnight UTC)
}

func (Property) operand() {}
func (Literal) operand()  {}

func (p Property) String() string { return `"` + strings.ReplaceAll(p.Name, `"`, `""`) + `"` }

func (l Literal) String() string {
	switch l.Kind {
	case NumberLit:
		return strconv.FormatFloat(l.Num, 'g', -1, 64)
	case BoolLit:
		if l.Bool {
			return "TRUE"
		}
		return "FALSE"
	case DateLit:
		return "DATE('" + l.Str + "')"
	case TimestampLit:
		return "TIMESTAMP('" + l.Time.Format(time.RFC3339Nano) + "')"
	}
	return quote(l.Str)
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// And is true when every argument is.
type And struct{ Args []Expr }

// Or is true when any argument is.
type Or struct{ Args []Expr }

// Not negates its argument (unknown stays unknown).
type Not struct{ Arg Expr }

// Comparison is one of = <> < <= > >=.
type Comparison struct {
	Op          string
	Left, Right Operand
}

// Like matches a string against a pattern: % any run, _ one character,
// backslash escapes either.
type Like struct {
	Arg     Operand
	Pattern Operand
}

// Between is Low <= Arg <= High.
type Between struct{ Arg, Low, High Operand }

// In is Arg equal to one of List.
type In struct {
	Arg  Operand
	List []Operand
}

// IsNull is true when the argument is null.
type IsNull struct{ Arg Operand }

// Bool is TRUE or FALSE as a predicate.
type Bool struct{ Value bool }

// Intersects is S_INTERSECTS(Property, Geometry). A BBOX is held as the
// orb.Bound it is.
type Intersects struct {
	Property string
	Geometry orb.Geometry
}

func join(args []Expr, op string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, " "+op+" ") + ")"
}

func (e And) String() string { return join(e.Args, "AND") }
func (e Or) String() string  { return join(e.Args, "OR") }
func (e Not) String() string { return "NOT (" + e.Arg.String() + ")" }
func (e Comparison) String() string {
	return "(" + e.Left.String() + " " + e.Op + " " + e.Right.String() + ")"
}
func (e Like) String() string { return "(" + e.Arg.String() + " LIKE " + e.Pattern.String() + ")" }
func (e Between) String() string {
	return "(" + e.Arg.String() + " BETWEEN " + e.Low.String() + " AND " + e.High.String() + ")"
}
func (e IsNull) String() string { return "(" + e.Arg.String() + " IS NULL)" }
func (e In) String() string {
	parts := make([]string, len(e.List))
	for i, a := range e.List {
		parts[i] = a.String()
	}
	return "(" + e.Arg.String() + " IN (" + strings.Join(parts, ", ") + "))"
}
func (e Bool) String() string { return Literal{Kind: BoolLit, Bool: e.Value}.String() }
func (e Intersects) String() string {
	g := ""
	if b, ok := e.Geometry.(orb.Bound); ok {
		g = fmt.Sprintf("BBOX(%s, %s, %s, %s)", num(b.Min[0]), num(b.Min[1]), num(b.Max[0]), num(b.Max[1]))
	} else {
		g = wkt.MarshalString(e.Geometry)
	}
	return "S_INTERSECTS(" + Property{Name: e.Property}.String() + ", " + g + ")"
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// ErrInvalid is wrapped by every error about a filter the client sent:
// malformed, unknown field, wrong type, unsupported operator (a 400).
var ErrInvalid = errors.New("invalid filter")

// SyntaxError is a filter that does not parse. For CQL2-text, Offset is
// the byte offset; for CQL2-JSON, Path is where in the document.
type SyntaxError struct {
	Offset int
	Path   string
	Msg    string
}

func (e *SyntaxError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("CQL2-JSON at %s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("CQL2-text at offset %d: %s", e.Offset, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return ErrInvalid }

// FieldError is a property the layer does not have.
type FieldError struct {
	Layer, Field string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("layer %s has no field %q", e.Layer, e.Field)
}

func (e *FieldError) Unwrap() error { return ErrInvalid }

// TypeError is a literal or operator that does not fit the field's type.
type TypeError struct {
	Field string // "" when no field is involved
	Msg   string
}

func (e *TypeError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return fmt.Sprintf("field %s: %s", e.Field, e.Msg)
}

func (e *TypeError) Unwrap() error { return ErrInvalid }

// UnsupportedError is a CQL2 operator or literal outside onemap's subset.
type UnsupportedError struct{ What string }

func (e *UnsupportedError) Error() string {
	return e.What + " is not supported: filters take = <> < <= > >= BETWEEN IN LIKE IS NULL AND OR NOT and S_INTERSECTS"
}

func (e *UnsupportedError) Unwrap() error { return ErrInvalid }

// parseDate reads a CQL2 date (YYYY-MM-DD).
func parseDate(s string) (Literal, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != 10 {
		return Literal{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return Literal{Kind: DateLit, Str: s, Time: t}, nil
}

// parseTimestamp reads an RFC 3339 timestamp; it must carry its offset or Z.
func parseTimestamp(s string) (Literal, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Literal{}, fmt.Errorf("%q is not a timestamp such as 2025-01-01T08:00:00Z", s)
	}
	return Literal{Kind: TimestampLit, Time: t.UTC()}, nil
}
