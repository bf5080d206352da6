package supervise

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/topology"
)

// Evaluator applies the rules to features of one snapshot. It is the plain
// form of the rules, kept as the independent check of the Engine: a union
// of the candidates the R-tree finds for each role, then GEOS overlays
// measured on the ellipsoid (Karney). It gives verdicts, reasons and the
// rule areas, no evidence, and knows the default roles only.
type Evaluator struct {
	snap  *spatial.Snapshot
	cat   *layers.Catalog
	rules Rules
}

// NewEvaluator returns an evaluator over snap.
func NewEvaluator(snap *spatial.Snapshot, cat *layers.Catalog, rules Rules) *Evaluator {
	return &Evaluator{snap: snap, cat: cat, rules: rules}
}

func (e *Evaluator) str(layer string, f *layers.Feature, field string) string {
	s, _ := e.cat.Layer(layer).Value(f, field).(string)
	return s
}

// unionNear is the union of the features of layer whose boxes meet g's and
// that keep accepts (nil: all), in c.
func (e *Evaluator) unionNear(c *geos.Context, layer string, g orb.Geometry, keep func(*layers.Feature) bool) (*geos.Geom, error) {
	var polys []orb.Polygon
	e.snap.Search(layer, g.Bound(), func(f *layers.Feature) bool {
		if keep == nil || keep(f) {
			if mp, ok := f.Geometry.(orb.MultiPolygon); ok {
				polys = append(polys, mp...)
			}
		}
		return true
	})
	if len(polys) == 0 {
		return c.NewEmptyPolygon(), nil
	}
	u, err := topology.ToGEOS(c, orb.MultiPolygon(polys))
	if err != nil {
		return nil, err
	}
	return u.UnaryUnion(), nil
}

// geosArea is the ellipsoidal area of a GEOS result.
func geosArea(g *geos.Geom) (float64, error) {
	if g.IsEmpty() {
		return 0, nil
	}
	mp, err := topology.Polygonal(g)
	if err != nil {
		return 0, err
	}
	return area.Geodesic(mp), nil
}

// Patch judges one change patch (wpbhtb) as of its HSX date.
func (e *Evaluator) Patch(f *layers.Feature) (Finding, error) {
	out := Finding{Layer: "wpbhtb", ID: f.ID, Reasons: []Reason{}, Areas: map[string]float64{}}
	hsx := e.str("wpbhtb", f, "HSX")
	err := topology.WithContext(func(c *geos.Context) error {
		p, err := topology.ToGEOS(c, f.Geometry)
		if err != nil {
			return err
		}
		pa := area.Geodesic(f.Geometry)
		A, err := e.unionNear(c, "jsydsp", f.Geometry, func(a *layers.Feature) bool { return e.str("jsydsp", a, "PZRQ") <= hsx })
		if err != nil {
			return err
		}
		roles := map[string]*geos.Geom{}
		for _, l := range []string{"tdgy", "yjjbnt", "stbhhx", "czkfbj"} {
			if roles[l], err = e.unionNear(c, l, f.Geometry, nil); err != nil {
				return err
			}
		}
		areas := map[string]*geos.Geom{
			"A":       p.Intersection(A),
			"S":       p.Intersection(roles["tdgy"]),
			"farm":    p.Intersection(roles["yjjbnt"]).Difference(A),
			"red":     p.Intersection(roles["stbhhx"]),
			"outside": p.Difference(roles["czkfbj"]),
		}
		m2 := map[string]float64{}
		for k, g := range areas {
			if m2[k], err = geosArea(g); err != nil {
				return err
			}
		}
		out.AreaM2 = pa
		for k, name := range map[string]string{"A": AreaApproved, "S": AreaSupplied, "farm": AreaFarmlandUnapproved, "red": AreaRedLine, "outside": AreaOutsideBoundary} {
			out.Areas[name] = m2[k]
		}
		covA, covS := m2["A"]/pa, m2["S"]/pa
		switch {
		case covA >= e.rules.Coverage && covS >= e.rules.Coverage:
			out.Verdict = Legal
		case covA >= e.rules.Coverage:
			out.Verdict = ApprovedNotSupplied
		default:
			out.Verdict = Unapproved
		}
		if m2["farm"] >= e.rules.MinAreaM2 {
			out.Reasons = append(out.Reasons, OccupiesBasicFarmland)
		}
		if m2["red"] >= e.rules.MinAreaM2 {
			out.Reasons = append(out.Reasons, OccupiesRedLine)
		}
		if m2["outside"] >= e.rules.MinAreaM2 {
			out.Reasons = append(out.Reasons, OutsideDevelopmentBoundary)
		}
		return nil
	})
	if err != nil {
		return Finding{}, fmt.Errorf("judge change patch %d: %w", f.ID, err)
	}
	return out, nil
}

// Mining judges one mining patch (kcjc) against the licences valid on its
// monitoring date.
func (e *Evaluator) Mining(f *layers.Feature) (Finding, error) {
	out := Finding{Layer: "kcjc", ID: f.ID, Reasons: []Reason{}, Areas: map[string]float64{}}
	jcrq := e.str("kcjc", f, "JCRQ")
	err := topology.WithContext(func(c *geos.Context) error {
		m, err := topology.ToGEOS(c, f.Geometry)
		if err != nil {
			return err
		}
		L, err := e.unionNear(c, "ckq", f.Geometry, func(l *layers.Feature) bool {
			return e.str("ckq", l, "YXQQ") <= jcrq && jcrq <= e.str("ckq", l, "YXQZ")
		})
		if err != nil {
			return err
		}
		outside, err := geosArea(m.Difference(L))
		if err != nil {
			return err
		}
		licensed, err := geosArea(m.Intersection(L))
		if err != nil {
			return err
		}
		out.AreaM2 = area.Geodesic(f.Geometry)
		out.Areas[AreaLicensed], out.Areas[AreaOutsideLicence] = licensed, outside
		if outside >= e.rules.MinAreaM2 {
			out.Reasons = append(out.Reasons, OutOfBoundsMining)
		}
		return nil
	})
	if err != nil {
		return Finding{}, fmt.Errorf("judge mining patch %d: %w", f.ID, err)
	}
	return out, nil
}

// Supply judges one supply (tdgy): idle when building is more than a year
// late and no change patch touches it.
func (e *Evaluator) Supply(f *layers.Feature) (Finding, error) {
	out := Finding{Layer: "tdgy", ID: f.ID, Reasons: []Reason{}, Areas: map[string]float64{}}
	if !e.rules.idleSince(e.str("tdgy", f, "HTKGRQ")) {
		return out, nil
	}
	touched := false
	err := topology.WithContext(func(c *geos.Context) error {
		s, err := topology.ToGEOS(c, f.Geometry)
		if err != nil {
			return err
		}
		prep := s.Prepare()
		var ferr error
		e.snap.Search("wpbhtb", f.Geometry.Bound(), func(p *layers.Feature) bool {
			pg, err := topology.ToGEOS(c, p.Geometry)
			if err != nil {
				ferr = err
				return false
			}
			touched = prep.Intersects(pg)
			return !touched
		})
		return ferr
	})
	if err != nil {
		return Finding{}, fmt.Errorf("judge supply %d: %w", f.ID, err)
	}
	if !touched {
		out.Reasons = append(out.Reasons, IdleLand)
	}
	return out, nil
}
