package spatial

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

func randomBox(r *rand.Rand) orb.Polygon {
	x := 112 + r.Float64()
	y := 30 + r.Float64()
	w := r.Float64() * 0.02
	h := r.Float64() * 0.02
	return orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}
}

func randomBound(r *rand.Rand) orb.Bound {
	x := 112 + r.Float64()
	y := 30 + r.Float64()
	return orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + r.Float64()*0.2, y + r.Float64()*0.2}}
}

// bruteForce lists the ids of the snapshot's features whose box intersects b,
// walking every feature in id order instead of the R-tree.
func bruteForce(s *Snapshot, layer string, b orb.Bound) []int64 {
	var ids []int64
	s.Ascend(layer, 0, func(f *layers.Feature) bool {
		if f.Bound().Intersects(b) {
			ids = append(ids, f.ID)
		}
		return true
	})
	return ids
}

func searchIDs(s *Snapshot, layer string, b orb.Bound) []int64 {
	var ids []int64
	s.Search(layer, b, func(f *layers.Feature) bool {
		ids = append(ids, f.ID)
		return true
	})
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSearchMatchesBruteForce(t *testing.T) {
	cat := layers.DefaultCatalog()
	idx := NewIndex(cat)
	r := rand.New(rand.NewPCG(1, 2))
	feats := make([]*layers.Feature, 5000)
	for i := range feats {
		feats[i] = &layers.Feature{ID: int64(i + 1), Version: 1, Geometry: orb.MultiPolygon{randomBox(r)}}
	}
	if err := idx.ReloadLayer("dltb", feats); err != nil {
		t.Fatal(err)
	}
	s := idx.Snapshot()
	if s.Count("dltb") != 5000 {
		t.Fatalf("count %d", s.Count("dltb"))
	}
	hits := 0
	for i := 0; i < 500; i++ {
		b := randomBound(r)
		got, want := searchIDs(s, "dltb", b), bruteForce(s, "dltb", b)
		if !equalIDs(got, want) {
			t.Fatalf("bound %v: R-tree found %d, brute force %d", b, len(got), len(want))
		}
		hits += len(got)
	}
	if hits == 0 {
		t.Fatal("no query hit anything: the test proves nothing")
	}
}

// TestSearchDuringConcurrentWrites has writers insert, move and delete
// features while readers check that every snapshot they take is internally
// consistent (R-tree and id map agree) and that a snapshot never changes
// under them. At the end the index must equal the writers' own model.
func TestSearchDuringConcurrentWrites(t *testing.T) {
	cat := layers.DefaultCatalog()
	idx := NewIndex(cat)
	var changes atomic.Int64
	idx.Subscribe(func(Change) { changes.Add(1) })

	const writers, readers, opsPerWriter = 2, 4, 3000
	model := make([]map[int64]orb.Bound, writers) // each writer owns ids ≡ w (mod writers)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var checks atomic.Int64
	errs := make(chan error, readers)
	for rd := 0; rd < readers; rd++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := idx.Snapshot()
				b := randomBound(r)
				first := searchIDs(s, "dltb", b)
				if want := bruteForce(s, "dltb", b); !equalIDs(first, want) {
					errs <- fmt.Errorf("snapshot %d: R-tree %v, brute force %v", s.Version(), first, want)
					return
				}
				// The same snapshot must answer the same later, whatever the writers did since.
				if again := searchIDs(s, "dltb", b); !equalIDs(first, again) {
					errs <- fmt.Errorf("snapshot %d changed under a reader", s.Version())
					return
				}
				checks.Add(1)
			}
		}(uint64(rd))
	}
	var wwg sync.WaitGroup
	for w := 0; w < writers; w++ {
		model[w] = map[int64]orb.Bound{}
		wwg.Add(1)
		go func(w int) {
			defer wwg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			version := map[int64]int64{}
			var live []int64 // ids never come back once deleted, as in the stores
			next := int64(0)
			for i := 0; i < opsPerWriter; i++ {
				op := r.IntN(4)
				if op == 0 && len(live) > 0 {
					k := r.IntN(len(live))
					id := live[k]
					live = append(live[:k], live[k+1:]...)
					if err := idx.Remove("dltb", id); err != nil {
						t.Error(err)
						return
					}
					delete(model[w], id)
					continue
				}
				var id int64
				if op == 1 || len(live) == 0 {
					next++
					id = next*writers + int64(w)
					live = append(live, id)
				} else {
					id = live[r.IntN(len(live))]
				}
				version[id]++
				f := &layers.Feature{ID: id, Version: version[id], Geometry: orb.MultiPolygon{randomBox(r)}}
				if err := idx.Put("dltb", f); err != nil {
					t.Error(err)
					return
				}
				model[w][id] = f.Bound()
			}
		}(w)
	}
	wwg.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if checks.Load() == 0 {
		t.Fatal("readers made no check")
	}
	s := idx.Snapshot()
	total := 0
	for w := range model {
		total += len(model[w])
		for id, b := range model[w] {
			f, ok := s.Get("dltb", id)
			if !ok || f.Bound() != b {
				t.Fatalf("feature %d: index has %v, model %v", id, f, b)
			}
		}
	}
	if s.Count("dltb") != total {
		t.Fatalf("index holds %d features, model %d", s.Count("dltb"), total)
	}
	if changes.Load() == 0 {
		t.Fatal("no change announced")
	}
	t.Logf("%d consistent reader checks during %d writes", checks.Load(), writers*opsPerWriter)
}

