package tiles

import (
	"context"
	"fmt"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/layers"
)

// BenchmarkAppendExact encodes every non-empty exact dltb tile of the demo
// at a few zooms, one after another, once every feature is noted.
func BenchmarkAppendExact(b *testing.B) {
	idx, _ := demo(b)
	p := NewPrepared(idx)
	snap := idx.Snapshot()
	l := idx.Catalog().Layer("dltb")
	bound, _ := snap.Bound("dltb")
	ctx := context.Background()
	for _, z := range []maptile.Zoom{12, 14, 16} {
		var ts []maptile.Tile
		forEachTile(bound, z, func(t maptile.Tile) {
			if _, n, _ := Encode(ctx, snap, []*layers.Layer{l}, t); n > 0 {
				ts = append(ts, t)
			}
		})
		for _, t := range ts { // the notes on each feature, as a server has them
			p.AppendExact(ctx, nil, snap, l, t)
		}
		b.Run(fmt.Sprintf("z%d", z), func(b *testing.B) {
			var buf []byte
			bytes, feats := 0, 0
			for i := 0; i < b.N; i++ {
				var n int
				var err error
				buf, n, err = p.AppendExact(ctx, buf[:0], snap, l, ts[i%len(ts)])
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(buf)
				feats += n
			}
			b.ReportMetric(float64(bytes)/float64(b.N), "B/tile")
			b.ReportMetric(float64(feats)/float64(b.N), "features/tile")
		})
	}
}
