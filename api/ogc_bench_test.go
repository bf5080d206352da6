package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/spatial"
)

// BenchmarkOGCItems measures /ogc/collections/dltb/items over HTTP on the
// demo parcels (ONEMAP_BENCH_SCALE parcels, default 50,000), from an
// index filled directly (no store: reads only): a page by id, a page of a
// bbox, a page of FIELD=value (a scan of the layer), a page as HTML, and
// one feature.
func BenchmarkOGCItems(b *testing.B) {
	scale := 50000
	if v := os.Getenv("ONEMAP_BENCH_SCALE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("ONEMAP_BENCH_SCALE=%q", v)
		}
		scale = n
	}
	d := demotest.Load(b, 1, scale)
	idx := d.Index
	srv := httptest.NewServer(New(Config{Catalog: d.Catalog, Index: idx, Editor: spatial.NewEditor(idx, nil),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	ext, _ := idx.Snapshot().Bound("dltb")
	c := ext.Center()
	bbox := strconv.FormatFloat(c[0]-0.01, 'f', -1, 64) + "," + strconv.FormatFloat(c[1]-0.01, 'f', -1, 64) + "," +
		strconv.FormatFloat(c[0]+0.01, 'f', -1, 64) + "," + strconv.FormatFloat(c[1]+0.01, 'f', -1, 64)
	mid := strconv.Itoa(idx.Snapshot().Count("dltb") / 2)
	for _, bc := range []struct{ name, path string }{
		{"page100", "/ogc/collections/dltb/items?limit=100&offset=" + mid},
		{"page1000", "/ogc/collections/dltb/items?limit=1000&offset=" + mid},
		{"bbox100", "/ogc/collections/dltb/items?limit=100&bbox=" + bbox},
		{"field100", "/ogc/collections/dltb/items?limit=100&DLBM=0101&offset=100"},
		{"html100", "/ogc/collections/dltb/items?limit=100&f=html&offset=" + mid},
		{"item", "/ogc/collections/dltb/items/" + mid},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var bytes int64
			for b.Loop() {
				req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL+bc.path, nil)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("%s: %d", bc.path, res.StatusCode)
				}
				bytes = n
			}
			b.ReportMetric(float64(bytes), "bytes/answer")
		})
	}
}
