package gpkg

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// TestDiskFullLeavesFileUsable writes parcels into a GeoPackage on a small
// tmpfs until the file system is full: the failing write is refused as
// "store unavailable" (the API's 503), never a panic; once there is room
// again the file opens, passes SQLite's integrity check, holds every
// acknowledged parcel and takes new writes. It needs root (mount); without
// it the test says so and skips.
func TestDiskFullLeavesFileUsable(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	l := cat.Layer("dltb")
	path := filepath.Join(dir, "full.gpkg")
	st, err := Open(ctx, path, cat)
	if err != nil {
		t.Fatal(err)
	}
	parcel := func(i int) *layers.Feature {
		x, y := 112+float64(i%100)*0.01, 30+float64(i/100)*0.01
		ring := orb.Ring{}
		for k := 0; k < 200; k++ { // many vertices: the disk fills sooner
			ring = append(ring, orb.Point{x + 0.005*float64(k)/200, y})
		}
		ring = append(ring, orb.Point{x + 0.005, y + 0.005}, orb.Point{x, y + 0.005}, orb.Point{x, y})
		props, err := l.ParseProperties(map[string]any{"DLBM": "0101", "DLMC": "水田", "ZLDWDM": "429901001001", "TBMJ": 1000.5, "SJNF": 2024,
			"TBBH": fmt.Sprintf("%d", i), "BSM": strings.Repeat("9", 16)})
		if err != nil {
			t.Fatal(err)
		}
		return &layers.Feature{Geometry: orb.MultiPolygon{{ring}}, Props: props}
	}
	acked := map[int64]string{}
	var full error
	for i := 0; i < 100000 && full == nil; i++ {
		f, err := st.Create(ctx, "dltb", parcel(i))
		if err != nil {
			full = err
			break
		}
		acked[f.ID] = fmt.Sprint(i)
	}
	if full == nil {
		t.Fatal("the file system never filled")
	}
	if !errors.Is(full, layers.ErrUnavailable) {
		t.Fatalf("disk full answered %v, want store unavailable", full)
	}
	t.Logf("disk full after %d parcels: %v", len(acked), full)
	st.Close() // may itself fail for want of room; the file must survive it

	// Room again: the file opens, is whole, and holds every acknowledged parcel.
	if out, err := exec.Command("mount", "-o", "remount,size=16m", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	st, err = Open(ctx, path, cat)
	if err != nil {
		t.Fatalf("reopen after disk full: %v", err)
	}
	defer st.Close()
	var check string
	if err := st.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	tbbh := l.FieldIndex("TBBH")
	found := 0
	err = st.Scan(ctx, "dltb", func(f *layers.Feature) error {
		want, ok := acked[f.ID]
		if !ok {
			return fmt.Errorf("feature %d was never acknowledged", f.ID)
		}
		if f.Props.At(tbbh) != want {
			return fmt.Errorf("feature %d: TBBH %v, want %s", f.ID, f.Props.At(tbbh), want)
		}
		found++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found != len(acked) {
		t.Fatalf("%d of %d acknowledged parcels found", found, len(acked))
	}
	if _, err := st.Create(ctx, "dltb", parcel(0)); err != nil {
		t.Fatalf("write after room came back: %v", err)
	}
	// GDAL agrees the file is a readable GeoPackage.
	if out, err := exec.Command("ogrinfo", "-ro", "-so", path, "dltb").CombinedOutput(); err != nil || !strings.Contains(string(out), fmt.Sprintf("Feature Count: %d", found+1)) {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
}
