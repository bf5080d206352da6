package tiles

import (
	"math"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// WorldFeature is a feature seen on the world grid, for generalisation
// rules that work there (tiles/overview): its geometry is projected as it
// is read, the same way exact tiles project it.
type WorldFeature struct{ f *layers.Feature }

// OnWorld returns f as seen on the world grid.
func OnWorld(f *layers.Feature) WorldFeature { return WorldFeature{f} }

// Feature is the feature.
func (wf WorldFeature) Feature() *layers.Feature { return wf.f }

// Kind is the geometry's MVT type (0 for none).
func (wf WorldFeature) Kind() GeomType {
	switch wf.f.Geometry.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return GeomPolygon
	case orb.LineString, orb.MultiLineString:
		return GeomLineString
	case orb.Point, orb.MultiPoint:
		return GeomPoint
	}
	return 0
}

// Bound is the geometry's bound on the world grid (y down: min holds the
// north-west corner).
func (wf WorldFeature) Bound() (min, max WorldPoint) {
	lo := orb.Point{math.Inf(1), math.Inf(1)}
	hi := orb.Point{math.Inf(-1), math.Inf(-1)}
	widen := func(pts []orb.Point) {
		for _, p := range pts {
			lo[0], lo[1] = math.Min(lo[0], p[0]), math.Min(lo[1], p[1])
			hi[0], hi[1] = math.Max(hi[0], p[0]), math.Max(hi[1], p[1])
		}
	}
	switch g := wf.f.Geometry.(type) {
	case orb.MultiPolygon:
		for _, p := range g {
			if len(p) > 0 {
				widen(p[0])
			}
		}
	case orb.Polygon:
		if len(g) > 0 {
			widen(g[0])
		}
	case orb.MultiLineString:
		for _, l := range g {
			widen(l)
		}
	case orb.LineString:
		widen(g)
	case orb.MultiPoint:
		widen(g)
	case orb.Point:
		widen([]orb.Point{g})
	}
	if lo[0] > hi[0] {
		return WorldPoint{}, WorldPoint{}
	}
	a, b := toWorld(orb.Point{lo[0], hi[1]}), toWorld(orb.Point{hi[0], lo[1]})
	return a, b
}

// Rings is scratch space for reading a feature's geometry.
type Rings struct {
	pts   []WorldPoint
	ends  []int
	rings [][]WorldPoint
}

// project puts points on the world grid into buf.pts, dropping repeats.
func (buf *Rings) project(pts []orb.Point) {
	start := len(buf.pts)
	for _, q := range pts {
		p := toWorld(q)
		if n := len(buf.pts); n > start && buf.pts[n-1] == p {
			continue
		}
		buf.pts = append(buf.pts, p)
	}
}

// Polygons calls fn with the rings of each polygon on the world grid:
// exterior first, then its holes, without closing points, as the data has
// them wound. The rings are valid during the call only; buf is reused.
func (wf WorldFeature) Polygons(buf *Rings, fn func(rings [][]WorldPoint)) {
	var mp orb.MultiPolygon
	switch g := wf.f.Geometry.(type) {
	case orb.MultiPolygon:
		mp = g
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	default:
		return
	}
	for _, p := range mp {
		buf.pts, buf.ends = buf.pts[:0], buf.ends[:0]
		for _, r := range p {
			if n := len(r); n > 1 && r[0] == r[n-1] {
				r = r[:n-1]
			}
			buf.project(r)
			buf.ends = append(buf.ends, len(buf.pts))
		}
		buf.rings = buf.rings[:0]
		start := 0
		for _, end := range buf.ends {
			buf.rings = append(buf.rings, buf.pts[start:end:end])
			start = end
		}
		fn(buf.rings)
	}
}

// Lines calls fn with each line on the world grid (valid during the call).
func (wf WorldFeature) Lines(buf *Rings, fn func(line []WorldPoint)) {
	var ml orb.MultiLineString
	switch g := wf.f.Geometry.(type) {
	case orb.MultiLineString:
		ml = g
	case orb.LineString:
		ml = orb.MultiLineString{g}
	default:
		return
	}
	for _, l := range ml {
		buf.pts = buf.pts[:0]
		buf.project(l)
		fn(buf.pts)
	}
}

// Points appends the points on the world grid to dst.
func (wf WorldFeature) Points(dst []WorldPoint) []WorldPoint {
	switch g := wf.f.Geometry.(type) {
	case orb.Point:
		dst = append(dst, toWorld(g))
	case orb.MultiPoint:
		for _, q := range g {
			dst = append(dst, toWorld(q))
		}
	}
	return dst
}

// Area is the area of a polygonal feature in square world units, holes
// taken off.
func (wf WorldFeature) Area(buf *Rings) float64 {
	var a float64
	wf.Polygons(buf, func(rings [][]WorldPoint) {
		for i, r := range rings {
			if len(r) < 3 {
				continue
			}
			if ra := math.Abs(worldArea(r)) / 2; i == 0 {
				a += ra
			} else {
				a -= ra
			}
		}
	})
	return a
}

// Value returns the value of field i unboxed, a shared string as a plain
// one (Kind RawString), so that equal values are equal Raws; nil is Kind
// RawNull.
func (wf WorldFeature) Value(i int) layers.Raw {
	for j, v := range wf.f.Props.Raw() {
		if j == i {
			if v.Kind == layers.RawShared {
				return layers.Raw{Kind: layers.RawString, Str: wf.f.Props.Table().String(v.ID)}
			}
			return v
		}
	}
	return layers.Raw{}
}

// worldArea is twice the signed area of a ring on the world grid (positive
// for MVT's exterior winding), relative to its first point so that the
// products stay well within a float64's precision for feature-sized rings.
func worldArea(r []WorldPoint) float64 {
	var s float64
	o := r[0]
	j := len(r) - 1
	for i := range r {
		xj, yj := float64(r[j].X-o.X), float64(r[j].Y-o.Y)
		xi, yi := float64(r[i].X-o.X), float64(r[i].Y-o.Y)
		s += xj*yi - xi*yj
		j = i
	}
	return s
}
