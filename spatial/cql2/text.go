package cql2

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/spatial/wkt"
)

// ParseText reads a CQL2-text filter.
func ParseText(s string) (Expr, error) {
	p := &textParser{src: s}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, p.fail("the filter is empty")
	}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.fail(fmt.Sprintf("unexpected %s after the filter", p.tok))
	}
	return e, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokQuotedIdent
	tokString
	tokNumber
	tokPunct // ( ) ,
	tokOp    // = <> < <= > >=
)

type token struct {
	kind tokKind
	text string // identifier, unquoted string, number text, punctuation or operator
	off  int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of filter"
	case tokString:
		return quote(t.text)
	case tokQuotedIdent:
		return `"` + t.text + `"`
	}
	return fmt.Sprintf("%q", t.text)
}

// is says whether the token is the keyword kw (case-insensitive).
func (t token) is(kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, kw) }

type textParser struct {
	src string
	pos int // next byte to lex
	tok token
}

func (p *textParser) fail(msg string) error { return &SyntaxError{Offset: p.tok.off, Msg: msg} }

func (p *textParser) advance() error {
	s := p.src
	for p.pos < len(s) && (s[p.pos] == ' ' || s[p.pos] == '\t' || s[p.pos] == '\n' || s[p.pos] == '\r') {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(s) {
		p.tok = token{kind: tokEOF, off: start}
		return nil
	}
	c := s[p.pos]
	switch {
	case c == '(' || c == ')' || c == ',':
		p.pos++
		p.tok = token{kind: tokPunct, text: string(c), off: start}
	case c == '=':
		p.pos++
		p.tok = token{kind: tokOp, text: "=", off: start}
	case c == '<':
		p.pos++
		op := "<"
		if p.pos < len(s) && (s[p.pos] == '=' || s[p.pos] == '>') {
			op += string(s[p.pos])
			p.pos++
		}
		p.tok = token{kind: tokOp, text: op, off: start}
	case c == '>':
		p.pos++
		op := ">"
		if p.pos < len(s) && s[p.pos] == '=' {
			op = ">="
			p.pos++
		}
		p.tok = token{kind: tokOp, text: op, off: start}
	case c == '\'':
		var b strings.Builder
		p.pos++
		for {
			if p.pos >= len(s) {
				return &SyntaxError{Offset: start, Msg: "string literal is not closed with '"}
			}
			if s[p.pos] == '\'' {
				if p.pos+1 < len(s) && s[p.pos+1] == '\'' { // '' is a quote
					b.WriteByte('\'')
					p.pos += 2
					continue
				}
				p.pos++
				break
			}
			b.WriteByte(s[p.pos])
			p.pos++
		}
		if !utf8.ValidString(b.String()) {
			return &SyntaxError{Offset: start, Msg: "string literal is not valid UTF-8"}
		}
		p.tok = token{kind: tokString, text: b.String(), off: start}
	case c == '"':
		var b strings.Builder
		p.pos++
		for {
			if p.pos >= len(s) {
				return &SyntaxError{Offset: start, Msg: `quoted property name is not closed with "`}
			}
			if s[p.pos] == '"' {
				if p.pos+1 < len(s) && s[p.pos+1] == '"' {
					b.WriteByte('"')
					p.pos += 2
					continue
				}
				p.pos++
				break
			}
			b.WriteByte(s[p.pos])
			p.pos++
		}
		if b.Len() == 0 {
			return &SyntaxError{Offset: start, Msg: "empty property name"}
		}
		p.tok = token{kind: tokQuotedIdent, text: b.String(), off: start}
	case c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+':
		i := p.pos
		if s[i] == '-' || s[i] == '+' {
			i++
		}
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
			(s[i] == '-' || s[i] == '+') && (s[i-1] == 'e' || s[i-1] == 'E')) {
			i++
		}
		p.pos = i
		p.tok = token{kind: tokNumber, text: s[start:i], off: start}
		if i < len(s) && isIdentByte(s, i) {
			return &SyntaxError{Offset: start, Msg: fmt.Sprintf("malformed number %q", s[start:i+1])}
		}
	default:
		r, w := utf8.DecodeRuneInString(s[p.pos:])
		if !unicode.IsLetter(r) && r != '_' {
			return &SyntaxError{Offset: start, Msg: fmt.Sprintf("unexpected character %q", r)}
		}
		p.pos += w
		for p.pos < len(s) && isIdentByte(s, p.pos) {
			_, w := utf8.DecodeRuneInString(s[p.pos:])
			p.pos += w
		}
		p.tok = token{kind: tokIdent, text: s[start:p.pos], off: start}
	}
	return nil
}

// isIdentByte: identifiers hold letters, digits, _ , : and . (STAC-style
// names such as eo:cloud_cover are CQL2 identifiers too).
func isIdentByte(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == ':' || r == '.'
}

