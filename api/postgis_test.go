package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/spatial"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startPostGIS runs one onemap server over a PostGIS database the way
// `serve --db` does: migrate, read the history head, load, follow.
func startPostGIS(t *testing.T, url string, configure ...func(*Config)) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cat := layers.DefaultCatalog()
	st, err := postgis.Open(ctx, url, cat, postgis.Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	idx := spatial.NewIndex(cat)
	head, err := st.HistoryHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idx.Load(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.Follow(ctx, head, func(c layers.Change) error { return idx.Apply(ctx, st, c) })
	}()
	cfg := Config{Catalog: cat, Index: idx, Editor: spatial.NewEditor(idx, st), Store: st, Log: quiet, Policy: auth.Policy{Demo: true}}
	for _, fn := range configure {
		fn(&cfg)
	}
	srv := httptest.NewServer(New(cfg))
	ts := &testServer{Server: srv, store: st, idx: idx}
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		st.Close()
	})
	return ts
}

// poll retries fn until it returns true or the generous deadline passes.
func poll(t *testing.T, what string, fn func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 30*time.Second {
		if fn() {
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: not within 30 s", what)
	return 0
}

func TestTwoServersOneDatabase(t *testing.T) {
	url := pgtest.NewDB(t)
	a, b := startPostGIS(t, url), startPostGIS(t, url)

	var lags []time.Duration
	for i := 0; i < 5; i++ {
		r := a.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(112+float64(i)*0.01, 30, 0.005), ""))
		if r.status != 201 {
			t.Fatalf("create on A: %d %s", r.status, r.body)
		}
		id := int64(r.json(t)["id"].(float64))
		lags = append(lags, poll(t, "B sees A's create", func() bool {
			return b.do(t, "GET", fmt.Sprintf("/api/v1/layers/dltb/features/%d", id), "").status == 200
		}))
	}
	t.Logf("replication lag A→B over 5 creates: %v", lags)

	// A NUL in a string is refused by validation, as on GeoPackage, rather
	// than reaching PostgreSQL (which cannot store it in text) as a 500.
	if r := a.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(112.5, 30, 0.005), `{"DLBM":"01\u00000","ZLDWDM":"429901001001"}`)); r.status != 422 {
		t.Fatalf("NUL on PostGIS: %d %s", r.status, r.body)
	}
	if n, _ := a.store.Count(context.Background(), "dltb"); n != 5 {
		t.Fatalf("dltb holds %d features after 5 creates and a refused one", n)
	}

	// An edit on B reaches A, with its version.
	path := "/api/v1/layers/dltb/features/1"
	if r := b.do(t, "PUT", path, parcelJSON(squareJSON(113, 31, 0.005), `{"DLBM":"0702","ZLDWDM":"429901001001"}`), "If-Match", `"1"`); r.status != 200 {
		t.Fatalf("replace on B: %d %s", r.status, r.body)
	}
	poll(t, "A sees B's replace", func() bool {
		r := a.do(t, "GET", path, "")
		return r.status == 200 && r.json(t)["version"].(float64) == 2
	})
	// A stale write on A, now that B moved the version on, is refused.
	if r := a.do(t, "PUT", path, parcelJSON(squareJSON(113, 31, 0.005), ""), "If-Match", `"1"`); r.status != 409 {
		t.Fatalf("stale write on A: %d", r.status)
	}
	if r := a.do(t, "DELETE", path, "", "If-Match", `"2"`); r.status != 204 {
		t.Fatalf("delete on A: %d %s", r.status, r.body)
	}
	poll(t, "B sees A's delete", func() bool { return b.do(t, "GET", path, "").status == 404 })

	// A bulk import through A's store makes B reload the layer.
	l := layers.DefaultCatalog().Layer("dzzhd")
	n, err := a.store.Import(context.Background(), "dzzhd", func(yield func(*layers.Feature, error) bool) {
		for i := 0; i < 300; i++ {
			props := make([]any, len(l.Fields))
			props[l.FieldIndex("ZHLX")] = "滑坡"
			if !yield(&layers.Feature{Geometry: pointAt(i), Props: layers.NewProps(props...)}, nil) {
				return
			}
		}
	})
	if err != nil || n != 300 {
		t.Fatalf("import: %d %v", n, err)
	}
	poll(t, "B reloads after the import", func() bool { return b.idx.Snapshot().Count("dzzhd") == 300 })
}

