package tiles

import (
	"encoding/binary"
	"math"
	"sync/atomic"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// record is a feature kept ready for tiles: its geometry on the world grid
// (repeated points dropped, rings closed implicitly and wound as MVT wants
// them: exteriors of positive area, y down), varint-encoded as deltas, and
// its attributes as MVT values, repeated ones by their number in the
// layer's dictionary. It never changes once made, except the per-zoom
// notes (zooms) of whether the feature's geometry comes out of that zoom's
// rounding clean.
type record struct {
	f        *layers.Feature // the version it was made from
	min, max WorldPoint      // bound on the world grid
	kind     GeomType        // 0: no geometry
	data     []byte          // geometry, then tags from tagsAt
	tagsAt   uint32
	zooms    atomic.Uint64 // 2 bits per zoom: zoomUnknown, zoomClean, zoomDirty
}

const (
	zoomUnknown = 0
	zoomClean   = 1 // unclipped, the rounded rings need no cleaning, rewinding or repair
	zoomDirty   = 2
)

func (r *record) zoomState(z uint) uint64 { return r.zooms.Load() >> (2 * z) & 3 }

func (r *record) setZoomState(z uint, s uint64) {
	for {
		old := r.zooms.Load()
		if r.zooms.CompareAndSwap(old, old&^(3<<(2*z))|s<<(2*z)) {
			return
		}
	}
}

// geom and tags are the record's two parts.
func (r *record) geom() []byte { return r.data[:r.tagsAt] }
func (r *record) tags() []byte { return r.data[r.tagsAt:] }

// recordBuilder makes records, keeping its scratch space between them.
type recordBuilder struct {
	pts  []WorldPoint
	data []byte
	vals []byte
	last WorldPoint
}

// build makes the record of f, its values numbered through d.
func (b *recordBuilder) build(f *layers.Feature, d *dict) *record {
	r := &record{f: f}
	b.data = b.data[:0]
	b.last = WorldPoint{}
	r.min = WorldPoint{math.MaxInt64, math.MaxInt64}
	r.max = WorldPoint{math.MinInt64, math.MinInt64}
	switch g := f.Geometry.(type) {
	case orb.MultiPolygon:
		b.polygons(r, g)
	case orb.Polygon:
		b.polygons(r, orb.MultiPolygon{g})
	case orb.MultiLineString:
		b.lines(r, g)
	case orb.LineString:
		b.lines(r, orb.MultiLineString{g})
	case orb.Point:
		b.points(r, []orb.Point{g})
	case orb.MultiPoint:
		b.points(r, g)
	}
	if r.kind == 0 {
		b.data = b.data[:0]
		r.min, r.max = WorldPoint{}, WorldPoint{}
	}
	r.tagsAt = uint32(len(b.data))
	b.data = d.appendTags(b.data, f.Props)
	r.data = append([]byte(nil), b.data...)
	return r
}

// project puts a ring or line on the world grid, dropping repeated points.
func (b *recordBuilder) project(pts []orb.Point) []WorldPoint {
	out := b.pts[:0]
	for _, q := range pts {
		p := toWorld(q)
		if n := len(out); n > 0 && out[n-1] == p {
			continue
		}
		out = append(out, p)
	}
	b.pts = out
	return out
}

func (b *recordBuilder) extend(r *record, pts []WorldPoint) {
	for _, p := range pts {
		r.min.X, r.min.Y = min(r.min.X, p.X), min(r.min.Y, p.Y)
		r.max.X, r.max.Y = max(r.max.X, p.X), max(r.max.Y, p.Y)
	}
}

// run appends a count and the points as zig-zag deltas from the last point
// written.
func (b *recordBuilder) run(pts []WorldPoint) {
	b.data = binary.AppendUvarint(b.data, uint64(len(pts)))
	for _, p := range pts {
		b.data = binary.AppendVarint(b.data, p.X-b.last.X)
		b.data = binary.AppendVarint(b.data, p.Y-b.last.Y)
		b.last = p
	}
}

// polygons writes: the number of polygons; for each, its number of rings;
// for each ring, a run of its points, without the closing one. Rings of
// fewer than three points are left out (a polygon whose exterior is, with
// its holes).
func (b *recordBuilder) polygons(r *record, mp orb.MultiPolygon) {
	type span struct{ start, n int }
	var kept [][]span // per polygon, its rings in b.scratch
	var all []WorldPoint
	for _, p := range mp {
		var rings []span
		for i, ring := range p {
			if n := len(ring); n > 1 && ring[0] == ring[n-1] {
				ring = ring[:n-1]
			}
			pts := b.project(ring)
			if n := len(pts); n > 1 && pts[0] == pts[n-1] {
				pts = pts[:n-1]
			}
			if len(pts) < 3 || worldArea(pts) == 0 {
				if i == 0 {
					break
				}
				continue
			}
			if (worldArea(pts) > 0) != (i == 0) {
				reverse(pts)
			}
			rings = append(rings, span{len(all), len(pts)})
			all = append(all, pts...)
		}
		if len(rings) > 0 {
			kept = append(kept, rings)
		}
	}
	if len(kept) == 0 {
		return
	}
	r.kind = GeomPolygon
	b.data = binary.AppendUvarint(b.data, uint64(len(kept)))
	for _, rings := range kept {
		b.data = binary.AppendUvarint(b.data, uint64(len(rings)))
		for _, s := range rings {
			pts := all[s.start : s.start+s.n]
			b.extend(r, pts)
			b.run(pts)
		}
	}
}

// lines writes the number of lines, then a run of each (two points or more).
func (b *recordBuilder) lines(r *record, ml orb.MultiLineString) {
	var all []WorldPoint
	var ns []int
	for _, l := range ml {
		pts := b.project(l)
		if len(pts) < 2 {
			continue
		}
		all = append(all, pts...)
		ns = append(ns, len(pts))
	}
	if len(ns) == 0 {
		return
	}
	r.kind = GeomLineString
	b.data = binary.AppendUvarint(b.data, uint64(len(ns)))
	for _, n := range ns {
		b.extend(r, all[:n])
		b.run(all[:n])
		all = all[n:]
	}
}

// points writes a run of the points.
func (b *recordBuilder) points(r *record, ps []orb.Point) {
	if len(ps) == 0 {
		return
	}
	pts := make([]WorldPoint, len(ps))
	for i, q := range ps {
		pts[i] = toWorld(q)
	}
	r.kind = GeomPoint
	b.extend(r, pts)
	b.run(pts)
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

func reverse(r []WorldPoint) {
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
}

// reader walks a record's varint stream.
type reader struct {
	b    []byte
	last WorldPoint
}

func (rd *reader) uvarint() int {
	v, n := binary.Uvarint(rd.b)
	rd.b = rd.b[n:]
	return int(v)
}

func (rd *reader) point() WorldPoint {
	dx, n := binary.Varint(rd.b)
	dy, m := binary.Varint(rd.b[n:])
	rd.b = rd.b[n+m:]
	rd.last = WorldPoint{rd.last.X + dx, rd.last.Y + dy}
	return rd.last
}