func (p *textParser) expect(kind tokKind, text string) error {
	if p.tok.kind != kind || (text != "" && p.tok.text != text) {
		return p.fail(fmt.Sprintf("expected %q, found %s", text, p.tok))
	}
	return p.advance()
}

func (p *textParser) expectKeyword(kw string) error {
	if !p.tok.is(kw) {
		return p.fail(fmt.Sprintf("expected %s, found %s", kw, p.tok))
	}
	return p.advance()
}

func (p *textParser) or(depth int) (Expr, error) {
	first, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	args := []Expr{first}
	for p.tok.is("OR") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return first, nil
	}
	return Or{Args: args}, nil
}

func (p *textParser) and(depth int) (Expr, error) {
	first, err := p.not(depth)
	if err != nil {
		return nil, err
	}
	args := []Expr{first}
	for p.tok.is("AND") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.not(depth)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return first, nil
	}
	return And{Args: args}, nil
}

func (p *textParser) not(depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, p.fail(fmt.Sprintf("nested deeper than %d", maxDepth))
	}
	if p.tok.is("NOT") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.not(depth + 1)
		if err != nil {
			return nil, err
		}
		return Not{Arg: e}, nil
	}
	return p.primary(depth)
}

func (p *textParser) primary(depth int) (Expr, error) {
	switch {
	case p.tok.kind == tokPunct && p.tok.text == "(":
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		return e, p.expect(tokPunct, ")")
	case p.tok.is("S_INTERSECTS"):
		return p.intersects()
	case p.tok.kind == tokIdent && isSpatialOp(p.tok.text):
		return nil, &UnsupportedError{What: "spatial operator " + strings.ToUpper(p.tok.text)}
	case p.tok.is("TRUE") || p.tok.is("FALSE"):
		// A boolean literal alone is a predicate; followed by an operator it
		// is an operand, which the predicate below reads.
		save, tok := p.pos, p.tok
		v := p.tok.is("TRUE")
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokEOF || p.tok.is("AND") || p.tok.is("OR") || (p.tok.kind == tokPunct && p.tok.text == ")") {
			return Bool{Value: v}, nil
		}
		p.pos, p.tok = save, tok
	}
	return p.predicate()
}

func isSpatialOp(s string) bool {
	switch strings.ToUpper(s) {
	case "S_CONTAINS", "S_CROSSES", "S_DISJOINT", "S_EQUALS", "S_OVERLAPS", "S_TOUCHES", "S_WITHIN",
		"T_AFTER", "T_BEFORE", "T_CONTAINS", "T_DISJOINT", "T_DURING", "T_EQUALS", "T_FINISHEDBY",
		"T_FINISHES", "T_INTERSECTS", "T_MEETS", "T_METBY", "T_OVERLAPPEDBY", "T_OVERLAPS",
		"T_STARTEDBY", "T_STARTS", "A_CONTAINEDBY", "A_CONTAINS", "A_EQUALS", "A_OVERLAPS":
		return true
	}
	return false
}

