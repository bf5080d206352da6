package postgis

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/onemap/onemap/internal/gdaltest"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/storetest"
)

// TestOgrinfoReadsTables has GDAL, not our code, read the database: every
// catalogue layer is a table with its feature count and SRS EPSG:4490.
func TestOgrinfoReadsTables(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	cat := layers.DefaultCatalog()
	s := open(t, dbURL, cat)
	want := map[string]int{}
	for i, l := range cat.Layers {
		n := 1 + i%4
		if _, err := s.Import(ctx, l.ID, storetest.Features(l, 0, n)); err != nil {
			t.Fatal(err)
		}
		want[l.ID] = n
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	conn := "PG:host=" + u.Hostname() + " port=" + u.Port() + " user=" + u.User.Username() + " dbname=" + strings.TrimPrefix(u.Path, "/")
	tables := make([]string, 0, len(cat.Layers))
	for _, l := range cat.Layers {
		tables = append(tables, l.ID)
	}
	ogr := gdaltest.Summary(t, append([]string{conn}, tables...)...)
	if len(ogr) != 26 {
		t.Fatalf("ogrinfo lists %d layers, want 26", len(ogr))
	}
	for id, n := range want {
		if ogr[id].Count != n {
			t.Errorf("%s: ogrinfo counts %d, want %d", id, ogr[id].Count, n)
		}
		if !ogr[id].EPSG4490 {
			t.Errorf("%s: ogrinfo shows no EPSG:4490", id)
		}
	}
}
