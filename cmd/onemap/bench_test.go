package main

import (
	"context"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/wkb"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/spatial"
)

// benchScale is the number of demo parcels the start-up benchmarks load:
// ONEMAP_BENCH_SCALE, default 50,000 (`make bench` on a laptop); the issue
// figures use 1,000,000.
func benchScale(b *testing.B) int {
	if v := os.Getenv("ONEMAP_BENCH_SCALE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("ONEMAP_BENCH_SCALE=%q", v)
		}
		return n
	}
	return 50000
}

// BenchmarkStartup measures what `serve` does at start: every layer from the
// store into the index, reported as features/s and heap bytes per feature.
// The demo data is generated once into memory, then imported into each
// store (Import: COPY for PostGIS), reported as import_features/s.
func BenchmarkStartup(b *testing.B) {
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	scale := benchScale(b)
	data := map[string][]*layers.Feature{}
	if _, err := fixtures.Generate(ctx, cat, fixtures.Config{Seed: 1, Scale: scale}, func(layer string, feats iter.Seq2[*layers.Feature, error]) error {
		for f, err := range feats {
			if err != nil {
				return err
			}
			data[layer] = append(data[layer], f)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	// DESIGN's memory aim is stated against the raw WKB size of the data.
	var wkbBytes int
	for _, fs := range data {
		for _, f := range fs {
			g, err := wkb.Marshal(f.Geometry)
			if err != nil {
				b.Fatal(err)
			}
			wkbBytes += len(g)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	stores := []struct {
		name string
		open func(b *testing.B) layers.Store
	}{
		{"gpkg", func(b *testing.B) layers.Store {
			path := filepath.Join(b.TempDir(), "bench.gpkg")
			st, err := gpkg.Open(ctx, path, cat)
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
		{"postgis", func(b *testing.B) layers.Store {
			st, err := postgis.Open(ctx, pgtest.NewDB(b), cat, postgis.Options{Log: quiet})
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st := s.open(b)
			defer st.Close()
			start := time.Now()
			var total int64
			for _, l := range cat.Layers {
				n, err := st.Import(ctx, l.ID, each(data[l.ID]))
				if err != nil {
					b.Fatal(err)
				}
				total += n
			}
			importRate := float64(total) / time.Since(start).Seconds()
			var before, after runtime.MemStats
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				runtime.GC()
				runtime.ReadMemStats(&before)
				idx := spatial.NewIndex(cat)
				stats, err := idx.Load(ctx, st, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(stats.Features)/stats.Elapsed.Seconds(), "features/s")
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap := float64(after.HeapAlloc - before.HeapAlloc)
				b.ReportMetric(heap/float64(stats.Features), "heapB/feature")
				b.ReportMetric(heap/float64(wkbBytes), "heap/wkb")
				runtime.KeepAlive(idx)
			}
			b.ReportMetric(importRate, "import_features/s")
		})
	}
}
