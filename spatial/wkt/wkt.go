// Package wkt reads Well-Known Text geometries (OGC Simple Features 1.2.1,
// with PostGIS's "SRID=n;" prefix) into orb geometries, strictly: every
// malformed input is an error that says where and what, numbers are finite
// decimal literals (no NaN, no Inf, no hex), and Z and M values are read
// and dropped. orb's own encoding/wkt splits the text with regular
// expressions, accepts NaN and gives no position, which is not enough for
// input that comes from ministries' clients.
//
// Scan reads a geometry embedded in longer text (CQL2-text uses it).
package wkt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// maxDepth bounds GEOMETRYCOLLECTION nesting, so that hostile input cannot
// exhaust the stack.
const maxDepth = 32

// SyntaxError is malformed WKT, with the byte offset where reading stopped.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("wkt: at offset %d: %s", e.Offset, e.Msg) }

// Parse reads exactly one geometry; only white space may follow it. An
// EWKT "SRID=n;" prefix is accepted and ignored: use ParseSRID to read it.
func Parse(s string) (orb.Geometry, error) {
	g, _, err := ParseSRID(s)
	return g, err
}

// ParseSRID is Parse that also returns the SRID of an EWKT prefix (0 when
// there is none).
func ParseSRID(s string) (orb.Geometry, int, error) {
	p := &parser{s: s}
	p.space()
	srid := 0
	if len(s)-p.i >= 5 && strings.EqualFold(s[p.i:p.i+5], "SRID=") {
		p.i += 5
		start := p.i
		for p.i < len(s) && s[p.i] >= '0' && s[p.i] <= '9' {
			p.i++
		}
		n, err := strconv.Atoi(s[start:p.i])
		if err != nil || p.i-start > 9 {
			return nil, 0, p.fail(start, "SRID must be a positive integer")
		}
		p.space()
		if !p.eat(';') {
			return nil, 0, p.fail(p.i, `expected ";" after the SRID`)
		}
		srid = n
	}
	g, err := p.geometry(0)
	if err != nil {
		return nil, 0, err
	}
	p.space()
	if p.i < len(s) {
		return nil, 0, p.fail(p.i, fmt.Sprintf("unexpected %s after the geometry", p.near()))
	}
	return g, srid, nil
}

// Scan reads one geometry starting at byte offset off of s (after white
// space) and returns it with the offset just past it. Errors carry offsets
// into s.
func Scan(s string, off int) (orb.Geometry, int, error) {
	p := &parser{s: s, i: off}
	g, err := p.geometry(0)
	if err != nil {
		return nil, off, err
	}
	return g, p.i, nil
}

type parser struct {
	s    string
	i    int
	dims int // coordinates per point in the current geometry, 0 until known
}

func (p *parser) fail(at int, msg string) error { return &SyntaxError{Offset: at, Msg: msg} }

func (p *parser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// near describes what stands at the current offset, for messages.
func (p *parser) near() string {
	if p.i >= len(p.s) {
		return "end of text"
	}
	end := min(len(p.s), p.i+12)
	return strconv.Quote(p.s[p.i:end])
}

func (p *parser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(c byte) error {
	if !p.eat(c) {
		return p.fail(p.i, fmt.Sprintf("expected %q, found %s", c, p.near()))
	}
	return nil
}

func (p *parser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			p.i++
			continue
		}
		break
	}
	return strings.ToUpper(p.s[start:p.i])
}

// peekWord returns the next word without consuming it.
func (p *parser) peekWord() string {
	save := p.i
	w := p.word()
	p.i = save
	return w
}

func (p *parser) geometry(depth int) (orb.Geometry, error) {
	p.space()
	start := p.i
	kind := p.word()
	if kind == "" {
		return nil, p.fail(start, fmt.Sprintf("expected a geometry type such as POLYGON, found %s", p.near()))
	}
	p.dims = 0
	switch w := p.peekWord(); w {
	case "Z", "M":
		p.word()
		p.dims = 3
	case "ZM":
		p.word()
		p.dims = 4
	}
	if p.peekWord() == "EMPTY" {
		p.word()
		return empty(kind, start, p)
	}
	switch kind {
	case "POINT":
		if err := p.expect('('); err != nil {
			return nil, err
		}
		pt, err := p.point()
		if err != nil {
			return nil, err
		}
		return pt, p.expect(')')
	case "LINESTRING":
		ls, err := p.points()
		return orb.LineString(ls), err
	case "POLYGON":
		return p.polygon()
	case "MULTIPOINT":
		return p.multiPoint()
	case "MULTILINESTRING":
		var ml orb.MultiLineString
		err := p.list(func() error {
			if p.peekWord() == "EMPTY" {
				p.word()
				return nil
			}
			ls, err := p.points()
			ml = append(ml, orb.LineString(ls))
			return err
		})
		return ml, err
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err := p.list(func() error {
			if p.peekWord() == "EMPTY" {
				p.word()
				return nil
			}
			poly, err := p.polygon()
			if len(poly) > 0 {
				mp = append(mp, poly)
			}
			return err
		})
		return mp, err
	case "GEOMETRYCOLLECTION":
		if depth >= maxDepth {
			return nil, p.fail(start, fmt.Sprintf("geometry collections nested deeper than %d", maxDepth))
		}
		var c orb.Collection
		err := p.list(func() error {
			g, err := p.geometry(depth + 1)
			if err == nil && !isEmpty(g) {
				c = append(c, g)
			}
			return err
		})
		return c, err
	}
	return nil, p.fail(start, fmt.Sprintf("unknown geometry type %q", kind))
}

