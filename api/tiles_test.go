package api

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// TestTiles: a tile over created parcels decodes with their ids; an edit
// shows in the next tile; empty tiles are 204; bad requests get JSON errors.
func TestTiles(t *testing.T) {
	ts := start(t, filepath.Join(t.TempDir(), "t.gpkg"))
	seed(t, ts, 4) // 0.005° squares at 112.00, 112.01, 112.02, 112.03 (lat 30)
	tile := maptile.At(orb.Point{112.0025, 30.0025}, 12)
	path := fmt.Sprintf("/tiles/dltb/%d/%d/%d", tile.Z, tile.X, tile.Y)
	ids := func(ext string) map[uint64]bool {
		t.Helper()
		r := ts.do(t, "GET", path+ext, "")
		if r.status != 200 || r.header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
			t.Fatalf("%s: %d %s %s", path+ext, r.status, r.header.Get("Content-Type"), r.body)
		}
		ls, err := mvt.Unmarshal(r.body)
		if err != nil || len(ls) != 1 || ls[0].Name != "dltb" {
			t.Fatalf("tile decodes as %v, %v", ls, err)
		}
		out := map[uint64]bool{}
		for _, f := range ls[0].Features {
			out[uint64(f.ID.(float64))] = true
		}
		return out
	}
	got := ids(".mvt")
	if len(got) != 4 || !got[1] || !got[4] {
		t.Fatalf("tile holds parcels %v, want 1–4", got)
	}
	if r := ts.do(t, "DELETE", "/api/v1/layers/dltb/features/2", ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if got := ids(".pbf"); len(got) != 3 || got[2] {
		t.Fatalf("after deleting 2 the tile holds %v", got)
	}
	far := maptile.At(orb.Point{100, 20}, 12)
	for _, c := range []struct {
		path   string
		status int
	}{
		{fmt.Sprintf("/tiles/dltb/%d/%d/%d.mvt", far.Z, far.X, far.Y), 204},
		{fmt.Sprintf("/tiles/dltb,yjjbnt/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y), 200},
		{"/tiles/nosuch/0/0/0.mvt", 404},
		{"/tiles/bdcdj/0/0/0.mvt", 401},
		{"/tiles/dltb,dltb/0/0/0.mvt", 400},
		{"/tiles/dltb,/0/0/0.mvt", 400},
		{"/tiles/dltb/25/0/0.mvt", 400},
		{"/tiles/dltb/2/4/0.mvt", 400},
		{"/tiles/dltb/a/0/0.mvt", 400},
		{"/tiles/dltb/1/+1/0.mvt", 400}, // found by FuzzTileAddress: one tile, one address
		{"/tiles/dltb/0/0/0.png", 404},
		{"/tiles/dltb/0/0/0", 404},
	} {
		r := ts.do(t, "GET", c.path, "")
		if r.status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.path, r.status, c.status, r.body)
		}
		if c.status >= 400 {
			errorOf(t, r)
		}
	}
}
