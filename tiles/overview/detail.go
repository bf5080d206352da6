package overview

import (
	"context"

	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
)

// deepestDetail is as far as a layer's detail zoom is raised.
const deepestDetail = 16

// detailZoom is the zoom from which a layer is drawn exactly: its
// catalogue minzoom, raised while the densest tile (by the number of
// features whose bound's centre falls in it) encoded exactly would exceed
// the budget.
func (o *Overviews) detailZoom(ctx context.Context, snap *spatial.Snapshot, l *layers.Layer) (int, error) {
	z := l.MinZoom
	if z >= deepestDetail || snap.Count(l.ID) == 0 {
		return z, nil
	}
	counts := map[[2]uint32]int{}
	const shift = tiles.WorldBits - deepestDetail
	last := uint32(1)<<deepestDetail - 1
	snap.Ascend(l.ID, 0, func(f *layers.Feature) bool {
		lo, hi := tiles.OnWorld(f).Bound()
		x, y := uint32(min((lo.X+hi.X)/2>>shift, int64(last))), uint32(min((lo.Y+hi.Y)/2>>shift, int64(last)))
		counts[[2]uint32{x, y}]++
		return true
	})
	for ; z < deepestDetail; z++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		shift := deepestDetail - z
		agg := make(map[[2]uint32]int, len(counts)>>min(2*shift, 20)+1)
		var best [2]uint32
		bestN := 0
		for k, v := range counts {
			a := [2]uint32{k[0] >> shift, k[1] >> shift}
			agg[a] += v
			if agg[a] > bestN {
				best, bestN = a, agg[a]
			}
		}
		// A feature costs at least some 10 bytes (id, a tag, a geometry).
		if bestN*10 > o.opt.MaxLayerBytes {
			continue
		}
		size, err := o.ready.ExactSize(ctx, snap, l, maptile.New(best[0], best[1], maptile.Zoom(z)))
		if err != nil {
			return 0, err
		}
		if size <= o.opt.MaxLayerBytes {
			return z, nil
		}
	}
	return deepestDetail, nil
}
