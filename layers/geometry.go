package layers

import (
	"fmt"
	"iter"
	"math"

	"github.com/paulmach/orb"
)

// NormalizeGeometry checks a geometry against the layer's declared type and
// returns it in storage form: Polygon promoted to MultiPolygon, LineString to
// MultiLineString. It checks coordinates (finite, lon within ±180, lat within
// ±90), rings (closed, at least 4 points) and lines (at least 2 distinct
// points). OGC validity (self-intersections and the like) is checked by GEOS
// in spatial/topology, not here.
func (l *Layer) NormalizeGeometry(g orb.Geometry) (orb.Geometry, error) {
	fail := func(p Problem) error { return &ValidationError{Layer: l.ID, Problems: Problems{p}} }
	if g == nil {
		return nil, fail(Problem{Reason: "geometry is missing"})
	}
	if n := CountVertices(g); n > l.VertexLimit() {
		return nil, fail(Problem{Reason: fmt.Sprintf("geometry has %d vertices, more than the %d a %s feature may have", n, l.VertexLimit(), l.ID)})
	}
	switch l.Geometry {
	case Point:
		p, ok := g.(orb.Point)
		if !ok {
			return nil, fail(Problem{Reason: fmt.Sprintf("layer takes Point geometries, got %s", g.GeoJSONType())})
		}
		if err := checkCoord(p); err != "" {
			return nil, fail(Problem{Reason: err, Location: coordLoc(p)})
		}
		return p, nil
	case LineString:
		var ml orb.MultiLineString
		switch v := g.(type) {
		case orb.LineString:
			ml = orb.MultiLineString{v}
		case orb.MultiLineString:
			ml = v
		default:
			return nil, fail(Problem{Reason: fmt.Sprintf("layer takes LineString or MultiLineString geometries, got %s", g.GeoJSONType())})
		}
		if len(ml) == 0 {
			return nil, fail(Problem{Reason: "geometry is empty"})
		}
		for i, ls := range ml {
			for _, p := range ls {
				if err := checkCoord(p); err != "" {
					return nil, fail(Problem{Part: intp(i), Reason: err, Location: coordLoc(p)})
				}
			}
			if distinctPoints(ls) < 2 {
				return nil, fail(Problem{Part: intp(i), Reason: "line needs at least 2 distinct points"})
			}
		}
		return ml, nil
	case Polygon:
		var mp orb.MultiPolygon
		switch v := g.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{v}
		case orb.MultiPolygon:
			mp = v
		default:
			return nil, fail(Problem{Reason: fmt.Sprintf("layer takes Polygon or MultiPolygon geometries, got %s", g.GeoJSONType())})
		}
		if len(mp) == 0 {
			return nil, fail(Problem{Reason: "geometry is empty"})
		}
		for i, poly := range mp {
			if len(poly) == 0 {
				return nil, fail(Problem{Part: intp(i), Reason: "polygon has no rings"})
			}
			for j, ring := range poly {
				for _, p := range ring {
					if err := checkCoord(p); err != "" {
						return nil, fail(Problem{Part: intp(i), Ring: intp(j), Reason: err, Location: coordLoc(p)})
					}
				}
				if len(ring) < 4 {
					return nil, fail(Problem{Part: intp(i), Ring: intp(j), Reason: fmt.Sprintf("ring has %d points, at least 4 needed", len(ring))})
				}
				if ring[0] != ring[len(ring)-1] {
					return nil, fail(Problem{Part: intp(i), Ring: intp(j), Reason: "ring is not closed: first and last points differ", Location: coordLoc(ring[0])})
				}
			}
		}
		return mp, nil
	}
	return nil, fail(Problem{Reason: fmt.Sprintf("layer geometry type %q unknown", l.Geometry)})
}

func checkCoord(p orb.Point) string {
	x, y := p[0], p[1]
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return "coordinate is not a finite number"
	}
	if x < -180 || x > 180 {
		return fmt.Sprintf("longitude %g is outside -180…180", x)
	}
	if y < -90 || y > 90 {
		return fmt.Sprintf("latitude %g is outside -90…90", y)
	}
	return ""
}

func coordLoc(p orb.Point) []float64 {
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
		return nil // JSON cannot carry them
	}
	return []float64{p[0], p[1]}
}

func distinctPoints(ls orb.LineString) int {
	if len(ls) == 0 {
		return 0
	}
	n := 1
	for i := 1; i < len(ls); i++ {
		if ls[i] != ls[0] {
			n++
			break
		}
	}
	return n
}

// CountVertices is the number of positions in a geometry.
func CountVertices(g orb.Geometry) int {
	switch v := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(v)
	case orb.LineString:
		return len(v)
	case orb.Ring:
		return len(v)
	case orb.MultiLineString:
		n := 0
		for _, l := range v {
			n += len(l)
		}
		return n
	case orb.Polygon:
		n := 0
		for _, r := range v {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range v {
			n += CountVertices(p)
		}
		return n
	case orb.Collection:
		n := 0
		for _, m := range v {
			n += CountVertices(m)
		}
		return n
	}
	return 0
}

// Paths yields every vertex sequence of a geometry in order: each ring,
// each line, and each point as a one-point path. The slices are the
// geometry's own (a point's is made anew); callers must not modify them.
func Paths(g orb.Geometry) iter.Seq[[]orb.Point] {
	return func(yield func([]orb.Point) bool) { paths(g, yield) }
}

func paths(g orb.Geometry, yield func([]orb.Point) bool) bool {
	switch v := g.(type) {
	case orb.Point:
		return yield([]orb.Point{v})
	case orb.MultiPoint:
		for _, p := range v {
			if !yield([]orb.Point{p}) {
				return false
			}
		}
	case orb.LineString:
		return yield(v)
	case orb.Ring:
		return yield(v)
	case orb.MultiLineString:
		for _, l := range v {
			if !yield(l) {
				return false
			}
		}
	case orb.Polygon:
		for _, r := range v {
			if !yield(r) {
				return false
			}
		}
	case orb.MultiPolygon:
		for _, p := range v {
			if !paths(p, yield) {
				return false
			}
		}
	case orb.Collection:
		for _, m := range v {
			if !paths(m, yield) {
				return false
			}
		}
	}
	return true
}
