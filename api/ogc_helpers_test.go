package api

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
)

// startOGCDemo imports the demo dataset (seed 1, scale 3000: quick, while
// dltb still has several thousand parcels, so that paging through next
// links is exercised) into a new GeoPackage, with the ids demotest gives
// them, and serves it with the write path.
func startOGCDemo(t *testing.T) (*testServer, *demotest.Dataset) {
	t.Helper()
	d := demotest.Load(t, 1, 3000)
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
	return start(t, path), d
}
