package cql2

import (
	"fmt"

	"github.com/paulmach/orb"
)

// tidy drops the empty parts of an S_INTERSECTS geometry (an empty polygon
// in a MultiPolygon, an empty member of a collection), so that both
// encodings give the same tree, and says whether anything is left.
func tidy(g orb.Geometry) (orb.Geometry, bool) {
	switch v := g.(type) {
	case orb.Bound, orb.Point:
		return g, true
	case orb.MultiPoint:
		return v, len(v) > 0
	case orb.LineString:
		return v, len(v) > 0
	case orb.Polygon:
		return tidyPolygon(v)
	case orb.MultiLineString:
		out := orb.MultiLineString{}
		for _, l := range v {
			if len(l) > 0 {
				out = append(out, l)
			}
		}
		return out, len(out) > 0
	case orb.MultiPolygon:
		out := orb.MultiPolygon{}
		for _, p := range v {
			if t, ok := tidyPolygon(p); ok {
				out = append(out, t)
			}
		}
		return out, len(out) > 0
	case orb.Collection:
		out := orb.Collection{}
		for _, m := range v {
			if t, ok := tidy(m); ok {
				out = append(out, t)
			}
		}
		return out, len(out) > 0
	}
	return g, false
}

// tidyPolygon drops rings without points; a polygon without its outer
// ring is empty.
func tidyPolygon(p orb.Polygon) (orb.Polygon, bool) {
	if len(p) == 0 || len(p[0]) == 0 {
		return orb.Polygon{}, false
	}
	out := orb.Polygon{}
	for _, r := range p {
		if len(r) > 0 {
			out = append(out, r)
		}
	}
	return out, true
}

// outside finds a vertex outside lon/lat range: filter geometries are on
// EPSG:4490, lon/lat.
func outside(g orb.Geometry) error {
	var bad error
	var walk func(orb.Geometry)
	pt := func(p orb.Point) {
		if bad == nil && (p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90) {
			bad = fmt.Errorf("vertex (%g %g) lies outside -180…180, -90…90: filter geometries are lon/lat on EPSG:4490", p[0], p[1])
		}
	}
	walk = func(g orb.Geometry) {
		switch v := g.(type) {
		case orb.Point:
			pt(v)
		case orb.MultiPoint:
			for _, p := range v {
				pt(p)
			}
		case orb.LineString:
			for _, p := range v {
				pt(p)
			}
		case orb.MultiLineString:
			for _, l := range v {
				walk(l)
			}
		case orb.Polygon:
			for _, r := range v {
				walk(orb.LineString(r))
			}
		case orb.MultiPolygon:
			for _, p := range v {
				walk(p)
			}
		case orb.Collection:
			for _, m := range v {
				walk(m)
			}
		}
	}
	walk(g)
	return bad
}
