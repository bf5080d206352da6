package supervise

import (
	"context"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/overlay"
	"github.com/onemap/onemap/spatial/prepared"
	"github.com/onemap/onemap/spatial/topology"
)

// Names of the areas a finding weighs (Finding.Areas), as the demo
// manifest names them.
const (
	// change patches, P the patch, A the approvals with PZRQ ≤ HSX
	AreaApproved           = "approved"            // area(P ∩ ∪A)
	AreaSupplied           = "supplied"            // area(P ∩ ∪S)
	AreaFarmlandUnapproved = "farmland_unapproved" // area((P ∩ ∪F) \ ∪A)
	AreaRedLine            = "red_line"            // area(P ∩ ∪R)
	AreaOutsideBoundary    = "outside_boundary"    // area(P \ ∪B)
	AreaCultivated         = "cultivated"          // area(P ∩ parcels with DLBM 01xx), 违法占耕 when unapproved
	// mining patches, M the patch, V the licences valid on JCRQ
	AreaLicensed       = "licensed"        // area(M ∩ ∪V)
	AreaOutsideLicence = "outside_licence" // area(M \ ∪V)
	// supplies, S the supply
	AreaPatched = "patched" // area(S ∩ ∪change patches)
)

// The fields the rules read (LAYERS.md).
const (
	fieldHSX    = "HSX"    // change patch: after-photo date
	fieldJCBH   = "JCBH"   // change and mining patches: monitoring number
	fieldPZRQ   = "PZRQ"   // approval date
	fieldJCRQ   = "JCRQ"   // mining patch: monitoring date
	fieldYXQQ   = "YXQQ"   // licence valid from
	fieldYXQZ   = "YXQZ"   // licence valid to
	fieldHTKGRQ = "HTKGRQ" // supply: agreed start of building
	fieldDZJGH  = "DZJGH"  // supply: electronic supervision number
	fieldDLBM   = "DLBM"   // parcel: land-use code
)

// CultivatedPrefix is the first-level DLBM class of cultivated land (耕地).
const CultivatedPrefix = "01"

// Evidence is one feature that weighed in a finding and the area it shares
// with the judged feature.
type Evidence struct {
	Layer string  `json:"layer"`
	ID    int64   `json:"id"`
	Key   string  `json:"key,omitempty"` // the feature's key field (PZWH, DZJGH, DLBM, …)
	M2    float64 `json:"m2"`
	Mu    float64 `json:"mu"`
	// Counts says the rule counted it; an approval dated after the
	// photo or a licence not valid on the monitoring date is shown with
	// Counts false and a Note saying why.
	Counts bool   `json:"counts"`
	Note   string `json:"note,omitempty"`
}

// Finding is the judgement of one supervised feature: a change patch's
// verdict and reasons, a mining patch's or a supply's reasons, the areas
// they rest on and the evidence.
type Finding struct {
	Layer   string             `json:"layer"`
	ID      int64              `json:"id"`
	Version int64              `json:"version"` // of the judged feature
	Key     string             `json:"key"`     // JCBH or DZJGH
	Date    string             `json:"date"`    // HSX, JCRQ or HTKGRQ
	Verdict Verdict            `json:"verdict,omitempty"`
	Reasons []Reason           `json:"reasons"`
	AreaM2  float64            `json:"area_m2"`
	Areas   map[string]float64 `json:"areas_m2"`
	// Evidence lists the features that weighed in, by role layer in rule
	// order and by id within a layer.
	Evidence []Evidence `json:"evidence"`
	// Error says why the feature could not be judged (a broken geometry);
	// such a finding has no verdict.
	Error string `json:"error,omitempty"`
}

// Flagged says whether the finding suspects something: a verdict other
// than legal, or any reason.
func (f *Finding) Flagged() bool {
	return f.Error == "" && ((f.Verdict != "" && f.Verdict != Legal) || len(f.Reasons) > 0)
}

// Has says whether the finding gives reason r.
func (f *Finding) Has(r Reason) bool {
	for _, x := range f.Reasons {
		if x == r {
			return true
		}
	}
	return false
}

// judge applies the rules to features of one snapshot through the overlay
// engine (overlay.Measure): the R-tree's candidates of each role measured
// against the judged feature, unions only where the rule needs one.
type judge struct {
	snap  *spatial.Snapshot
	cat   *layers.Catalog
	rules Rules
}

func (j *judge) str(layer string, f *layers.Feature, field string) string {
	l := j.cat.Layer(layer)
	if l == nil {
		return ""
	}
	s, _ := l.Value(f, field).(string)
	return s
}

