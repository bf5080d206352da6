package api

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/tiles/cache"
)

// discard is a ResponseWriter that keeps only the status.
type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(s int)           { d.status = s }

// BenchmarkCachedTile serves one cached tile through the whole router
// (middleware, layer check, cache, headers, gzip form), no network: what a
// cached tile costs the server besides HTTP parsing and the socket.
func BenchmarkCachedTile(b *testing.B) {
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	st, err := gpkg.Open(ctx, filepath.Join(b.TempDir(), "t.gpkg"), cat)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	idx := spatial.NewIndex(cat)
	dltb := cat.Layer("dltb")
	for i := range 50 {
		x, y := 112+0.001*float64(i%7), 30+0.001*float64(i/7)
		ring := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 0.0009, y + 0.0009}}.ToRing()
		vals := make([]any, len(dltb.Fields))
		vals[dltb.FieldIndex("DLBM")] = "0101"
		if err := idx.Put("dltb", &layers.Feature{ID: int64(i + 1), Version: 1, Props: layers.NewProps(vals...), Geometry: orb.MultiPolygon{{ring}}}); err != nil {
			b.Fatal(err)
		}
	}
	h := New(Config{Catalog: cat, Index: idx, Store: st, Tiles: tiles.NewSource(idx, nil, cache.New(1<<20)), Policy: auth.Policy{Demo: true}, Log: quiet})
	tl := maptile.At(orb.Point{112.003, 30.003}, 14)
	req, _ := http.NewRequest("GET", "/tiles/dltb/14/"+itoa(tl.X)+"/"+itoa(tl.Y)+".mvt", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	w := &discard{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != 200 {
		b.Fatalf("status %d", w.status)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

func itoa(v uint32) string {
	if v == 0 {
		return "0"
	}
	var b [10]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
