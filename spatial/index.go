// Package spatial holds the in-memory index over every layer (one R-tree per
// layer), the write path beside it, and the queries the API answers from it.
package spatial

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/btree"
	"github.com/tidwall/rtree"

	"github.com/onemap/onemap/layers"
)

// Op is the kind of change applied to the index.
type Op string

const (
	OpCreate  Op = "create"
	OpReplace Op = "replace"
	OpDelete  Op = "delete"
	OpReload  Op = "reload" // a whole layer was replaced (bulk import, replica catch-up)
)

// Change is what the index announces after it applied an edit: enough for a
// tile cache to drop the touched tiles and for verdicts to be recomputed.
type Change struct {
	Layer          string
	ID             int64 // 0 for OpReload
	Op             Op
	OldBound       *orb.Bound // nil when the feature did not exist before
	NewBound       *orb.Bound // nil when the feature no longer exists
	FeatureVersion int64      // the feature's version after the change (0 when deleted)
	DataVersion    uint64     // the index snapshot version that contains the change
}

// Index is the live spatial index over every catalogue layer. Readers take a
// Snapshot, which is immutable: they never wait for a writer and never see a
// half-applied change. Writers are serialised and publish a new snapshot per
// change; tidwall's R-tree and B-tree copy on write, so a snapshot is cheap.
//
// Every applied change is announced to the subscribers through the change
// feed, after the snapshot holding it is published and the index lock is
// released, in data-version order (see feed).
type Index struct {
	cat     *layers.Catalog
	strings *layers.StringTable // repeated attribute strings of the loaded features

	mu  sync.Mutex // serialises publishing snapshots; guards deleted
	cur atomic.Pointer[Snapshot]
	// deleted remembers the ids removed from each layer (guarded by mu).
	// Stores never reuse an id, so a later Put for one of them is a stale
	// delivery (say a replica replaying history) and must not resurrect it.
	deleted map[string]map[int64]struct{}

	feed feed
}

// Snapshot is a consistent, immutable view of every layer at one data version.
type Snapshot struct {
	version uint64
	layers  map[string]*layerIndex
}

type layerIndex struct {
	tree *rtree.RTreeG[*layers.Feature]
	byID *btree.Map[int64, *layers.Feature]
}

func newLayerIndex() *layerIndex {
	return &layerIndex{tree: &rtree.RTreeG[*layers.Feature]{}, byID: btree.NewMap[int64, *layers.Feature](64)}
}

func (li *layerIndex) copy() *layerIndex {
	return &layerIndex{tree: li.tree.Copy(), byID: li.byID.Copy()}
}

// NewIndex returns an empty index with one (empty) layer per catalogue layer.
func NewIndex(cat *layers.Catalog) *Index {
	s := &Snapshot{layers: make(map[string]*layerIndex, len(cat.Layers))}
	for _, l := range cat.Layers {
		s.layers[l.ID] = newLayerIndex()
	}
	idx := &Index{cat: cat, strings: layers.NewStringTable(), deleted: map[string]map[int64]struct{}{}}
	idx.cur.Store(s)
	return idx
}

// Catalog returns the catalogue the index was built for.
func (idx *Index) Catalog() *layers.Catalog { return idx.cat }

// Snapshot returns the current immutable view.
func (idx *Index) Snapshot() *Snapshot { return idx.cur.Load() }

// Subscribe registers fn to be called with every change applied from now on,
// in data-version order, on the change feed's goroutine: after the snapshot
// holding the change is published and the index lock is released, so
// readers never wait for fn. An edit through the Editor is acknowledged only
// after every subscriber returned for it. fn must not write through the
// Editor (its write would wait for fn itself).
func (idx *Index) Subscribe(fn func(Change)) { idx.feed.subscribe(fn) }

// Strings is the table the index shares repeated attribute strings through.
func (idx *Index) Strings() *layers.StringTable { return idx.strings }

// LoadStats says what Load read.
type LoadStats struct {
	Features int64
	Elapsed  time.Duration
}

