package tiles

import (
	"cmp"
	"slices"
)

func cross(a, b, c IPoint) int64 {
	return int64(b.X-a.X)*int64(c.Y-a.Y) - int64(b.Y-a.Y)*int64(c.X-a.X)
}

// CleanRing removes from a closed ring (given without its closing point)
// repeated points and points on a straight line between their neighbours,
// spikes included, in place: the result is a prefix of r. What is left of
// a collapsed ring has fewer than 3 points.
func CleanRing(r []IPoint) []IPoint {
	out := r[:0]
	for _, p := range r {
		for {
			n := len(out)
			if n > 0 && out[n-1] == p {
				break
			}
			if n >= 2 && cross(out[n-2], out[n-1], p) == 0 {
				out = out[:n-1]
				continue
			}
			out = append(out, p)
			break
		}
	}
	// The seam where the ring closes.
	for len(out) >= 3 {
		n := len(out)
		switch {
		case out[n-1] == out[0], cross(out[n-2], out[n-1], out[0]) == 0:
			out = out[:n-1]
		case cross(out[n-1], out[0], out[1]) == 0:
			copy(out, out[1:])
			out = out[:n-1]
		default:
			return out
		}
	}
	if len(out) == 2 && out[0] == out[1] {
		out = out[:1]
	}
	return out
}

// Area2 is twice the signed area of a closed ring by the surveyor's
// formula in tile coordinates: positive is what MVT calls an exterior ring
// (clockwise on screen, since y points down).
func Area2(r []IPoint) int64 {
	var s int64
	j := len(r) - 1
	for i := range r {
		s += int64(r[j].X)*int64(r[i].Y) - int64(r[i].X)*int64(r[j].Y)
		j = i
	}
	return s
}

// Orient gives a ring the MVT winding: positive area for an exterior ring,
// negative for a hole.
func Orient(r []IPoint, exterior bool) {
	if a := Area2(r); (a > 0) != exterior {
		slices.Reverse(r)
	}
}

// segment is an edge of a ring, with the ring and position it comes from.
type segment struct {
	a, b       IPoint
	ring, i, n int32 // ring index, position in the ring, ring length
	minX, maxX int32
}

// Intersecting says whether any two edges of the rings meet where the
// OGC model forbids it: edges of one ring that are not neighbours, or
// edges of different rings, touching or crossing anywhere. It is a little
// stricter than OGC validity (which allows rings to touch at a point), so
// a false alarm only costs a repair. Rings are closed, without their
// closing point, and cleaned (CleanRing).
func Intersecting(rings [][]IPoint, segs []segment) (bool, []segment) {
	segs = segs[:0]
	for ri, r := range rings {
		for i := range r {
			a, b := r[i], r[(i+1)%len(r)]
			s := segment{a: a, b: b, ring: int32(ri), i: int32(i), n: int32(len(r)), minX: min(a.X, b.X), maxX: max(a.X, b.X)}
			segs = append(segs, s)
		}
	}
	if len(segs) <= 48 {
		for i := range segs {
			for j := i + 1; j < len(segs); j++ {
				if clash(&segs[i], &segs[j]) {
					return true, segs
				}
			}
		}
		return false, segs
	}
	// Sweep along x: only edges whose x ranges overlap are compared.
	slices.SortFunc(segs, func(p, q segment) int { return cmp.Compare(p.minX, q.minX) })
	for i := range segs {
		for j := i + 1; j < len(segs) && segs[j].minX <= segs[i].maxX; j++ {
			if clash(&segs[i], &segs[j]) {
				return true, segs
			}
		}
	}
	return false, segs
}

// clash says whether two edges meet where they must not.
func clash(s, t *segment) bool {
	if max(s.a.Y, s.b.Y) < min(t.a.Y, t.b.Y) || max(t.a.Y, t.b.Y) < min(s.a.Y, s.b.Y) {
		return false
	}
	if s.maxX < t.minX || t.maxX < s.minX {
		return false
	}
	if s.ring == t.ring {
		d := s.i - t.i
		if d < 0 {
			d = -d
		}
		if d == 1 || d == s.n-1 {
			// Neighbours share one end; they clash only if they fold back
			// over each other, which a cleaned ring never does, unless
			// the ring has only three edges that are all neighbours.
			return false
		}
	}
	return segmentsMeet(s.a, s.b, t.a, t.b)
}

func sign(v int64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func onSegment(a, b, p IPoint) bool {
	return min(a.X, b.X) <= p.X && p.X <= max(a.X, b.X) && min(a.Y, b.Y) <= p.Y && p.Y <= max(a.Y, b.Y)
}

// segmentsMeet says whether closed segments a–b and c–d share any point
// (exact, in integers).
func segmentsMeet(a, b, c, d IPoint) bool {
	d1 := sign(cross(c, d, a))
	d2 := sign(cross(c, d, b))
	d3 := sign(cross(a, b, c))
	d4 := sign(cross(a, b, d))
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return (d1 == 0 && onSegment(c, d, a)) || (d2 == 0 && onSegment(c, d, b)) ||
		(d3 == 0 && onSegment(a, b, c)) || (d4 == 0 && onSegment(a, b, d))
}
