package overlay

import (
	"math"
	"slices"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/prepared"
)

// The area of feature ∩ site without building the intersection.
//
// By Green's theorem the boundary of F ∩ S is made of the pieces of F's
// boundary inside S and the pieces of S's boundary inside F, each traversed
// with its own polygon's interior on the left; summing area.Plane edge
// terms over those pieces gives the area. Each piece is measured as a
// geodesic between its ends, as area.Fast measures the polygon GEOS would
// build (pieces end where the edges cross, on the straight lon/lat edges).
//
// Only proper crossings are handled: as soon as a vertex of either lies
// within clipMargin of the other's boundary (shared vertices, edges along
// each other, a vertex on an edge), the configuration is left to GEOS,
// which is what makes every decision taken here robust: with all points
// that far from the other boundary, the signs of the orientation tests are
// far above rounding.

// clipMargin is the distance, in degrees (about 0.1 mm), below which a
// vertex counts as on the other's boundary.
const clipMargin = 1e-9

// clipArea returns area(F ∩ S) in m² for a polygonal feature; ok is false
// when a degenerate configuration needs GEOS.
func (s *Site) clipArea(mp orb.MultiPolygon, fb orb.Bound) (m2 float64, ok bool) {
	if s.longEdges {
		return 0, false
	}
	pl := s.plane
	var sum float64
	ts := s.scratch[:0]
	defer func() { s.scratch = ts }()
	// Pieces of F's boundary inside S.
	for _, poly := range mp {
		for k, r := range poly {
			if len(r) < 4 {
				continue
			}
			side := float64(prepared.RingSide(r, k == 0))
			in := s.ContainsPoint(r[0])
			pa := pl.Point(r[0])
			for i := 1; i < len(r); i++ {
				a, b := r[i-1], r[i]
				if long(a, b) {
					return 0, false
				}
				ts = ts[:0]
				ok := true
				box := orb.Bound{Min: a, Max: a}.Extend(b).Pad(clipMargin)
				s.Edges(box, func(c, d orb.Point, _ int8) bool {
					t, cross, fine := crossing(a, b, c, d)
					if !fine {
						ok = false
						return false
					}
					if cross {
						ts = append(ts, t)
					}
					return true
				})
				if !ok {
					return 0, false
				}
				pb := pl.Point(b)
				sum += side * pieces(pl, a, b, pa, pb, ts, in)
				if len(ts)%2 == 1 {
					in = !in
				}
				pa = pb
			}
		}
	}
	// Pieces of S's boundary inside F.
	ok = true
	s.Edges(fb.Pad(clipMargin), func(c, d orb.Point, side int8) bool {
		ts = ts[:0]
		cd := orb.Bound{Min: c, Max: c}.Extend(d).Pad(clipMargin)
		for _, poly := range mp {
			for _, r := range poly {
				for i := 1; i < len(r); i++ {
					a, b := r[i-1], r[i]
					if max(a[0], b[0]) < cd.Min[0] || min(a[0], b[0]) > cd.Max[0] || max(a[1], b[1]) < cd.Min[1] || min(a[1], b[1]) > cd.Max[1] {
						continue
					}
					t, cross, fine := crossing(c, d, a, b)
					if !fine {
						ok = false
						return false
					}
					if cross {
						ts = append(ts, t)
					}
				}
			}
		}
		sum += float64(side) * pieces(pl, c, d, pl.Point(c), pl.Point(d), ts, prepared.PolygonsContain(mp, c))
		return true
	})
	if !ok || sum < 0 && area.M2(sum) > 1e-6 {
		return 0, false
	}
	return area.M2(max(sum, 0)), true
}

// pieces sums the edge terms of the parts of segment ab inside the other
// polygon: ts are the parameters where ab crosses its boundary, in says
// whether a is inside.
func pieces(pl area.Plane, a, b, pa, pb orb.Point, ts []float64, in bool) float64 {
	if len(ts) == 0 {
		if in {
			return pl.Edge(a, b, pa, pb)
		}
		return 0
	}
	slices.Sort(ts)
	var sum float64
	cur, pc := a, pa
	for _, t := range ts {
		x := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
		px := pl.Point(x)
		if in {
			sum += pl.Edge(cur, x, pc, px)
		}
		in = !in
		cur, pc = x, px
	}
	if in {
		sum += pl.Edge(cur, b, pc, pb)
	}
	return sum
}

// crossing tests segment ab against cd: cross says they cross properly,
// at parameter t along ab; fine is false when an end of either lies within
// clipMargin of the other (or they are parallel and that close), where
// floating point cannot be trusted to tell.
func crossing(a, b, c, d orb.Point) (t float64, cross, fine bool) {
	if nearSegment(c, a, b) || nearSegment(d, a, b) || nearSegment(a, c, d) || nearSegment(b, c, d) {
		return 0, false, false
	}
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if (o1 > 0) == (o2 > 0) || (o3 > 0) == (o4 > 0) {
		return 0, false, true
	}
	return o3 / (o3 - o4), true, true
}

// orient is the cross product (b−a)×(c−a), positive when c lies left of ab.
func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// nearSegment says whether p lies within clipMargin of segment ab.
func nearSegment(p, a, b orb.Point) bool {
	if p[0] < min(a[0], b[0])-clipMargin || p[0] > max(a[0], b[0])+clipMargin ||
		p[1] < min(a[1], b[1])-clipMargin || p[1] > max(a[1], b[1])+clipMargin {
		return false
	}
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = max(0, min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy) < clipMargin
}

// long says whether an edge is too long for area.Plane's edge terms (see
// area.MaxFastEdgeDegrees).
func long(a, b orb.Point) bool {
	return math.Abs(b[0]-a[0]) > area.MaxFastEdgeDegrees || math.Abs(b[1]-a[1]) > area.MaxFastEdgeDegrees
}

// hasLongEdge says whether some edge of the polygons is too long for
// area.Plane's edge terms.
func hasLongEdge(mp orb.MultiPolygon) bool {
	for _, p := range mp {
		for _, r := range p {
			for i := 1; i < len(r); i++ {
				if long(r[i-1], r[i]) {
					return true
				}
			}
		}
	}
	return false
}
