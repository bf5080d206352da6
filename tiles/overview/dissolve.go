package overview

import (
	"cmp"
	"math"
	"slices"

	"github.com/onemap/onemap/tiles"
)

// grid is the raster of the dissolve rule: a class per cell (-1 for
// none), cells of size × size tile units, the first one's corner at
// (x0, y0) in tile coordinates; the same cells on the world grid are cw
// world units a side from (wx0, wy0).
type grid struct {
	w, h     int
	x0, y0   int32
	size     int32
	cells    []int32
	wx0, wy0 float64
	cw       float64
}

func newGrid(x0, y0 int32, w, h int, size int32) *grid {
	g := &grid{w: w, h: h, x0: x0, y0: y0, size: size, cells: make([]int32, w*h)}
	for i := range g.cells {
		g.cells[i] = -1
	}
	g.onWorld(tiles.WorldPoint{}, 1)
	return g
}

// onWorld places the grid on the world grid: tile coordinates (0, 0) are
// the world point corner, a tile unit is unit world units.
func (g *grid) onWorld(corner tiles.WorldPoint, unit int64) {
	g.wx0 = float64(corner.X + int64(g.x0)*unit)
	g.wy0 = float64(corner.Y + int64(g.y0)*unit)
	g.cw = float64(int64(g.size) * unit)
}

func (g *grid) at(i, j int) int32 {
	if i < 0 || j < 0 || i >= g.w || j >= g.h {
		return -1
	}
	return g.cells[j*g.w+i]
}

// coversACentre says whether a world bound holds the centre of a cell of
// the grid (a cheap test before reading a whole feature).
func (g *grid) coversACentre(lo, hi tiles.WorldPoint) bool {
	i0 := math.Ceil((float64(lo.X)-g.wx0)/g.cw - 0.5)
	i1 := math.Floor((float64(hi.X)-g.wx0)/g.cw - 0.5)
	j0 := math.Ceil((float64(lo.Y)-g.wy0)/g.cw - 0.5)
	j1 := math.Floor((float64(hi.Y)-g.wy0)/g.cw - 0.5)
	return i0 <= i1 && j0 <= j1 && i1 >= 0 && j1 >= 0 && i0 < float64(g.w) && j0 < float64(g.h)
}

// filler is the scratch space of scanline filling.
type filler struct {
	edges  []edge
	active []edge
	xs     []float64
}

// edge is a ring's edge from its lower y to its higher (world units).
type edge struct {
	y0, y1 float64
	x0     float64
	dxdy   float64
}

