package tiles

import (
	"math"
	"sync/atomic"

	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/spatial/topology"
)

// repairs counts GEOS repairs (tests count that kept ones are reused).
var repairs atomic.Int64

// Polygon is one polygon in tile coordinates: its exterior ring, then its
// holes, each closed and given without its closing point.
type Polygon [][]IPoint

// repair makes polygons that quantising or clipping left invalid valid
// again on the tile's integer grid: GEOS MakeValid (the structure method:
// exteriors united, holes cut out, which is what a clipped ring running
// along the box's edge means), then snap-rounding to
// the unit grid (SetPrecision 1, whose output is valid by construction),
// then cleaning and MVT winding. Collapsed parts disappear.
func repair(polys []Polygon) ([]Polygon, error) {
	repairs.Add(1)
	var out []Polygon
	err := topology.WithContext(func(c *geos.Context) error {
		parts := make([]*geos.Geom, 0, len(polys))
		for _, p := range polys {
			coords := make([][][]float64, len(p))
			for i, r := range p {
				cs := make([][]float64, 0, len(r)+1)
				for _, q := range r {
					cs = append(cs, []float64{float64(q.X), float64(q.Y)})
				}
				cs = append(cs, cs[0])
				if len(cs) < 4 {
					cs = append(cs, cs[0])
				}
				coords[i] = cs
			}
			parts = append(parts, c.NewPolygon(coords))
		}
		g := c.NewCollection(geos.TypeIDMultiPolygon, parts)
		fixed := g.MakeValidWithParams(geos.MakeValidStructure, geos.MakeValidDiscardCollapsed).SetPrecision(1, geos.PrecisionRuleValidOutput)
		out = appendGEOSPolygons(out, fixed)
		return nil
	})
	return out, err
}

// appendGEOSPolygons appends the polygons of g (a polygon, multipolygon or
// collection; lines and points are skipped) as cleaned, oriented rings.
func appendGEOSPolygons(out []Polygon, g *geos.Geom) []Polygon {
	switch g.TypeID() {
	case geos.TypeIDPolygon:
		if g.IsEmpty() {
			return out
		}
		ext := ringOf(g.ExteriorRing())
		if len(ext) < 3 {
			return out
		}
		Orient(ext, true)
		p := Polygon{ext}
		for i := 0; i < g.NumInteriorRings(); i++ {
			h := ringOf(g.InteriorRing(i))
			if len(h) >= 3 {
				Orient(h, false)
				p = append(p, h)
			}
		}
		return append(out, p)
	case geos.TypeIDMultiPolygon, geos.TypeIDGeometryCollection:
		for i := 0; i < g.NumGeometries(); i++ {
			out = appendGEOSPolygons(out, g.Geometry(i))
		}
	}
	return out
}

func ringOf(g *geos.Geom) []IPoint {
	cs := g.CoordSeq().ToCoords()
	if len(cs) > 1 {
		cs = cs[:len(cs)-1]
	}
	r := make([]IPoint, 0, len(cs))
	for _, c := range cs {
		r = append(r, IPoint{int32(math.Round(c[0])), int32(math.Round(c[1]))})
	}
	r = CleanRing(r)
	if len(r) < 3 || Area2(r) == 0 {
		return nil
	}
	return r
}
