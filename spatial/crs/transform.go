package crs

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-proj/v11"
)

// CoordinateError is a coordinate that cannot be transformed: not finite,
// outside its CRS's range (a latitude beyond 90°, an easting whose prefix
// names another zone) or outside the area PROJ can project. A 422 for the API.
type CoordinateError struct {
	EPSG   int
	Index  int // 0-based position of the point in the geometry's walk order
	X, Y   float64
	Reason string
}

func (e *CoordinateError) Error() string {
	return fmt.Sprintf("point %d (%s %s) in EPSG:%d: %s", e.Index+1, num(e.X), num(e.Y), e.EPSG, e.Reason)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Transform returns g with its coordinates converted from the CRS from to
// the CRS to (EPSG codes, see the package comment), easting or longitude
// first on both sides. g itself is not changed. Between 4490 and 4326 the
// coordinates are copied unchanged, as PROJ does. Every input coordinate is
// checked first: a *CoordinateError names the first bad one.
func Transform(ctx context.Context, g orb.Geometry, from, to int) (orb.Geometry, error) {
	src, err := Lookup(from)
	if err != nil {
		return nil, err
	}
	dst, err := Lookup(to)
	if err != nil {
		return nil, err
	}
	switch g.(type) {
	case nil:
		return nil, nil
	case orb.Bound:
		// A box in one CRS is no box in another: callers convert it to
		// the polygon they mean first.
		return nil, fmt.Errorf("crs: transform a Bound as a Polygon")
	}
	buf := gather(g)
	if err := check(src, buf); err != nil {
		return nil, err
	}
	if src.ZoneWidth != 0 || dst.ZoneWidth != 0 {
		w, err := pool.get(ctx)
		if err != nil {
			return nil, err
		}
		err = w.transform(src, dst, buf)
		pool.put(w)
		if err != nil {
			return nil, err
		}
		if err := checkOut(src, dst, buf); err != nil {
			return nil, err
		}
	}
	switch g.(type) {
	case orb.Point: // values: walk reaches only a copy
		return orb.Point{buf[0], buf[1]}, nil
	}
	out := orb.Clone(g)
	scatter(out, buf)
	return out, nil
}

// ToCGCS2000 converts g from the CRS from to lon/lat on EPSG:4490.
func ToCGCS2000(ctx context.Context, g orb.Geometry, from int) (orb.Geometry, error) {
	return Transform(ctx, g, from, CGCS2000)
}

// check refuses coordinates no CRS of ours can hold, before PROJ sees them.
func check(c CRS, buf []float64) error {
	for i := 0; i < len(buf); i += 2 {
		x, y := buf[i], buf[i+1]
		bad := func(reason string) error {
			return &CoordinateError{EPSG: c.EPSG, Index: i / 2, X: x, Y: y, Reason: reason}
		}
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return bad("coordinate is not a finite number")
		}
		if c.Geographic() {
			if x < -180 || x > 180 {
				return bad("longitude is outside -180…180")
			}
			if y < -90 || y > 90 {
				return bad("latitude is outside -90…90")
			}
			continue
		}
		// Eastings lie within a few hundred km of the central meridian, so
		// a prefixed one starts with the zone number; an unprefixed one is
		// positive and below 10⁶. Lon/lat sent as a zone also fails here.
		if c.ZonePrefix {
			if z := math.Floor(x / 1e6); z != float64(c.Zone) {
				return bad(fmt.Sprintf("easting does not start with the zone number %d of %s (easting first, then northing)", c.Zone, c.Name))
			}
		} else if x <= 0 || x >= 1e6 {
			return bad(fmt.Sprintf("easting is outside 0…1 000 000 m, the range of %s without zone prefix (easting first, then northing)", c.Name))
		}
		if y < 0 || y > 1e7 {
			return bad("northing is outside 0…10 000 000 m (northern hemisphere)")
		}
	}
	return nil
}

// checkOut refuses results PROJ could not compute and zone coordinates that
// lie so far from the central meridian (more than a zone's width) that the
// projection is no longer meaningful.
func checkOut(src, dst CRS, buf []float64) error {
	for i := 0; i < len(buf); i += 2 {
		x, y := buf[i], buf[i+1]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return &CoordinateError{EPSG: src.EPSG, Index: i / 2, X: x, Y: y, Reason: fmt.Sprintf("PROJ cannot transform it to EPSG:%d", dst.EPSG)}
		}
		if src.ZoneWidth != 0 && dst.Geographic() && math.Abs(x-src.CentralMeridian) > float64(src.ZoneWidth) {
			return &CoordinateError{EPSG: src.EPSG, Index: i / 2, X: x, Y: y, Reason: fmt.Sprintf("lies at %.4f°E, more than %d° from the central meridian %g°E of %s", x, src.ZoneWidth, src.CentralMeridian, src.Name)}
		}
	}
	return nil
}

