package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/onemap/onemap/tiles/cache"
)

// Header values of every tile answer, made once: headers are set by
// assigning these (never modified) rather than through Header.Set, which
// canonicalises the name and allocates a slice each time.
var (
	hdrAnyOrigin   = []string{"*"}
	hdrExposeETag  = []string{"ETag"}
	hdrPublic      = []string{"public, no-cache"}
	hdrPrivate     = []string{"private, no-cache"}
	hdrVaryPublic  = []string{"Accept-Encoding"}
	hdrVaryPrivate = []string{"Accept-Encoding, Authorization, Cookie"}
	hdrMVT         = []string{"application/vnd.mapbox-vector-tile"}
	hdrGzip        = []string{"gzip"}
)

// writeTile writes an encoded tile with what HTTP caches and browsers
// need: an ETag that is a hash of the bytes sent (gzip and identity
// differ), If-None-Match answered with 304, gzip only when the client
// accepts it, Vary, Cache-Control (tiles change with edits, so clients
// revalidate; tiles that differ per caller are private), and CORS for
// GET. An empty tile is a 204.
func writeTile(w http.ResponseWriter, r *http.Request, e *cache.Entry, private bool) {
	h := w.Header()
	h["Access-Control-Allow-Origin"] = hdrAnyOrigin
	h["Access-Control-Expose-Headers"] = hdrExposeETag
	if private {
		h["Cache-Control"] = hdrPrivate
		h["Vary"] = hdrVaryPrivate
	} else {
		h["Cache-Control"] = hdrPublic
		h["Vary"] = hdrVaryPublic
	}
	if e.Empty() {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	gz := acceptsGzip(r.Header["Accept-Encoding"])
	rep := e.Plain()
	if gz {
		rep = e.Gzipped()
	}
	h["Etag"] = rep.ETag
	if noneMatch(r.Header["If-None-Match"], rep.ETag[0]) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = hdrMVT
	if gz {
		h["Content-Encoding"] = hdrGzip
	}
	h["Content-Length"] = rep.Length
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(rep.Body)
	}
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a q-value above 0,
// without allocating.
func acceptsGzip(headers []string) bool {
	star, gzip := false, -1
	for _, header := range headers {
		for header != "" {
			var part string
			part, header, _ = strings.Cut(header, ",")
			name, params, _ := strings.Cut(part, ";")
			name = strings.TrimSpace(name)
			ok := true
			for params != "" {
				var p string
				p, params, _ = strings.Cut(params, ";")
				k, v, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q <= 0 {
						ok = false
					}
				}
			}
			switch {
			case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
				if ok {
					gzip = 1
				} else {
					gzip = 0
				}
			case name == "*":
				star = ok
			}
		}
	}
	if gzip >= 0 {
		return gzip == 1
	}
	return star
}

// noneMatch says whether If-None-Match names the tag (weak comparison, as
// RFC 9110 asks for If-None-Match) or is "*".
func noneMatch(headers []string, tag string) bool {
	for _, header := range headers {
		for header != "" {
			var t string
			t, header, _ = strings.Cut(header, ",")
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
				return true
			}
		}
	}
	return false
}
