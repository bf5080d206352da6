package cql2

import (
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// GeometryProperties are the names S_INTERSECTS accepts for a feature's
// geometry (case-insensitive).
var GeometryProperties = []string{"geometry", "geom"}

// Options tune Compile.
type Options struct {
	// Intersects tests a feature against the geometry of an S_INTERSECTS
	// (lon/lat; a BBOX comes as an orb.Bound). The query engine passes its
	// own, exact and prepared; nil uses a plain planar test in lon/lat,
	// quadratic in the vertex counts.
	Intersects func(f *layers.Feature, g orb.Geometry) bool
}

// Filter is a compiled filter for one layer. It is immutable and safe for
// concurrent use.
type Filter struct {
	expr   Expr
	layer  *layers.Layer
	root   pred
	geoms  []orb.Geometry
	bound  orb.Bound
	bounds bool
}

// Match says whether the filter is true for the feature (false and
// unknown, as with a null attribute, do not match).
func (f *Filter) Match(feat *layers.Feature) bool { return f.root(feat) == yes }

// Expr is the expression the filter was compiled from.
func (f *Filter) Expr() Expr { return f.expr }

// Geometries lists the geometries of the filter's S_INTERSECTS predicates.
func (f *Filter) Geometries() []orb.Geometry { return f.geoms }

// Bound is a box that every matching feature intersects, when the filter
// implies one (an S_INTERSECTS that must hold, alone or under AND): the
// query engine searches its R-tree with it instead of scanning the layer.
func (f *Filter) Bound() (orb.Bound, bool) { return f.bound, f.bounds }

// tri is three-valued logic: comparisons with null are unknown.
type tri uint8

const (
	no tri = iota
	yes
	unknown
)

func truth(b bool) tri {
	if b {
		return yes
	}
	return no
}

type pred func(*layers.Feature) tri

// class is what a value is compared as.
type class uint8

const (
	clsString class = iota + 1
	clsNumber
	clsDate // strings YYYY-MM-DD, or a timestamp in fixed-width UTC form
	clsBool
)

func (c class) String() string {
	switch c {
	case clsString:
		return "a string"
	case clsNumber:
		return "a number"
	case clsDate:
		return "a date"
	case clsBool:
		return "a boolean"
	}
	return "a value"
}

// value is an operand's value for one feature. Dates and timestamps are
// strings that sort in time order.
type value struct {
	null bool
	s    string
	n    float64
	b    bool
}

// operand is a compiled operand: a constant or a field position.
type operand struct {
	field    int // -1 for a constant
	name     string
	cls      class
	constant value
	lit      *Literal // the literal, for retyping and messages
}

func (o operand) get(f *layers.Feature) value {
	if o.field < 0 {
		return o.constant
	}
	switch x := f.Props.At(o.field).(type) {
	case string:
		return value{s: x}
	case int64:
		return value{n: float64(x)}
	case float64:
		return value{n: x}
	}
	return value{null: true}
}

// Compile types e against the layer and returns its Filter.
func Compile(e Expr, l *layers.Layer, opt Options) (*Filter, error) {
	c := &compiler{layer: l, opt: opt}
	if c.opt.Intersects == nil {
		c.opt.Intersects = func(f *layers.Feature, g orb.Geometry) bool { return planarIntersects(f.Geometry, g) }
	}
	root, err := c.expr(e)
	if err != nil {
		return nil, err
	}
	b, ok := boundOf(e)
	return &Filter{expr: e, layer: l, root: root, geoms: c.geoms, bound: b, bounds: ok}, nil
}

type compiler struct {
	layer *layers.Layer
	opt   Options
	geoms []orb.Geometry
}

func (c *compiler) expr(e Expr) (pred, error) {
	switch x := e.(type) {
	case And:
		ps, err := c.list(x.Args)
		if err != nil {
			return nil, err
		}
		return func(f *layers.Feature) tri {
			r := yes
			for _, p := range ps {
				switch p(f) {
				case no:
					return no
				case unknown:
					r = unknown
				}
			}
			return r
		}, nil
	case Or:
		ps, err := c.list(x.Args)
		if err != nil {
			return nil, err
		}
		return func(f *layers.Feature) tri {
			r := no
			for _, p := range ps {
				switch p(f) {
				case yes:
					return yes
				case unknown:
					r = unknown
				}
			}
			return r
		}, nil
	case Not:
		p, err := c.expr(x.Arg)
		if err != nil {
			return nil, err
		}
		return func(f *layers.Feature) tri {
			switch p(f) {
			case yes:
				return no
			case no:
				return yes
			}
			return unknown
		}, nil
	case Bool:
		v := truth(x.Value)
		return func(*layers.Feature) tri { return v }, nil
	case Comparison:
		return c.comparison(x)
	case Like:
		return c.like(x)
	case Between:
		return c.between(x)
	case In:
		return c.in(x)
	case IsNull:
		o, err := c.operand(x.Arg)
		if err != nil {
			return nil, err
		}
		return func(f *layers.Feature) tri { return truth(o.get(f).null) }, nil
	case Intersects:
		return c.intersects(x)
	}
	return nil, &UnsupportedError{What: fmt.Sprintf("expression %T", e)}
}

func (c *compiler) list(args []Expr) ([]pred, error) {
	ps := make([]pred, len(args))
	for i, a := range args {
		p, err := c.expr(a)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

// field finds a layer field by name: exactly, or ignoring case (the
// catalogue's names are upper case; PostGIS's columns lower case).
func (c *compiler) field(name string) (int, error) {
	if i := c.layer.FieldIndex(name); i >= 0 {
		return i, nil
	}
	for i, f := range c.layer.Fields {
		if strings.EqualFold(f.Name, name) {
			return i, nil
		}
	}
	for _, g := range GeometryProperties {
		if strings.EqualFold(g, name) {
			return -1, &TypeError{Field: name, Msg: "the geometry can only be tested with S_INTERSECTS"}
		}
	}
	return -1, &FieldError{Layer: c.layer.ID, Field: name}
}

func (c *compiler) operand(o Operand) (operand, error) {
	switch x := o.(type) {
	case Property:
		i, err := c.field(x.Name)
		if err != nil {
			return operand{}, err
		}
		f := c.layer.Fields[i]
		cls := clsString
		switch f.Type {
		case layers.Integer, layers.Number:
			cls = clsNumber
		case layers.Date:
			cls = clsDate
		}
		return operand{field: i, name: f.Name, cls: cls}, nil
	case Literal:
		lit := x
		op := operand{field: -1, lit: &lit}
		switch x.Kind {
		case StringLit:
			op.cls, op.constant = clsString, value{s: x.Str}
		case NumberLit:
			op.cls, op.constant = clsNumber, value{n: x.Num}
		case BoolLit:
			op.cls, op.constant = clsBool, value{b: x.Bool}
		case DateLit:
			op.cls, op.constant = clsDate, value{s: x.Str}
		case TimestampLit:
			op.cls, op.constant = clsDate, value{s: timeKey(x.Time)}
		}
		return op, nil
	}
	return operand{}, &UnsupportedError{What: fmt.Sprintf("operand %T", o)}
}

// timeKey writes an instant so that it sorts against YYYY-MM-DD dates:
// midnight UTC is the date itself (equal to a date field of that day),
// any later time the date followed by a fixed-width time (after it).
func timeKey(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}

// unify makes two operands comparable: a string literal beside a date
// field is read as a date; otherwise both must be of one class.
func unify(a, b *operand) error {
	if a.cls == b.cls {
		return nil
	}
	if a.field < 0 && b.field >= 0 {
		return unify(b, a)
	}
	// a is a field or both are constants.
	if a.cls == clsDate && b.field < 0 && b.lit.Kind == StringLit {
		l, err := parseDate(b.lit.Str)
		if err != nil {
			if l, err = parseTimestamp(b.lit.Str); err != nil {
				return &TypeError{Field: a.name, Msg: fmt.Sprintf("is a date: %s is neither a date YYYY-MM-DD nor a timestamp; write DATE('2025-01-01')", b.lit)}
			}
			b.constant = value{s: timeKey(l.Time)}
		} else {
			b.constant = value{s: l.Str}
		}
		b.cls = clsDate
		return nil
	}
	if a.field >= 0 && b.field >= 0 {
		return &TypeError{Field: a.name, Msg: fmt.Sprintf("is %s and cannot be compared with field %s, which is %s", a.cls, b.name, b.cls)}
	}
	if a.field >= 0 {
		return &TypeError{Field: a.name, Msg: fmt.Sprintf("is %s, but %s is %s", a.cls, b.lit, b.cls)}
	}
	return &TypeError{Msg: fmt.Sprintf("%s is %s and %s is %s: they cannot be compared", a.lit, a.cls, b.lit, b.cls)}
}

func compare(cls class, a, b value) int {
	switch cls {
	case clsNumber:
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	case clsBool:
		switch {
		case a.b == b.b:
			return 0
		case !a.b:
			return -1
		}
		return 1
	}
	return strings.Compare(a.s, b.s)
}

func (c *compiler) comparison(x Comparison) (pred, error) {
	l, err := c.operand(x.Left)
	if err != nil {
		return nil, err
	}
	r, err := c.operand(x.Right)
	if err != nil {
		return nil, err
	}
	if err := unify(&l, &r); err != nil {
		return nil, err
	}
	var test func(int) bool
	switch x.Op {
	case "=":
		test = func(c int) bool { return c == 0 }
	case "<>":
		test = func(c int) bool { return c != 0 }
	case "<":
		test = func(c int) bool { return c < 0 }
	case "<=":
		test = func(c int) bool { return c <= 0 }
	case ">":
		test = func(c int) bool { return c > 0 }
	case ">=":
		test = func(c int) bool { return c >= 0 }
	default:
		return nil, &UnsupportedError{What: fmt.Sprintf("comparison %q", x.Op)}
	}
	if l.cls == clsBool && x.Op != "=" && x.Op != "<>" {
		return nil, &TypeError{Msg: fmt.Sprintf("booleans compare with = and <> only, not %s", x.Op)}
	}
	cls := l.cls
	// The usual shape, a field against a constant, reads one value.
	if l.field >= 0 && r.field < 0 {
		k := r.constant
		return func(f *layers.Feature) tri {
			v := l.get(f)
			if v.null {
				return unknown
			}
			return truth(test(compare(cls, v, k)))
		}, nil
	}
	return func(f *layers.Feature) tri {
		a, b := l.get(f), r.get(f)
		if a.null || b.null {
			return unknown
		}
		return truth(test(compare(cls, a, b)))
	}, nil
}

func (c *compiler) between(x Between) (pred, error) {
	v, err := c.operand(x.Arg)
	if err != nil {
		return nil, err
	}
	lo, err := c.operand(x.Low)
	if err != nil {
		return nil, err
	}
	hi, err := c.operand(x.High)
	if err != nil {
		return nil, err
	}
	if err := unify(&v, &lo); err != nil {
		return nil, err
	}
	if err := unify(&v, &hi); err != nil {
		return nil, err
	}
	if v.cls == clsBool {
		return nil, &TypeError{Field: v.name, Msg: "BETWEEN takes numbers, strings or dates, not booleans"}
	}
	cls := v.cls
	return func(f *layers.Feature) tri {
		a, l, h := v.get(f), lo.get(f), hi.get(f)
		if a.null || l.null || h.null {
			return unknown
		}
		return truth(compare(cls, l, a) <= 0 && compare(cls, a, h) <= 0)
	}, nil
}

func (c *compiler) in(x In) (pred, error) {
	v, err := c.operand(x.Arg)
	if err != nil {
		return nil, err
	}
	list := make([]operand, len(x.List))
	constant := true
	for i, o := range x.List {
		if list[i], err = c.operand(o); err != nil {
			return nil, err
		}
		if err := unify(&v, &list[i]); err != nil {
			return nil, err
		}
		constant = constant && list[i].field < 0
	}
	cls := v.cls
	if constant && (cls == clsString || cls == clsDate) && len(list) > 4 {
		set := make(map[string]struct{}, len(list))
		for _, o := range list {
			set[o.constant.s] = struct{}{}
		}
		return func(f *layers.Feature) tri {
			a := v.get(f)
			if a.null {
				return unknown
			}
			_, ok := set[a.s]
			return truth(ok)
		}, nil
	}
	return func(f *layers.Feature) tri {
		a := v.get(f)
		if a.null {
			return unknown
		}
		r := no
		for _, o := range list {
			b := o.get(f)
			if b.null {
				r = unknown
				continue
			}
			if compare(cls, a, b) == 0 {
				return yes
			}
		}
		return r
	}, nil
}

func (c *compiler) like(x Like) (pred, error) {
	v, err := c.operand(x.Arg)
	if err != nil {
		return nil, err
	}
	if v.cls != clsString {
		return nil, &TypeError{Field: v.name, Msg: fmt.Sprintf("LIKE needs a string, and this is %s", v.cls)}
	}
	lit, ok := x.Pattern.(Literal)
	if !ok || lit.Kind != StringLit {
		return nil, &TypeError{Field: v.name, Msg: "LIKE takes a string pattern such as '01%'"}
	}
	m := compileLike(lit.Str)
	return func(f *layers.Feature) tri {
		a := v.get(f)
		if a.null {
			return unknown
		}
		return truth(m.match(a.s))
	}, nil
}

func (c *compiler) intersects(x Intersects) (pred, error) {
	geomProp := false
	for _, g := range GeometryProperties {
		geomProp = geomProp || strings.EqualFold(g, x.Property)
	}
	if !geomProp {
		if i, _ := c.field(x.Property); i >= 0 {
			return nil, &TypeError{Field: c.layer.Fields[i].Name, Msg: "is not a geometry: S_INTERSECTS tests the feature's geometry, named \"geometry\""}
		}
		return nil, &FieldError{Layer: c.layer.ID, Field: x.Property}
	}
	g := x.Geometry
	c.geoms = append(c.geoms, g)
	test := c.opt.Intersects
	gb := g.Bound()
	return func(f *layers.Feature) tri {
		if f.Geometry == nil || !f.Geometry.Bound().Intersects(gb) {
			return no
		}
		return truth(test(f, g))
	}, nil
}

// boundOf is a box every feature satisfying e intersects, if e implies one.
func boundOf(e Expr) (orb.Bound, bool) {
	switch x := e.(type) {
	case Intersects:
		return x.Geometry.Bound(), true
	case And:
		var b orb.Bound
		found := false
		for _, a := range x.Args {
			ab, ok := boundOf(a)
			if !ok {
				continue
			}
			if !found {
				b, found = ab, true
				continue
			}
			if !b.Intersects(ab) {
				// Nothing can match; an empty box at the first one's corner says so.
				return orb.Bound{Min: b.Min, Max: b.Min}, true
			}
			b = orb.Bound{
				Min: orb.Point{max(b.Min[0], ab.Min[0]), max(b.Min[1], ab.Min[1])},
				Max: orb.Point{min(b.Max[0], ab.Max[0]), min(b.Max[1], ab.Max[1])},
			}
		}
		return b, found
	case Or:
		var b orb.Bound
		for i, a := range x.Args {
			ab, ok := boundOf(a)
			if !ok {
				return orb.Bound{}, false
			}
			if i == 0 {
				b = ab
			} else {
				b = b.Union(ab)
			}
		}
		return b, len(x.Args) > 0
	}
	return orb.Bound{}, false
}

// Equals builds FIELD = value from a query parameter (OGC API Features'
// simple filters), reading the text as the field's type.
func Equals(l *layers.Layer, field, text string) (Expr, error) {
	c := &compiler{layer: l}
	i, err := c.field(field)
	if err != nil {
		return nil, err
	}
	f := l.Fields[i]
	var lit Literal
	switch f.Type {
	case layers.Integer, layers.Number:
		n, err := finite(text)
		if err != nil {
			return nil, &TypeError{Field: f.Name, Msg: fmt.Sprintf("is a number: %q is not", text)}
		}
		lit = Literal{Kind: NumberLit, Num: n}
	case layers.Date:
		d, err := parseDate(text)
		if err != nil {
			return nil, &TypeError{Field: f.Name, Msg: "is a date: " + err.Error()}
		}
		lit = d
	default:
		lit = Literal{Kind: StringLit, Str: text}
	}
	return Comparison{Op: "=", Left: Property{Name: f.Name}, Right: lit}, nil
}
