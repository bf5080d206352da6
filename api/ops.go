package api

import (
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/onemap/onemap/auth"
)

// httpMetrics are the request metrics the api registers.
type httpMetrics struct {
	seconds *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "onemap_http_request_seconds",
		Help:    "Latency of HTTP requests by route (the routing table's pattern), method and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "status"})}
	reg.MustRegister(m.seconds)
	return m
}

// measure records each request's latency under its route pattern (never
// the raw path: ids and tile addresses would make a series each).
func (s *server) measure(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.httpm.seconds.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Observe(time.Since(start).Seconds())
}

// metricsHandler serves /metrics: to admins, or to a scraper on the same
// machine (a loopback peer that came through no proxy). Metrics name
// layer sizes, restricted ones included, so they are not public.
func (s *server) metricsHandler() gin.HandlerFunc {
	h := promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{})
	return s.h(v1Errors, func(c *gin.Context) error {
		if !localScraper(c.Request) {
			if err := s.allow(c, auth.Administer); err != nil {
				return err
			}
		}
		h.ServeHTTP(c.Writer, c.Request)
		return nil
	})
}

func localScraper(r *http.Request) bool {
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// profile serves net/http/pprof to admins only.
func (s *server) profile(c *gin.Context) error {
	if err := s.allow(c, auth.Administer); err != nil {
		return err
	}
	switch name := strings.TrimPrefix(c.Param("profile"), "/"); name {
	case "":
		pprof.Index(c.Writer, c.Request)
	case "cmdline":
		pprof.Cmdline(c.Writer, c.Request)
	case "profile":
		pprof.Profile(c.Writer, c.Request)
	case "symbol":
		pprof.Symbol(c.Writer, c.Request)
	case "trace":
		pprof.Trace(c.Writer, c.Request)
	default:
		pprof.Handler(name).ServeHTTP(c.Writer, c.Request)
	}
	return nil
}

// pageCSP lets the map page load only what onemap serves itself: no remote
// origin anywhere but the configured base map's (extra, fetched for its
// tiles); MapLibre's workers and tile images are blob: URLs; the page may
// not be framed.
func pageCSP(extra string) string {
	if extra != "" {
		extra = " " + extra
	}
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:" + extra + "; " +
		"font-src 'self' data:; connect-src 'self'" + extra + "; worker-src 'self' blob:; child-src 'self' blob:; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// securityHeaders marks every answer nosniff and the web page's with its
// content security policy, referrer policy and framing ban.
func (s *server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if p := c.Request.URL.Path; p == "/" || strings.HasPrefix(p, "/web/") {
		h.Set("Content-Security-Policy", s.csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
	}
}
