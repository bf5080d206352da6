package overview

import (
	"context"
	"iter"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/wkb"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// BenchmarkBuild builds every layer's overviews of the demo data
// (ONEMAP_BENCH_SCALE parcels, default 50,000), generated into memory, and
// reports the build time and the overview tiles' size.
func BenchmarkBuild(b *testing.B) {
	scale := 50000
	if v := os.Getenv("ONEMAP_BENCH_SCALE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("ONEMAP_BENCH_SCALE=%q", v)
		}
		scale = n
	}
	cat := layers.DefaultCatalog()
	idx := spatial.NewIndex(cat)
	if _, err := fixtures.Generate(context.Background(), cat, fixtures.Config{Seed: 1, Scale: scale},
		func(l string, fs iter.Seq2[*layers.Feature, error]) error {
			var all []*layers.Feature
			for f, err := range fs {
				if err != nil {
					return err
				}
				f.ID, f.Version = int64(len(all)+1), 1
				all = append(all, f)
			}
			return idx.ReloadLayer(l, all)
		}); err != nil {
		b.Fatal(err)
	}
	wkbBytes := 0
	snap := idx.Snapshot()
	for _, l := range cat.Layers {
		snap.Ascend(l.ID, 0, func(f *layers.Feature) bool {
			w, _ := wkb.Marshal(f.Geometry)
			wkbBytes += len(w)
			return true
		})
	}
	heapIndex := heapBytes()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ov := New(idx, Options{Log: slog.New(slog.NewTextHandler(os.Stderr, nil))})
		start, cpu0 := time.Now(), cpuTime()
		ov.Start(context.Background())
		if err := ov.Wait(context.Background()); err != nil {
			b.Fatal(err)
		}
		cpu := cpuTime() - cpu0
		st := ov.Stats()
		b.ReportMetric(time.Since(start).Seconds(), "build_s")
		b.ReportMetric(float64(st.Tiles), "tiles")
		b.ReportMetric(float64(st.Bytes)/(1<<20), "tile_MB")
		b.ReportMetric(float64(ov.Prepared().Size())/(1<<20), "ready_MB")
		b.ReportMetric(float64(wkbBytes)/(1<<20), "wkb_MB")
		b.ReportMetric(float64(heapIndex)/float64(wkbBytes), "index_heap/wkb")
		b.ReportMetric(float64(heapBytes())/float64(wkbBytes), "heap/wkb")
		b.ReportMetric(cpu.Seconds(), "build_cpu_s")
		runtime.KeepAlive(ov)
	}
}

// heapBytes is the live heap after a collection.
func heapBytes() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// cpuTime is the CPU time the process has used (user and system): a
// machine shared with other work stretches wall time, not this.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
