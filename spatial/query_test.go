package spatial

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// TestFeaturesMatchPages: with a Match, every page (with or without a
// bbox) holds exactly the brute-force answer's slice, and Matched counts
// every match.
func TestFeaturesMatchPages(t *testing.T) {
	idx := NewIndex(layers.DefaultCatalog())
	r := rand.New(rand.NewPCG(7, 8))
	var feats []*layers.Feature
	for i := 1; i <= 400; i++ {
		feats = append(feats, &layers.Feature{ID: int64(i), Version: 1, Geometry: orb.MultiPolygon{randomBox(r)}})
	}
	if err := idx.ReloadLayer("dltb", feats); err != nil {
		t.Fatal(err)
	}
	snap := idx.Snapshot()
	match := func(f *layers.Feature) bool { return f.ID%3 == 1 }
	for trial := 0; trial < 40; trial++ {
		var bbox *orb.Bound
		if trial%2 == 1 {
			b := randomBound(r)
			bbox = &b
		}
		var want []int64
		for _, f := range feats {
			if match(f) && (bbox == nil || IntersectsBound(f.Geometry, *bbox)) {
				want = append(want, f.ID)
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
		offset, limit := r.IntN(len(want)+5), 1+r.IntN(50)
		p := snap.Features(FeaturesQuery{Layer: "dltb", BBox: bbox, Match: match, Offset: offset, Limit: limit})
		if p.Matched != len(want) {
			t.Fatalf("trial %d: matched %d, want %d", trial, p.Matched, len(want))
		}
		var got []int64
		for _, f := range p.Features {
			got = append(got, f.ID)
		}
		end := min(len(want), offset+limit)
		var page []int64
		if offset < end {
			page = want[offset:end]
		}
		if !equalIDs(got, page) {
			t.Fatalf("trial %d (offset %d, limit %d): page %v, want %v", trial, offset, limit, got, page)
		}
	}
}
