package tiles

import (
	"context"
	"iter"
	"sync"
	"testing"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// demoScale keeps the demo small enough for unit tests (one county).
const demoScale = 3000

var (
	demoOnce sync.Once
	demoIdx  *spatial.Index
	demoMan  *fixtures.Manifest
	demoErr  error
)

// demo returns an index holding the demo dataset (ids 1..N per layer in
// stream order, repeated strings shared, as a store would load them) and
// its manifest, built once.
func demo(t testing.TB) (*spatial.Index, *fixtures.Manifest) {
	t.Helper()
	demoOnce.Do(func() {
		cat := layers.DefaultCatalog()
		idx := spatial.NewIndex(cat)
		m, err := fixtures.Generate(context.Background(), cat, fixtures.Config{Seed: 1, Scale: demoScale},
			func(l string, fs iter.Seq2[*layers.Feature, error]) error {
				var all []*layers.Feature
				pb := layers.PropsBuilder{Strings: idx.Strings()}
				for f, err := range fs {
					if err != nil {
						return err
					}
					f.ID, f.Version = int64(len(all)+1), 1
					f.Props = shared(&pb, f.Props)
					all = append(all, f)
				}
				return idx.ReloadLayer(l, all)
			})
		demoIdx, demoMan, demoErr = idx, m, err
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoIdx, demoMan
}

// shared packs p again through b, which shares repeated strings through
// the index's table as a store's scan does when the index loads (the
// generator keeps every string inline); one builder per layer judges each
// field on its first values, as a scan does.
func shared(b *layers.PropsBuilder, p layers.Props) layers.Props {
	for _, v := range p.Values() {
		if err := b.Add(v); err != nil {
			panic(err)
		}
	}
	return b.Done()
}
