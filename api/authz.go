package api

import (
	"fmt"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/query"
)

// action is what a request does with a layer (auth.Read, auth.Write, …).
type action = auth.Action

const (
	readLayer    = auth.Read
	analyseLayer = auth.Analyse
	checkLayer   = auth.Check
	writeLayer   = auth.Write
)

// authorize is the one place that decides whether the caller may do a to
// layer l, on every route (features, tiles, queries, OGC, supervision):
// the policy's answer for the request's principal, 401 when a login could
// help, 403 when it is not allowed.
func (s *server) authorize(c *gin.Context, l *layers.Layer, a action) error {
	return s.Policy.Layer(principal(c), l, a)
}

// allow decides an action not bound to one layer (analyses across layers,
// field checks, profiling).
func (s *server) allow(c *gin.Context, a action) error {
	return s.Policy.Allow(principal(c), a)
}

// visible says whether the caller may see a layer's data (its features,
// count and extent) at all.
func (s *server) visible(c *gin.Context, l *layers.Layer) bool {
	return s.authorize(c, l, readLayer) == nil
}

// regionMatch returns the filter that keeps the features of l the caller
// may see or change by a, or nil when the caller is not bound to regions
// for it: every list, query and tile of a region-bound caller goes through it.
func (s *server) regionMatch(c *gin.Context, l *layers.Layer, a action) func(*layers.Feature) bool {
	p := principal(c)
	if !s.Policy.RegionBound(p, l, a) {
		return nil
	}
	snap := s.Index.Snapshot()
	return func(f *layers.Feature) bool { return p.InRegion(s.Regions.Of(snap, l, f)) }
}

// checkRegion refuses a change to feature f of l (as stored, or as it
// would be stored) outside the caller's regions.
func (s *server) checkRegion(c *gin.Context, l *layers.Layer, f *layers.Feature, a action) error {
	p := principal(c)
	if !s.Policy.RegionBound(p, l, a) {
		return nil
	}
	code := s.Regions.Of(s.Index.Snapshot(), l, f)
	if p.InRegion(code) {
		return nil
	}
	where := "lies in no county"
	if code != "" {
		where = "lies in region " + code
	}
	return &auth.Denied{Reason: fmt.Sprintf("this %s feature %s, outside the regions of %s", l.ID, where, p.Name)}
}

// layerParam finds the layer named in the path and checks that the caller
// may do a to it: 404 for an unknown layer, 401/403 for one not allowed.
func (s *server) layerParam(c *gin.Context, a action) (*layers.Layer, error) {
	l, err := s.catalogLayer(c.Param("layer"))
	if err != nil {
		return nil, err
	}
	if err := s.authorize(c, l, a); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *server) catalogLayer(id string) (*layers.Layer, error) {
	l := s.Catalog.Layer(id)
	if l == nil {
		return nil, notFound(fmt.Sprintf("no layer %q in the catalogue", id))
	}
	return l, nil
}

// regionMatches is regionMatch for each of the layers (only those filtered).
func (s *server) regionMatches(c *gin.Context, ids []string, a action) map[string]func(*layers.Feature) bool {
	var out map[string]func(*layers.Feature) bool
	for _, id := range ids {
		if l := s.Catalog.Layer(id); l != nil {
			if m := s.regionMatch(c, l, a); m != nil {
				if out == nil {
					out = map[string]func(*layers.Feature) bool{}
				}
				out[id] = m
			}
		}
	}
	return out
}

// andFilters joins two per-layer filter maps: a feature passes where both
// keep it.
func andFilters(a, b map[string]func(*layers.Feature) bool) map[string]func(*layers.Feature) bool {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		return b
	}
	for id, fb := range b {
		if fa := a[id]; fa != nil {
			a[id] = func(f *layers.Feature) bool { return fb(f) && fa(f) }
		} else {
			a[id] = fb
		}
	}
	return a
}

// keepInRegion drops from query results the features a region-bound caller
// may not see (for answers computed without a filter, such as identify).
func (s *server) keepInRegion(c *gin.Context, rs []query.Result, a action) []query.Result {
	out := rs[:0]
	for _, r := range rs {
		l := s.Catalog.Layer(r.Layer)
		if m := s.regionMatch(c, l, a); m != nil {
			r.Features = slices.DeleteFunc(r.Features, func(f *layers.Feature) bool { return !m(f) })
			r.NumberMatched -= r.NumberReturned - len(r.Features)
			r.NumberReturned = len(r.Features)
			if len(r.Features) == 0 {
				continue // layers with nothing there are left out
			}
		}
		out = append(out, r)
	}
	return out
}

// bothMatch keeps the features both filters keep (nil keeps all).
func bothMatch(a, b func(*layers.Feature) bool) func(*layers.Feature) bool {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(f *layers.Feature) bool { return b(f) && a(f) }
}
