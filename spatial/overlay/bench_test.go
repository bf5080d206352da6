package overlay

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/internal/randsite"
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

// benchSites are random sites of m2 around random points of random
// counties, one per sample, so that most meet parcels no earlier sample met
// (their areas not yet cached: the cold case).
func benchSites(d *demotest.Dataset, m2 float64, n int, seed uint64) []orb.MultiPolygon {
	rng := rand.New(rand.NewPCG(seed, uint64(m2)))
	var out []orb.MultiPolygon
	for range n {
		c := d.Manifest.Counties[rng.IntN(len(d.Manifest.Counties))]
		b := c.Bounds
		pt := orb.Point{b[0] + (b[2]-b[0])*(0.2+0.6*rng.Float64()), b[1] + (b[3]-b[1])*(0.2+0.6*rng.Float64())}
		out = append(out, orb.MultiPolygon{randsite.Polygon(rng, pt, m2, 6+rng.IntN(20), 0.35)})
	}
	return out
}

// percentile of sorted durations, in milliseconds.
func percentile(ds []time.Duration, p float64) float64 {
	i := min(len(ds)-1, int(p*float64(len(ds))))
	return float64(ds[i]) / 1e6
}

// BenchmarkOverlay measures the overlay of sites of 1, 10 and 100 km²
// against dltb (every parcel met, grouped by DLBM with net areas) and the
// same query in PostGIS (GiST index, geography areas, per-parcel rows with
// the key and the net area, which is what onemap computes), one site after
// the other, and reports p50 and p99 of each and the ratios. The demo data
// has ONEMAP_BENCH_SCALE parcels. Each sub-benchmark runs its own fixed
// number of samples (b.N is 1 once a run takes over a second).
func BenchmarkOverlay(b *testing.B) {
	d := demotest.Load(b, 1, benchScale(b))
	pool := demotest.PostGIS(b, d, "dltb")
	ctx := context.Background()
	const sql = `WITH s AS (SELECT ST_GeomFromWKB($1, 4490) AS g)
		SELECT t.fid, t.dlbm, t.dlmc, a, a * (1 - coalesce(t.kcxs, 0)) FROM (
			SELECT d.fid, d.dlbm, d.dlmc, d.kcxs, ST_Area(ST_Intersection(d.geom, s.g)::geography) AS a
			FROM dltb d, s WHERE ST_Intersects(d.geom, s.g)) t`
	for _, size := range []struct {
		km2     float64
		samples int
	}{{1, 200}, {10, 50}, {100, 12}} {
		b.Run(fmt.Sprintf("%gkm2", size.km2), func(b *testing.B) {
			for range b.N {
				sites := benchSites(d, size.km2*1e6, size.samples, 1)
				var ours, theirs []time.Duration
				parcels := 0
				for _, site := range sites {
					t0 := time.Now()
					rep, err := Overlay(ctx, d.Index.Snapshot(), d.Catalog, site, Options{Layers: []string{"dltb"}})
					if err != nil {
						b.Fatal(err)
					}
					ours = append(ours, time.Since(t0))
					parcels += rep.Layers[0].Total.Count
					w, _ := wkb.Marshal(site)
					t0 = time.Now()
					rows, err := pool.Query(ctx, sql, w)
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					for rows.Next() {
						n++
					}
					if err := rows.Err(); err != nil {
						b.Fatal(err)
					}
					theirs = append(theirs, time.Since(t0))
					if n < rep.Layers[0].Total.Count {
						b.Fatalf("PostGIS met %d parcels, onemap %d", n, rep.Layers[0].Total.Count)
					}
				}
				slices.Sort(ours)
				slices.Sort(theirs)
				b.ReportMetric(percentile(ours, 0.5), "onemap_p50_ms")
				b.ReportMetric(percentile(ours, 0.99), "onemap_p99_ms")
				b.ReportMetric(percentile(theirs, 0.5), "postgis_p50_ms")
				b.ReportMetric(percentile(theirs, 0.99), "postgis_p99_ms")
				b.ReportMetric(percentile(theirs, 0.5)/percentile(ours, 0.5), "speedup_p50")
				b.ReportMetric(percentile(theirs, 0.99)/percentile(ours, 0.99), "speedup_p99")
				b.ReportMetric(float64(parcels)/float64(len(sites)), "parcels/site")
			}
		})
	}
}

// BenchmarkOverlayEngine is the overlay of 1 km² sites against dltb alone,
// without PostGIS beside it: the quick loop for profiling.
func BenchmarkOverlayEngine(b *testing.B) {
	d := demotest.Load(b, 1, benchScale(b))
	sites := benchSites(d, 1e6, 500, 2)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := Overlay(ctx, d.Index.Snapshot(), d.Catalog, sites[i%len(sites)], Options{Layers: []string{"dltb"}}); err != nil {
			b.Fatal(err)
		}
	}
}
