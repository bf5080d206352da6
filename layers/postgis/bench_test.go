package postgis

import (
	"context"
	"testing"
	"time"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
)

// BenchmarkImportAndScan measures COPY import and the start-up read path
// (Scan) on simple parcels, reported as features/s.
func BenchmarkImportAndScan(b *testing.B) {
	const n = 100000
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	s, err := Open(ctx, pgtest.NewDB(b), cat, Options{Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	l := cat.Layer("dltb")
	start := time.Now()
	if _, err := s.Import(ctx, "dltb", func(yield func(*layers.Feature, error) bool) {
		for i := 0; i < n; i++ {
			if !yield(parcel(l, i), nil) {
				return
			}
		}
	}); err != nil {
		b.Fatal(err)
	}
	importRate := n / time.Since(start).Seconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		count := 0
		if err := s.Scan(ctx, "dltb", func(*layers.Feature) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("scanned %d", count)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "scan_features/s")
	b.ReportMetric(importRate, "import_features/s")
}
