package demotest

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
)

// PostGIS loads the dataset into a fresh PostGIS database of the test's
// own (through the PostGIS store, so tables, columns, the GiST index and
// ids are those a deployment has: feature id k is fid k) and returns a pool
// on it. Only the named layers are loaded, or all when none is named; the
// others' tables stay empty.
func PostGIS(t testing.TB, d *Dataset, only ...string) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDB(t)
	st, err := postgis.Open(ctx, url, d.Catalog, postgis.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var load []*layers.Layer
	for _, l := range d.Catalog.Layers {
		if len(only) == 0 || slices.Contains(only, l.ID) {
			load = append(load, l)
		}
	}
	for _, l := range load {
		fs := d.Features[l.ID]
		n, err := st.Import(ctx, l.ID, func(yield func(*layers.Feature, error) bool) {
			for _, f := range fs {
				if !yield(f, nil) {
					return
				}
			}
		})
		if err != nil {
			t.Fatalf("import %s: %v", l.ID, err)
		}
		if n != int64(len(fs)) {
			t.Fatalf("import %s: %d of %d features", l.ID, n, len(fs))
		}
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	// Ids must be the index's: the store numbers rows in import order.
	for _, l := range load {
		var lo, hi, n int64
		if err := pool.QueryRow(ctx, "SELECT coalesce(min(fid), 0), coalesce(max(fid), 0), count(*) FROM "+l.Table()).Scan(&lo, &hi, &n); err != nil {
			t.Fatal(err)
		}
		if want := int64(len(d.Features[l.ID])); n != want || (n > 0 && (lo != 1 || hi != n)) {
			t.Fatalf("%s in PostGIS: ids %d..%d of %d rows, want 1..%d", l.ID, lo, hi, n, want)
		}
	}
	return pool
}
