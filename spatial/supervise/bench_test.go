package supervise_test

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/supervise"
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

func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// BenchmarkFullEvaluation judges every change patch, mining patch and
// supply of the demo (ONEMAP_BENCH_SCALE parcels) with GOMAXPROCS workers,
// as the server does after load: one op is one whole evaluation. It
// reports the features judged, the time per evaluation and the heap the
// findings keep.
func BenchmarkFullEvaluation(b *testing.B) {
	d := demotest.Load(b, 1, benchScale(b))
	ctx := context.Background()
	heap0 := heapMB()
	start := time.Now()
	e := readyEngine(b, d.Index, supervise.Options{})
	first := time.Since(start)
	kept := heapMB() - heap0
	n := e.Counts().Full
	b.ResetTimer()
	for b.Loop() {
		if err := e.Rejudge(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "features")
	b.ReportMetric(float64(first.Milliseconds()), "first_ms")
	b.ReportMetric(kept, "findings_MB")
	b.ReportMetric(float64(n)/(float64(b.Elapsed().Seconds())/float64(b.N)), "features/s")
}

// BenchmarkEditReevaluation measures what one acknowledged edit costs the
// engine: the time its subscriber spends re-judging (from the subscriber
// before it to the one after it), for edits of approvals, supplies,
// change patches, farmland and far-away parcels through the Editor, and
// reports p50 and p99 over all of them and the features re-judged per
// edit. One op is editSamples edits.
func BenchmarkEditReevaluation(b *testing.B) {
	d := demotest.Load(b, 1, benchScale(b))
	ctx := context.Background()
	idx := d.FreshIndex(b)
	var t0, t1 time.Time
	idx.Subscribe(func(spatial.Change) { t0 = time.Now() })
	e := readyEngine(b, idx, supervise.Options{})
	idx.Subscribe(func(spatial.Change) { t1 = time.Now() })
	ed := spatial.NewEditor(idx, newMemStore(d))
	rng := rand.New(rand.NewPCG(7, 11))
	kinds := []string{"jsydsp", "tdgy", "wpbhtb", "yjjbnt", "dltb"}
	var ds []time.Duration
	c0 := e.Counts()
	b.ResetTimer()
	for i := 0; b.Loop(); {
		for range editSamples {
			edit(b, ctx, d, idx, ed, rng, kinds[i%len(kinds)], i)
			ds = append(ds, t1.Sub(t0))
			i++
		}
	}
	b.StopTimer()
	slices.Sort(ds)
	pct := func(p float64) float64 { return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))]) / 1e6 }
	b.ReportMetric(pct(0.5), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(float64(e.Counts().Incremental-c0.Incremental)/float64(len(ds)), "rejudged/edit")
	b.ReportMetric(float64(len(ds)), "edits")
}

// editSamples is how many edits one op of BenchmarkEditReevaluation makes.
const editSamples = 400

// edit replaces a random feature of layer with the same geometry and a
// changed attribute: the old and new bounds are the feature's, so the
// engine re-judges what the feature touches.
func edit(b *testing.B, ctx context.Context, d *demotest.Dataset, idx *spatial.Index, ed *spatial.Editor, rng *rand.Rand, layer string, i int) {
	snap := idx.Snapshot()
	var f *layers.Feature
	snap.Ascend(layer, rng.IntN(snap.Count(layer)), func(x *layers.Feature) bool { f = x; return false })
	l := d.Catalog.Layer(layer)
	props := l.Properties(f)
	for _, fd := range l.Fields {
		if fd.Type == layers.String && !fd.Required {
			props[fd.Name] = "edit " + strconv.Itoa(i)
			break
		}
	}
	if _, err := ed.Replace(ctx, layer, f.ID, layers.Draft{Geometry: f.Geometry, Properties: props}, layers.IfMatch{}, false); err != nil {
		b.Fatal(err)
	}
}
