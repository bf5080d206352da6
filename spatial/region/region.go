// Package region tells the admin-code region a feature belongs to, so that
// callers bound to regions (a county's users) see and change only their
// own: the feature's own code field where its layer has one (XZQDM, then
// ZLDWDM, then QSDWDM), otherwise the county (xzq feature of level 县,
// six-digit XZQDM) that holds the largest part of it — for a point, the
// county that contains it; for a line, the longest length; for a polygon,
// the largest area (planar, in degrees: neighbouring counties at one
// latitude compare alike). Computed results are kept per feature version
// and dropped as the index announces changes.
package region

import (
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/twpayne/go-geos"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/topology"
)

// CodeFields are the admin-code fields that place a feature, in order of preference.
var CodeFields = []string{"XZQDM", "ZLDWDM", "QSDWDM"}

// AdminLayer is the layer of administrative areas, whose counties place
// the features of layers without a code field.
const AdminLayer = "xzq"

// CountyCodeLen is the length of a county's XZQDM.
const CountyCodeLen = 6

type entry struct {
	version int64
	gen     uint64
	code    string
}

type featureKey struct {
	layer string
	id    int64
}

// Resolver answers Of. It is safe for concurrent use.
type Resolver struct {
	mu    sync.Mutex
	gen   uint64 // bumped when an admin area changes
	cache map[featureKey]entry
	adm   *layers.Layer // the admin areas' layer; nil when the catalogue has none
}

// New returns a resolver over idx's catalogue that follows idx's changes.
func New(idx *spatial.Index) *Resolver {
	r := &Resolver{cache: map[featureKey]entry{}, adm: idx.Catalog().Layer(AdminLayer)}
	idx.Subscribe(r.changed)
	return r
}

func (r *Resolver) changed(ch spatial.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch.Layer == AdminLayer {
		r.gen++
		return
	}
	if ch.Op == spatial.OpReload {
		for k := range r.cache {
			if k.layer == ch.Layer {
				delete(r.cache, k)
			}
		}
		return
	}
	delete(r.cache, featureKey{ch.Layer, ch.ID})
}

// CodeField returns the index of the layer's admin-code field, or -1.
func CodeField(l *layers.Layer) int {
	for _, name := range CodeFields {
		if i := l.FieldIndex(name); i >= 0 {
			return i
		}
	}
	return -1
}

// Of returns the admin code of feature f of layer l in snapshot snap: its
// code field's value, or the code of the county holding most of it ("" when
// no county reaches it).
func (r *Resolver) Of(snap *spatial.Snapshot, l *layers.Layer, f *layers.Feature) string {
	if i := CodeField(l); i >= 0 {
		s, _ := f.Props.At(i).(string)
		return s
	}
	k := featureKey{l.ID, f.ID}
	r.mu.Lock()
	e, ok := r.cache[k]
	gen := r.gen
	r.mu.Unlock()
	if ok && e.version == f.Version && e.gen == gen && f.ID != 0 {
		return e.code
	}
	code := County(snap, r.adm, f.Geometry)
	if f.ID != 0 {
		r.mu.Lock()
		if r.gen == gen {
			r.cache[k] = entry{version: f.Version, gen: gen, code: code}
		}
		r.mu.Unlock()
	}
	return code
}

// County returns the code of the county (a feature of adm, the admin
// areas' layer) that holds the largest part of g in snap, or "" when none
// reaches it.
func County(snap *spatial.Snapshot, adm *layers.Layer, g orb.Geometry) string {
	if adm == nil || g == nil {
		return ""
	}
	codeAt := adm.FieldIndex("XZQDM")
	if codeAt < 0 {
		return ""
	}
	var candidates []*layers.Feature
	var codes []string
	snap.Search(adm.ID, g.Bound(), func(c *layers.Feature) bool {
		code, _ := c.Props.At(codeAt).(string)
		if len(code) == CountyCodeLen {
			candidates = append(candidates, c)
			codes = append(codes, code)
		}
		return true
	})
	if len(candidates) == 0 {
		return ""
	}
	if pt, ok := g.(orb.Point); ok {
		for i, c := range candidates {
			if contains(c.Geometry, pt) {
				return codes[i]
			}
		}
		return ""
	}
	best, bestSize := "", 0.0
	_ = topology.WithContext(func(ctx *geos.Context) error {
		fg, err := topology.ToGEOS(ctx, g)
		if err != nil {
			return err
		}
		for i, c := range candidates {
			if size := overlap(ctx, fg, c.Geometry); size > bestSize {
				best, bestSize = codes[i], size
			}
		}
		return nil
	})
	return best
}

// overlap is the area (or, for lines, length) of fg inside county c; 0
// when GEOS cannot say (a broken county geometry places nothing).
func overlap(ctx *geos.Context, fg *geos.Geom, c orb.Geometry) (size float64) {
	defer func() {
		if recover() != nil {
			size = 0
		}
	}()
	cg, err := topology.ToGEOS(ctx, c)
	if err != nil || !cg.Intersects(fg) {
		return 0
	}
	in := cg.Intersection(fg)
	if fg.TypeID() == geos.TypeIDLineString || fg.TypeID() == geos.TypeIDMultiLineString {
		return in.Length()
	}
	return in.Area()
}

func contains(g orb.Geometry, pt orb.Point) bool {
	switch g := g.(type) {
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, pt)
	case orb.Polygon:
		return planar.PolygonContains(g, pt)
	}
	return false
}
