package gpkg

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/storetest"
)

const benchFeatures = 100_000

var (
	benchOnce sync.Once
	benchDir  string
	benchPath string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchFile is a GeoPackage holding benchFeatures dltb parcels, built once.
func benchFile(b *testing.B) string {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "gpkg-bench-")
		if benchErr != nil {
			return
		}
		benchPath = filepath.Join(benchDir, "bench.gpkg")
		cat := layers.DefaultCatalog()
		var st *Store
		if st, benchErr = Open(context.Background(), benchPath, cat); benchErr != nil {
			return
		}
		_, benchErr = st.Import(context.Background(), "dltb", storetest.Features(cat.Layer("dltb"), 0, benchFeatures))
		if err := st.Close(); benchErr == nil {
			benchErr = err
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// BenchmarkScan measures start-up loading: Scan of 100k polygons with ten
// attributes each.
func BenchmarkScan(b *testing.B) {
	path := benchFile(b)
	st, err := Open(context.Background(), path, layers.DefaultCatalog())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var total int
	for range b.N {
		n := 0
		if err := st.Scan(ctx, "dltb", func(*layers.Feature) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != benchFeatures {
			b.Fatalf("scanned %d, want %d", n, benchFeatures)
		}
		total += n
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "features/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkImport measures bulk loading (one transaction, rtree triggers).
func BenchmarkImport(b *testing.B) {
	cat := layers.DefaultCatalog()
	l := cat.Layer("dltb")
	const n = 20_000
	var total int
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		st, err := Open(context.Background(), filepath.Join(b.TempDir(), "imp.gpkg"), cat)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := st.Import(context.Background(), "dltb", storetest.Features(l, 0, n)); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		total += n
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "features/s")
}
