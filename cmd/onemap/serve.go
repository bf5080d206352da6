package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/onemap/onemap/api"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/tiles/cache"
	"github.com/onemap/onemap/tiles/overview"
	"github.com/onemap/onemap/web"
)

func serve(ctx context.Context, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", ":8080", "listen address")
	data := fs.String("data", "./data/onemap.gpkg", "GeoPackage file (created with the demo data when missing)")
	db := fs.String("db", "", "PostgreSQL/PostGIS URL (instead of --data)")
	catalog := fs.String("catalog", "", "layer catalogue file (default: the built-in catalogue)")
	tileCacheMB := fs.Int("tile-cache-mb", 256, "memory for cached tiles, in MB")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cat, err := layers.LoadCatalog(*catalog)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, log, cat, *data, *db, true)
	if err != nil {
		return err
	}
	defer store.Close()

	idx := spatial.NewIndex(cat)
	// Overviews subscribe to the index before the tile cache does, so an
	// edit reaches them first.
	ov := overview.New(idx, overview.Options{Log: log})
	source := tiles.NewSource(idx, ov, cache.New(int64(*tileCacheMB)<<20))
	var ready atomic.Bool
	handler := api.New(api.Config{
		Catalog: cat, Index: idx, Editor: spatial.NewEditor(idx, store), Store: store,
		Log: log, Web: web.Files(), Ready: &ready, Tiles: source,
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	// Liveness answers at once; readiness waits for the index. A store that
	// others write to (PostGIS) is followed from the history head read before
	// the load, so nothing committed during the load is missed.
	follower, follows := store.(layers.Follower)
	var head int64
	if follows {
		if head, err = follower.HistoryHead(ctx); err != nil {
			srv.Close()
			return err
		}
	}
	// Loading allocates millions of small objects that all stay live: fewer
	// GC cycles meanwhile make it markedly faster; the usual pace resumes after.
	gc := debug.SetGCPercent(400)
	stats, err := idx.Load(ctx, store, log)
	debug.SetGCPercent(gc)
	if err != nil {
		srv.Close()
		return err
	}
	if follows {
		go func() {
			err := follower.Follow(ctx, head, func(c layers.Change) error { return idx.Apply(ctx, store, c) })
			if err != nil {
				log.Error("change feed stopped", "err", err)
			}
		}()
	}
	ready.Store(true)
	// Overviews build in the background: until a layer's are built, its
	// tiles below the detail zoom answer 503 with Retry-After.
	ov.Start(ctx)
	// Hand back to the OS what loading used and no longer needs, so that
	// RSS reflects what the index holds.
	var ms runtime.MemStats
	debug.FreeOSMemory()
	runtime.ReadMemStats(&ms)
	log.Info("ready", "features", stats.Features, "load_ms", stats.Elapsed.Milliseconds(),
		"heap_mb", ms.HeapAlloc>>20, "rss_mb", rssMB())

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
