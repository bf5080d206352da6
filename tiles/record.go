package tiles

import (
	"sync/atomic"

	"github.com/onemap/onemap/layers"
)

// record is what a Prepared store keeps of a feature: per zoom, whether
// its polygons come out of that zoom's rounding clean (no point to drop,
// no ring to lose, no edges meeting), so that later tiles write it without
// checking, or broken (then the repaired shape of the last such zoom is
// kept, so that GEOS repairs it once). It belongs to one version of the
// feature (f) and never outlives it: an edited feature gets a new record.
type record struct {
	f     *layers.Feature
	zooms atomic.Uint64 // 2 bits per zoom: zoomUnknown, zoomClean, zoomDirty, zoomBroken
	// fixed holds the feature's repairs (rare: a feature that rounding
	// breaks), newest first, at most maxFixed: GEOS repairs a shape once,
	// not on every request for its tiles.
	fixed atomic.Pointer[[]*fixedShape]
}

const (
	zoomUnknown = 0
	zoomClean   = 1  // wholly inside the tile and its buffer, clean when rounded
	zoomDirty   = 2  // cleaning drops points or rings, or clipped
	zoomBroken  = 3  // rounding makes it invalid: it is repaired
	notedZooms  = 32 // zooms noted (2 bits each in a uint64)
)

// fixedShape is a feature repaired at one zoom, in the coordinates of the
// tile x, y it was repaired in. One wholly inside that tile and its buffer
// (inside) is repaired the same in every tile of the zoom it is wholly
// inside of, moved; one that was clipped belongs to that tile only.
type fixedShape struct {
	zoom   uint
	x, y   int64
	inside bool
	polys  []Polygon
}

// maxFixed bounds the repairs kept per feature: a long narrow feature
// (a road, a river) is clipped into a few tiles at each zoom it is drawn
// at; the repairs of the tiles asked for most recently are kept.
const maxFixed = 8

// fixedAt returns the repair made for tile (z, x, y) itself, or nil.
func (r *record) fixedAt(z uint, x, y int64) *fixedShape {
	if r == nil {
		return nil
	}
	if fs := r.fixed.Load(); fs != nil {
		for _, f := range *fs {
			if f.zoom == z && f.x == x && f.y == y {
				return f
			}
		}
	}
	return nil
}

// fixedInside returns a repair made at zoom z of the feature wholly inside
// a tile, or nil.
func (r *record) fixedInside(z uint) *fixedShape {
	if r == nil {
		return nil
	}
	if fs := r.fixed.Load(); fs != nil {
		for _, f := range *fs {
			if f.zoom == z && f.inside {
				return f
			}
		}
	}
	return nil
}

// addFixed keeps a repair, newest first, dropping the oldest past
// maxFixed and any other one for the same tile.
func (r *record) addFixed(n *fixedShape) {
	if r == nil {
		return
	}
	for {
		old := r.fixed.Load()
		list := []*fixedShape{n}
		if old != nil {
			for _, f := range *old {
				if len(list) == maxFixed {
					break
				}
				if f.zoom == n.zoom && (f.x == n.x && f.y == n.y || f.inside && n.inside) {
					continue
				}
				list = append(list, f)
			}
		}
		if r.fixed.CompareAndSwap(old, &list) {
			return
		}
	}
}

func (r *record) zoomState(z uint) uint64 {
	if r == nil || z >= notedZooms {
		return zoomDirty
	}
	return r.zooms.Load() >> (2 * z) & 3
}

func (r *record) setZoomState(z uint, s uint64) {
	if r == nil || z >= notedZooms {
		return
	}
	for {
		old := r.zooms.Load()
		if r.zooms.CompareAndSwap(old, old&^(3<<(2*z))|s<<(2*z)) {
			return
		}
	}
}
