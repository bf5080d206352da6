package layers

import (
	"math"
	"sync/atomic"

	"github.com/paulmach/orb"
)

// Measure returns the feature's size as fn measures its geometry (an
// ellipsoidal area for polygons, a length for lines), computing it on first
// use and keeping it on the feature: an indexed feature's geometry never
// changes, so overlays that meet the same parcel again pay nothing. A caller
// must always pass the same fn for a feature, and code that copies a Feature
// to change its geometry must build a new one instead. Safe for concurrent
// use; a size of exactly 0 is simply recomputed.
func (f *Feature) Measure(fn func(orb.Geometry) float64) float64 {
	if b := atomic.LoadUint64(&f.measure); b != 0 {
		return math.Float64frombits(b)
	}
	v := fn(f.Geometry)
	atomic.StoreUint64(&f.measure, math.Float64bits(v))
	return v
}
