// Package api is onemap's HTTP surface: the gin router, handlers that parse a
// request, call one function of spatial, tiles or layers and write the answer,
// and the mapping of errors to statuses. It holds no business logic.
package api

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
)

// Config is what the server needs; it is passed in, never global.
type Config struct {
	Catalog  *layers.Catalog
	Index    *spatial.Index
	Editor   *spatial.Editor
	Store    layers.Store // for readiness
	Log      *slog.Logger
	Web      fs.FS         // the map page's files; nil serves none
	MaxBody  int64         // request body limit in bytes; 0 = 32 MiB
	Ready    *atomic.Bool  // true once the index is loaded
	MaxLimit int           // page size cap; 0 = 10,000
	Tiles    *tiles.Source // nil: exact tiles from each layer's minzoom, uncached
}

type server struct {
	Config
}

// New returns the HTTP handler with every route of onemap.
func New(cfg Config) http.Handler {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 32 << 20
	}
	if cfg.MaxLimit == 0 {
		cfg.MaxLimit = 10000
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Tiles == nil {
		cfg.Tiles = tiles.NewSource(cfg.Index, nil, nil)
	}
	if cfg.Ready == nil {
		cfg.Ready = &atomic.Bool{}
		cfg.Ready.Store(true)
	}
	s := &server{Config: cfg}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(s.recoverJSON, s.logRequests)
	r.NoRoute(func(c *gin.Context) { writeError(c, notFound("no such path: "+c.Request.URL.Path)) })
	r.NoMethod(func(c *gin.Context) {
		writeError(c, &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)

	v1 := r.Group("/api/v1")
	v1.GET("/layers", s.listLayers)
	v1.GET("/layers/:layer", s.getLayer)
	v1.GET("/layers/:layer/features", s.listFeatures)
	v1.POST("/layers/:layer/features", s.createFeature)
	v1.GET("/layers/:layer/features/:fid", s.getFeature)
	v1.PUT("/layers/:layer/features/:fid", s.replaceFeature)
	v1.DELETE("/layers/:layer/features/:fid", s.deleteFeature)

	r.GET("/tiles/:layers/:z/:x/:y", s.getTile)
	r.GET("/tiles/:layers", s.getTileJSON)
	r.GET("/style.json", s.getStyle)

	if cfg.Web != nil {
		r.GET("/", func(c *gin.Context) { c.FileFromFS("/", http.FS(cfg.Web)) })
		r.StaticFS("/web", http.FS(cfg.Web))
	}
	return r
}

func logFrom(c *gin.Context) *slog.Logger {
	if l, ok := c.Get("log"); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

func (s *server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Set("log", s.Log)
	c.Next()
	s.Log.LogAttrs(c.Request.Context(), slog.LevelInfo, "http",
		slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()), slog.Int("bytes", c.Writer.Size()),
		slog.Duration("took", time.Since(start)))
}

// recoverJSON turns a panic into a logged 500 with a JSON body, never a dropped connection.
func (s *server) recoverJSON(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Log.Error("panic", "path", c.Request.URL.Path, "panic", v)
			writeError(c, &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error"})
		}
	}()
	c.Next()
}

func (s *server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (s *server) readyz(c *gin.Context) {
	if !s.Ready.Load() {
		writeError(c, &apiError{status: http.StatusServiceUnavailable, code: "loading", message: "index is still loading"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		writeError(c, &apiError{status: http.StatusServiceUnavailable, code: "store_unavailable", message: "store unreachable: " + err.Error()})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "data_version": s.Index.Snapshot().Version()})
}