// fill gives class c to every cell whose centre lies inside the polygon
// (even-odd over all its rings: holes stay out), rings on the world grid,
// not closed: a scanline over the rows of cell centres with a table of the
// edges each row crosses.
func (g *grid) fill(rings [][]tiles.WorldPoint, c int32, f *filler) {
	f.edges = f.edges[:0]
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, r := range rings {
		n := len(r)
		for k := 0; k < n; k++ {
			a, b := r[k], r[(k+1)%n]
			if a.Y == b.Y {
				continue
			}
			if a.Y > b.Y {
				a, b = b, a
			}
			e := edge{y0: float64(a.Y), y1: float64(b.Y), x0: float64(a.X), dxdy: float64(b.X-a.X) / float64(b.Y-a.Y)}
			f.edges = append(f.edges, e)
			minY, maxY = min(minY, e.y0), max(maxY, e.y1)
		}
	}
	if len(f.edges) == 0 {
		return
	}
	// Rows whose centre wy0+(j+0.5)cw lies within [minY, maxY).
	j0 := max(0, int(math.Ceil((minY-g.wy0)/g.cw-0.5)))
	j1 := min(g.h-1, int(math.Ceil((maxY-g.wy0)/g.cw-0.5))-1)
	if j0 > j1 {
		return
	}
	// A small polygon's rows look at every edge; a big one's keep a table
	// of the edges they cross, sorted by where they start.
	small := len(f.edges) <= 32
	if !small {
		slices.SortFunc(f.edges, func(a, b edge) int { return cmp.Compare(a.y0, b.y0) })
	}
	f.active = f.active[:0]
	next := 0
	for j := j0; j <= j1; j++ {
		y := g.wy0 + (float64(j)+0.5)*g.cw
		// An edge crosses the row when y0 ≤ y < y1 (half-open: a vertex
		// exactly on the row counts once).
		f.xs = f.xs[:0]
		if small {
			for _, e := range f.edges {
				if e.y0 <= y && y < e.y1 {
					f.xs = append(f.xs, e.x0+(y-e.y0)*e.dxdy)
				}
			}
		} else {
			for next < len(f.edges) && f.edges[next].y0 <= y {
				f.active = append(f.active, f.edges[next])
				next++
			}
			kept := f.active[:0]
			for _, e := range f.active {
				if e.y1 <= y {
					continue
				}
				kept = append(kept, e)
				f.xs = append(f.xs, e.x0+(y-e.y0)*e.dxdy)
			}
			f.active = kept
		}
		slices.Sort(f.xs)
		row := g.cells[j*g.w : (j+1)*g.w]
		for k := 0; k+1 < len(f.xs); k += 2 {
			// Cells whose centre wx0+(i+0.5)cw lies within [xs[k], xs[k+1]).
			i0 := max(0, int(math.Ceil((f.xs[k]-g.wx0)/g.cw-0.5)))
			i1 := min(g.w-1, int(math.Ceil((f.xs[k+1]-g.wx0)/g.cw-0.5))-1)
			for i := i0; i <= i1; i++ {
				row[i] = c
			}
		}
	}
}

// coarser returns the grid with cells twice the size, each taking the class
// of the cell of g that holds its centre (a corner shared by four cells of
// g: the one to its lower right, whose own centre it is nearest on the
// grid's diagonal).
func (g *grid) coarser() *grid {
	x0, y0 := floorTo(g.x0, 2*g.size), floorTo(g.y0, 2*g.size)
	w := int((g.x0+int32(g.w)*g.size-x0)/(2*g.size)) + 1
	h := int((g.y0+int32(g.h)*g.size-y0)/(2*g.size)) + 1
	c := newGrid(x0, y0, w, h, 2*g.size)
	c.wx0 = g.wx0 - float64(g.x0-x0)/float64(g.size)*g.cw
	c.wy0 = g.wy0 - float64(g.y0-y0)/float64(g.size)*g.cw
	c.cw = 2 * g.cw
	for j := 0; j < h; j++ {
		// The centre of coarse row j, in g's cells.
		gj := int((y0 + (2*int32(j)+1)*g.size - g.y0) / g.size)
		for i := 0; i < w; i++ {
			gi := int((x0 + (2*int32(i)+1)*g.size - g.x0) / g.size)
			c.cells[j*w+i] = g.at(gi, gj)
		}
	}
	return c
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
	// follow walks the ring whose boundary edge leaves vertex (x, y) in
	// direction d (the class c on its right), keeping its corners.
	follow := func(x, y, d int, c int32) {
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
	// Every boundary edge has a classed cell on its right: the cells'
	// four sides, walked clockwise, are where rings start.
	sides := [4][3]int{{0, 0, east}, {1, 0, south}, {1, 1, west}, {0, 1, north}}
	for k, kc := range g.cells {
		if kc < 0 {
			continue
		}
		ci, cj := k%g.w, k/g.w
		if ci > 0 && ci < g.w-1 && cj > 0 && cj < g.h-1 &&
			g.cells[k-1] == kc && g.cells[k+1] == kc && g.cells[k-g.w] == kc && g.cells[k+g.w] == kc {
			continue // inside a region: no side of it is a boundary
		}
		for _, sd := range sides {
			x, y, d := ci+sd[0], cj+sd[1], sd[2]
			if visited[y*W+x]&(1<<d) != 0 {
				continue
			}
			if c, ok := boundary(x, y, d); ok {
				follow(x, y, d, c)
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
