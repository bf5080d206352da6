package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixturesCommandReproducible: `onemap fixtures --seed 1` twice gives the
// same GeoPackage and manifest byte for byte, reports parcels/s and peak
// memory, and refuses to overwrite an existing file.
func TestFixturesCommandReproducible(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	run := func(name string) (gpkg, manifest []byte, log string) {
		t.Helper()
		data := filepath.Join(dir, name+".gpkg")
		man := filepath.Join(dir, name+".json")
		out, err := exec.Command(bin, "fixtures", "--seed", "1", "--scale", "6000", "--data", data, "--manifest", man).CombinedOutput()
		if err != nil {
			t.Fatalf("fixtures: %v\n%s", err, out)
		}
		g, err := os.ReadFile(data)
		if err != nil {
			t.Fatal(err)
		}
		m, err := os.ReadFile(man)
		if err != nil {
			t.Fatal(err)
		}
		return g, m, string(out)
	}
	g1, m1, log := run("a")
	g2, m2, _ := run("b")
	if !bytes.Equal(g1, g2) {
		t.Error("two runs with seed 1 wrote different GeoPackage files")
	}
	if !bytes.Equal(m1, m2) {
		t.Error("two runs with seed 1 wrote different manifests")
	}
	if !bytes.Contains(m1, []byte(`"cases"`)) || len(m1) < 10000 {
		t.Errorf("the manifest looks empty (%d bytes)", len(m1))
	}
	for _, want := range []string{"parcels_per_s=", "peak_rss_mb=", "parcels="} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not report %s:\n%s", want, log)
		}
	}
	out, err := exec.Command(bin, "fixtures", "--data", filepath.Join(dir, "a.gpkg")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "exists already") {
		t.Errorf("fixtures over an existing file: %v\n%s", err, out)
	}
}
