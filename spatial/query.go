package spatial

import (
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"

	"github.com/onemap/onemap/layers"
)

// Page is one page of features in id order.
type Page struct {
	Features []*layers.Feature
	Matched  int // all features that match, across pages
}

// FeaturesQuery selects the features of one layer.
type FeaturesQuery struct {
	Layer string
	BBox  *orb.Bound // nil: the whole layer
	// Match, when set, keeps only the features it is true for (attribute
	// and time filters; a CQL2 filter compiles to one).
	Match  func(*layers.Feature) bool
	Offset int
	Limit  int
}

// Features answers a paged listing, in id order, of the features whose
// geometry intersects the bbox (the geometry itself, not only its box) and
// that Match keeps. Without a bbox, a Match scans the layer in id order.
func (s *Snapshot) Features(q FeaturesQuery) Page {
	if q.BBox == nil && q.Match != nil {
		var p Page
		s.Ascend(q.Layer, 0, func(f *layers.Feature) bool {
			if q.Match(f) {
				if p.Matched >= q.Offset && len(p.Features) < q.Limit {
					p.Features = append(p.Features, f)
				}
				p.Matched++
			}
			return true
		})
		return p
	}
	if q.BBox == nil {
		p := Page{Matched: s.Count(q.Layer)}
		if q.Limit <= 0 {
			return p
		}
		p.Features = make([]*layers.Feature, 0, min(q.Limit, max(p.Matched-q.Offset, 0)))
		s.Ascend(q.Layer, q.Offset, func(f *layers.Feature) bool {
			p.Features = append(p.Features, f)
			return len(p.Features) < q.Limit
		})
		return p
	}
	var hits []*layers.Feature
	s.Search(q.Layer, *q.BBox, func(f *layers.Feature) bool {
		if (q.Match == nil || q.Match(f)) && IntersectsBound(f.Geometry, *q.BBox) {
			hits = append(hits, f)
		}
		return true
	})
	sort.Slice(hits, func(i, j int) bool { return hits[i].ID < hits[j].ID })
	p := Page{Matched: len(hits)}
	if q.Offset < len(hits) && q.Limit > 0 {
		p.Features = hits[q.Offset:min(len(hits), q.Offset+q.Limit)]
	}
	return p
}

// IntersectsBound says whether a geometry intersects (touches or overlaps) a box.
func IntersectsBound(g orb.Geometry, b orb.Bound) bool {
	gb := g.Bound()
	if !gb.Intersects(b) {
		return false
	}
	// Box inside box: the only case where the cheap answer is the exact one.
	if b.Contains(gb.Min) && b.Contains(gb.Max) {
		return true
	}
	switch v := g.(type) {
	case orb.Point:
		return b.Contains(v)
	case orb.MultiPoint:
		for _, p := range v {
			if b.Contains(p) {
				return true
			}
		}
		return false
	case orb.MultiPolygon:
		for _, p := range v {
			if polygonIntersectsBound(p, b) {
				return true
			}
		}
		return false
	case orb.Polygon:
		return polygonIntersectsBound(v, b)
	case orb.MultiLineString:
		return len(clip.MultiLineString(b, v)) > 0
	case orb.LineString:
		return len(clip.LineString(b, v)) > 0
	}
	return true
}

func polygonIntersectsBound(p orb.Polygon, b orb.Bound) bool {
	if len(p) == 0 || !p.Bound().Intersects(b) {
		return false
	}
	// A polygon is closed, so if any ring (part of its boundary) meets the box
	// they intersect. Otherwise the box lies wholly in the material, wholly in
	// a hole or wholly outside, and its centre tells which.
	for _, r := range p {
		if len(clip.LineString(b, orb.LineString(r))) > 0 {
			return true
		}
	}
	return polygonContains(p, b.Center())
}

// polygonContains is the even-odd point-in-polygon test over every ring.
func polygonContains(p orb.Polygon, pt orb.Point) bool {
	in := false
	for _, r := range p {
		if ringContains(r, pt) {
			in = !in
		}
	}
	return in
}

func ringContains(r orb.Ring, pt orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, c := r[i], r[j]
		if (a[1] > pt[1]) != (c[1] > pt[1]) && pt[0] < (c[0]-a[0])*(pt[1]-a[1])/(c[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}
