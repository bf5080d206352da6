package landuse_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/spatial/landuse"
	"github.com/onemap/onemap/spatial/supervise"
)

// BenchmarkStats measures the land-use statistics of the demo
// (ONEMAP_BENCH_SCALE parcels, default 50,000) by county: "cold" computes
// the per-code totals of a new index version (what the first request after
// an edit pays), "rollup" answers from them.
func BenchmarkStats(b *testing.B) {
	scale := 50000
	if v := os.Getenv("ONEMAP_BENCH_SCALE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("ONEMAP_BENCH_SCALE=%q", v)
		}
		scale = n
	}
	d := demotest.Load(b, 1, scale)
	e, err := supervise.NewEngine(d.Index, supervise.Options{})
	if err != nil {
		b.Fatal(err)
	}
	e.Start(context.Background())
	if err := e.Wait(context.Background()); err != nil {
		b.Fatal(err)
	}
	snap := d.Index.Snapshot()
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if _, err := landuse.New(e).Stats(snap, "", 6); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rollup", func(b *testing.B) {
		c := landuse.New(e)
		if _, err := c.Stats(snap, "", 6); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := c.Stats(snap, "", 4); err != nil {
				b.Fatal(err)
			}
		}
	})
}
