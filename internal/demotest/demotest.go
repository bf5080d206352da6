// Package demotest gives tests the demo dataset already in an index: the
// features of fixtures.Generate with the ids a store would assign (1..N per
// layer in stream order), and the manifest of what was planted.
package demotest

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"testing"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// Dataset is a generated demo dataset.
type Dataset struct {
	Catalog  *layers.Catalog
	Features map[string][]*layers.Feature // feature id k is Features[layer][k-1]
	Manifest *fixtures.Manifest
}

var (
	mu    sync.Mutex
	cache = map[fixtures.Config]*Dataset{}
)

// Generate returns the dataset of cfg, generated once per test binary.
// The features are shared: tests must not change them.
func Generate(t testing.TB, cfg fixtures.Config) *Dataset {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if d, ok := cache[cfg]; ok {
		return d
	}
	d := &Dataset{Catalog: layers.DefaultCatalog(), Features: map[string][]*layers.Feature{}}
	m, err := fixtures.Generate(context.Background(), d.Catalog, cfg, func(l string, fs iter.Seq2[*layers.Feature, error]) error {
		for f, err := range fs {
			if err != nil {
				return err
			}
			f.ID, f.Version = int64(len(d.Features[l])+1), 1
			d.Features[l] = append(d.Features[l], f)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("generate demo data %+v: %v", cfg, err)
	}
	d.Manifest = m
	cache[cfg] = d
	return d
}

// Index returns a new index holding the dataset (each call its own index,
// so a test may edit it).
func (d *Dataset) Index(t testing.TB) *spatial.Index {
	t.Helper()
	idx := spatial.NewIndex(d.Catalog)
	for _, l := range d.Catalog.Layers {
		if err := idx.ReloadLayer(l.ID, d.Features[l.ID]); err != nil {
			t.Fatal(fmt.Errorf("load %s: %w", l.ID, err))
		}
	}
	return idx
}