// TestPostgresGoneAndBack stops a private PostgreSQL while a client writes:
// reads keep being served from memory, writes get 503 with a JSON error, the
// server reconnects by itself, and every acknowledged write is in the
// database afterwards, each with its history row.
func TestPostgresGoneAndBack(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	url := cluster.NewDB(t)
	ts := startPostGIS(t, url)

	var mu sync.Mutex
	acked := map[int64]string{} // id → DLBM acknowledged
	statuses := map[int]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 20 * time.Second}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			dlbm := fmt.Sprintf("0%d01", 1+i%9)
			body := parcelJSON(squareJSON(112+float64(i%100)*0.001, 30+float64(i/100)*0.001, 0.0005), fmt.Sprintf(`{"DLBM":%q,"ZLDWDM":"429901001001"}`, dlbm))
			res, err := client.Post(ts.URL+"/api/v1/layers/dltb/features", "application/geo+json", strings.NewReader(body))
			if err != nil {
				t.Errorf("request failed outright: %v", err)
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			mu.Lock()
			statuses[res.StatusCode]++
			if res.StatusCode == 201 {
				var f struct{ ID int64 }
				json.Unmarshal(b, &f)
				acked[f.ID] = dlbm
			} else if res.StatusCode != 503 || !strings.Contains(string(b), "store_unavailable") {
				t.Errorf("write answered %d %s", res.StatusCode, b)
			}
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	poll(t, "first writes acknowledged", func() bool { return count() >= 30 })

	cluster.Stop()
	before := count()
	poll(t, "writes refused while PostgreSQL is down", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return statuses[503] >= 5
	})
	// Reads are served from memory meanwhile.
	r := ts.do(t, "GET", "/api/v1/layers/dltb/features?limit=1", "")
	if r.status != 200 || r.json(t)["numberMatched"].(float64) < float64(before) {
		t.Fatalf("read while down: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/readyz", ""); r.status != 503 {
		t.Fatalf("readyz while down: %d", r.status)
	}

	cluster.Start()
	poll(t, "writes acknowledged again after restart", func() bool { return count() >= before+20 })
	close(stop)
	wg.Wait()

	// Every acknowledged write is in the database, with its history row.
	ctx := context.Background()
	check, err := postgis.Open(ctx, url, layers.DefaultCatalog(), postgis.Options{Log: quiet, SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	inDB := map[int64]string{}
	l := layers.DefaultCatalog().Layer("dltb")
	check.Scan(ctx, "dltb", func(f *layers.Feature) error { inDB[f.ID] = f.Props.At(l.FieldIndex("DLBM")).(string); return nil })
	mu.Lock()
	defer mu.Unlock()
	for id, dlbm := range acked {
		if inDB[id] != dlbm {
			t.Fatalf("acknowledged feature %d (%s) is %q in the database", id, dlbm, inDB[id])
		}
	}
	var orphans int
	check.Pool().QueryRow(ctx, `SELECT count(*) FROM dltb d WHERE NOT EXISTS (SELECT 1 FROM onemap_history h WHERE h.layer = 'dltb' AND h.feature_id = d.fid AND h.op = 'create')`).Scan(&orphans)
	if orphans != 0 {
		t.Fatalf("%d features without their history row: a write was half committed", orphans)
	}
	t.Logf("acknowledged %d writes, %d refused with 503, %d rows in the database", len(acked), statuses[503], len(inDB))
	// The index follows the database again.
	poll(t, "index matches the database", func() bool { return ts.idx.Snapshot().Count("dltb") == len(inDB) })
}

func pointAt(i int) orb.Point { return orb.Point{112 + float64(i%50)*0.002, 30 + float64(i/50)*0.002} }
