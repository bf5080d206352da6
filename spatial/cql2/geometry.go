package cql2

import "github.com/paulmach/orb"

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