func TestPutIgnoresOlderVersion(t *testing.T) {
	idx := NewIndex(layers.DefaultCatalog())
	r := rand.New(rand.NewPCG(3, 4))
	newer := &layers.Feature{ID: 1, Version: 3, Geometry: orb.MultiPolygon{randomBox(r)}}
	older := &layers.Feature{ID: 1, Version: 2, Geometry: orb.MultiPolygon{randomBox(r)}}
	var seen []Change
	idx.Subscribe(func(c Change) { seen = append(seen, c) })
	if err := idx.Put("dltb", newer); err != nil {
		t.Fatal(err)
	}
	if err := idx.Put("dltb", older); err != nil {
		t.Fatal(err)
	}
	f, _ := idx.Snapshot().Get("dltb", 1)
	if f != newer {
		t.Fatalf("older version replaced newer")
	}
	<-idx.Settled()
	if len(seen) != 1 || seen[0].Op != OpCreate || seen[0].NewBound == nil || seen[0].OldBound != nil {
		t.Fatalf("announcements %+v", seen)
	}
	// Once deleted, an id stays deleted: a late delivery of an older change
	// (a replica replaying history) must not bring it back.
	if err := idx.Remove("dltb", 1); err != nil {
		t.Fatal(err)
	}
	late := &layers.Feature{ID: 1, Version: 4, Geometry: orb.MultiPolygon{randomBox(r)}}
	if err := idx.Put("dltb", late); err != nil {
		t.Fatal(err)
	}
	if _, ok := idx.Snapshot().Get("dltb", 1); ok {
		t.Fatal("a deleted feature came back")
	}
	if err := idx.Put("nosuch", newer); !errors.Is(err, layers.ErrNotFound) {
		t.Fatalf("unknown layer: %v", err)
	}
}

func TestAscendPaging(t *testing.T) {
	idx := NewIndex(layers.DefaultCatalog())
	r := rand.New(rand.NewPCG(5, 6))
	var feats []*layers.Feature
	for i := 1; i <= 50; i++ {
		feats = append(feats, &layers.Feature{ID: int64(i * 3), Version: 1, Geometry: orb.MultiPolygon{randomBox(r)}})
	}
	if err := idx.ReloadLayer("dltb", feats); err != nil {
		t.Fatal(err)
	}
	var got []int64
	idx.Snapshot().Ascend("dltb", 10, func(f *layers.Feature) bool {
		got = append(got, f.ID)
		return len(got) < 5
	})
	want := []int64{33, 36, 39, 42, 45}
	if !equalIDs(got, want) {
		t.Fatalf("page = %v, want %v", got, want)
	}
	got = nil
	idx.Snapshot().Ascend("dltb", 50, func(f *layers.Feature) bool { got = append(got, f.ID); return true })
	if len(got) != 0 {
		t.Fatalf("offset past the end returned %v", got)
	}
}

func BenchmarkSearch(b *testing.B) {
	idx := NewIndex(layers.DefaultCatalog())
	r := rand.New(rand.NewPCG(1, 2))
	feats := make([]*layers.Feature, 100000)
	for i := range feats {
		feats[i] = &layers.Feature{ID: int64(i + 1), Version: 1, Geometry: orb.MultiPolygon{randomBox(r)}}
	}
	if err := idx.ReloadLayer("dltb", feats); err != nil {
		b.Fatal(err)
	}
	s := idx.Snapshot()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		s.Search("dltb", randomBound(r), func(*layers.Feature) bool { n++; return true })
	}
	b.ReportMetric(float64(n)/float64(b.N), "hits/op")
}

