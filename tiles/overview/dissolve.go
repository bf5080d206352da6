package overview

import (
	"math"
	"slices"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/tiles"
)

// grid is the raster of the dissolve rule: a class per cell (-1 for
// none), cells of size × size tile units, the first one's corner at
// (x0, y0) in tile coordinates.
type grid struct {
	w, h   int
	x0, y0 int32
	size   int32
	cells  []int32
}

func newGrid(x0, y0 int32, w, h int, size int32) *grid {
	g := &grid{w: w, h: h, x0: x0, y0: y0, size: size, cells: make([]int32, w*h)}
	for i := range g.cells {
		g.cells[i] = -1
	}
	return g
}

func (g *grid) at(i, j int) int32 {
	if i < 0 || j < 0 || i >= g.w || j >= g.h {
		return -1
	}
	return g.cells[j*g.w+i]
}

// fill gives class c to every cell whose centre lies inside the polygon
// (even-odd over all its rings: holes stay out), rings given in unrounded
// tile coordinates, closed or not.
func (g *grid) fill(rings [][]orb.Point, c int32, xs []float64) []float64 {
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, r := range rings {
		for _, p := range r {
			minY, maxY = min(minY, p[1]), max(maxY, p[1])
		}
	}
	s := float64(g.size)
	// Rows whose centre y0+(j+0.5)s lies within [minY, maxY].
	j0 := max(0, int(math.Ceil((minY-float64(g.y0))/s-0.5)))
	j1 := min(g.h-1, int(math.Floor((maxY-float64(g.y0))/s-0.5)))
	for j := j0; j <= j1; j++ {
		y := float64(g.y0) + (float64(j)+0.5)*s
		xs = xs[:0]
		for _, r := range rings {
			n := len(r)
			for k := 0; k < n; k++ {
				a, b := r[k], r[(k+1)%n]
				// Half-open on y: a vertex exactly on the line counts once.
				if (a[1] <= y) != (b[1] <= y) {
					xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
				}
			}
		}
		slices.Sort(xs)
		for k := 0; k+1 < len(xs); k += 2 {
			// Cells whose centre x0+(i+0.5)s lies within [xs[k], xs[k+1]).
			i0 := max(0, int(math.Ceil((xs[k]-float64(g.x0))/s-0.5)))
			i1 := min(g.w-1, int(math.Ceil((xs[k+1]-float64(g.x0))/s-0.5))-1)
			row := g.cells[j*g.w:]
			for i := i0; i <= i1; i++ {
				row[i] = c
			}
		}
	}
	return xs
}

// Directions of cell edges, clockwise on screen (y down): east, south,
// west, north. A boundary edge is walked with its cell on the right, so
// that exterior rings come out with the positive area MVT asks for and
// holes negative.
const (
	east = iota
	south
	west
	north
)

var step = [4][2]int{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}

// rightCell is the cell on the right of the edge leaving vertex (x, y) in
// direction d.
func rightCell(x, y, d int) (int, int) {
	switch d {
	case east:
		return x, y
	case south:
		return x - 1, y
	case west:
		return x - 1, y - 1
	}
	return x, y - 1
}

// leftCell is the cell on the left of that edge.
func leftCell(x, y, d int) (int, int) {
	switch d {
	case east:
		return x, y - 1
	case south:
		return x, y
	case west:
		return x - 1, y
	}
	return x - 1, y - 1
}

// classPolygons is what polygonising gives for one class: its polygons,
// each an exterior ring followed by its holes, with MVT winding.
type classPolygons struct {
	class int32
	polys []tiles.Polygon
}