// key is the value of a layer's key field as text.
func (j *judge) key(layer string, f *layers.Feature) string {
	l := j.cat.Layer(layer)
	if l == nil || l.KeyField == "" {
		return ""
	}
	return overlay.KeyString(l.Value(f, l.KeyField))
}

// candidates are the features of layer whose boxes meet b, in id order
// (none when the catalogue lacks the layer).
func (j *judge) candidates(layer string, b orb.Bound) []*layers.Feature {
	if layer == "" || !j.snap.Has(layer) {
		return nil
	}
	return overlay.Candidates(j.snap, layer, b)
}

func (j *judge) evidence(layer string, sh overlay.Share, counts bool, note string) Evidence {
	return Evidence{Layer: layer, ID: sh.Feature.ID, Key: j.key(layer, sh.Feature), M2: sh.M2, Mu: area.Mu(sh.M2), Counts: counts, Note: note}
}

// judgeFeature judges feature f of layer (a role layer of the rules).
func (j *judge) judgeFeature(ctx context.Context, layer string, f *layers.Feature) *Finding {
	r := j.rules.Roles
	var out *Finding
	var err error
	switch layer {
	case r.Patches:
		out, err = j.patch(ctx, f)
	case r.Mining:
		out, err = j.mining(ctx, f)
	case r.Supplies:
		out, err = j.supply(ctx, f)
	default:
		return nil
	}
	if err != nil {
		return &Finding{Layer: layer, ID: f.ID, Version: f.Version, Reasons: []Reason{}, Areas: map[string]float64{},
			Evidence: []Evidence{}, Error: err.Error()}
	}
	return out
}

// site runs fn with f's geometry prepared as an overlay site.
func site(f *layers.Feature, fn func(*overlay.Site) error) error {
	mp, ok := f.Geometry.(orb.MultiPolygon)
	if !ok {
		return fmt.Errorf("geometry is %s, not a polygon", f.Geometry.GeoJSONType())
	}
	return overlay.WithSite(mp, fn)
}

