// Package api is onemap's HTTP surface: the gin router, handlers that parse a
// request, call one function of spatial, tiles or layers and write the answer,
// and the mapping of errors to statuses. It holds no business logic.
package api

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onemap/onemap/api/ogc"
	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/metrics"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/inputgeom"
	"github.com/onemap/onemap/spatial/landuse"
	"github.com/onemap/onemap/spatial/region"
	"github.com/onemap/onemap/spatial/supervise"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/web/static"
)

// DefaultMaxBody is the request body limit when Config.MaxBody is 0.
const DefaultMaxBody = 32 << 20

// Config is what the server needs; it is passed in, never global.
type Config struct {
	Catalog *layers.Catalog
	Index   *spatial.Index
	Editor  *spatial.Editor
	Store   layers.Store // for readiness
	Log     *slog.Logger
	Web     fs.FS // the map page's files; nil serves none
	// BasemapURL is a raster tile URL template ({z}/{x}/{y}) drawn under
	// the map's own layers (e.g. 天地图 with a key); empty: none.
	// BasemapAttribution is shown on the map with it.
	BasemapURL, BasemapAttribution string
	MaxBody                        int64        // request body limit in bytes; 0 = DefaultMaxBody
	Ready                          *atomic.Bool // true once the index is loaded; nil = ready
	MaxLimit                       int          // page size cap; 0 = 10,000
	// PublicURL pins the scheme, host and path prefix of every absolute
	// link (Location, next, TileJSON, OGC); empty: taken from the request.
	PublicURL *url.URL
	// TrustedProxies are the peers whose X-Forwarded-Proto/Host are
	// believed; nil means loopback only.
	TrustedProxies []netip.Prefix
	// Auth checks logins, tokens and API keys; nil: the server has no
	// users, every caller is anonymous and credentials are refused.
	Auth *auth.Authenticator
	// Policy decides what each caller may do; its zero value is secure
	// (anonymous callers read public layers only); Demo opens internal
	// layers, analyses and edits to anonymous callers.
	Policy auth.Policy
	// Regions places features in admin-code regions for callers bound to
	// regions; nil: made over Index.
	Regions *region.Resolver
	// SecureCookies marks session cookies Secure (set when served over TLS
	// or behind an https public URL).
	SecureCookies bool
	// Metrics is the registry /metrics serves; the api adds its request
	// metrics to it. nil: a new one (index and runtime collectors added).
	Metrics *prometheus.Registry
	// RatePerSecond and RateBurst bound each caller (user, key, or client
	// address when anonymous) with a token bucket; 0: no limit.
	RatePerSecond float64
	RateBurst     int
	// MaxAnalyses is how many queries and analyses run at once (0: two per
	// core); AnalysisQueueWait how long one waits for a slot (0: 2 s).
	MaxAnalyses       int
	AnalysisQueueWait time.Duration
	// RequestTimeout bounds every data request (0: 60 s): 503 past it.
	RequestTimeout time.Duration
	// MaxBBoxDeg2 is the largest bbox of a feature listing, in square
	// degrees (0: 400, a large province; larger: 422).
	MaxBBoxDeg2 float64
	// OGC holds the OGC API's seams: Project for the Gauss-Krüger zones,
	// Filter for `filter`, Intersects for a bbox in a zone; left nil they
	// are spatial/crs and spatial/cql2. Its page sizes come from MaxLimit.
	OGC ogc.Options
	// InputLimits bound analysis and query geometries (vertices, area);
	// zero: inputgeom.DefaultLimits.
	InputLimits inputgeom.Limits
	// AnalysisTimeout is the deadline of one analysis or query; 0 = 30 s.
	AnalysisTimeout time.Duration
	// Tiles makes and caches vector tiles; nil: exact tiles from each
	// layer's minzoom, uncached.
	Tiles *tiles.Source
	// AsOf is the date licences must be valid on in compliance reviews
	// (YYYY-MM-DD); empty: today.
	AsOf string
	// Supervision keeps the supervision verdicts; nil: those routes answer 503.
	Supervision *supervise.Engine
}

