package tiles

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles/cache"
)

// MinZoom is the lowest zoom from which every layer is drawn: below a
// layer's detail zoom, from its overview.
const MinZoom = 4

// MaxLayerBytes caps one layer of one tile: an exact layer over it is
// generalised instead (never truncated).
const MaxLayerBytes = 500_000

// ErrOverviewPending says a tile needs an overview that is not built yet
// (the server is up before its overviews are): the API answers 503 with
// Retry-After, never an oversized exact tile.
var ErrOverviewPending = errors.New("overview not built yet")

// Overviews are generalised layers for the zooms below each layer's detail
// zoom (package tiles/overview).
type Overviews interface {
	// DetailZoom is the zoom from which a layer is drawn exactly; ok is
	// false while it is not known yet.
	DetailZoom(layer string) (z int, ok bool)
	// AppendLayer appends the overview of a layer at tile t (a Tile's
	// layer field, nothing when empty) with its feature count, and the
	// data version it is current as of; ErrOverviewPending when it is not
	// built yet. At or past the detail zoom it generalises a tile whose
	// exact form is over MaxLayerBytes. To an empty dst it may return
	// bytes of its own, which the caller must not modify, of full
	// capacity (so that appending to them copies).
	AppendLayer(ctx context.Context, dst []byte, layer string, t maptile.Tile) ([]byte, int, uint64, error)
}

// Source serves tiles: each layer exact from its detail zoom on, from its
// overview from MinZoom up to there (nothing below), through the cache.
// It follows the index's changes: every edit evicts the cached tiles it
// touches before the edit is acknowledged.
type Source struct {
	idx   *spatial.Index
	ov    Overviews
	cache *cache.Cache
	ready *Prepared
}

// NewSource returns a source over idx. ov may be nil (every layer exact
// from its catalogue minzoom, nothing below); c may be nil (no cache).
// It subscribes to idx; subscribe ov first, so that an overview has
// heard of an edit before the cache drops the tiles made from it. Exact
// tiles are made from the features kept ready: the overviews' store when
// ov has one (a Prepared method), else a store of its own.
func NewSource(idx *spatial.Index, ov Overviews, c *cache.Cache) *Source {
	s := &Source{idx: idx, ov: ov, cache: c}
	if op, ok := ov.(interface{ Prepared() *Prepared }); ok {
		s.ready = op.Prepared()
	} else {
		s.ready = NewPrepared(idx)
	}
	if c != nil {
		idx.Subscribe(s.changed)
	}
	return s
}

// Prepared returns the store of features kept ready that exact tiles are
// made from.
func (s *Source) Prepared() *Prepared { return s.ready }

// Cache returns the source's cache (nil when it has none).
func (s *Source) Cache() *cache.Cache { return s.cache }

func (s *Source) changed(ch spatial.Change) {
	if ch.Op == spatial.OpReload {
		s.cache.InvalidateLayer(ch.Layer, ch.DataVersion)
		return
	}
	var bs []orb.Bound
	if ch.OldBound != nil {
		bs = append(bs, *ch.OldBound)
	}
	if ch.NewBound != nil {
		bs = append(bs, *ch.NewBound)
	}
	s.cache.Invalidate(ch.Layer, bs, Buffer, Extent, ch.DataVersion)
}

// DetailZoom is the zoom from which a layer is drawn exactly; ok is false
// while the overviews are still working it out.
func (s *Source) DetailZoom(l *layers.Layer) (int, bool) {
	if s.ov == nil {
		return l.MinZoom, true
	}
	return s.ov.DetailZoom(l.ID)
}

// LowestZoom is the lowest zoom at which a layer is drawn at all.
func (s *Source) LowestZoom(l *layers.Layer) int {
	if s.ov == nil {
		return l.MinZoom
	}
	d, ok := s.DetailZoom(l)
	if !ok {
		d = l.MinZoom
	}
	return min(MinZoom, d)
}

// Tile returns tile t of the layers for the access view (a string that
// tells callers who may see different tiles apart; "" for everyone): from
// the cache, or made and cached. An empty entry means nothing is there.
func (s *Source) Tile(ctx context.Context, ls []*layers.Layer, t maptile.Tile, view string) (*cache.Entry, error) {
	k := cache.Key{Layers: layerList(ls), Z: uint8(t.Z), X: t.X, Y: t.Y, View: view}
	if s.cache != nil {
		if e, ok := s.cache.Get(k); ok {
			return e, nil
		}
	}
	snap := s.idx.Snapshot()
	version := snap.Version()
	var out []byte
	for _, l := range ls {
		var err error
		detail, known := s.DetailZoom(l)
		z := int(t.Z)
		switch {
		case !known:
			err = ErrOverviewPending
		case z >= detail:
			before := len(out)
			out, _, err = s.ready.AppendExact(ctx, out, snap, l, t)
			if err == nil && len(out)-before > MaxLayerBytes && s.ov != nil {
				var v uint64
				out, _, v, err = s.ov.AppendLayer(ctx, out[:before], l.ID, t)
				version = min(version, v)
			}
		case z >= s.LowestZoom(l):
			var v uint64
			out, _, v, err = s.ov.AppendLayer(ctx, out, l.ID, t)
			version = min(version, v)
		}
		if err != nil {
			return nil, fmt.Errorf("tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
		}
	}
	e := cache.NewEntry(out)
	if s.cache != nil {
		s.cache.Add(k, e, version)
	}
	return e, nil
}

// layerList joins the layers' ids with commas.
func layerList(ls []*layers.Layer) string {
	if len(ls) == 1 {
		return ls[0].ID
	}
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	return strings.Join(ids, ",")
}
