// Package overlay measures what a site (a proposed project, a drawn area, a
// change patch) shares with the features of the catalogue layers: overlay
// analysis (压盖分析) with areas grouped by a layer's key field, and
// compliance review (合规审查) against the planning and hazard controls.
//
// Areas are ellipsoidal on CGCS2000, measured with area.Fast (Karney's
// geodesic polygon area to within 1e-9, several times quicker). A feature
// wholly inside the site counts with its own area, computed once and kept
// on the feature (layers.Feature.Measure with area.Fast: every user of that
// cache must measure with area.Fast too), never with an editable attribute
// such as TBMJ;
// only the features the site's boundary cuts go through a GEOS
// intersection. Measure is the primitive the other analyses build on: for
// one site and a set of candidate features, the area each feature shares
// with the site and, on request, the area of the site their union covers
// and the area it leaves uncovered.
package overlay

import (
	"context"
	"errors"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/prepared"
	"github.com/onemap/onemap/spatial/topology"
)

// ErrEmptySite is returned for a site with no area.
var ErrEmptySite = errors.New("site has no area")

// Site is a polygonal site prepared for measuring. It belongs to the GEOS
// context it was made with: use it on that context's goroutine only.
type Site struct {
	*prepared.Geometry
	// M2 is the site's own ellipsoidal area.
	M2 float64

	plane     area.Plane // where clipArea sums
	longEdges bool       // an edge too long for clipArea: GEOS measures
	scratch   []float64
}

// NewSite prepares a site in GEOS context c. The site must be valid (OGC):
// an invalid one is a *layers.ValidationError carrying GEOS's reason and
// location, an empty one ErrEmptySite.
func NewSite(c *geos.Context, g orb.MultiPolygon) (*Site, error) {
	if len(g) == 0 {
		return nil, ErrEmptySite
	}
	if err := topology.Validate("site", g); err != nil {
		return nil, err
	}
	m2 := area.Fast(g)
	if m2 <= 0 {
		return nil, ErrEmptySite
	}
	p, err := prepared.New(c, g)
	if err != nil {
		return nil, err
	}
	return &Site{Geometry: p, M2: m2, plane: area.NewPlane(g[0][0][0]), longEdges: hasLongEdge(g)}, nil
}

// WithSite prepares g as a site in a GEOS context of its own and runs fn
// with it; the site must not outlive fn. This is the entry point for
// analyses built on Measure, e.g. for a change patch P and a layer X:
// covered(X) = UnionM2 / M2, area(P ∩ ∪X) = UnionM2, area(P \ ∪X) =
// OutsideM2; an area such as ((P ∩ F) \ ∪A) is OutsideM2 of the site made
// from the pieces of F's Measure (Share.Geometry).
func WithSite(g orb.MultiPolygon, fn func(*Site) error) error {
	return topology.WithContext(func(c *geos.Context) error {
		s, err := NewSite(c, g)
		if err != nil {
			return err
		}
		return fn(s)
	})
}

// Share is what one feature shares with a site.
type Share struct {
	Feature *layers.Feature
	// M2 is the area of site ∩ feature (polygonal features).
	M2 float64
	// LengthM is the length of the feature inside the site (lines).
	LengthM float64
	// Whole says the feature lies in the site's interior, away from its
	// boundary, and counts with its own area (for points: in or on the
	// site). A feature inside that touches the boundary is measured by
	// intersection and says false; its area is the same.
	Whole bool
	// Geometry is site ∩ feature, kept when MeasureOptions.Geometries is set.
	Geometry orb.Geometry

	piece *geos.Geom // site ∩ feature for unions
}

// MeasureOptions choose what Measure computes beyond each feature's share.
type MeasureOptions struct {
	Geometries bool // keep each share's geometry (site ∩ feature)
	Union      bool // measure the area of the site the features cover together
	Outside    bool // measure the area of the site no feature covers
}

// Cover is how a set of features covers a site.
type Cover struct {
	// Shares lists the features that share something with the site (an area
	// above zero, a length above zero, a point in or on it), in the order
	// they were given.
	Shares []Share
	// UnionM2 is area(site ∩ ∪features), with MeasureOptions.Union.
	UnionM2 float64
	// OutsideM2 is area(site \ ∪features), with MeasureOptions.Outside.
	OutsideM2 float64
}

// checkEvery is how many features settled without GEOS may pass between
// two looks at the context; every feature that goes to GEOS looks.
const checkEvery = 256

