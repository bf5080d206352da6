// Package demotest gives tests the demo dataset (fixtures) in memory and in
// a live index, generated once per test binary and scale.
package demotest

import (
	"context"
	"iter"
	"sync"
	"testing"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// Dataset is one generated demo dataset: every layer's features in stream
// order (feature id k is Features[layer][k-1]), its manifest, and an index
// holding it.
type Dataset struct {
	Catalog  *layers.Catalog
	Features map[string][]*layers.Feature
	Manifest *fixtures.Manifest
	Index    *spatial.Index
	Seed     int64
	Scale    int
}

type key struct {
	seed  int64
	scale int
}

var (
	mu    sync.Mutex
	cache = map[key]*Dataset{}
)

// Load generates (once per seed and scale) the demo dataset with ids 1..N
// per layer, as an empty store would assign them, and loads it into an
// index.
func Load(t testing.TB, seed int64, scale int) *Dataset {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if d, ok := cache[key{seed, scale}]; ok {
		return d
	}
	cat := layers.DefaultCatalog()
	d := &Dataset{Catalog: cat, Features: map[string][]*layers.Feature{}, Index: spatial.NewIndex(cat), Seed: seed, Scale: scale}
	m, err := fixtures.Generate(context.Background(), cat, fixtures.Config{Seed: seed, Scale: scale}, func(layer string, fs iter.Seq2[*layers.Feature, error]) error {
		for f, err := range fs {
			if err != nil {
				return err
			}
			f.ID = int64(len(d.Features[layer]) + 1)
			f.Version = 1
			d.Features[layer] = append(d.Features[layer], f)
		}
		return d.Index.ReloadLayer(layer, d.Features[layer])
	})
	if err != nil {
		t.Fatalf("generate demo data (seed %d, scale %d): %v", seed, scale, err)
	}
	d.Manifest = m
	cache[key{seed, scale}] = d
	return d
}

// FreshIndex returns a new index holding the dataset, for a test that
// edits it (Index is shared by every test of the binary).
func (d *Dataset) FreshIndex(t testing.TB) *spatial.Index {
	t.Helper()
	idx := spatial.NewIndex(d.Catalog)
	for _, l := range d.Catalog.Layers {
		if err := idx.ReloadLayer(l.ID, d.Features[l.ID]); err != nil {
			t.Fatalf("load %s: %v", l.ID, err)
		}
	}
	return idx
}
