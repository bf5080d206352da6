package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/onemap/onemap/tiles/cache"
)

// writeTile writes an encoded tile with what HTTP caches and browsers
// need: an ETag that is a hash of the bytes sent (gzip and identity
// differ), If-None-Match answered with 304, gzip only when the client
// accepts it, Vary, Cache-Control (tiles change with edits, so clients
// revalidate; tiles that differ per caller are private), and CORS for
// GET. An empty tile is a 204.
func writeTile(w http.ResponseWriter, r *http.Request, e *cache.Entry, private bool) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag")
	if private {
		h.Set("Cache-Control", "private, no-cache")
		h.Set("Vary", "Accept-Encoding, Authorization, Cookie")
	} else {
		h.Set("Cache-Control", "public, no-cache")
		h.Set("Vary", "Accept-Encoding")
	}
	if e.Empty() {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, tag := e.Body, e.ETag
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gz {
		body, tag = e.Gzip()
	}
	h.Set("ETag", tag)
	if noneMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a q-value above 0.
func acceptsGzip(header string) bool {
	star, gzip := false, -1
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		ok := true
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q <= 0 {
					ok = false
				}
			}
		}
		switch name {
		case "gzip", "x-gzip":
			if ok {
				gzip = 1
			} else {
				gzip = 0
			}
		case "*":
			star = ok
		}
	}
	if gzip >= 0 {
		return gzip == 1
	}
	return star
}

// noneMatch says whether If-None-Match names the tag (weak comparison, as
// RFC 9110 asks for If-None-Match) or is "*".
func noneMatch(header, tag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
			return true
		}
	}
	return false
}
