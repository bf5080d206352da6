package query

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/internal/demotest"
)

// benchScale is the number of demo parcels the benchmarks load:
// ONEMAP_BENCH_SCALE, default 50,000; the figures use 1,000,000.
func benchScale(b *testing.B) int {
	if v := os.Getenv("ONEMAP_BENCH_SCALE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("ONEMAP_BENCH_SCALE=%q", v)
		}
		return n
	}
	return 50000
}

// BenchmarkIdentify measures identify across every layer of the catalogue
// at random points of the demo world (tolerance 10 m for points and lines)
// and reports p50 and p99.
func BenchmarkIdentify(b *testing.B) {
	d := demotest.Load(b, 1, benchScale(b))
	rng := rand.New(rand.NewPCG(1, 1))
	var pts []orb.Point
	for range 5000 {
		c := d.Manifest.Counties[rng.IntN(len(d.Manifest.Counties))].Bounds
		pts = append(pts, orb.Point{c[0] + (c[2]-c[0])*rng.Float64(), c[1] + (c[3]-c[1])*rng.Float64()})
	}
	ctx := context.Background()
	var ds []time.Duration
	hits := 0
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		res, err := Identify(ctx, d.Index.Snapshot(), d.Catalog, pts[i%len(pts)], IdentifyOptions{ToleranceM: 10})
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
		for _, r := range res {
			hits += r.NumberMatched
		}
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2])/1e6, "p50_ms")
	b.ReportMetric(float64(ds[min(len(ds)-1, len(ds)*99/100)])/1e6, "p99_ms")
	b.ReportMetric(float64(hits)/float64(b.N), "features/op")
}