// Load reads every catalogue layer from the store into the index, replacing
// what was there, and logs progress per layer. Layers load side by side, one
// per core; within a layer, reading and decoding (the store's Scan) runs on
// one goroutine while another builds the R-tree. The biggest layer usually
// dwarfs the rest, so it loads on one core while the others share the rest.
func (idx *Index) Load(ctx context.Context, store layers.Store, log *slog.Logger) (LoadStats, error) {
	start := time.Now()
	ctx, cancel := context.WithCancel(layers.WithStrings(ctx, idx.strings))
	defer cancel()
	queue := make(chan *layers.Layer)
	var (
		wg       sync.WaitGroup
		total    atomic.Int64
		firstErr error
		errOnce  sync.Once
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err; cancel() }) }
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range queue {
				t0 := time.Now()
				progress := func(n int) {
					if log != nil {
						el := time.Since(t0)
						log.Info("loading layer", "layer", l.ID, "features", n, "elapsed_ms", el.Milliseconds(),
							"features_per_s", int64(float64(n)/max(el.Seconds(), 1e-9)))
					}
				}
				li, n, err := buildLayer(ctx, func(fn func(*layers.Feature) error) error { return store.Scan(ctx, l.ID, fn) }, progress)
				if err != nil {
					fail(fmt.Errorf("load layer %s: %w", l.ID, err))
					continue
				}
				idx.publishLayer(l.ID, li)
				total.Add(int64(n))
				if log != nil {
					el := time.Since(t0)
					log.Info("layer loaded", "layer", l.ID, "features", n, "elapsed_ms", el.Milliseconds(),
						"features_per_s", int64(float64(n)/max(el.Seconds(), 1e-9)))
				}
			}
		}()
	}
feed:
	for i := range idx.cat.Layers {
		select {
		case queue <- idx.cat.Layers[i]:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return LoadStats{}, firstErr
	}
	st := LoadStats{Features: total.Load(), Elapsed: time.Since(start)}
	if log != nil {
		log.Info("index loaded", "features", st.Features, "elapsed_ms", st.Elapsed.Milliseconds(),
			"features_per_s", int64(float64(st.Features)/max(st.Elapsed.Seconds(), 1e-9)))
	}
	return st, nil
}

// progressEvery is how often a long layer load reports how far it got.
var progressEvery = 5 * time.Second

// buildLayer builds a layer's index from a scan that yields features in id
// order, inserting on this goroutine while the scan runs on another, and
// calls progress with the count so far every progressEvery.
func buildLayer(ctx context.Context, scan func(fn func(*layers.Feature) error) error, progress func(n int)) (*layerIndex, int, error) {
	const batch = 2048
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*layers.Feature, 8)
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		buf := make([]*layers.Feature, 0, batch)
		err := scan(func(f *layers.Feature) error {
			buf = append(buf, f)
			if len(buf) == batch {
				select {
				case batches <- buf:
				case <-ctx.Done():
					return ctx.Err()
				}
				buf = make([]*layers.Feature, 0, batch)
			}
			return nil
		})
		if err == nil && len(buf) > 0 {
			select {
			case batches <- buf:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		errc <- err
	}()
	li := newLayerIndex()
	n := 0
	next := time.Now().Add(progressEvery)
	for b := range batches {
		for _, f := range b {
			bd := f.Bound()
			li.tree.Insert(bd.Min, bd.Max, f)
			li.byID.Load(f.ID, f) // ids arrive in order: Load appends cheaply
		}
		n += len(b)
		if now := time.Now(); now.After(next) {
			progress(n)
			next = now.Add(progressEvery)
		}
	}
	if err := <-errc; err != nil {
		return nil, 0, err
	}
	return li, n, nil
}

// ReloadLayer replaces a whole layer's contents and announces OpReload.
func (idx *Index) ReloadLayer(layer string, feats []*layers.Feature) error {
	if idx.cat.Layer(layer) == nil {
		return fmt.Errorf("reload %s: %w", layer, layers.ErrNotFound)
	}
	li := newLayerIndex()
	for _, f := range feats {
		b := f.Bound()
		li.tree.Insert(b.Min, b.Max, f)
		li.byID.Set(f.ID, f)
	}
	idx.publishLayer(layer, li)
	return nil
}

// publishLayer swaps in a whole layer and announces OpReload.
func (idx *Index) publishLayer(layer string, li *layerIndex) <-chan struct{} {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	next := idx.next()
	next.layers[layer] = li
	idx.cur.Store(next)
	return idx.feed.enqueue(Change{Layer: layer, Op: OpReload, DataVersion: next.version})
}

// next returns a shallow copy of the current snapshot with the version bumped.
// Callers hold idx.mu and replace the layers they change.
func (idx *Index) next() *Snapshot {
	cur := idx.cur.Load()
	n := &Snapshot{version: cur.version + 1, layers: make(map[string]*layerIndex, len(cur.layers))}
	for k, v := range cur.layers {
		n.layers[k] = v
	}
	return n
}

// Put inserts or replaces a feature (by id) and announces the change. A
// feature whose version is not newer than the indexed one is ignored, so a
// late or repeated delivery cannot roll the index back. Put does not wait
// for the subscribers.
func (idx *Index) Put(layer string, f *layers.Feature) error {
	_, err := idx.put(layer, f)
	return err
}