// Measure measures what each of the candidate features shares with the
// site: polygons the area of the intersection, lines the length inside,
// points whether they lie in or on it. Candidates may include features that
// do not meet the site at all (say, everything an R-tree returned for the
// site's box); they are left out of the answer. It stops with the context's
// error when ctx is done.
func Measure(ctx context.Context, s *Site, feats []*layers.Feature, opts MeasureOptions) (*Cover, error) {
	cv := &Cover{}
	keepPieces := opts.Union || opts.Outside
	for i, f := range feats {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		sh, ok, err := s.share(ctx, f, opts.Geometries, keepPieces)
		if err != nil {
			return nil, fmt.Errorf("feature %d: %w", f.ID, err)
		}
		if ok {
			cv.Shares = append(cv.Shares, sh)
		}
	}
	if !keepPieces {
		return cv, nil
	}
	var pieces []*geos.Geom
	for _, sh := range cv.Shares {
		if sh.piece != nil {
			pieces = append(pieces, sh.piece)
		}
	}
	c := s.Context()
	if len(pieces) == 0 {
		cv.OutsideM2 = s.M2
		return cv, nil
	}
	u, err := prepared.Call("union", func() *geos.Geom {
		return c.NewCollection(geos.TypeIDGeometryCollection, pieces).UnaryUnion()
	})
	if err != nil {
		return nil, err
	}
	if opts.Union {
		if cv.UnionM2, err = geosArea(u); err != nil {
			return nil, err
		}
	}
	if opts.Outside {
		d, err := prepared.Call("difference", func() *geos.Geom { return s.GEOS().Difference(u) })
		if err != nil {
			return nil, err
		}
		if cv.OutsideM2, err = geosArea(d); err != nil {
			return nil, err
		}
	}
	return cv, nil
}

// share measures one feature. ok is false when it shares nothing.
func (s *Site) share(ctx context.Context, f *layers.Feature, keepGeom, keepPiece bool) (sh Share, ok bool, err error) {
	sh.Feature = f
	fb := f.Bound()
	switch s.Place(fb) {
	case prepared.Outside:
		return sh, false, nil
	case prepared.Inside:
		return s.whole(f, keepGeom, keepPiece)
	}
	if err := ctx.Err(); err != nil {
		return sh, false, err
	}
	if mp, ok := f.Geometry.(orb.MultiPolygon); ok && !keepGeom && !keepPiece {
		if m2, ok := s.clipArea(mp, fb); ok {
			sh.M2 = m2
			return sh, m2 > 0, nil
		}
	}
	if _, point := f.Geometry.(orb.Point); point {
		if ok, err := s.Intersects(f.Geometry); err != nil || !ok {
			return sh, false, err
		}
		return s.whole(f, keepGeom, keepPiece)
	}
	fg, err := s.ToGEOS(f.Geometry)
	if err != nil {
		return sh, false, err
	}
	// No predicate first: for a feature the boundary passes by, a prepared
	// Covers costs about what the intersection does, and the intersection
	// of a feature the site covers is the feature.
	x, err := prepared.Call("intersection", func() *geos.Geom { return fg.Intersection(s.GEOS()) })
	if err != nil {
		return sh, false, err
	}
	if x.IsEmpty() {
		return sh, false, nil
	}
	og, err := prepared.FromGEOS(x)
	if err != nil {
		return sh, false, err
	}
	switch f.Geometry.(type) {
	case orb.MultiPoint:
		ok = !x.IsEmpty()
	case orb.LineString, orb.MultiLineString:
		sh.LengthM = area.Length(og)
		ok = sh.LengthM > 0
	default:
		sh.M2 = area.Fast(og)
		ok = sh.M2 > 0
	}
	if keepGeom {
		sh.Geometry = og
	}
	if keepPiece {
		sh.piece = x
	}
	return sh, ok, nil
}

// whole is the share of a feature lying wholly in the site: all of it.
func (s *Site) whole(f *layers.Feature, keepGeom, keepPiece bool) (Share, bool, error) {
	sh := Share{Feature: f, Whole: true}
	switch f.Geometry.(type) {
	case orb.Point, orb.MultiPoint:
	case orb.LineString, orb.MultiLineString:
		sh.LengthM = f.Measure(area.Length)
	default:
		sh.M2 = f.Measure(area.Fast)
	}
	if keepGeom {
		sh.Geometry = f.Geometry
	}
	if keepPiece {
		g, err := s.ToGEOS(f.Geometry)
		if err != nil {
			return sh, false, err
		}
		sh.piece = g
	}
	return sh, true, nil
}

// geosArea is the ellipsoidal area of a GEOS geometry's polygons.
func geosArea(g *geos.Geom) (float64, error) {
	if g.IsEmpty() {
		return 0, nil
	}
	og, err := prepared.FromGEOS(g)
	if err != nil {
		return 0, err
	}
	return area.Fast(og), nil
}
