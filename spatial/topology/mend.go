package topology

import "github.com/paulmach/orb"

// Mend fixes, without GEOS, the two defects that exchange files and
// hand-drawn input often carry and that GEOS cannot even read: it closes
// rings whose last point differs from the first, and drops rings of fewer
// than 3 distinct points (a polygon whose outer ring is dropped goes with
// it). It returns a new geometry and whether anything changed; other
// geometry types come back as they are. Run it before Repair: GEOS refuses
// an unclosed ring outright instead of making it valid.
func Mend(g orb.Geometry) (orb.Geometry, bool) {
	switch v := g.(type) {
	case orb.Polygon:
		p, changed := mendPolygon(v)
		if p == nil {
			return orb.Polygon{}, true
		}
		return p, changed
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, 0, len(v))
		changed := false
		for _, p := range v {
			m, c := mendPolygon(p)
			changed = changed || c
			if m != nil {
				out = append(out, m)
			}
		}
		return out, changed
	}
	return g, false
}

// mendPolygon returns nil when the outer ring is dropped.
func mendPolygon(p orb.Polygon) (orb.Polygon, bool) {
	out := make(orb.Polygon, 0, len(p))
	changed := false
	for i, r := range p {
		if distinct(r) < 3 {
			if i == 0 {
				return nil, true
			}
			changed = true
			continue
		}
		if r[0] != r[len(r)-1] {
			c := make(orb.Ring, len(r), len(r)+1)
			copy(c, r)
			r = append(c, r[0])
			changed = true
		}
		out = append(out, r)
	}
	return out, changed
}

// distinct counts distinct points up to 3, which is all Mend needs to know.
func distinct(r orb.Ring) int {
	var seen [3]orb.Point
	n := 0
	for _, p := range r {
		dup := false
		for _, s := range seen[:n] {
			if s == p {
				dup = true
				break
			}
		}
		if !dup {
			seen[n] = p
			n++
			if n == 3 {
				return n
			}
		}
	}
	return n
}