// patch judges one change patch as of its HSX date.
func (j *judge) patch(ctx context.Context, f *layers.Feature) (*Finding, error) {
	r := j.rules.Roles
	hsx := j.str(r.Patches, f, fieldHSX)
	out := &Finding{Layer: r.Patches, ID: f.ID, Version: f.Version, Key: j.str(r.Patches, f, fieldJCBH), Date: hsx,
		Reasons: []Reason{}, Areas: map[string]float64{}, Evidence: []Evidence{}}
	err := site(f, func(s *overlay.Site) error {
		out.AreaM2 = s.M2
		b := s.Bound()
		// A: the approvals dated on or before the photo count.
		var counted, late []*layers.Feature
		for _, a := range j.candidates(r.Approvals, b) {
			if pz := j.str(r.Approvals, a, fieldPZRQ); pz != "" && pz <= hsx {
				counted = append(counted, a)
			} else {
				late = append(late, a)
			}
		}
		A, err := overlay.Measure(ctx, s, counted, overlay.MeasureOptions{Union: true})
		if err != nil {
			return fmt.Errorf("approvals: %w", err)
		}
		lateCover, err := overlay.Measure(ctx, s, late, overlay.MeasureOptions{})
		if err != nil {
			return fmt.Errorf("approvals: %w", err)
		}
		for _, sh := range mergeShares(A.Shares, lateCover.Shares) {
			counts := sh.counted
			note := ""
			if pz := j.str(r.Approvals, sh.Feature, fieldPZRQ); !counts && pz == "" {
				note = "无批准日期"
			} else if !counts {
				note = fmt.Sprintf("批准日期 %s 晚于后时相 %s", pz, hsx)
			}
			out.Evidence = append(out.Evidence, j.evidence(r.Approvals, sh.Share, counts, note))
		}
		out.Areas[AreaApproved] = A.UnionM2

		S, err := j.measure(ctx, s, r.Supplies, b, overlay.MeasureOptions{Union: true}, out)
		if err != nil {
			return err
		}
		out.Areas[AreaSupplied] = S.UnionM2

		F, err := j.measure(ctx, s, r.Farmland, b, overlay.MeasureOptions{Union: true}, out)
		if err != nil {
			return err
		}
		out.Areas[AreaFarmlandUnapproved] = F.UnionM2
		if F.UnionM2 > 0 && len(A.Shares) > 0 {
			if out.Areas[AreaFarmlandUnapproved], err = farmlandOutside(ctx, s, F.Shares, A.Shares); err != nil {
				return fmt.Errorf("farmland outside approvals: %w", err)
			}
		}

		R, err := j.measure(ctx, s, r.RedLine, b, overlay.MeasureOptions{Union: true}, out)
		if err != nil {
			return err
		}
		out.Areas[AreaRedLine] = R.UnionM2

		B, err := j.measure(ctx, s, r.Boundary, b, overlay.MeasureOptions{Outside: true}, out)
		if err != nil {
			return err
		}
		out.Areas[AreaOutsideBoundary] = B.OutsideM2

		P, err := j.measure(ctx, s, r.Parcels, b, overlay.MeasureOptions{}, out)
		if err != nil {
			return err
		}
		if l := j.cat.Layer(r.Parcels); l != nil {
			for _, sh := range P.Shares {
				if code, _ := l.Value(sh.Feature, fieldDLBM).(string); strings.HasPrefix(code, CultivatedPrefix) {
					out.Areas[AreaCultivated] += sh.M2
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("judge change patch %d: %w", f.ID, err)
	}
	a, cov := out.Areas, j.rules.Coverage
	covA, covS := a[AreaApproved]/out.AreaM2, a[AreaSupplied]/out.AreaM2
	switch {
	case covA >= cov && covS >= cov:
		out.Verdict = Legal
	case covA >= cov:
		out.Verdict = ApprovedNotSupplied
	default:
		out.Verdict = Unapproved
	}
	for _, x := range []struct {
		area   string
		reason Reason
	}{{AreaFarmlandUnapproved, OccupiesBasicFarmland}, {AreaRedLine, OccupiesRedLine}, {AreaOutsideBoundary, OutsideDevelopmentBoundary}} {
		if a[x.area] >= j.rules.MinAreaM2 {
			out.Reasons = append(out.Reasons, x.reason)
		}
	}
	return out, nil
}

// measure measures the candidates of a role layer against the site and
// adds every feature sharing area with it to the evidence, as counted.
func (j *judge) measure(ctx context.Context, s *overlay.Site, layer string, b orb.Bound, opts overlay.MeasureOptions, out *Finding) (*overlay.Cover, error) {
	cv, err := overlay.Measure(ctx, s, j.candidates(layer, b), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", layer, err)
	}
	for _, sh := range cv.Shares {
		if sh.M2 > 0 {
			out.Evidence = append(out.Evidence, j.evidence(layer, sh, true, ""))
		}
	}
	return cv, nil
}

type markedShare struct {
	overlay.Share
	counted bool
}

// mergeShares lists counted and uncounted shares together in id order.
func mergeShares(counted, other []overlay.Share) []markedShare {
	out := make([]markedShare, 0, len(counted)+len(other))
	i, k := 0, 0
	for i < len(counted) || k < len(other) {
		if k == len(other) || (i < len(counted) && counted[i].Feature.ID < other[k].Feature.ID) {
			out = append(out, markedShare{counted[i], true})
			i++
		} else {
			out = append(out, markedShare{other[k], false})
			k++
		}
	}
	return out
}

// farmlandOutside is area((P ∩ ∪F) \ ∪A), given the features of F and A
// that share area with P: the rare case where a patch meets both.
func farmlandOutside(ctx context.Context, s *overlay.Site, farm, approvals []overlay.Share) (float64, error) {
	feats := func(shs []overlay.Share) []*layers.Feature {
		fs := make([]*layers.Feature, len(shs))
		for i, sh := range shs {
			fs[i] = sh.Feature
		}
		return fs
	}
	F, err := overlay.Measure(ctx, s, feats(farm), overlay.MeasureOptions{Geometries: true})
	if err != nil {
		return 0, err
	}
	A, err := overlay.Measure(ctx, s, feats(approvals), overlay.MeasureOptions{Geometries: true})
	if err != nil {
		return 0, err
	}
	c := s.Context()
	uF, err := unionOf(c, F.Shares)
	if err != nil {
		return 0, err
	}
	uA, err := unionOf(c, A.Shares)
	if err != nil {
		return 0, err
	}
	d, err := prepared.Call("difference", func() *geos.Geom { return uF.Difference(uA) })
	if err != nil {
		return 0, err
	}
	if d.IsEmpty() {
		return 0, nil
	}
	g, err := prepared.FromGEOS(d)
	if err != nil {
		return 0, err
	}
	return area.Fast(g), nil
}

// unionOf is the union of the shares' geometries in GEOS context c.
func unionOf(c *geos.Context, shs []overlay.Share) (*geos.Geom, error) {
	gs := make([]*geos.Geom, 0, len(shs))
	for _, sh := range shs {
		if sh.Geometry == nil {
			continue
		}
		g, err := topology.ToGEOS(c, sh.Geometry)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	if len(gs) == 0 {
		return c.NewEmptyPolygon(), nil
	}
	return prepared.Call("union", func() *geos.Geom {
		return c.NewCollection(geos.TypeIDGeometryCollection, gs).UnaryUnion()
	})
}

// mining judges one mining patch against the licences valid on its
// monitoring date.
func (j *judge) mining(ctx context.Context, f *layers.Feature) (*Finding, error) {
	r := j.rules.Roles
	jcrq := j.str(r.Mining, f, fieldJCRQ)
	out := &Finding{Layer: r.Mining, ID: f.ID, Version: f.Version, Key: j.str(r.Mining, f, fieldJCBH), Date: jcrq,
		Reasons: []Reason{}, Areas: map[string]float64{}, Evidence: []Evidence{}}
	err := site(f, func(s *overlay.Site) error {
		out.AreaM2 = s.M2
		var valid, invalid []*layers.Feature
		for _, l := range j.candidates(r.Licences, s.Bound()) {
			from, to := j.str(r.Licences, l, fieldYXQQ), j.str(r.Licences, l, fieldYXQZ)
			if (from == "" || from <= jcrq) && (to == "" || jcrq <= to) {
				valid = append(valid, l)
			} else {
				invalid = append(invalid, l)
			}
		}
		V, err := overlay.Measure(ctx, s, valid, overlay.MeasureOptions{Union: true, Outside: true})
		if err != nil {
			return fmt.Errorf("licences: %w", err)
		}
		other, err := overlay.Measure(ctx, s, invalid, overlay.MeasureOptions{})
		if err != nil {
			return fmt.Errorf("licences: %w", err)
		}
		for _, sh := range mergeShares(V.Shares, other.Shares) {
			note := ""
			if !sh.counted {
				note = fmt.Sprintf("有效期 %s 至 %s，不含监测日期 %s", j.str(r.Licences, sh.Feature, fieldYXQQ), j.str(r.Licences, sh.Feature, fieldYXQZ), jcrq)
			}
			out.Evidence = append(out.Evidence, j.evidence(r.Licences, sh.Share, sh.counted, note))
		}
		out.Areas[AreaLicensed], out.Areas[AreaOutsideLicence] = V.UnionM2, V.OutsideM2
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("judge mining patch %d: %w", f.ID, err)
	}
	if out.Areas[AreaOutsideLicence] >= j.rules.MinAreaM2 {
		out.Reasons = append(out.Reasons, OutOfBoundsMining)
	}
	return out, nil
}

// supply judges one supply: idle when building is more than a year late
// and no change patch intersects it. Its evidence is the approvals it lies
// in and the change patches on it.
func (j *judge) supply(ctx context.Context, f *layers.Feature) (*Finding, error) {
	r := j.rules.Roles
	htkgrq := j.str(r.Supplies, f, fieldHTKGRQ)
	out := &Finding{Layer: r.Supplies, ID: f.ID, Version: f.Version, Key: j.str(r.Supplies, f, fieldDZJGH), Date: htkgrq,
		Reasons: []Reason{}, Areas: map[string]float64{}, Evidence: []Evidence{}}
	touched := false
	err := site(f, func(s *overlay.Site) error {
		out.AreaM2 = s.M2
		b := s.Bound()
		if _, err := j.measure(ctx, s, r.Approvals, b, overlay.MeasureOptions{}, out); err != nil {
			return err
		}
		patches := j.candidates(r.Patches, b)
		P, err := j.measure(ctx, s, r.Patches, b, overlay.MeasureOptions{Union: true}, out)
		if err != nil {
			return err
		}
		out.Areas[AreaPatched] = P.UnionM2
		touched = len(P.Shares) > 0
		// A patch that only touches the supply's edge shares no area but
		// still intersects it.
		for _, p := range patches {
			if touched {
				break
			}
			ok, err := s.Intersects(p.Geometry)
			if err != nil {
				return fmt.Errorf("%s %d: %w", r.Patches, p.ID, err)
			}
			if ok {
				touched = true
				out.Evidence = append(out.Evidence, Evidence{Layer: r.Patches, ID: p.ID, Key: j.key(r.Patches, p), Counts: true, Note: "仅边界相接"})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("judge supply %d: %w", f.ID, err)
	}
	if !touched && j.rules.idleSince(htkgrq) {
		out.Reasons = append(out.Reasons, IdleLand)
	}
	return out, nil
}
