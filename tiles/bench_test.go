package tiles

import (
	"context"
	"iter"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// BenchmarkEncode makes every non-empty z14 dltb tile of the demo data
// (50,000 parcels), one after another, uncached. cmd/onemap's BenchmarkTiles
// compares the same with PostGIS.
func BenchmarkEncode(b *testing.B) {
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	idx := spatial.NewIndex(cat)
	if _, err := fixtures.Generate(ctx, cat, fixtures.Config{Seed: 1}, func(layer string, feats iter.Seq2[*layers.Feature, error]) error {
		var fs []*layers.Feature
		for f, err := range feats {
			if err != nil {
				return err
			}
			f.ID, f.Version = int64(len(fs)+1), 1
			fs = append(fs, f)
		}
		return idx.ReloadLayer(layer, fs) // one snapshot per layer, not per feature
	}); err != nil {
		b.Fatal(err)
	}
	snap := idx.Snapshot()
	l := []*layers.Layer{cat.Layer("dltb")}
	bound, _ := snap.Bound("dltb")
	var ts []maptile.Tile
	min, max := maptile.At(bound.Min, 14), maptile.At(bound.Max, 14)
	for x := min.X; x <= max.X; x++ {
		for y := max.Y; y <= min.Y; y++ {
			ts = append(ts, maptile.New(x, y, 14))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Encode(ctx, snap, l, ts[i%len(ts)]); err != nil {
			b.Fatal(err)
		}
	}
}
