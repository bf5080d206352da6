package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

var (
	fuzzOnce    sync.Once
	fuzzHandler http.Handler
)

// wellFormedTile is what a tile address must look like to be answered 200
// or 204: known layer ids (checked apart), zoom 0–24, x and y in range.
var wellFormedTile = regexp.MustCompile(`^/tiles/([a-z0-9_,]+)/([0-9]+)/([0-9]+)/([0-9]+)\.(mvt|pbf)$`)

// FuzzTileAddress requests tiles at addresses as clients mistype them:
// never a 5xx, never a panic, and a tile (200/204) only for an address
// that is well formed and inside the pyramid.
func FuzzTileAddress(f *testing.F) {
	for _, s := range []string{
		"dltb/0/0/0.mvt", "dltb,yjjbnt/10/843/422.pbf", "xzq/24/16777215/16777215.mvt",
		"dltb/25/0/0.mvt", "dltb/2/4/0.mvt", "dltb/-1/0/0.mvt", "dltb/1/0/0.png", "dltb/1/0/0",
		"dltb,/1/0/0.mvt", "dltb,dltb/1/0/0.mvt", "nosuch/1/0/0.mvt", "bdcdj/1/0/0.mvt",
		"dltb/99999999999999999999/0/0.mvt", "dltb/1/0x1/0.mvt", "dltb/1/+1/0.mvt", "dltb/1/1/1.mvt.mvt",
		"dltb/%31/0/0.mvt", "dltb/1/0/0.MVT", "dltb/ 1/0/0.mvt", "dltb/1/0/0.mvt/", "../../etc/passwd",
	} {
		f.Add(s)
	}
	fuzzOnce.Do(func() {
		cat := layers.DefaultCatalog()
		idx := spatial.NewIndex(cat)
		fuzzHandler = New(Config{Catalog: cat, Index: idx, Log: quiet, Policy: auth.Policy{Demo: true}})
	})
	cat := layers.DefaultCatalog()
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse("/tiles/" + s)
		if err != nil || u.Path == "" {
			return
		}
		req := &http.Request{Method: "GET", URL: &url.URL{Path: u.Path}, Header: http.Header{}, RemoteAddr: "127.0.0.1:1", Host: "x"}
		w := httptest.NewRecorder()
		fuzzHandler.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%q: %d %s", u.Path, w.Code, w.Body)
		}
		if w.Code != 200 && w.Code != 204 {
			return
		}
		m := wellFormedTile.FindStringSubmatch(u.Path)
		if m == nil {
			t.Fatalf("%q answered %d but is no tile address", u.Path, w.Code)
		}
		z, _ := strconv.Atoi(m[2])
		x, _ := strconv.ParseInt(m[3], 10, 64)
		y, _ := strconv.ParseInt(m[4], 10, 64)
		if z > 24 || x >= 1<<z || y >= 1<<z {
			t.Fatalf("%q answered %d outside the pyramid", u.Path, w.Code)
		}
		for _, id := range regexp.MustCompile(`[^,]+`).FindAllString(m[1], -1) {
			if l := cat.Layer(id); l == nil || l.Access == layers.Restricted {
				t.Fatalf("%q answered %d with layer %q", u.Path, w.Code, id)
			}
		}
	})
}
