package api

import (
	"net/http"

	"github.com/onemap/onemap/internal/conneg"
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
	gz := conneg.AcceptsGzip(r.Header["Accept-Encoding"])
	rep := e.Plain()
	if gz {
		rep = e.Gzipped()
	}
	h["Etag"] = rep.ETag
	if conneg.NoneMatch(r.Header["If-None-Match"], rep.ETag[0]) {
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