type server struct {
	Config
	links    linkRule
	rates    *rateLimiter
	analyses chan struct{} // one token per running analysis
	httpm    *httpMetrics
	csp      string              // the map page's Content-Security-Policy, made once
	landUse  *landuse.Calculator // nil without Supervision
	ogc      *ogc.API
	ogcTime  temporalCache
}

// New returns the HTTP handler with every route of onemap.
func New(cfg Config) http.Handler {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxLimit == 0 {
		cfg.MaxLimit = 10000
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Ready == nil {
		cfg.Ready = &atomic.Bool{}
		cfg.Ready.Store(true)
	}
	if cfg.Tiles == nil {
		cfg.Tiles = tiles.NewSource(cfg.Index, nil, nil)
	}
	if cfg.InputLimits == (inputgeom.Limits{}) {
		cfg.InputLimits = inputgeom.DefaultLimits
	}
	if cfg.AnalysisTimeout == 0 {
		cfg.AnalysisTimeout = 30 * time.Second
	}
	if cfg.TrustedProxies == nil {
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	if cfg.MaxAnalyses <= 0 {
		cfg.MaxAnalyses = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.AnalysisQueueWait <= 0 {
		cfg.AnalysisQueueWait = 2 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = time.Minute
	}
	if cfg.MaxBBoxDeg2 <= 0 {
		cfg.MaxBBoxDeg2 = 400
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewRegistry()
		if err := metrics.RegisterIndex(cfg.Metrics, cfg.Index); err != nil {
			panic(err) // a new registry holds nothing it could clash with
		}
		if c := cfg.Tiles.Cache(); c != nil {
			if err := metrics.RegisterTileCache(cfg.Metrics, c.Stats); err != nil {
				panic(err)
			}
		}
	}
	if cfg.Regions == nil {
		cfg.Regions = region.New(cfg.Index)
	}
	if cfg.PublicURL != nil && cfg.PublicURL.Scheme == "https" {
		cfg.SecureCookies = true
	}
	s := &server{Config: cfg, csp: pageCSP(tiles.BasemapOrigin(cfg.BasemapURL)), links: linkRule{public: cfg.PublicURL, trusted: cfg.TrustedProxies},
		rates: newRateLimiter(cfg.RatePerSecond, cfg.RateBurst), analyses: make(chan struct{}, cfg.MaxAnalyses),
		httpm: newHTTPMetrics(cfg.Metrics)}
	if cfg.Supervision != nil {
		s.landUse = landuse.New(cfg.Index, cfg.Supervision)
	}
	cfg.OGC.DefaultLimit, cfg.OGC.MaxLimit = 100, cfg.MaxLimit
	s.ogc = ogc.New(cfg.Catalog, ogcDefaults(cfg.OGC))
	return s.routes()
}

// routes declares every route of onemap, top to bottom.
func (s *server) routes() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false // a JSON 404, never an HTML redirect
	r.RedirectFixedPath = false
	r.Use(s.recoverJSON, s.measure, s.logRequests, s.securityHeaders, s.checkQuery, s.authenticate)
	r.NoRoute(s.h(v1Errors, func(c *gin.Context) error {
		p := c.Request.URL.Path
		if len(p) > 1 && strings.HasSuffix(p, "/") {
			return notFound("no such path: " + p + " (paths take no trailing slash)")
		}
		return notFound("no such path: " + p)
	}))
	r.NoMethod(s.h(v1Errors, func(c *gin.Context) error {
		return &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: c.Request.Method + " is not allowed on " + c.Request.URL.Path}
	}))

	get(r, "/healthz", s.h(v1Errors, s.healthz))
	get(r, "/readyz", s.h(v1Errors, s.readyz))
	get(r, "/metrics", s.metricsHandler())
	get(r, "/debug/pprof/*profile", s.h(v1Errors, s.profile))
	r.POST("/debug/pprof/*profile", s.h(v1Errors, s.profile)) // symbol lookups post

	r.POST("/api/v1/login", s.limitRate, s.h(v1Errors, s.login))
	r.POST("/api/v1/logout", s.h(v1Errors, s.logout))
	get(r, "/api/v1/me", s.h(v1Errors, s.whoami))
	r.DELETE("/api/v1/keys/:id", s.h(v1Errors, s.revokeKey))

	v1 := r.Group("/api/v1", s.whenReady, s.limitRate, s.deadline)
	get(v1, "/layers", s.h(v1Errors, s.listLayers))
	get(v1, "/layers/:layer", s.h(v1Errors, s.getLayer))
	get(v1, "/layers/:layer/features", s.h(v1Errors, s.listFeatures))
	v1.POST("/layers/:layer/features", s.h(v1Errors, s.createFeature))
	get(v1, "/layers/:layer/features/:fid", s.h(v1Errors, s.getFeature))
	v1.PUT("/layers/:layer/features/:fid", s.h(v1Errors, s.replaceFeature))
	v1.DELETE("/layers/:layer/features/:fid", s.h(v1Errors, s.deleteFeature))
	get(v1, "/layers/:layer/features/:fid/history", s.h(v1Errors, s.featureHistory))

	get(v1, "/identify", s.h(v1Errors, s.identify))
	v1.POST("/query", s.limitAnalyses, s.h(v1Errors, s.query))
	v1.POST("/analysis/overlay", s.limitAnalyses, s.h(v1Errors, s.analyseOverlay))
	v1.POST("/analysis/compliance", s.limitAnalyses, s.h(v1Errors, s.analyseCompliance))

	get(v1, "/supervision/patches", s.h(v1Errors, s.listPatches))
	get(v1, "/supervision/patches/:id", s.h(v1Errors, s.getPatch))
	v1.PUT("/supervision/patches/:id/check", s.h(v1Errors, s.putPatchCheck))
	get(v1, "/supervision/mining", s.h(v1Errors, s.listMining))
	get(v1, "/supervision/idle", s.h(v1Errors, s.listIdle))
	get(v1, "/supervision/summary", s.h(v1Errors, s.supervisionSummary))
	get(v1, "/stats/landuse", s.h(v1Errors, s.landUseStats))

	get(r, "/tiles/:layers/:z/:x/:y", s.whenReady, s.limitRate, s.deadline, s.h(v1Errors, s.getTile))
	get(r, "/tiles/:layers", s.h(v1Errors, s.getTileJSON))
	get(r, "/style.json", s.h(v1Errors, s.getStyle))

	// OGC API – Features (api/ogc.go); the documents that depend on the
	// catalogue alone answer while the index loads.
	o := r.Group("/ogc")
	get(o, "", s.h(ogcErrors, s.ogcLanding))
	get(o, "/", s.h(ogcErrors, s.ogcLanding)) // the OpenAPI document's "/" under its server …/ogc
	get(o, "/conformance", s.h(ogcErrors, s.ogcConformance))
	get(o, "/api", s.h(ogcErrors, s.ogcOpenAPI))
	oc := o.Group("/collections", s.whenReady, s.limitRate, s.deadline)
	get(oc, "", s.h(ogcErrors, s.ogcCollections))
	get(oc, "/:layer", s.h(ogcErrors, s.ogcCollection))
	get(oc, "/:layer/queryables", s.h(ogcErrors, s.ogcQueryables))
	get(oc, "/:layer/schema", s.h(ogcErrors, s.ogcSchema))
	get(oc, "/:layer/items", s.h(ogcErrors, s.ogcItems))
	oc.POST("/:layer/items", s.h(ogcErrors, s.ogcCreate))
	get(oc, "/:layer/items/:fid", s.h(ogcErrors, s.ogcItem))
	oc.PUT("/:layer/items/:fid", s.h(ogcErrors, s.ogcReplace))
	oc.PATCH("/:layer/items/:fid", s.h(ogcErrors, s.ogcUpdate))
	oc.DELETE("/:layer/items/:fid", s.h(ogcErrors, s.deleteFeature))

	if s.Web != nil {
		files := static.New(s.Web)
		get(r, "/", func(c *gin.Context) { files.Serve(c.Writer, c.Request, "index.html") })
		get(r, "/web/*path", func(c *gin.Context) { files.Serve(c.Writer, c.Request, c.Param("path")) })
	}
	return r
}

// get registers a GET route and its HEAD twin (net/http drops the body).
func get(r gin.IRoutes, path string, h ...gin.HandlerFunc) {
	r.GET(path, h...)
	r.HEAD(path, h...)
}

func logFrom(c *gin.Context) *slog.Logger {
	if l, ok := c.Get("log"); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

// logRequests logs one line per request: at Info for the API, at Debug for
// tiles and static files, which a map fetches by the hundred (so a busy
// server does not spend its time writing logs). Errors always log.
func (s *server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Set("log", s.Log)
	c.Next()
	status := c.Writer.Status()
	level := slog.LevelInfo
	if p := c.Request.URL.Path; strings.HasPrefix(p, "/tiles/") || strings.HasPrefix(p, "/web/") {
		level = slog.LevelDebug
	}
	switch {
	case status == http.StatusServiceUnavailable && c.Request.URL.Path == "/readyz":
		level = slog.LevelDebug // a load balancer polling a loading server is not news
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn // loading, computing or the store away: expected, and it passes
	case status >= 500:
		level = slog.LevelError
	}
	ctx := c.Request.Context()
	if !s.Log.Enabled(ctx, level) {
		return
	}
	s.Log.LogAttrs(ctx, level, "http",
		slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
		slog.String("user", principal(c).Name), slog.String("client", s.clientAddr(c.Request)),
		slog.Int("status", status), slog.Int("bytes", c.Writer.Size()),
		slog.Float64("elapsed_ms", float64(time.Since(start).Microseconds())/1000))
}

// recoverJSON turns a panic into a logged 500 with a JSON body, never a dropped connection.
func (s *server) recoverJSON(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Log.Error("panic", "path", c.Request.URL.Path, "panic", v)
			writeError(c, v1Errors, &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error"})
		}
	}()
	c.Next()
}

// checkQuery refuses a query string that does not parse (a `;` separator,
// a bad %-escape): gin would silently ignore every parameter of it.
func (s *server) checkQuery(c *gin.Context) {
	if _, err := url.ParseQuery(c.Request.URL.RawQuery); err != nil {
		msg := strings.TrimPrefix(err.Error(), "invalid ")
		writeError(c, v1Errors, badRequest("the query string does not parse ("+msg+"); separate parameters with &"))
	}
}

// whenReady answers 503 with Retry-After until the index is loaded: data
// routes never give an answer that looks true while it is not, and no write
// is taken that a layer being loaded could overwrite.
func (s *server) whenReady(c *gin.Context) {
	if !s.Ready.Load() {
		c.Header("Retry-After", "5")
		writeError(c, v1Errors, &apiError{status: http.StatusServiceUnavailable, code: "loading", message: "the index is still loading; try again shortly"})
	}
}

func (s *server) healthz(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
	return nil
}

func (s *server) readyz(c *gin.Context) error {
	if !s.Ready.Load() {
		c.Header("Retry-After", "5")
		return &apiError{status: http.StatusServiceUnavailable, code: "loading", message: "the index is still loading"}
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		logFrom(c).Warn("readiness: store unreachable", "err", err)
		return &apiError{status: http.StatusServiceUnavailable, code: "store_unavailable", message: "the store does not answer"}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "data_version": s.Index.Snapshot().Version()})
	return nil
}
