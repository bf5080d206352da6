// Package inputgeom turns the geometry a client sends for a query or an
// analysis (GeoJSON or WKT, in any accepted CRS) into a checked lon/lat
// geometry on CGCS2000 (EPSG:4490), ready for GEOS.
//
// The order of the checks matters: GEOS calls cannot be interrupted, so
// everything that bounds their cost (vertex count, area) is checked before
// GEOS sees the geometry, and the context is consulted between steps.
//
// Errors, and the status the API gives them:
//   - *SyntaxError: malformed GeoJSON or WKT (400)
//   - crs.ErrUnsupported (*crs.UnsupportedError, *crs.ZoneError): a CRS
//     or zone that does not exist (400)
//   - *LimitError: too many vertices or too large an area, with the limit (422)
//   - *layers.ValidationError (layer "input"): empty, unclosed rings, too
//     few points, GEOS invalidity with reason and location (422)
//   - *crs.CoordinateError: NaN, out-of-range or untransformable
//     coordinates (422)
//   - the context's error when its deadline passes (503)
package inputgeom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/crs"
	"github.com/onemap/onemap/spatial/topology"
	"github.com/onemap/onemap/spatial/wkt"
)

// LayerName is the layer named in the validation errors of input geometries.
const LayerName = "input"

// Limits bound what one request may ask GEOS to do.
type Limits struct {
	MaxVertices int     // all points of the geometry
	MaxAreaM2   float64 // of the polygons (outer rings), or of the bbox of lines and points
}

// DefaultLimits: 50,000 vertices and 1,000 km², far above a project site
// (a few hundred vertices, well under 100 km²). GEOS's validity check alone
// took 76 ms for a 10,000-vertex zigzag ring here (BenchmarkRead), so the
// vertex cap bounds a request's uninterruptible GEOS time to well under a
// second.
var DefaultLimits = Limits{MaxVertices: 50_000, MaxAreaM2: 1e9}

// LimitError is input beyond a limit; the message says the limit.
type LimitError struct {
	What  string // "vertices" or "area"
	Limit float64
	Got   float64
}

func (e *LimitError) Error() string {
	if e.What == "area" {
		return fmt.Sprintf("the geometry covers %.0f m² (%.3f km²), more than the limit of %.0f m² (%.3f km²)", e.Got, e.Got/1e6, e.Limit, e.Limit/1e6)
	}
	return fmt.Sprintf("the geometry has %.0f vertices, more than the limit of %.0f", e.Got, e.Limit)
}

// SyntaxError is malformed GeoJSON or WKT.
type SyntaxError struct {
	Format string // "GeoJSON" or "WKT"
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("malformed %s: %s", e.Format, e.Msg) }

// Input is the geometry part of a request: exactly one of GeoJSON and WKT.
type Input struct {
	GeoJSON json.RawMessage
	WKT     string
	// CRS is the EPSG code of the coordinates; 0 means 4490, or the SRID of
	// an EWKT "SRID=n;" prefix. When both are given they must agree.
	CRS int
	// Repair closes unclosed rings, drops degenerate ones and makes the
	// polygons valid with GEOS instead of refusing them.
	Repair bool
}

// Result is a checked input geometry.
type Result struct {
	// Geometry in lon/lat on EPSG:4490. Polygonal input stays Polygon or
	// MultiPolygon (a repaired one is a MultiPolygon); lines and points
	// keep their type.
	Geometry orb.Geometry
	CRS      crs.CRS // what the coordinates were given in
	Vertices int
	AreaM2   float64 // ellipsoidal area on CGCS2000; 0 for lines and points
	Repaired bool    // the input was changed to make it valid
}

