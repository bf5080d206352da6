package tiles

import (
	"sync"
	"sync/atomic"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// Prepared keeps, per feature of an index, what makes its tiles cheap: at
// which zooms its polygons come out of the grid's rounding clean, so that
// they are written straight from the geometry without cleaning or
// self-intersection checks. It holds no copy of any geometry or attribute
// (32 bytes a feature and a slot in a table by id), only, for the rare
// feature that rounding breaks, its repair at one zoom. A feature's notes are
// used only if they were made for the very feature a snapshot holds,
// otherwise made anew, so a tile is never made from notes on another
// version, whatever the order of events; the change feed drops the notes
// of edited and deleted features.
type Prepared struct {
	idx    *spatial.Index
	layers map[string]*preparedLayer
}

type preparedLayer struct {
	l *layers.Layer

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

// NewPrepared returns the notes of idx's features, empty, and subscribes
// to its changes; notes are made as tiles need them.
func NewPrepared(idx *spatial.Index) *Prepared {
	p := &Prepared{idx: idx, layers: map[string]*preparedLayer{}}
	for _, l := range idx.Catalog().Layers {
		pl := &preparedLayer{l: l}
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

// record returns the record of f, made now if none made for f is kept.
func (pl *preparedLayer) record(f *layers.Feature) *record {
	if r := pl.load(f.ID); r != nil && r.f == f {
		return r
	}
	r := &record{f: f}
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
		// memory (and their features).
		pl.mu.Lock()
		pl.chunks.Store(&[]*recordChunk{})
		pl.mu.Unlock()
		pl.sparse.Clear()
	default:
		// Notes on a version the index no longer holds would never be
		// used again: they only keep that version alive.
		f, ok := p.idx.Snapshot().Get(ch.Layer, ch.ID)
		if r := pl.load(ch.ID); r != nil && (!ok || r.f != f) {
			pl.drop(ch.ID)
		}
	}
}

// Size is the memory the notes hold, about: the tables and the records.
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
					n += 32
					if fs := r.fixed.Load(); fs != nil {
						n += 24 + 8*int64(len(*fs))
						for _, f := range *fs {
							n += 64
							for _, p := range f.polys {
								for _, ring := range p {
									n += 24 + 8*int64(len(ring))
								}
							}
						}
					}
				}
			}
		}
		pl.sparse.Range(func(_, _ any) bool { n += 32 + 64; return true })
	}
	return n
}
