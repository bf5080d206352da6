package tiles

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// Prepared keeps every feature of an index ready for tiles (a record per
// feature: its geometry on the world grid, its attributes as numbered MVT
// values), so that making a tile only shifts integers and copies bytes. It
// follows the index's edits: a record is found by the feature's id and used
// only if it was made from the very feature the snapshot holds, otherwise
// it is made again (and kept, unless a newer one is there already), so a
// tile is never made from stale data whatever the order of events; the
// change feed drops deleted features' records and makes new ones ahead of
// the first tile.
type Prepared struct {
	idx    *spatial.Index
	layers map[string]*preparedLayer
	pool   sync.Pool // *recordBuilder
}

type preparedLayer struct {
	l    *layers.Layer
	dict *dict

	mu     sync.Mutex // growing chunks
	chunks atomic.Pointer[[]*recordChunk]
	sparse sync.Map // int64 → *record, for ids past maxDenseID
}

const (
	recordChunkLen = 4096
	// maxDenseID is the largest id kept in the dense table (stores number
	// features from 1 up); larger ones go to a map.
	maxDenseID = 1 << 26
)

type recordChunk [recordChunkLen]atomic.Pointer[record]

// NewPrepared returns the tile-ready store of idx, empty, and subscribes to
// its changes. Records are made as tiles need them, or all at once by
// PrepareAll.
func NewPrepared(idx *spatial.Index) *Prepared {
	p := &Prepared{idx: idx, layers: map[string]*preparedLayer{}}
	p.pool.New = func() any { return &recordBuilder{} }
	for _, l := range idx.Catalog().Layers {
		pl := &preparedLayer{l: l, dict: newDict(len(l.Fields))}
		pl.chunks.Store(&[]*recordChunk{})
		p.layers[l.ID] = pl
	}
	idx.Subscribe(p.changed)
	return p
}

// slot returns where the record of id lives, growing the table when grow
// is set (nil otherwise when there is none).
func (pl *preparedLayer) slot(id int64, grow bool) *atomic.Pointer[record] {
	if id < 0 || id >= maxDenseID {
		return nil
	}
	c := int(id / recordChunkLen)
	chunks := *pl.chunks.Load()
	if c >= len(chunks) || chunks[c] == nil {
		if !grow {
			return nil
		}
		pl.mu.Lock()
		chunks = *pl.chunks.Load()
		if c >= len(chunks) || chunks[c] == nil {
			grown := make([]*recordChunk, max(len(chunks), c+1))
			copy(grown, chunks)
			grown[c] = new(recordChunk)
			pl.chunks.Store(&grown)
			chunks = grown
		}
		pl.mu.Unlock()
	}
	return &chunks[c][id%recordChunkLen]
}

func (pl *preparedLayer) load(id int64) *record {
	if s := pl.slot(id, false); s != nil {
		return s.Load()
	}
	if v, ok := pl.sparse.Load(id); ok {
		return v.(*record)
	}
	return nil
}

// keep stores r unless a record of a newer version is there.
func (pl *preparedLayer) keep(r *record) {
	id := r.f.ID
	if s := pl.slot(id, true); s != nil {
		for {
			old := s.Load()
			if old != nil && old.f.Version > r.f.Version {
				return
			}
			if s.CompareAndSwap(old, r) {
				return
			}
		}
	}
	for {
		v, loaded := pl.sparse.LoadOrStore(id, r)
		if !loaded {
			return
		}
		old := v.(*record)
		if old.f.Version > r.f.Version || pl.sparse.CompareAndSwap(id, old, r) {
			return
		}
	}
}

func (pl *preparedLayer) drop(id int64) {
	if s := pl.slot(id, false); s != nil {
		s.Store(nil)
		return
	}
	pl.sparse.Delete(id)
}

// record returns the record of f, made now if none made from f is kept.
func (p *Prepared) record(pl *preparedLayer, f *layers.Feature) *record {
	if r := pl.load(f.ID); r != nil && r.f == f {
		return r
	}
	b := p.pool.Get().(*recordBuilder)
	r := b.build(f, pl.dict)
	p.pool.Put(b)
	pl.keep(r)
	return r
}

// changed keeps the records in step with the index's edits.
func (p *Prepared) changed(ch spatial.Change) {
	pl := p.layers[ch.Layer]
	if pl == nil {
		return
	}
	switch ch.Op {
	case spatial.OpReload:
		// Every feature of the layer is new: the old records only hold
		// memory; the new ones are made as tiles need them.
		pl.mu.Lock()
		pl.chunks.Store(&[]*recordChunk{})
		pl.mu.Unlock()
		pl.sparse.Clear()
	case spatial.OpDelete:
		if _, ok := p.idx.Snapshot().Get(ch.Layer, ch.ID); !ok {
			pl.drop(ch.ID)
		}
	default:
		if f, ok := p.idx.Snapshot().Get(ch.Layer, ch.ID); ok {
			p.record(pl, f)
		}
	}
}

// PrepareAll makes the record of every feature of the index, one layer
// after another, with every core.
func (p *Prepared) PrepareAll(ctx context.Context) error {
	snap := p.idx.Snapshot()
	workers := runtime.GOMAXPROCS(0)
	for _, l := range p.idx.Catalog().Layers {
		pl := p.layers[l.ID]
		feats := make(chan []*layers.Feature, workers)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for batch := range feats {
					for _, f := range batch {
						p.record(pl, f)
					}
				}
			}()
		}
		batch := make([]*layers.Feature, 0, 1024)
		snap.Ascend(l.ID, 0, func(f *layers.Feature) bool {
			batch = append(batch, f)
			if len(batch) == cap(batch) {
				feats <- batch
				batch = make([]*layers.Feature, 0, 1024)
			}
			return ctx.Err() == nil
		})
		feats <- batch
		close(feats)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Size is the memory the records hold, about: their bytes, headers and
// tables, and the dictionaries' values.
func (p *Prepared) Size() int64 {
	var n int64
	for _, pl := range p.layers {
		chunks := *pl.chunks.Load()
		n += int64(len(chunks)) * 8
		for _, c := range chunks {
			if c == nil {
				continue
			}
			n += recordChunkLen * 8
			for i := range c {
				if r := c[i].Load(); r != nil {
					n += recordSize(r)
				}
			}
		}
		pl.sparse.Range(func(_, v any) bool { n += recordSize(v.(*record)) + 64; return true })
		for _, v := range *pl.dict.vals.Load() {
			n += int64(len(v)) + 24 + 48 // the bytes, the slice, the map entry
		}
	}
	return n
}

func recordSize(r *record) int64 {
	// The struct (pointer, bounds, kind, slice, offset, notes) and its bytes,
	// rounded up to the allocator's size classes, about.
	return 96 + int64((cap(r.data)+15)&^15)
}