// Read parses, transforms and checks an input geometry.
func Read(ctx context.Context, in Input, lim Limits) (*Result, error) {
	var g orb.Geometry
	code := in.CRS
	switch {
	case len(in.GeoJSON) > 0 && in.WKT != "":
		return nil, &SyntaxError{Format: "input", Msg: "give either a GeoJSON geometry or WKT, not both"}
	case len(in.GeoJSON) > 0:
		var err error
		if g, err = DecodeGeoJSON(in.GeoJSON); err != nil {
			return nil, err
		}
	case in.WKT != "":
		gg, srid, err := wkt.ParseSRID(in.WKT)
		if err != nil {
			var se *wkt.SyntaxError
			if errors.As(err, &se) {
				return nil, &SyntaxError{Format: "WKT", Msg: fmt.Sprintf("at offset %d: %s", se.Offset, se.Msg)}
			}
			return nil, err
		}
		if srid != 0 {
			if code != 0 && code != srid {
				return nil, &SyntaxError{Format: "WKT", Msg: fmt.Sprintf("SRID=%d in the WKT contradicts crs %d", srid, code)}
			}
			code = srid
		}
		g = gg
	default:
		return nil, &SyntaxError{Format: "input", Msg: "no geometry: give a GeoJSON geometry or WKT"}
	}
	if code == 0 {
		code = crs.CGCS2000
	}
	return Prepare(ctx, g, code, in.Repair, lim)
}

// Prepare checks g, given in the CRS from, and returns it on EPSG:4490:
// structure and vertex count first, then the transformation (which checks
// every coordinate), the area cap, and GEOS validity (or repair) last.
func Prepare(ctx context.Context, g orb.Geometry, from int, repair bool, lim Limits) (*Result, error) {
	return prepare(ctx, g, from, repair, lim, false)
}

// PrepareParcels is Prepare for a set of parcels, such as a coordinate
// file's: neighbouring parcels share edges, which one MultiPolygon may not,
// so each polygon is checked (or repaired) on its own and the parcels are
// then dissolved into one valid MultiPolygon. Dissolving is no repair: the
// Result says Repaired only when a parcel itself was mended.
func PrepareParcels(ctx context.Context, parcels orb.MultiPolygon, from int, repair bool, lim Limits) (*Result, error) {
	return prepare(ctx, parcels, from, repair, lim, true)
}

func prepare(ctx context.Context, g orb.Geometry, from int, repair bool, lim Limits, dissolve bool) (*Result, error) {
	c, err := crs.Lookup(from)
	if err != nil {
		return nil, err
	}
	res := &Result{CRS: c}
	if err := acceptedType(g); err != nil {
		return nil, err
	}
	res.Vertices = layers.CountVertices(g)
	if lim.MaxVertices > 0 && res.Vertices > lim.MaxVertices {
		return nil, &LimitError{What: "vertices", Limit: float64(lim.MaxVertices), Got: float64(res.Vertices)}
	}
	if repair {
		var mended bool
		g, mended = topology.Mend(g)
		res.Repaired = mended
	}
	if err := structure(g); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read input geometry: %w", err)
	}
	ll, err := crs.ToCGCS2000(ctx, g, from)
	if err != nil {
		return nil, err
	}
	if a := coverage(ll); lim.MaxAreaM2 > 0 && a > lim.MaxAreaM2 {
		return nil, &LimitError{What: "area", Limit: lim.MaxAreaM2, Got: a}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read input geometry: %w", err)
	}
	if mp, ok := ll.(orb.MultiPolygon); ok && dissolve && len(mp) > 1 {
		parts := make(orb.MultiPolygon, 0, len(mp))
		for i, p := range mp {
			if verr := topology.Validate(LayerName, p); verr != nil {
				if !repair {
					var ve *layers.ValidationError
					if errors.As(verr, &ve) {
						for j := range ve.Problems {
							ve.Problems[j].Part = intp(i)
						}
					}
					return nil, verr
				}
				fixed, err := topology.Repair(LayerName, p)
				if err != nil {
					return nil, err
				}
				parts = append(parts, fixed...)
				res.Repaired = true
				continue
			}
			parts = append(parts, p)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read input geometry: %w", err)
		}
		if ll, err = topology.Dissolve(LayerName, parts); err != nil {
			return nil, err
		}
		res.AreaM2 = area.Geodesic(ll)
	} else if polygonal(ll) {
		if verr := topology.Validate(LayerName, ll); verr != nil {
			if !repair {
				return nil, verr
			}
			fixed, err := topology.Repair(LayerName, ll)
			if err != nil {
				return nil, err
			}
			ll = fixed
			res.Repaired = true
		}
		res.AreaM2 = area.Geodesic(ll)
	}
	res.Geometry = ll
	return res, nil
}

