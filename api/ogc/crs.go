package ogc

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// CRS84URI is the default CRS of OGC API – Features: lon/lat on WGS 84,
// which for our purposes coincides with CGCS2000 (LAYERS.md).
const CRS84URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

// StorageEPSG is the CRS the stores and the index hold: CGCS2000 lon/lat.
const StorageEPSG = 4490

// EPSGURI is the OGC URI of an EPSG code.
func EPSGURI(code int) string {
	return "http://www.opengis.net/def/crs/EPSG/0/" + strconv.Itoa(code)
}

// Projector converts a geometry between EPSG codes, easting (or longitude)
// first on both sides: the signature of spatial/crs.Transform, which brings
// the CGCS2000 Gauss-Krüger zones 4491–4554 when it is wired in.
type Projector func(ctx context.Context, g orb.Geometry, from, to int) (orb.Geometry, error)

// CRS is a coordinate reference system the OGC API serves (Part 2).
type CRS struct {
	URI  string
	EPSG int // 0 for CRS84
	// NorthFirst says the CRS's first axis is latitude or northing, as the
	// EPSG definitions of 4326, 4490 and the Gauss-Krüger zones give it,
	// so that coordinates are written in that order.
	NorthFirst bool
	project    Projector // nil: lon/lat, a no-op but for the axis order
}

// CRS84 is the default CRS: lon/lat.
var CRS84 = CRS{URI: CRS84URI}

// Geographic says whether coordinates are degrees (no projection).
func (c CRS) Geographic() bool { return c.project == nil }

// crsList is the CRSs a server offers: CRS84, EPSG:4490 and EPSG:4326
// (lat/lon: the EPSG axis order), and with a projector the CGCS2000
// Gauss-Krüger zones.
func crsList(p Projector) []CRS {
	out := []CRS{CRS84, {URI: EPSGURI(4490), EPSG: 4490, NorthFirst: true}, {URI: EPSGURI(4326), EPSG: 4326, NorthFirst: true}}
	if p != nil {
		for code := 4491; code <= 4554; code++ {
			out = append(out, CRS{URI: EPSGURI(code), EPSG: code, NorthFirst: true, project: p})
		}
	}
	return out
}

// parseCRS reads a CRS as its URI (what Part 2 specifies), or the
// shorter forms [EPSG:4326], EPSG:4326 and OGC:CRS84 that clients use.
func parseCRS(list []CRS, param, v string) (CRS, error) {
	s := strings.TrimSpace(v)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	switch {
	case s == CRS84URI || strings.EqualFold(s, "OGC:CRS84") || s == "https://www.opengis.net/def/crs/OGC/1.3/CRS84":
		return CRS84, nil
	case strings.HasPrefix(s, "http://www.opengis.net/def/crs/EPSG/0/"), strings.HasPrefix(s, "https://www.opengis.net/def/crs/EPSG/0/"):
		s = s[strings.LastIndexByte(s, '/')+1:]
	case len(s) > 5 && strings.EqualFold(s[:5], "EPSG:"):
		s = s[5:]
	default:
		return CRS{}, paramErr(param, "%q is not a CRS this server offers; use %s or %s (lat/lon) or %s (lat/lon)", v, CRS84URI, EPSGURI(4490), EPSGURI(4326))
	}
	code, err := strconv.Atoi(s)
	if err == nil {
		for _, c := range list {
			if c.EPSG == code && code != 0 {
				return c, nil
			}
		}
	}
	if code >= 4491 && code <= 4554 {
		return CRS{}, paramErr(param, "EPSG:%d (a CGCS2000 Gauss-Krüger zone) is not offered by this server yet; use %s, %s or %s", code, CRS84URI, EPSGURI(4490), EPSGURI(4326))
	}
	return CRS{}, paramErr(param, "%q is not a CRS this server offers; use %s or %s (lat/lon) or %s (lat/lon)", v, CRS84URI, EPSGURI(4490), EPSGURI(4326))
}

// FromStorage returns g (lon/lat on EPSG:4490) in the CRS c, in c's axis
// order. g is not changed.
func (c CRS) FromStorage(ctx context.Context, g orb.Geometry) (orb.Geometry, error) {
	if c.project != nil {
		p, err := c.project(ctx, g, StorageEPSG, c.EPSG)
		if err != nil {
			return nil, fmt.Errorf("to EPSG:%d: %w", c.EPSG, err)
		}
		return swapAxes(p), nil
	}
	if c.NorthFirst {
		return swapAxes(g), nil
	}
	return g, nil
}

// ToStorage returns g, given in the CRS c and its axis order, as lon/lat
// on EPSG:4490. g is not changed.
func (c CRS) ToStorage(ctx context.Context, g orb.Geometry) (orb.Geometry, error) {
	if c.NorthFirst {
		g = swapAxes(g)
	}
	if c.project != nil {
		p, err := c.project(ctx, g, c.EPSG, StorageEPSG)
		if err != nil {
			return nil, fmt.Errorf("from EPSG:%d: %w", c.EPSG, err)
		}
		return p, nil
	}
	return g, nil
}

// boundToStorage turns a box given in c (its axis order) into lon/lat:
// for a geographic CRS the box itself; for a projected one the lon/lat box
// enclosing its outline, and the outline (densified, since its edges curve
// in lon/lat) as a polygon.
func (c CRS) boundToStorage(ctx context.Context, b orb.Bound) (orb.Bound, orb.Polygon, error) {
	if c.project == nil {
		if c.NorthFirst {
			return orb.Bound{Min: orb.Point{b.Min[1], b.Min[0]}, Max: orb.Point{b.Max[1], b.Max[0]}}, nil, nil
		}
		return b, nil, nil
	}
	const steps = 16
	var ring orb.Ring
	corners := []orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}}
	for i, from := range corners {
		to := corners[(i+1)%4]
		for k := 0; k < steps; k++ {
			t := float64(k) / steps
			ring = append(ring, orb.Point{from[0] + t*(to[0]-from[0]), from[1] + t*(to[1]-from[1])})
		}
	}
	ring = append(ring, ring[0])
	g, err := c.ToStorage(ctx, orb.Polygon{ring})
	if err != nil {
		return orb.Bound{}, nil, err
	}
	p := g.(orb.Polygon)
	return p.Bound(), p, nil
}

// swapAxes returns a copy of g with the two numbers of every position
// exchanged.
func swapAxes(g orb.Geometry) orb.Geometry {
	sw := func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} }
	pts := func(ps []orb.Point) []orb.Point {
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			out[i] = sw(p)
		}
		return out
	}
	poly := func(p orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			out[i] = pts(r)
		}
		return out
	}
	switch v := g.(type) {
	case orb.Point:
		return sw(v)
	case orb.MultiPoint:
		return orb.MultiPoint(pts(v))
	case orb.LineString:
		return orb.LineString(pts(v))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(v))
		for i, l := range v {
			out[i] = pts(l)
		}
		return out
	case orb.Ring:
		return orb.Ring(pts(v))
	case orb.Polygon:
		return poly(v)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(v))
		for i, p := range v {
			out[i] = poly(p)
		}
		return out
	case orb.Collection:
		out := make(orb.Collection, len(v))
		for i, m := range v {
			out[i] = swapAxes(m)
		}
		return out
	case orb.Bound:
		return orb.Bound{Min: sw(v.Min), Max: sw(v.Max)}
	}
	return g
}
