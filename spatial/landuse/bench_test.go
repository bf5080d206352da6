package landuse_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/landuse"
	"github.com/onemap/onemap/spatial/region"
	"github.com/onemap/onemap/spatial/supervise"
)

// BenchmarkStats measures the land-use statistics of the demo
// (ONEMAP_BENCH_SCALE parcels, default 50,000) by county: "cold" computes
// every total (the first request after start), "edited" the first request
// after one parcel was edited (its totals brought forward), "rollup"
// answers again from the same version.
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
	idx := d.FreshIndex(b)
	e, err := supervise.NewEngine(idx, supervise.Options{Regions: region.New(idx)})
	if err != nil {
		b.Fatal(err)
	}
	e.Start(context.Background())
	if err := e.Wait(context.Background()); err != nil {
		b.Fatal(err)
	}
	snap := idx.Snapshot()
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if _, err := landuse.New(idx, e).Stats(snap, "", 6); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("edited", func(b *testing.B) {
		c := landuse.New(idx, e)
		if _, err := c.Stats(idx.Snapshot(), "", 6); err != nil {
			b.Fatal(err)
		}
		parcels := d.Features["dltb"]
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			f := parcels[(i*7919)%len(parcels)]
			cur, _ := idx.Snapshot().Get("dltb", f.ID)
			if err := idx.Put("dltb", &layers.Feature{ID: cur.ID, Version: cur.Version + 1, Geometry: cur.Geometry, Props: cur.Props}); err != nil {
				b.Fatal(err)
			}
			<-idx.Settled()
			b.StartTimer()
			if _, err := c.Stats(idx.Snapshot(), "", 6); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rollup", func(b *testing.B) {
		c := landuse.New(idx, e)
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
