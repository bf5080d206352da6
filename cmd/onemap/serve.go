package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/onemap/onemap/api"
	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/metrics"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/region"
	"github.com/onemap/onemap/spatial/supervise"
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
	publicURL := fs.String("public-url", "", "scheme://host[/prefix] for every absolute link (default: the request's own)")
	proxies := fs.String("trusted-proxies", "127.0.0.0/8,::1/128", "comma-separated CIDRs whose X-Forwarded-Proto/Host are believed")
	maxBody := fs.Int64("max-body", api.DefaultMaxBody, "largest request body in bytes (larger bodies get 413)")
	readTimeout := fs.Duration("read-timeout", time.Minute, "time allowed to read a whole request, body included")
	writeTimeout := fs.Duration("write-timeout", 2*time.Minute, "time allowed to write an answer")
	idleTimeout := fs.Duration("idle-timeout", 2*time.Minute, "how long an idle keep-alive connection stays open")
	authFile := fs.String("auth", "", "auth file: users, API keys, identity provider (default: none; anonymous callers read public layers only)")
	demo := fs.Bool("demo", false, "DEMO ONLY: anonymous callers get the analyst, supervisor and editor rights on public and internal layers")
	tlsCert := fs.String("tls-cert", "", "TLS certificate file (PEM); with --tls-key, serve HTTPS")
	tlsKey := fs.String("tls-key", "", "TLS private key file (PEM)")
	ratePerSecond := fs.Float64("rate-limit", 200, "requests per second each caller (user, key, or client address) may make; 0: no limit")
	rateBurst := fs.Int("rate-burst", 400, "requests a caller may make at once before --rate-limit applies")
	maxAnalyses := fs.Int("max-analyses", 0, "queries and analyses run at once (0: two per core); more wait briefly, then get 429")
	gcPercent := fs.Int("gc-percent", 50, "garbage collector target once loaded, as GOGC (the index is most of the heap and lives for ever: 100 would let the heap grow to twice it); the GOGC environment variable wins when set")
	requestTimeout := fs.Duration("request-timeout", time.Minute, "deadline of one data request (503 past it)")
	asOf := fs.String("as-of", "", "date (YYYY-MM-DD) licences must be valid on in compliance reviews and idle land is judged on (default: today; the demo data's is 2025-12-31)")
	basemapURL := fs.String("basemap-url", "", "raster base map tile URL template with {z}/{x}/{y} (e.g. a 天地图 service with its key); default: none, the map draws its own layers only")
	basemapAttribution := fs.String("basemap-attribution", "", "the base map's attribution, shown on the map")
	analysisTimeout := fs.Duration("analysis-timeout", 30*time.Second, "deadline of one query or analysis")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if *tlsCert != "" {
		if _, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey); err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
	}
	var authn *auth.Authenticator
	if *authFile != "" {
		a, err := auth.Load(*authFile, auth.Options{})
		if err != nil {
			return err
		}
		authn = a
		users, keys := a.Users()
		log.Info("auth file loaded", "file", *authFile, "users", users, "keys", keys)
	}
	if *demo {
		for _, line := range []string{
			"DEMO MODE: anyone who can reach this server may read internal layers and edit features, without logging in",
			"DEMO MODE: never run --demo on a network others can reach, nor with real data",
		} {
			log.Warn(line)
		}
	} else if authn == nil {
		log.Info("no auth file: anonymous callers read public layers only; nobody can write (use --auth FILE, or --demo for the demo)")
	}
	var pub *url.URL
	if *publicURL != "" {
		u, err := url.Parse(*publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("--public-url %q must be http(s)://host[:port][/prefix]", *publicURL)
		}
		pub = u
	}
	trusted, err := api.ParseTrustedProxies(*proxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies %q: %w", *proxies, err)
	}
	if *asOf != "" {
		if d, err := time.Parse(time.DateOnly, *asOf); err != nil || d.Format(time.DateOnly) != *asOf {
			return fmt.Errorf("--as-of %q must be a date YYYY-MM-DD", *asOf)
		}
	}
	if *maxBody <= 0 {
		return fmt.Errorf("--max-body %d must be positive", *maxBody)
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
	reg := metrics.NewRegistry()
	if store, err = metrics.Store(reg, store); err != nil {
		return err
	}

	idx := spatial.NewIndex(cat)
	if err := metrics.RegisterIndex(reg, idx); err != nil {
		return err
	}
	sup, err := newSupervision(idx, store, *asOf, log)
	if err != nil {
		return err
	}
	// Overviews subscribe to the index before the tile cache does, so an
	// edit reaches them first.
	ov := overview.New(idx, overview.Options{Log: log})
	source := tiles.NewSource(idx, ov, cache.New(int64(*tileCacheMB)<<20))
	if c := source.Cache(); c != nil {
		if err := metrics.RegisterTileCache(reg, c.Stats); err != nil {
			return err
		}
	}
	var ready atomic.Bool
	handler := api.New(api.Config{
		Catalog: cat, Index: idx, Editor: spatial.NewEditor(idx, store), Store: store,
		Log: log, Web: web.Files(), Ready: &ready, Tiles: source,
		PublicURL: pub, TrustedProxies: trusted, MaxBody: *maxBody,
		Auth: authn, Policy: auth.Policy{Demo: *demo}, SecureCookies: *tlsCert != "",
		Metrics: reg, RatePerSecond: *ratePerSecond, RateBurst: *rateBurst, MaxAnalyses: *maxAnalyses, RequestTimeout: *requestTimeout,
		AsOf: *asOf, AnalysisTimeout: *analysisTimeout, Supervision: sup,
		BasemapURL: *basemapURL, BasemapAttribution: *basemapAttribution,
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	// Timeouts bound what a slow or idle client can hold: a client that sends
	// headers and then one byte a minute is cut off at the read timeout.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: *readTimeout, WriteTimeout: *writeTimeout, IdleTimeout: *idleTimeout}
	errc := make(chan error, 1)
	go func() {
		if *tlsCert != "" {
			errc <- srv.ServeTLS(ln, *tlsCert, *tlsKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	log.Info("listening", "addr", ln.Addr().String(), "tls", *tlsCert != "")

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
		if *db == "" {
			return fmt.Errorf("read %s: %w (a damaged GeoPackage is never rebuilt or overwritten: restore it from a backup)", *data, err)
		}
		return err
	}
	if follows {
		go func() {
			lag, err := metrics.RegisterFeedLag(reg, follower, head)
			if err != nil {
				log.Error("change feed metrics", "err", err)
				return
			}
			err = follower.Follow(ctx, head, func(c layers.Change) error {
				if err := idx.Apply(ctx, store, c); err != nil {
					return err
				}
				lag.Applied(c.HistoryID)
				return nil
			})
			if err != nil {
				log.Error("change feed stopped", "err", err)
			}
		}()
	}
	// The verdicts are computed in the background; their routes answer
	// "computing" (503) until done.
	sup.Start(ctx)
	if *asOf == "" {
		// Judged as of today: idle land and licences follow the calendar,
		// re-judged just after each midnight.
		go sup.FollowDays(ctx, supervise.Midnights(ctx))
	}
	ready.Store(true)
	// Overviews build in the background: until a layer's are built, its
	// tiles below the detail zoom answer 503 with Retry-After.
	ov.Start(ctx)
	// Hand back to the OS what loading used and no longer needs, so that
	// RSS reflects what the index holds. From here on the heap is mostly
	// the index, which never becomes garbage: a lower GC target keeps the
	// headroom for requests' garbage near what they need.
	if os.Getenv("GOGC") == "" && *gcPercent > 0 {
		debug.SetGCPercent(*gcPercent)
	}
	logFreedMemory(log, "ready", "features", stats.Features, "elapsed_ms", stats.Elapsed.Milliseconds())
	go func() {
		// The overview build's scratch memory goes back too, once it is done.
		if ov.Wait(ctx) == nil {
			logFreedMemory(log, "memory after overviews")
		}
	}()

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

// logFreedMemory hands freed memory back to the OS, then logs msg with
// the live heap and RSS.
func logFreedMemory(log *slog.Logger, msg string, args ...any) {
	var ms runtime.MemStats
	debug.FreeOSMemory()
	runtime.ReadMemStats(&ms)
	log.Info(msg, append(args, "heap_mb", ms.HeapAlloc>>20, "rss_mb", rssMB())...)
}

// newSupervision is the supervision engine over idx with DESIGN.md's rules
// judged as of asOf (empty: today), keeping field checks in the store when
// it can.
func newSupervision(idx *spatial.Index, store layers.Store, asOf string, log *slog.Logger) (*supervise.Engine, error) {
	rules := supervise.DefaultRules()
	rules.AsOf = asOf
	if asOf == "" {
		rules.AsOf = time.Now().Format(time.DateOnly)
	}
	checks, _ := layers.StoreAs[layers.CheckStore](store)
	return supervise.NewEngine(idx, supervise.Options{Rules: rules, Checks: checks, Log: log, Regions: region.New(idx)})
}
