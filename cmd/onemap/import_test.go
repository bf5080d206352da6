package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
	"github.com/onemap/onemap/layers/postgis"
)

func featureCollection(n, badAt int) string {
	var fs []string
	for i := 1; i <= n; i++ {
		x, y := 112+float64(i)*0.01, 30.0
		ring := fmt.Sprintf("[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]", x, y, x+0.005, y, x+0.005, y+0.005, x, y+0.005, x, y)
		if i == badAt { // a bow tie
			ring = fmt.Sprintf("[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]", x, y, x+0.005, y+0.005, x+0.005, y, x, y+0.005, x, y)
		}
		fs = append(fs, fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[%s]},"properties":{"DLBM":"0103","ZLDWDM":"429901001001"}}`, ring))
	}
	return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
}

// TestImportCommand imports GeoJSON into both stores: a file with one bad
// feature is refused naming its position and nothing of it is stored; a
// good file is stored whole.
func TestImportCommand(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.geojson")
	good := filepath.Join(dir, "good.geojson")
	os.WriteFile(bad, []byte(featureCollection(5, 4)), 0o644)
	os.WriteFile(good, []byte(featureCollection(7, 0)), 0o644)
	ctx := context.Background()
	cat := layers.DefaultCatalog()

	data := filepath.Join(dir, "x.gpkg")
	st, err := gpkg.Open(ctx, data, cat) // an empty GeoPackage
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	dbURL := pgtest.NewDB(t)
	for _, target := range [][]string{{"--data", data}, {"--db", dbURL}} {
		out, err := exec.Command(bin, append([]string{"import", "--layer", "dltb"}, append(target, bad)...)...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "feature 4 of 5") || !strings.Contains(string(out), "Self-intersection") {
			t.Fatalf("%v: bad file: %v\n%s", target, err, out)
		}
		if out, err := exec.Command(bin, append([]string{"import", "--layer", "dltb"}, append(target, good)...)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: good file: %v\n%s", target, err, out)
		}
	}
	st, err = gpkg.Open(ctx, data, cat)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pg, err := postgis.Open(ctx, dbURL, cat, postgis.Options{SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, s := range []layers.Store{st, pg} {
		if n, err := s.Count(ctx, "dltb"); err != nil || n != 7 {
			t.Fatalf("%T holds %d parcels (%v), want the 7 of the good file", s, n, err)
		}
	}
}
