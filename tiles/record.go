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
	// fixed is the feature repaired at the last zoom it needed it (rare:
	// a feature that rounding breaks, wholly inside a tile)
	fixed atomic.Pointer[fixedShape]
}

const (
	zoomUnknown = 0
	zoomClean   = 1  // wholly inside the tile and its buffer, clean when rounded
	zoomDirty   = 2  // cleaning drops points or rings, or clipped
	zoomBroken  = 3  // rounding makes it invalid: it is repaired
	notedZooms  = 32 // zooms noted (2 bits each in a uint64)
)

// fixedShape is a feature repaired at one zoom, in the coordinates of the
// tile x, y it was repaired in.
type fixedShape struct {
	zoom  uint
	x, y  int64
	polys []Polygon
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
