package postgis

import (
	"context"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/storetest"
)

// TestOgrinfoReadsTables has GDAL, not our code, read the database: every
// catalogue layer is a table with its feature count and SRS EPSG:4490.
func TestOgrinfoReadsTables(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Fatal("ogrinfo not found: `make test` installs gdal-bin")
	}
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
	out, err := exec.Command("ogrinfo", append([]string{"-ro", "-so", conn}, tables...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "ERROR") {
		t.Fatalf("ogrinfo reported errors:\n%s", out)
	}
	counts, srs := map[string]int{}, map[string]bool{}
	var layer string
	layerRe := regexp.MustCompile(`^Layer name: (\S+)`)
	countRe := regexp.MustCompile(`^Feature Count: (\d+)`)
	for _, line := range strings.Split(string(out), "\n") {
		if m := layerRe.FindStringSubmatch(line); m != nil {
			layer = m[1]
		}
		if m := countRe.FindStringSubmatch(line); m != nil {
			counts[layer], _ = strconv.Atoi(m[1])
		}
		if strings.Contains(line, `ID["EPSG",4490]`) || strings.Contains(line, `AUTHORITY["EPSG","4490"]`) {
			srs[layer] = true
		}
	}
	if len(counts) != 26 {
		t.Fatalf("ogrinfo lists %d layers, want 26:\n%s", len(counts), out)
	}
	for id, n := range want {
		if counts[id] != n {
			t.Errorf("%s: ogrinfo counts %d, want %d", id, counts[id], n)
		}
		if !srs[id] {
			t.Errorf("%s: ogrinfo shows no EPSG:4490", id)
		}
	}
}