func TestIntersectsBound(t *testing.T) {
	// A square with a square hole: 0..10 outside, 4..6 hole.
	holed := orb.Polygon{
		{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
		{{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}},
	}
	line := orb.MultiLineString{{{0, 0}, {10, 10}}}
	cases := []struct {
		name string
		g    orb.Geometry
		b    orb.Bound
		want bool
	}{
		{"box inside material", holed, orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{2, 2}}, true},
		{"box inside hole", holed, orb.Bound{Min: orb.Point{4.5, 4.5}, Max: orb.Point{5.5, 5.5}}, false},
		{"box across hole edge", holed, orb.Bound{Min: orb.Point{3, 4.5}, Max: orb.Point{5, 5}}, true},
		{"box covering all", holed, orb.Bound{Min: orb.Point{-1, -1}, Max: orb.Point{11, 11}}, true},
		{"box outside within bbox", orb.Polygon{{{0, 0}, {10, 0}, {0, 10}, {0, 0}}}, orb.Bound{Min: orb.Point{8, 8}, Max: orb.Point{9, 9}}, false},
		{"box outside bbox", holed, orb.Bound{Min: orb.Point{20, 20}, Max: orb.Point{21, 21}}, false},
		{"line crossing", line, orb.Bound{Min: orb.Point{4, 4}, Max: orb.Point{5, 5}}, true},
		{"line missing", line, orb.Bound{Min: orb.Point{6, 1}, Max: orb.Point{9, 3}}, false},
		{"point in", orb.Point{1, 1}, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}, true},
	}
	for _, tc := range cases {
		if got := IntersectsBound(tc.g, tc.b); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// scanStore serves Scan from a slice per layer and can fail after n features.
type scanStore struct {
	memStore
	feats  map[string][]*layers.Feature
	failAt int
}

func (s *scanStore) Scan(_ context.Context, layer string, fn func(*layers.Feature) error) error {
	for i, f := range s.feats[layer] {
		if s.failAt > 0 && i == s.failAt {
			return errors.New("connection reset")
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func TestLoad(t *testing.T) {
	cat := layers.DefaultCatalog()
	r := rand.New(rand.NewPCG(7, 7))
	st := &scanStore{feats: map[string][]*layers.Feature{}}
	for i := 1; i <= 10000; i++ {
		st.feats["dltb"] = append(st.feats["dltb"], &layers.Feature{ID: int64(i), Version: 1, Geometry: orb.MultiPolygon{randomBox(r)}})
	}
	st.feats["dzzhd"] = []*layers.Feature{{ID: 5, Version: 2, Geometry: orb.Point{112.5, 30.5}}}
	// Layers load side by side: give several of them features.
	for k, l := range []string{"yjjbnt", "tdytq", "wpbhtb", "ckq"} {
		for i := 1; i <= 500*(k+1); i++ {
			st.feats[l] = append(st.feats[l], &layers.Feature{ID: int64(i), Version: 1, Geometry: orb.MultiPolygon{randomBox(r)}})
		}
	}
	idx := NewIndex(cat)
	stats, err := idx.Load(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := idx.Snapshot()
	if stats.Features != 10001+5000 || s.Count("dltb") != 10000 || s.Count("dzzhd") != 1 {
		t.Fatalf("loaded %d: dltb %d, dzzhd %d", stats.Features, s.Count("dltb"), s.Count("dzzhd"))
	}
	for _, l := range []string{"yjjbnt", "tdytq", "wpbhtb", "ckq"} {
		if s.Count(l) != len(st.feats[l]) {
			t.Fatalf("%s: %d of %d features loaded", l, s.Count(l), len(st.feats[l]))
		}
	}
	// A cancelled load says so.
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewIndex(cat).Load(cancelled, st, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled load: %v", err)
	}
	for i := 0; i < 100; i++ {
		b := randomBound(r)
		if got, want := searchIDs(s, "dltb", b), bruteForce(s, "dltb", b); !equalIDs(got, want) {
			t.Fatalf("loaded index disagrees with brute force at %v", b)
		}
	}
	// A scan that breaks halfway fails the load and publishes nothing of that layer.
	st.failAt = 5000
	idx2 := NewIndex(cat)
	if _, err := idx2.Load(context.Background(), st, nil); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("broken scan: %v", err)
	}
	if idx2.Snapshot().Count("dltb") != 0 {
		t.Fatal("half a layer was published")
	}
}

// TestLoadReportsProgress: a long layer load logs how far it got.
func TestLoadReportsProgress(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = time.Nanosecond
	r := rand.New(rand.NewPCG(8, 8))
	st := &scanStore{feats: map[string][]*layers.Feature{}}
	for i := 1; i <= 10000; i++ {
		st.feats["dltb"] = append(st.feats["dltb"], &layers.Feature{ID: int64(i), Version: 1, Geometry: orb.MultiPolygon{randomBox(r)}})
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	if _, err := NewIndex(layers.DefaultCatalog()).Load(context.Background(), st, log); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `msg="loading layer" layer=dltb features=2048`) || !strings.Contains(out, `msg="layer loaded" layer=dltb features=10000`) {
		t.Fatalf("no progress lines:\n%s", out)
	}
}
