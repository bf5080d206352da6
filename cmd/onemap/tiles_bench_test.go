package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/api"
	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/tiles/cache"
	"github.com/onemap/onemap/tiles/overview"
)

// benchWorkers is how many tiles each system makes at once (the machine
// has 2 cores; PostGIS gets 2 connections).
const benchWorkers = 2

// benchMaxTiles caps a zoom's tile list (an even sample of the non-empty
// tiles over the parcels), so that one run stays within minutes.
const benchMaxTiles = 150

// BenchmarkTiles compares dltb tiles made by onemap (exact from the index
// at and past the detail zoom, from overviews below it, no tile cache)
// with the same tiles made by PostGIS (ST_AsMVTGeom + ST_AsMVT with every
// attribute, on a GiST-indexed EPSG:3857 copy of the geometry: PostGIS at
// its best), on the demo data (ONEMAP_BENCH_SCALE parcels, default
// 50,000), the same tile lists at z8, z10, z12 and z14, two at a time on
// each side, the two sides taking turns pass by pass (measurePair). It
// reports throughput, p50/p99 latency, the largest tile of each, the
// ratio; the overview build's time (wall and CPU) and memory; and cached
// tiles served over HTTP. One run prints the table of the issue.
// ONEMAP_BENCH_KEEP_DB=1 keeps the PostGIS database for the next run.
func BenchmarkTiles(b *testing.B) {
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	quiet := slog.New(slog.DiscardHandler)
	scale := benchScale(b)
	url := benchDatabase(b, ctx, cat, scale)
	st, err := postgis.Open(ctx, url, cat, postgis.Options{Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()

	idx := spatial.NewIndex(cat)
	if _, err := idx.Load(ctx, st, nil); err != nil {
		b.Fatal(err)
	}
	snap := idx.Snapshot()
	wkbBytes := 0
	for _, l := range cat.Layers {
		snap.Ascend(l.ID, 0, func(f *layers.Feature) bool {
			w, _ := wkb.Marshal(f.Geometry)
			wkbBytes += len(w)
			return true
		})
	}
	heapBefore := heapMB()
	// The overviews log each layer's build (rule, detail zoom, tiles, ms).
	ov := overview.New(idx, overview.Options{Log: slog.New(slog.NewTextHandler(os.Stdout, nil))})
	start, cpu0 := time.Now(), cpuTime()
	ov.Start(ctx)
	if err := ov.Wait(ctx); err != nil {
		b.Fatal(err)
	}
	build, buildCPU := time.Since(start), cpuTime()-cpu0
	heapAfter := heapMB()
	ovStats := ov.Stats()
	detail, _ := ov.DetailZoom("dltb")

	src := tiles.NewSource(idx, ov, nil)
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

	var rows []string
	lists := map[maptile.Zoom][]maptile.Tile{}
	for _, z := range []maptile.Zoom{8, 10, 12, 14} {
		ts := tileList(snap, bound, z)
		lists[z] = ts
		b.Run(fmt.Sprintf("z%d", z), func(b *testing.B) {
			ours, theirs := measurePair(ts, func(t maptile.Tile) (int, error) {
				e, err := src.Tile(ctx, []*layers.Layer{l}, t, "")
				if err != nil {
					return 0, err
				}
				return len(e.Body), nil
			}, func(t maptile.Tile) (int, error) {
				// The tile's bytes as the driver read them, not copied: a
				// tile server passes them on; copying 48 MB tiles into this
				// process would only feed its garbage collector.
				rows, err := pool.Query(ctx, sql, int(t.Z), int(t.X), int(t.Y))
				if err != nil {
					return 0, err
				}
				defer rows.Close()
				n := 0
				for rows.Next() {
					var pg pgtype.DriverBytes
					if err := rows.Scan(&pg); err != nil {
						return 0, err
					}
					n = len(pg)
				}
				return n, rows.Err()
			})
			if ours.err != nil || theirs.err != nil {
				b.Fatal(ours.err, theirs.err)
			}
			b.ReportMetric(ours.perSec, "onemap_tiles/s")
			b.ReportMetric(theirs.perSec, "postgis_tiles/s")
			b.ReportMetric(ours.perSec/theirs.perSec, "speedup")
			b.ReportMetric(float64(ours.p99.Microseconds())/1000, "onemap_p99_ms")
			b.ReportMetric(float64(ours.largest), "onemap_max_B")
			b.ReportMetric(float64(theirs.largest), "postgis_max_B")
			kind := "exact"
			if int(z) < detail {
				kind = "overview"
			}
			rows = append(rows, fmt.Sprintf("| z%d | %d | %s | %.0f | %.1f / %.1f | %d | %.1f | %.1f / %.1f | %d | %.1f× |",
				z, len(ts), kind, ours.perSec, ms(ours.p50), ms(ours.p99), ours.largest,
				theirs.perSec, ms(theirs.p50), ms(theirs.p99), theirs.largest, ours.perSec/theirs.perSec))
		})
	}

	// Cached tiles over HTTP: the z12 and z14 lists, warmed, then fetched
	// round and round by a few clients.
	c := cache.New(512 << 20)
	srv := httptest.NewServer(api.New(api.Config{Catalog: cat, Index: idx, Store: st, Log: quiet,
		Tiles: tiles.NewSource(idx, ov, c), Policy: auth.Policy{Demo: true}})) // dltb is internal: as `make run` serves it
	defer srv.Close()
	paths := []string{}
	for _, z := range []maptile.Zoom{12, 14} {
		for _, t := range lists[z] {
			paths = append(paths, fmt.Sprintf("/tiles/dltb/%d/%d/%d.mvt", t.Z, t.X, t.Y))
		}
	}
	cachedPerSec, barePerSec := 0.0, 0.0
	b.Run("cached_http", func(b *testing.B) {
		host := strings.TrimPrefix(srv.URL, "http://")
		// Warm: every tile made and cached; the bodies kept for the bare
		// server below.
		bodies := map[string][]byte{}
		for _, p := range paths {
			body, err := leanGet(nil, host, p)
			if err != nil {
				b.Fatal(err)
			}
			bodies[p] = body
		}
		var err error
		if cachedPerSec, err = httpThroughput(host, paths); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(cachedPerSec, "cached_tiles/s")
		b.ReportMetric(float64(c.Stats().Hits), "hits")
		// The ceiling: net/http alone, answering the same paths with the
		// same bytes and headers from a map, no router, no cache, no
		// metrics. What is left between the two is ours to win.
		bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, ok := bodies[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			h := w.Header()
			h["Content-Type"] = []string{"application/vnd.mapbox-vector-tile"}
			h["Content-Encoding"] = []string{"gzip"}
			h["Content-Length"] = []string{strconv.Itoa(len(body))}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		}))
		defer bare.Close()
		if barePerSec, err = httpThroughput(strings.TrimPrefix(bare.URL, "http://"), paths); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(barePerSec, "bare_net_http/s")
	})

	fmt.Printf("\n%d parcels (%d features, raw WKB %d MB); dltb detail zoom %d\n", snap.Count("dltb"), countAll(snap, cat), wkbBytes>>20, detail)
	fmt.Printf("overviews: built in %.1f s (%.1f s of CPU), %d tiles, %.1f MB of tiles; heap %d MB → %d MB\n",
		build.Seconds(), buildCPU.Seconds(), ovStats.Tiles, float64(ovStats.Bytes)/(1<<20), heapBefore, heapAfter)
	heapEnd := heapMB()
	fmt.Printf("memory at the end: heap %d MB (%.2f× the raw WKB), of which %.1f MB notes on features; RSS %d MB\n",
		heapEnd, float64(heapEnd<<20)/float64(wkbBytes), float64(src.Prepared().Size())/(1<<20), rssMB())
	fmt.Println("| zoom | tiles | onemap tile | onemap tiles/s | p50 / p99 ms | largest B | PostGIS tiles/s | p50 / p99 ms | largest B | ratio |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Println(r)
	}
	fmt.Printf("cached over HTTP (z12+z14 lists, 8 keep-alive connections, gzip): %.0f tiles/s; bare net/http serving the same bytes from a map: %.0f/s (%.0f %%)\n",
		cachedPerSec, barePerSec, 100*cachedPerSec/barePerSec)
}