func problem(p layers.Problem) error {
	return &layers.ValidationError{Layer: LayerName, Problems: layers.Problems{p}}
}

func intp(i int) *int { return &i }

func acceptedType(g orb.Geometry) error {
	switch v := g.(type) {
	case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString, orb.Polygon, orb.MultiPolygon:
		if empty(g) {
			return problem(layers.Problem{Reason: "geometry is empty"})
		}
		return nil
	case orb.Collection:
		return problem(layers.Problem{Reason: "a GeometryCollection is not accepted: send a Polygon, MultiPolygon, LineString or Point"})
	case nil:
		return problem(layers.Problem{Reason: "geometry is missing"})
	default:
		return problem(layers.Problem{Reason: fmt.Sprintf("geometry type %s is not accepted", v.GeoJSONType())})
	}
}

func empty(g orb.Geometry) bool {
	switch v := g.(type) {
	case orb.MultiPoint:
		return len(v) == 0
	case orb.LineString:
		return len(v) == 0
	case orb.MultiLineString:
		for _, l := range v {
			if len(l) > 0 {
				return false
			}
		}
		return true
	case orb.Polygon:
		return len(v) == 0
	case orb.MultiPolygon:
		for _, p := range v {
			if len(p) > 0 {
				return false
			}
		}
		return true
	}
	return false
}

// structure checks what GEOS cannot even read: rings of at least 4 points,
// closed, with 3 distinct points; lines of 2 distinct points.
func structure(g orb.Geometry) error {
	switch v := g.(type) {
	case orb.Polygon:
		if empty(v) {
			return problem(layers.Problem{Reason: "geometry is empty: no ring has 3 distinct points"})
		}
		return polygonStructure(v, nil)
	case orb.MultiPolygon:
		if empty(v) {
			return problem(layers.Problem{Reason: "geometry is empty: no ring has 3 distinct points"})
		}
		for i, p := range v {
			if err := polygonStructure(p, intp(i)); err != nil {
				return err
			}
		}
	case orb.LineString:
		return lineStructure(v, nil)
	case orb.MultiLineString:
		for i, l := range v {
			if err := lineStructure(l, intp(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func polygonStructure(p orb.Polygon, part *int) error {
	if len(p) == 0 {
		return problem(layers.Problem{Part: part, Reason: "polygon has no rings"})
	}
	for j, r := range p {
		switch {
		case len(r) < 4:
			return problem(layers.Problem{Part: part, Ring: intp(j), Reason: fmt.Sprintf("ring has %d points, at least 4 needed (the last repeating the first)", len(r))})
		case r[0] != r[len(r)-1]:
			return problem(layers.Problem{Part: part, Ring: intp(j), Reason: "ring is not closed: its last point " + pt(r[len(r)-1]) + " differs from its first " + pt(r[0]) + " (ask for repair to close it)", Location: []float64{r[0][0], r[0][1]}})
		}
	}
	return nil
}

func lineStructure(l orb.LineString, part *int) error {
	for _, p := range l {
		if p != l[0] {
			return nil
		}
	}
	return problem(layers.Problem{Part: part, Reason: "line needs at least 2 distinct points"})
}

func pt(p orb.Point) string {
	return "(" + strconv.FormatFloat(p[0], 'f', -1, 64) + " " + strconv.FormatFloat(p[1], 'f', -1, 64) + ")"
}

func polygonal(g orb.Geometry) bool {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return true
	}
	return false
}

// coverage is what the area cap compares: the outer rings' area for
// polygons (holes ignored: cheap and never less than the true area of a
// valid polygon), the bbox's for lines and points.
func coverage(g orb.Geometry) float64 {
	switch v := g.(type) {
	case orb.Polygon:
		return area.Ring(v[0])
	case orb.MultiPolygon:
		s := 0.0
		for _, p := range v {
			s += area.Ring(p[0])
		}
		return s
	}
	return area.Geodesic(g.Bound())
}