// put applies f and returns a channel closed once the subscribers have
// seen the change (already closed when nothing changed).
func (idx *Index) put(layer string, f *layers.Feature) (<-chan struct{}, error) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	cur := idx.cur.Load()
	li, ok := cur.layers[layer]
	if !ok {
		return nil, fmt.Errorf("index put %s: %w", layer, layers.ErrNotFound)
	}
	old, had := li.byID.Get(f.ID)
	if had && old.Version >= f.Version {
		return closedChan, nil
	}
	if _, gone := idx.deleted[layer][f.ID]; gone {
		return closedChan, nil
	}
	next := idx.next()
	nl := li.copy()
	c := Change{Layer: layer, ID: f.ID, Op: OpCreate, FeatureVersion: f.Version}
	if had {
		ob := old.Bound()
		nl.tree.Delete(ob.Min, ob.Max, old)
		c.Op, c.OldBound = OpReplace, &ob
	}
	nb := f.Bound()
	nl.tree.Insert(nb.Min, nb.Max, f)
	nl.byID.Set(f.ID, f)
	c.NewBound = &nb
	next.layers[layer] = nl
	c.DataVersion = next.version
	idx.cur.Store(next)
	return idx.feed.enqueue(c), nil
}

// Remove deletes a feature by id and announces the change; a missing id is a
// no-op. Remove does not wait for the subscribers.
func (idx *Index) Remove(layer string, id int64) error {
	_, err := idx.remove(layer, id)
	return err
}

// remove is Remove returning the channel closed once subscribers saw it.
func (idx *Index) remove(layer string, id int64) (<-chan struct{}, error) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	cur := idx.cur.Load()
	li, ok := cur.layers[layer]
	if !ok {
		return nil, fmt.Errorf("index remove %s: %w", layer, layers.ErrNotFound)
	}
	old, had := li.byID.Get(id)
	if !had {
		return closedChan, nil
	}
	next := idx.next()
	nl := li.copy()
	ob := old.Bound()
	nl.tree.Delete(ob.Min, ob.Max, old)
	nl.byID.Delete(id)
	if idx.deleted[layer] == nil {
		idx.deleted[layer] = map[int64]struct{}{}
	}
	idx.deleted[layer][id] = struct{}{}
	next.layers[layer] = nl
	idx.cur.Store(next)
	return idx.feed.enqueue(Change{Layer: layer, ID: id, Op: OpDelete, OldBound: &ob, DataVersion: next.version}), nil
}

// Version is the data version of the snapshot: it grows by one per change.
func (s *Snapshot) Version() uint64 { return s.version }

// Has says whether the snapshot holds the layer.
func (s *Snapshot) Has(layer string) bool { _, ok := s.layers[layer]; return ok }

// Count is the number of features in a layer (0 for an unknown layer).
func (s *Snapshot) Count(layer string) int {
	if li, ok := s.layers[layer]; ok {
		return li.byID.Len()
	}
	return 0
}

// Bound is the extent of a layer; ok is false when it is empty or unknown.
func (s *Snapshot) Bound(layer string) (b orb.Bound, ok bool) {
	li, found := s.layers[layer]
	if !found || li.tree.Len() == 0 {
		return orb.Bound{}, false
	}
	min, max := li.tree.Bounds()
	return orb.Bound{Min: min, Max: max}, true
}

// Get returns a feature by id.
func (s *Snapshot) Get(layer string, id int64) (*layers.Feature, bool) {
	li, ok := s.layers[layer]
	if !ok {
		return nil, false
	}
	return li.byID.Get(id)
}

// Search calls fn for every feature of the layer whose bounding box
// intersects b, in no particular order, until fn returns false.
func (s *Snapshot) Search(layer string, b orb.Bound, fn func(*layers.Feature) bool) {
	li, ok := s.layers[layer]
	if !ok {
		return
	}
	li.tree.Search(b.Min, b.Max, func(_, _ [2]float64, f *layers.Feature) bool { return fn(f) })
}

// Ascend calls fn for the features of the layer in id order, starting at the
// offset-th one (0-based), until fn returns false.
func (s *Snapshot) Ascend(layer string, offset int, fn func(*layers.Feature) bool) {
	li, ok := s.layers[layer]
	if !ok || offset >= li.byID.Len() {
		return
	}
	if offset < 0 {
		offset = 0
	}
	startID, _, ok := li.byID.GetAt(offset)
	if !ok {
		return
	}
	li.byID.Ascend(startID, func(_ int64, f *layers.Feature) bool { return fn(f) })
}
