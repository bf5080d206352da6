package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
)

// BenchmarkTiles compares dltb tiles made by onemap from its index with the
// same tiles made by PostGIS (ST_AsMVTGeom + ST_AsMVT, all attributes, on a
// GiST-indexed EPSG:3857 copy of the geometry: PostGIS at its best), on the
// demo data (ONEMAP_BENCH_SCALE parcels), uncached, one tile after another
// over every non-empty tile of the zoom. It reports tiles/s for each and
// their ratio.
func BenchmarkTiles(b *testing.B) {
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	url := pgtest.NewDB(b)
	st, err := postgis.Open(ctx, url, cat, postgis.Options{Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := fixtures.Generate(ctx, cat, fixtures.Config{Seed: 1, Scale: benchScale(b)}, func(layer string, feats iter.Seq2[*layers.Feature, error]) error {
		_, err := st.Import(ctx, layer, feats)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	for _, q := range []string{
		`ALTER TABLE dltb ADD COLUMN geom3857 geometry(MultiPolygon, 3857)`,
		`UPDATE dltb SET geom3857 = ST_Transform(geom, 3857)`,
		`CREATE INDEX ON dltb USING gist (geom3857)`,
		`ANALYZE dltb`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	idx := spatial.NewIndex(cat)
	if _, err := idx.Load(ctx, st, nil); err != nil {
		b.Fatal(err)
	}
	snap := idx.Snapshot()
	l := cat.Layer("dltb")
	bound, _ := snap.Bound("dltb")
	var cols []string
	for _, f := range l.Fields {
		cols = append(cols, fmt.Sprintf("%s AS %q", f.Column(), f.Name))
	}
	sql := `WITH t AS (SELECT ST_TileEnvelope($1, $2, $3) AS e)
		SELECT ST_AsMVT(m.*, 'dltb', 4096, 'geom', 'fid') FROM (
			SELECT fid, ST_AsMVTGeom(geom3857, t.e, 4096, 64, true) AS geom, ` + strings.Join(cols, ", ") + `
			FROM dltb, t WHERE geom3857 && ST_Expand(t.e, (ST_XMax(t.e) - ST_XMin(t.e)) * 64 / 4096)) m`
	for _, z := range []maptile.Zoom{12, 14} {
		b.Run(fmt.Sprintf("z%d", z), func(b *testing.B) {
			var ts []maptile.Tile
			min, max := maptile.At(bound.Min, z), maptile.At(bound.Max, z)
			for x := min.X; x <= max.X; x++ {
				for y := max.Y; y <= min.Y; y++ {
					t := maptile.New(x, y, z)
					if _, n, _ := tiles.Encode(ctx, snap, []*layers.Layer{l}, t); n > 0 {
						ts = append(ts, t)
					}
				}
			}
			if len(ts) == 0 {
				b.Fatal("no tiles")
			}
			var ours, theirs time.Duration
			var ourBytes, theirBytes int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t := ts[i%len(ts)]
				start := time.Now()
				tile, _, err := tiles.Encode(ctx, snap, []*layers.Layer{l}, t)
				if err != nil {
					b.Fatal(err)
				}
				ours += time.Since(start)
				ourBytes += len(tile)
				start = time.Now()
				var pg []byte
				if err := pool.QueryRow(ctx, sql, int(t.Z), int(t.X), int(t.Y)).Scan(&pg); err != nil {
					b.Fatal(err)
				}
				theirs += time.Since(start)
				theirBytes += len(pg)
			}
			b.ReportMetric(float64(b.N)/ours.Seconds(), "onemap_tiles/s")
			b.ReportMetric(float64(b.N)/theirs.Seconds(), "postgis_tiles/s")
			b.ReportMetric(theirs.Seconds()/ours.Seconds(), "speedup")
			b.ReportMetric(float64(ourBytes)/float64(b.N), "onemap_B/tile")
			b.ReportMetric(float64(theirBytes)/float64(b.N), "postgis_B/tile")
			b.ReportMetric(float64(len(ts)), "tiles")
		})
	}
}