// httpThroughput fetches paths round and round, 100,000 requests over 8
// keep-alive connections of a lean HTTP/1.1 client (as wrk is: it sends a
// request, reads the status line, the headers and the body by its
// Content-Length, so that it takes little of the two cores the server
// needs), and returns the requests per second.
func httpThroughput(host string, paths []string) (float64, error) {
	const requests = 100000
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", host)
			if err != nil {
				failed.Store(err)
				return
			}
			defer conn.Close()
			lc := &leanConn{c: conn, r: bufio.NewReaderSize(conn, 64<<10)}
			for {
				i := next.Add(1) - 1
				if i >= requests {
					return
				}
				if _, err := leanGet(lc, host, paths[int(i)%len(paths)]); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return 0, err
	}
	return requests / time.Since(start).Seconds(), nil
}

// leanConn is a keep-alive connection of the lean client.
type leanConn struct {
	c net.Conn
	r *bufio.Reader
}

// leanGet asks for path with gzip accepted and reads the whole answer; it
// fails unless the status is 200 or 204. A nil conn dials one of its own
// and returns a copy of the body; otherwise the body is only read past.
func leanGet(lc *leanConn, host, path string) ([]byte, error) {
	keep := false
	if lc == nil {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		lc = &leanConn{c: conn, r: bufio.NewReader(conn)}
		keep = true
	}
	if _, err := io.WriteString(lc.c, "GET "+path+" HTTP/1.1\r\nHost: "+host+"\r\nAccept-Encoding: gzip\r\n\r\n"); err != nil {
		return nil, err
	}
	status, err := lc.r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(status) < 12 || (string(status[9:12]) != "200" && string(status[9:12]) != "204") {
		return nil, fmt.Errorf("%s: %q", path, status)
	}
	length := 0
	for {
		line, err := lc.r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if keep {
		body := make([]byte, length)
		_, err := io.ReadFull(lc.r, body)
		return body, err
	}
	_, err = lc.r.Discard(length)
	return nil, err
}

// benchDatabase returns a PostGIS database holding the demo data at scale,
// with dltb's geometry also in a GiST-indexed EPSG:3857 column (PostGIS at
// its best): a fresh database dropped after the run, or, with
// ONEMAP_BENCH_KEEP_DB=1, one named for the scale and kept for the next
// run, reused once complete (generating 1,000,000 parcels takes minutes).
func benchDatabase(b *testing.B, ctx context.Context, cat *layers.Catalog, scale int) string {
	if os.Getenv("ONEMAP_BENCH_KEEP_DB") != "1" {
		url := pgtest.NewDB(b)
		fillBenchDatabase(b, ctx, cat, scale, url)
		return url
	}
	name := fmt.Sprintf("onemap_bench_%d", scale)
	admin, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	url := databaseURL(pgtest.AdminURL(), name)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if exists {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		var done int
		err = conn.QueryRow(ctx, `SELECT scale FROM onemap_bench_done`).Scan(&done)
		conn.Close(ctx)
		if err == nil && done == scale {
			b.Logf("reusing database %s", name)
			return url
		}
		if _, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		b.Fatal(err)
	}
	fillBenchDatabase(b, ctx, cat, scale, url)
	if _, err := conn.Exec(ctx, `CREATE TABLE onemap_bench_done AS SELECT $1::int AS scale`, scale); err != nil {
		b.Fatal(err)
	}
	return url
}

// fillBenchDatabase imports the demo data and adds dltb's 3857 column.
func fillBenchDatabase(b *testing.B, ctx context.Context, cat *layers.Catalog, scale int, url string) {
	st, err := postgis.Open(ctx, url, cat, postgis.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := fixtures.Generate(ctx, cat, fixtures.Config{Seed: 1, Scale: scale}, func(layer string, feats iter.Seq2[*layers.Feature, error]) error {
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
		`VACUUM ANALYZE dltb`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
}

// databaseURL is url with its database name replaced.
func databaseURL(url, db string) string {
	q := ""
	if i := strings.Index(url, "?"); i >= 0 {
		url, q = url[:i], url[i:]
	}
	i := strings.LastIndex(url, "/")
	if i < len("postgres://") {
		return url + "/" + db + q
	}
	return url[:i+1] + db + q
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func heapMB() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc >> 20
}

func countAll(snap *spatial.Snapshot, cat *layers.Catalog) int {
	n := 0
	for _, l := range cat.Layers {
		n += snap.Count(l.ID)
	}
	return n
}

// tileList is every tile of zoom z over b that holds a parcel, or an even
// sample of benchMaxTiles of them.
func tileList(snap *spatial.Snapshot, b orb.Bound, z maptile.Zoom) []maptile.Tile {
	r := tiles.TileRange(b, int(z), 0)
	var ts []maptile.Tile
	for x := r.X0; x <= r.X1; x++ {
		for y := r.Y0; y <= r.Y1; y++ {
			t := maptile.New(x, y, z)
			found := false
			snap.Search("dltb", tiles.BufferedBound(t, 0), func(*layers.Feature) bool { found = true; return false })
			if found {
				ts = append(ts, t)
			}
		}
	}
	if len(ts) <= benchMaxTiles {
		return ts
	}
	out := make([]maptile.Tile, 0, benchMaxTiles)
	for i := range benchMaxTiles {
		out = append(out, ts[i*len(ts)/benchMaxTiles])
	}
	return out
}

// result is one system's run over a tile list.
type result struct {
	perSec   float64
	p50, p99 time.Duration
	largest  int
	err      error
}

// measurePair measures two systems on the same tile list, taking turns:
// a pass of one (the whole list, benchWorkers tiles at a time), then a
// pass of the other, until each has run for at least 2 s (one pass at
// least), so that both meet the same load on a machine shared with other
// work. It reports each one's throughput, latency percentiles and
// largest tile.
func measurePair(ts []maptile.Tile, ours, theirs func(maptile.Tile) (int, error)) (result, result) {
	var a, b passes
	for a.time < 2*time.Second || b.time < 2*time.Second {
		if a.time < 2*time.Second {
			a.pass(ts, ours)
		}
		if b.time < 2*time.Second {
			b.pass(ts, theirs)
		}
	}
	return a.result(), b.result()
}

// passes accumulates one system's passes over a tile list.
type passes struct {
	lat     []time.Duration
	time    time.Duration
	done    int
	largest int
	err     error
}

// pass makes every tile of the list, benchWorkers at a time.
func (ps *passes) pass(ts []maptile.Tile, make func(maptile.Tile) (int, error)) {
	var mu sync.Mutex
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range benchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ts) {
					return
				}
				t0 := time.Now()
				n, err := make(ts[i])
				d := time.Since(t0)
				mu.Lock()
				ps.lat = append(ps.lat, d)
				ps.largest = max(ps.largest, n)
				if err != nil && ps.err == nil {
					ps.err = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ps.time += time.Since(start)
	ps.done += len(ts)
}

func (ps *passes) result() result {
	res := result{largest: ps.largest, err: ps.err}
	res.perSec = float64(ps.done) / ps.time.Seconds()
	slices.Sort(ps.lat)
	res.p50 = ps.lat[len(ps.lat)/2]
	res.p99 = ps.lat[min(len(ps.lat)-1, len(ps.lat)*99/100)]
	return res
}
