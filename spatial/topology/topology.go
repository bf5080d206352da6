// Package topology is the GEOS side of the geometry engine: OGC validity with
// its reason and location, and repair (MakeValid). It converts orb geometries
// to GEOS through WKB and keeps one GEOS context per goroutine in use, since a
// go-geos Context serialises every call behind its own mutex.
package topology

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
)

var contexts = sync.Pool{New: func() any { return geos.NewContext() }}

// WithContext runs fn with a GEOS context that no other goroutine uses meanwhile.
func WithContext(fn func(c *geos.Context) error) error {
	c := contexts.Get().(*geos.Context)
	defer contexts.Put(c)
	return fn(c)
}

// ToGEOS converts an orb geometry into c.
func ToGEOS(c *geos.Context, g orb.Geometry) (*geos.Geom, error) {
	b, err := wkb.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encode wkb: %w", err)
	}
	gg, err := c.NewGeomFromWKB(b)
	if err != nil {
		return nil, fmt.Errorf("geos read wkb: %w", err)
	}
	return gg, nil
}

// FromGEOS converts a GEOS geometry back to orb.
func FromGEOS(g *geos.Geom) (orb.Geometry, error) {
	og, err := wkb.Unmarshal(g.ToWKB())
	if err != nil {
		return nil, fmt.Errorf("decode wkb: %w", err)
	}
	return og, nil
}

var reasonLocation = regexp.MustCompile(`^(.*?)\s*\[\s*(\S+)\s+(\S+)\s*\]\s*$`)

// Validate checks the OGC validity of a geometry (GEOS IsValid). Points and
// lines that passed layers.NormalizeGeometry are always valid here; for a
// polygonal geometry each polygon is checked on its own first so the error can
// name the part, then the parts together (they must not overlap). The error is
// a *layers.ValidationError carrying GEOS's reason and location.
func Validate(layerID string, g orb.Geometry) error {
	var polys []orb.Polygon
	switch v := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{v}
	case orb.MultiPolygon:
		polys = v
	default:
		return nil
	}
	return WithContext(func(c *geos.Context) error {
		for i, p := range polys {
			if prob, bad := invalid(c, p); bad {
				if len(polys) > 1 {
					prob.Part = &i
				}
				return &layers.ValidationError{Layer: layerID, Problems: layers.Problems{prob}}
			}
		}
		if len(polys) > 1 {
			if prob, bad := invalid(c, orb.MultiPolygon(polys)); bad {
				prob.Reason = "polygons of the multipolygon overlap or touch along an edge: " + prob.Reason
				return &layers.ValidationError{Layer: layerID, Problems: layers.Problems{prob}}
			}
		}
		return nil
	})
}

func invalid(c *geos.Context, g orb.Geometry) (layers.Problem, bool) {
	gg, err := ToGEOS(c, g)
	if err != nil {
		return layers.Problem{Reason: err.Error()}, true
	}
	if gg.IsValid() {
		return layers.Problem{}, false
	}
	reason := gg.IsValidReason()
	prob := layers.Problem{Reason: reason}
	if m := reasonLocation.FindStringSubmatch(reason); m != nil {
		x, errx := strconv.ParseFloat(m[2], 64)
		y, erry := strconv.ParseFloat(m[3], 64)
		if errx == nil && erry == nil {
			prob.Reason = m[1]
			prob.Location = []float64{x, y}
		}
	}
	return prob, true
}

// Repair returns a valid MultiPolygon covering what the input meant (GEOS
// MakeValid, structure method: rings are kept as areas, collapsed parts
// dropped). It fails when nothing of area is left.
func Repair(layerID string, g orb.Geometry) (orb.MultiPolygon, error) {
	var out orb.MultiPolygon
	err := WithContext(func(c *geos.Context) error {
		gg, err := ToGEOS(c, g)
		if err != nil {
			return err
		}
		fixed := gg.MakeValidWithParams(geos.MakeValidStructure, geos.MakeValidDiscardCollapsed)
		if fixed == nil {
			return &layers.ValidationError{Layer: layerID, Problems: layers.Problems{{Reason: "GEOS could not repair the geometry"}}}
		}
		og, err := FromGEOS(fixed)
		if err != nil {
			return err
		}
		out = polygonal(og)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &layers.ValidationError{Layer: layerID, Problems: layers.Problems{{Reason: "repair left no area: the geometry collapses to lines or points"}}}
	}
	return out, nil
}

// Polygonal returns the polygons of a GEOS geometry as an orb MultiPolygon,
// dropping the lines and points an overlay may leave and polygons without
// area, exteriors counter-clockwise and holes clockwise (the GeoJSON
// convention).
func Polygonal(g *geos.Geom) (orb.MultiPolygon, error) {
	og, err := FromGEOS(g)
	if err != nil {
		return nil, err
	}
	return polygonal(og), nil
}

// polygonal keeps the polygons of an orb geometry with their area, oriented.
func polygonal(g orb.Geometry) orb.MultiPolygon {
	var out orb.MultiPolygon
	var walk func(orb.Geometry)
	walk = func(g orb.Geometry) {
		switch v := g.(type) {
		case orb.Polygon:
			if len(v) > 0 && planar.Area(v[0]) != 0 {
				out = append(out, Orient(v))
			}
		case orb.MultiPolygon:
			for _, p := range v {
				walk(p)
			}
		case orb.Collection:
			for _, m := range v {
				walk(m)
			}
		}
	}
	walk(g)
	return out
}

// Orient returns p with its exterior counter-clockwise and holes clockwise;
// rings that need turning are copied, never reversed in place.
func Orient(p orb.Polygon) orb.Polygon {
	for i, r := range p {
		ccw := r.Orientation() == orb.CCW
		if (i == 0) != ccw {
			rev := make(orb.Ring, len(r))
			for k := range r {
				rev[k] = r[len(r)-1-k]
			}
			p[i] = rev
		}
	}
	return p
}