// gather copies every coordinate of g, in walk order, into one flat slice
// so that PROJ transforms the whole geometry in one call.
func gather(g orb.Geometry) []float64 {
	var buf []float64
	walk(g, func(p *orb.Point) { buf = append(buf, p[0], p[1]) })
	return buf
}

func scatter(g orb.Geometry, buf []float64) {
	i := 0
	walk(g, func(p *orb.Point) { p[0], p[1] = buf[i], buf[i+1]; i += 2 })
}

// walk visits every point of g in a fixed order, by pointer. A bare Point
// held in the interface is a value, so fn sees a copy of it;
// Transform builds those results itself.
func walk(g orb.Geometry, fn func(*orb.Point)) {
	switch v := g.(type) {
	case orb.Point:
		fn(&v)
	case orb.MultiPoint:
		for i := range v {
			fn(&v[i])
		}
	case orb.LineString:
		for i := range v {
			fn(&v[i])
		}
	case orb.Ring:
		for i := range v {
			fn(&v[i])
		}
	case orb.MultiLineString:
		for _, l := range v {
			walk(l, fn)
		}
	case orb.Polygon:
		for _, r := range v {
			walk(r, fn)
		}
	case orb.MultiPolygon:
		for _, p := range v {
			walk(p, fn)
		}
	case orb.Collection:
		for i, m := range v {
			if p, ok := m.(orb.Point); ok {
				// Points in a collection are values: replace the element.
				fn(&p)
				v[i] = p
				continue
			}
			walk(m, fn)
		}
	}
}

// worker owns one PROJ context, which is not safe for concurrent use, and
// the transformations it has built, one per zone.
type worker struct {
	ctx *proj.Context
	pjs map[int]*proj.PJ // zone EPSG → 4490→zone, axis order normalised
}

// transform converts buf in place. At least one side is a zone; 4326 is
// treated as 4490 (PROJ's own operation between them is a no-op).
func (w *worker) transform(src, dst CRS, buf []float64) error {
	if src.ZoneWidth != 0 {
		pj, err := w.pj(src.EPSG)
		if err != nil {
			return err
		}
		if err := pj.TransFlatCoords(proj.DirectionInv, buf, 2, -1, -1); err != nil {
			return &CoordinateError{EPSG: src.EPSG, Index: -1, Reason: "PROJ: " + err.Error()}
		}
	}
	if dst.ZoneWidth != 0 {
		if err := finite(src, buf); err != nil {
			return err
		}
		pj, err := w.pj(dst.EPSG)
		if err != nil {
			return err
		}
		if err := pj.TransFlatCoords(proj.DirectionFwd, buf, 2, -1, -1); err != nil {
			return &CoordinateError{EPSG: src.EPSG, Index: -1, Reason: "PROJ: " + err.Error()}
		}
	}
	return nil
}

func finite(src CRS, buf []float64) error {
	for i := 0; i < len(buf); i += 2 {
		if math.IsInf(buf[i], 0) || math.IsNaN(buf[i]) || math.IsInf(buf[i+1], 0) || math.IsNaN(buf[i+1]) {
			return &CoordinateError{EPSG: src.EPSG, Index: i / 2, X: buf[i], Y: buf[i+1], Reason: "PROJ cannot transform it"}
		}
	}
	return nil
}

func (w *worker) pj(epsg int) (*proj.PJ, error) {
	if pj := w.pjs[epsg]; pj != nil {
		return pj, nil
	}
	raw, err := w.ctx.NewCRSToCRS("EPSG:4490", "EPSG:"+strconv.Itoa(epsg), nil)
	if err != nil {
		return nil, fmt.Errorf("proj: EPSG:4490 to EPSG:%d: %w", epsg, err)
	}
	pj, err := raw.NormalizeForVisualization()
	if err != nil {
		return nil, fmt.Errorf("proj: normalise axis order of EPSG:4490 to EPSG:%d: %w", epsg, err)
	}
	w.pjs[epsg] = pj
	return pj, nil
}

// workers hands out PROJ workers, at most one per core, made on first need
// and kept (a sync.Pool would drop them at every GC, and building a
// transformation reads PROJ's database: milliseconds).
type workers struct {
	free chan *worker
	made chan struct{} // a token per worker that may still be made
}

var pool = newWorkers(runtime.GOMAXPROCS(0))

func newWorkers(n int) *workers {
	p := &workers{free: make(chan *worker, n), made: make(chan struct{}, n)}
	for range n {
		p.made <- struct{}{}
	}
	return p
}

func (p *workers) get(ctx context.Context) (*worker, error) {
	select {
	case w := <-p.free:
		return w, nil
	default:
	}
	select {
	case w := <-p.free:
		return w, nil
	case <-p.made:
		return &worker{ctx: proj.NewContext(), pjs: map[int]*proj.PJ{}}, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a PROJ context: %w", ctx.Err())
	}
}

func (p *workers) put(w *worker) { p.free <- w }