func empty(kind string, at int, p *parser) (orb.Geometry, error) {
	switch kind {
	case "POINT":
		// orb has no empty point; a MultiPoint with none says "nothing".
		return orb.MultiPoint{}, nil
	case "LINESTRING":
		return orb.LineString{}, nil
	case "POLYGON":
		return orb.Polygon{}, nil
	case "MULTIPOINT":
		return orb.MultiPoint{}, nil
	case "MULTILINESTRING":
		return orb.MultiLineString{}, nil
	case "MULTIPOLYGON":
		return orb.MultiPolygon{}, nil
	case "GEOMETRYCOLLECTION":
		return orb.Collection{}, nil
	}
	return nil, p.fail(at, fmt.Sprintf("unknown geometry type %q", kind))
}

func isEmpty(g orb.Geometry) bool {
	switch v := g.(type) {
	case orb.MultiPoint:
		return len(v) == 0
	case orb.LineString:
		return len(v) == 0
	case orb.Polygon:
		return len(v) == 0
	case orb.MultiLineString:
		return len(v) == 0
	case orb.MultiPolygon:
		return len(v) == 0
	case orb.Collection:
		return len(v) == 0
	}
	return false
}

// list reads "(" item {"," item} ")".
func (p *parser) list(item func() error) error {
	if err := p.expect('('); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if p.eat(',') {
			continue
		}
		return p.expect(')')
	}
}

func (p *parser) points() ([]orb.Point, error) {
	var pts []orb.Point
	err := p.list(func() error {
		pt, err := p.point()
		pts = append(pts, pt)
		return err
	})
	return pts, err
}

func (p *parser) polygon() (orb.Polygon, error) {
	var poly orb.Polygon
	err := p.list(func() error {
		if p.peekWord() == "EMPTY" {
			p.word()
			return nil
		}
		r, err := p.points()
		poly = append(poly, orb.Ring(r))
		return err
	})
	return poly, err
}

// multiPoint reads both MULTIPOINT(1 2, 3 4) and MULTIPOINT((1 2), (3 4)).
func (p *parser) multiPoint() (orb.MultiPoint, error) {
	var mp orb.MultiPoint
	err := p.list(func() error {
		if p.peekWord() == "EMPTY" {
			p.word()
			return nil
		}
		if p.eat('(') {
			pt, err := p.point()
			if err != nil {
				return err
			}
			mp = append(mp, pt)
			return p.expect(')')
		}
		pt, err := p.point()
		mp = append(mp, pt)
		return err
	})
	return mp, err
}

// point reads 2 to 4 numbers (x y [z [m]]) and keeps x and y. Within one
// geometry every point has as many numbers as the first, or as its Z/M tag
// says.
func (p *parser) point() (orb.Point, error) {
	p.space()
	start := p.i
	var v [4]float64
	n := 0
	for n < 4 {
		p.space()
		if p.i >= len(p.s) || !startsNumber(p.s[p.i]) {
			break
		}
		f, err := p.number()
		if err != nil {
			return orb.Point{}, err
		}
		v[n] = f
		n++
	}
	switch {
	case n < 2:
		return orb.Point{}, p.fail(p.i, fmt.Sprintf("expected a coordinate (x y), found %s", p.near()))
	case p.dims == 0:
		p.dims = n
	case n != p.dims:
		return orb.Point{}, p.fail(start, fmt.Sprintf("point has %d coordinates, the geometry's other points %d", n, p.dims))
	}
	return orb.Point{v[0], v[1]}, nil
}

func startsNumber(c byte) bool { return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' }

// number reads [+-] digits [. digits] [e [+-] digits], finite only.
func (p *parser) number() (float64, error) {
	start := p.i
	s := p.s
	i := p.i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, p.fail(start, fmt.Sprintf("malformed number %s", strconv.Quote(s[start:min(len(s), i+1)])))
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return 0, p.fail(start, fmt.Sprintf("malformed exponent in %s", strconv.Quote(s[start:i])))
		}
	}
	// A number runs into a letter or another sign only when malformed
	// ("12abc", "1-2", "NaN" after digits).
	if i < len(s) {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '.' || c == '+' || c == '-' || c == '_' {
			return 0, p.fail(start, fmt.Sprintf("malformed number %s", strconv.Quote(s[start:min(len(s), i+1)])))
		}
	}
	f, err := strconv.ParseFloat(s[start:i], 64)
	if err != nil {
		return 0, p.fail(start, fmt.Sprintf("number %s is out of range", s[start:i]))
	}
	p.i = i
	return f, nil
}