// polygonise turns the raster into polygons per class along cell edges:
// two classes that meet share their boundary exactly (no cracks, no
// overlaps), regions are 4-connected (cells that touch only at a corner
// are separate polygons), no ring passes a corner twice (rings may touch
// other rings at a corner, as OGC validity allows), straight runs of
// edges are one segment.
func (g *grid) polygonise() []classPolygons {
	comp := g.components()
	W, H := g.w+1, g.h+1
	visited := make([]uint8, W*H)
	boundary := func(x, y, d int) (int32, bool) {
		ri, rj := rightCell(x, y, d)
		c := g.at(ri, rj)
		if c < 0 {
			return -1, false
		}
		li, lj := leftCell(x, y, d)
		return c, g.at(li, lj) != c
	}
	type ring struct {
		comp, class int32
		pts         []tiles.IPoint
		area        int64
	}
	var rings []ring
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			for d := 0; d < 4; d++ {
				if visited[y*W+x]&(1<<d) != 0 {
					continue
				}
				c, ok := boundary(x, y, d)
				if !ok {
					continue
				}
				ri, rj := rightCell(x, y, d)
				r := ring{comp: comp[rj*g.w+ri], class: c}
				cx, cy, cd := x, y, d
				for {
					visited[cy*W+cx] |= 1 << cd
					nx, ny := cx+step[cd][0], cy+step[cd][1]
					nd := -1
					for _, t := range [3]int{(cd + 1) % 4, cd, (cd + 3) % 4} {
						if cc, ok := boundary(nx, ny, t); ok && cc == c {
							nd = t
							break
						}
					}
					// Where two cells of the class touch only at a corner
					// (both turns continue the boundary): cells of two
					// regions stay apart (turn right, around the cell we
					// follow); cells of one region keep the two sides
					// apart instead (turn left), so that no ring passes
					// the same corner twice.
					if left := (cd + 3) % 4; nd == (cd+1)%4 {
						if cc, ok := boundary(nx, ny, left); ok && cc == c {
							ai, aj := rightCell(cx, cy, cd)
							di, dj := rightCell(nx, ny, left)
							if comp[aj*g.w+ai] == comp[dj*g.w+di] {
								nd = left
							}
						}
					}
					if nd != cd {
						r.pts = append(r.pts, tiles.IPoint{X: g.x0 + int32(nx)*g.size, Y: g.y0 + int32(ny)*g.size})
					}
					if nd < 0 {
						break // cannot happen on a closed boundary
					}
					cx, cy, cd = nx, ny, nd
					if cx == x && cy == y && cd == d {
						break
					}
				}
				r.area = tiles.Area2(r.pts)
				if len(r.pts) >= 4 && r.area != 0 {
					rings = append(rings, r)
				}
			}
		}
	}
	// Each component has one exterior ring; its holes are the rings of
	// negative area whose cells belong to it.
	byComp := map[int32]int{}
	var out []classPolygons
	byClass := map[int32]int{}
	for _, r := range rings {
		if r.area <= 0 {
			continue
		}
		c := r.class
		ci, ok := byClass[c]
		if !ok {
			ci = len(out)
			byClass[c] = ci
			out = append(out, classPolygons{class: c})
		}
		byComp[r.comp] = ci<<20 | len(out[ci].polys)
		out[ci].polys = append(out[ci].polys, tiles.Polygon{r.pts})
	}
	for _, r := range rings {
		if r.area >= 0 {
			continue
		}
		k, ok := byComp[r.comp]
		if !ok {
			continue
		}
		ci, pi := k>>20, k&(1<<20-1)
		out[ci].polys[pi] = append(out[ci].polys[pi], r.pts)
	}
	slices.SortFunc(out, func(a, b classPolygons) int { return int(a.class - b.class) })
	return out
}

// components labels the 4-connected regions of equal class (cells of no
// class get -1).
func (g *grid) components() []int32 {
	comp := make([]int32, len(g.cells))
	for i := range comp {
		comp[i] = -1
	}
	var next int32
	var stack []int
	for start, c := range g.cells {
		if c < 0 || comp[start] >= 0 {
			continue
		}
		comp[start] = next
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			i, j := k%g.w, k/g.w
			for _, s := range step {
				ni, nj := i+s[0], j+s[1]
				if ni < 0 || nj < 0 || ni >= g.w || nj >= g.h {
					continue
				}
				nk := nj*g.w + ni
				if comp[nk] < 0 && g.cells[nk] == c {
					comp[nk] = next
					stack = append(stack, nk)
				}
			}
		}
		next++
	}
	return comp
}
