package api

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
)

// demoScale keeps the OGC tests quick while dltb still has several
// thousand parcels (so that paging through next links is exercised).
var demoConfig = fixtures.Config{Seed: 1, Scale: 3000}

// startDemo imports the demo dataset into a new GeoPackage (ids 1..N per
// layer, as demotest numbers them) and serves it.
func startDemo(t *testing.T, configure func(*Config)) (*testServer, *demotest.Dataset) {
	t.Helper()
	d := demotest.Generate(t, demoConfig)
	path := filepath.Join(t.TempDir(), "demo.gpkg")
	ctx := context.Background()
	st, err := gpkg.Open(ctx, path, d.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range d.Catalog.Layers {
		feats := d.Features[l.ID]
		if _, err := st.Import(ctx, l.ID, func(yield func(*layers.Feature, error) bool) {
			for _, f := range feats {
				if !yield(f, nil) {
					return
				}
			}
		}); err != nil {
			t.Fatalf("import %s: %v", l.ID, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return startWith(t, path, configure), d
}