// predicate reads scalar ( op scalar | [NOT] LIKE | [NOT] BETWEEN | [NOT] IN | IS [NOT] NULL ).
func (p *textParser) predicate() (Expr, error) {
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tokOp {
		op := p.tok.text
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return Comparison{Op: op, Left: left, Right: right}, nil
	}
	if p.tok.is("IS") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		neg := false
		if p.tok.is("NOT") {
			neg = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if err := p.expectKeyword("NULL"); err != nil {
			return nil, err
		}
		return negate(IsNull{Arg: left}, neg), nil
	}
	neg := false
	if p.tok.is("NOT") {
		neg = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	switch {
	case p.tok.is("LIKE"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		pat, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return negate(Like{Arg: left, Pattern: pat}, neg), nil
	case p.tok.is("BETWEEN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		lo, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if err := p.expectKeyword("AND"); err != nil {
			return nil, err
		}
		hi, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return negate(Between{Arg: left, Low: lo, High: hi}, neg), nil
	case p.tok.is("IN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.expect(tokPunct, "("); err != nil {
			return nil, err
		}
		in := In{Arg: left}
		for {
			o, err := p.scalar()
			if err != nil {
				return nil, err
			}
			in.List = append(in.List, o)
			if p.tok.kind == tokPunct && p.tok.text == "," {
				if err := p.advance(); err != nil {
					return nil, err
				}
				continue
			}
			break
		}
		if err := p.expect(tokPunct, ")"); err != nil {
			return nil, err
		}
		return negate(in, neg), nil
	}
	if neg {
		return nil, p.fail(fmt.Sprintf("expected LIKE, BETWEEN or IN after NOT, found %s", p.tok))
	}
	return nil, p.fail(fmt.Sprintf("expected a comparison (= <> < <= > >=), LIKE, BETWEEN, IN or IS NULL after %s, found %s", left, p.tok))
}

func negate(e Expr, neg bool) Expr {
	if neg {
		return Not{Arg: e}
	}
	return e
}

// scalar reads a property, a literal, DATE('…') or TIMESTAMP('…').
func (p *textParser) scalar() (Operand, error) {
	t := p.tok
	switch t.kind {
	case tokString:
		return Literal{Kind: StringLit, Str: t.text}, p.advance()
	case tokNumber:
		f, err := finite(t.text)
		if err != nil {
			return nil, p.fail(err.Error())
		}
		return Literal{Kind: NumberLit, Num: f}, p.advance()
	case tokQuotedIdent:
		return Property{Name: t.text}, p.advance()
	case tokIdent:
		switch {
		case t.is("TRUE") || t.is("FALSE"):
			return Literal{Kind: BoolLit, Bool: t.is("TRUE")}, p.advance()
		case t.is("DATE") || t.is("TIMESTAMP"):
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind != tokPunct || p.tok.text != "(" {
				// DATE alone is a property that happens to be so named.
				return Property{Name: t.text}, nil
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind != tokString {
				return nil, p.fail(fmt.Sprintf("%s takes a quoted string, found %s", strings.ToUpper(t.text), p.tok))
			}
			var l Literal
			var err error
			if t.is("DATE") {
				l, err = parseDate(p.tok.text)
			} else {
				l, err = parseTimestamp(p.tok.text)
			}
			if err != nil {
				return nil, p.fail(err.Error())
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
			return l, p.expect(tokPunct, ")")
		case t.is("INTERVAL"):
			return nil, &UnsupportedError{What: "INTERVAL"}
		case t.is("AND") || t.is("OR") || t.is("NOT") || t.is("LIKE") || t.is("BETWEEN") || t.is("IN") || t.is("IS") || t.is("NULL"):
			return nil, p.fail(fmt.Sprintf("expected a property or a value, found the keyword %s", strings.ToUpper(t.text)))
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokPunct && p.tok.text == "(" {
			return nil, &UnsupportedError{What: "function " + t.text + "()"}
		}
		return Property{Name: t.text}, nil
	}
	return nil, p.fail(fmt.Sprintf("expected a property or a value, found %s", t))
}

// intersects reads S_INTERSECTS(property, geometry) in either order.
func (p *textParser) intersects() (Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expect(tokPunct, "("); err != nil {
		return nil, err
	}
	var prop string
	var geom orb.Geometry
	for i := 0; i < 2; i++ {
		if i == 1 {
			if err := p.expect(tokPunct, ","); err != nil {
				return nil, err
			}
		}
		switch {
		case p.tok.is("BBOX"):
			g, err := p.bbox()
			if err != nil {
				return nil, err
			}
			geom = g
		case p.tok.kind == tokIdent && isWKTType(p.tok.text):
			g, end, err := wkt.Scan(p.src, p.tok.off)
			if err != nil {
				var se *wkt.SyntaxError
				if errors.As(err, &se) {
					return nil, &SyntaxError{Offset: se.Offset, Msg: "geometry: " + se.Msg}
				}
				return nil, err
			}
			var ok bool
			if geom, ok = tidy(g); !ok {
				return nil, p.fail("the geometry is empty")
			}
			if err := outside(geom); err != nil {
				return nil, p.fail(err.Error())
			}
			p.pos = end
			if err := p.advance(); err != nil {
				return nil, err
			}
		case p.tok.kind == tokIdent || p.tok.kind == tokQuotedIdent:
			prop = p.tok.text
			if err := p.advance(); err != nil {
				return nil, err
			}
		default:
			return nil, p.fail(fmt.Sprintf("S_INTERSECTS takes a geometry property and a BBOX or WKT geometry, found %s", p.tok))
		}
	}
	if prop == "" || geom == nil {
		return nil, p.fail("S_INTERSECTS takes one geometry property and one BBOX or WKT geometry")
	}
	return Intersects{Property: prop, Geometry: geom}, p.expect(tokPunct, ")")
}

func isWKTType(s string) bool {
	switch strings.ToUpper(s) {
	case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION":
		return true
	}
	return false
}

func (p *textParser) bbox() (orb.Geometry, error) {
	start := p.tok.off
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expect(tokPunct, "("); err != nil {
		return nil, err
	}
	var nums []float64
	for {
		if p.tok.kind != tokNumber {
			return nil, p.fail(fmt.Sprintf("BBOX takes numbers, found %s", p.tok))
		}
		f, err := finite(p.tok.text)
		if err != nil {
			return nil, p.fail(err.Error())
		}
		nums = append(nums, f)
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokPunct && p.tok.text == "," {
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		break
	}
	if err := p.expect(tokPunct, ")"); err != nil {
		return nil, err
	}
	b, err := bbox(nums)
	if err != nil {
		return nil, &SyntaxError{Offset: start, Msg: "BBOX: " + err.Error()}
	}
	return b, nil
}
