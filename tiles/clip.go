package tiles

import "math"

// lpoint is a projected point before clipping: far outside the tile (a
// big polygon at a deep zoom) its coordinates do not fit in 32 bits.
type lpoint struct{ X, Y int64 }

// box is the clip rectangle in tile units: the tile and its buffer.
type box struct{ lo, hi int64 }

func (b box) inside(p lpoint) bool {
	return p.X >= b.lo && p.X <= b.hi && p.Y >= b.lo && p.Y <= b.hi
}

// atX returns where segment a–b crosses the vertical line x = c. The
// endpoints are ordered first, so a shared edge gives the same point
// whichever of its two polygons is clipped.
func atX(a, b lpoint, c int64) lpoint {
	if b.X < a.X || (b.X == a.X && b.Y < a.Y) {
		a, b = b, a
	}
	y := float64(a.Y) + float64(c-a.X)*float64(b.Y-a.Y)/float64(b.X-a.X)
	return lpoint{c, int64(math.Floor(y + 0.5))}
}

// atY returns where segment a–b crosses the horizontal line y = c.
func atY(a, b lpoint, c int64) lpoint {
	if b.X < a.X || (b.X == a.X && b.Y < a.Y) {
		a, b = b, a
	}
	x := float64(a.X) + float64(c-a.Y)*float64(b.X-a.X)/float64(b.Y-a.Y)
	return lpoint{int64(math.Floor(x + 0.5)), c}
}

// clipper holds the scratch buffers of polygon clipping.
type clipper struct{ a, b []lpoint }

// ring clips a closed ring (given without its closing point) to the box
// (Sutherland–Hodgman, one edge of the box after another). The result
// lives in the clipper's buffers until the next call. It may run along the
// box's edges where the ring left and came back; cleaning and the validity
// check deal with that.
func (c *clipper) ring(r []lpoint, b box) []lpoint {
	in := r
	for edge := 0; edge < 4; edge++ {
		var out []lpoint
		if edge%2 == 0 {
			out = c.a[:0]
		} else {
			out = c.b[:0]
		}
		if len(in) > 0 {
			prev := in[len(in)-1]
			for _, cur := range in {
				ci, pi := edgeInside(cur, b, edge), edgeInside(prev, b, edge)
				if ci {
					if !pi {
						out = append(out, edgeCross(prev, cur, b, edge))
					}
					out = append(out, cur)
				} else if pi {
					out = append(out, edgeCross(prev, cur, b, edge))
				}
				prev = cur
			}
		}
		if edge%2 == 0 {
			c.a = out
		} else {
			c.b = out
		}
		in = out
	}
	return in
}

func edgeInside(p lpoint, b box, edge int) bool {
	switch edge {
	case 0:
		return p.X >= b.lo
	case 1:
		return p.X <= b.hi
	case 2:
		return p.Y >= b.lo
	}
	return p.Y <= b.hi
}

func edgeCross(a, c lpoint, b box, edge int) lpoint {
	switch edge {
	case 0:
		return atX(a, c, b.lo)
	case 1:
		return atX(a, c, b.hi)
	case 2:
		return atY(a, c, b.lo)
	}
	return atY(a, c, b.hi)
}

// outcode says on which sides of the box p lies (Cohen–Sutherland).
func (b box) outcode(p lpoint) int {
	c := 0
	if p.X < b.lo {
		c |= 1
	} else if p.X > b.hi {
		c |= 2
	}
	if p.Y < b.lo {
		c |= 4
	} else if p.Y > b.hi {
		c |= 8
	}
	return c
}

// clipSegment clips a–c to the box; ok is false when nothing is left.
func (b box) clipSegment(a, c lpoint) (lpoint, lpoint, bool) {
	oa, oc := b.outcode(a), b.outcode(c)
	for i := 0; i < 8; i++ {
		if oa|oc == 0 {
			return a, c, true
		}
		if oa&oc != 0 {
			return a, c, false
		}
		o := oa
		if o == 0 {
			o = oc
		}
		var p lpoint
		switch {
		case o&1 != 0:
			p = atX(a, c, b.lo)
		case o&2 != 0:
			p = atX(a, c, b.hi)
		case o&4 != 0:
			p = atY(a, c, b.lo)
		default:
			p = atY(a, c, b.hi)
		}
		if o == oa {
			a, oa = p, b.outcode(p)
		} else {
			c, oc = p, b.outcode(p)
		}
	}
	return a, c, oa|oc == 0
}

// clipLine clips a line string to the box and calls part for each piece
// that is left, in order.
func clipLine(l []lpoint, b box, part func([]lpoint), buf []lpoint) []lpoint {
	cur := buf[:0]
	flush := func() {
		if len(cur) >= 2 {
			part(cur)
		}
		cur = cur[:0]
	}
	for i := 1; i < len(l); i++ {
		a, c := l[i-1], l[i]
		p, q, ok := b.clipSegment(a, c)
		if !ok {
			flush()
			continue
		}
		if len(cur) == 0 || cur[len(cur)-1] != p {
			flush()
			cur = append(cur, p)
		}
		cur = append(cur, q)
		if q != c {
			flush()
		}
	}
	flush()
	return cur
}
