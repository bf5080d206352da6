package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowserMapPage drives the map page in Debian's chromium (npm
// playwright-core, WebGL through SwiftShader) against `onemap serve` on the
// demo data, as `make run` starts it (--demo with the demo auth file):
// web/test/browser.mjs checks that the page loads without console errors or
// warnings, that toggling a layer changes what is drawn, that a click on a
// known parcel shows its TBBH, that a drawn and a pasted polygon give the
// API's totals, that the supervision list opens a planted patch with its
// evidence, that a field check is there after a reload, the statistics,
// search, keyboard toggling and login. It reports the time from navigation
// start to the map's first idle (a report, not a threshold) and keeps its
// screenshots in web/artifacts/ (gitignored).
//
// The test skips only when chromium is not installed and CI is not set:
// `make test` installs it (scripts/deps.sh test).
func TestBrowserMapPage(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is missing: scripts/deps.sh test installs it")
		}
		t.Skip("chromium is not installed (scripts/deps.sh test installs it)")
	}
	web, _ := filepath.Abs("../../web")
	if _, err := os.Stat(filepath.Join(web, "node_modules/playwright-core")); err != nil {
		t.Fatal("web/node_modules is missing: `make test` installs it (npm ci --prefix web)")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	data, manifest := filepath.Join(dir, "onemap.gpkg"), filepath.Join(dir, "manifest.json")
	if out, err := exec.Command(bin, "fixtures", "--seed", "1", "--scale", "50000", "--data", data, "--manifest", manifest).CombinedOutput(); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	addr, _ := startServer(t, bin, data, "ONEMAP_DEMO=true", "ONEMAP_AUTH=demo-auth.json", "ONEMAP_AS_OF=2025-12-31")
	base := "http://" + addr

	var man struct {
		Cases []struct {
			Layer, Key, Kind string
			ID               int64
			Evidence         map[string][]int64
		}
		Sites []struct {
			Kind     string
			Geometry json.RawMessage
		}
	}
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}

	// The planted patch: a change patch on basic farmland, with its evidence.
	type ref struct {
		Layer string `json:"layer"`
		ID    int64  `json:"id"`
	}
	var patch struct {
		ID       int64  `json:"id"`
		Key      string `json:"key"`
		Evidence []ref  `json:"evidence"`
	}
	var parcel int64
	for _, c := range man.Cases {
		if c.Layer == "wpbhtb" && c.Kind == "on_basic_farmland" {
			patch.ID, patch.Key = c.ID, c.Key
			for _, l := range []string{"jsydsp", "tdgy", "yjjbnt", "stbhhx", "czkfbj"} {
				for _, id := range c.Evidence[l] {
					patch.Evidence = append(patch.Evidence, ref{l, id})
				}
			}
			parcel = c.Evidence["dltb"][0]
			break
		}
	}
	if patch.Key == "" || parcel == 0 || len(patch.Evidence) == 0 {
		t.Fatal("the manifest has no change patch on basic farmland with evidence")
	}

	// The known parcel: a point inside one of the patch's parcels (the mean
	// of its outer ring's vertices, kept only if identify finds a parcel
	// there), and the TBBH that the API gives for that point.
	var f struct {
		Geometry struct{ Coordinates [][][][2]float64 }
	}
	getJSON(t, fmt.Sprintf("%s/api/v1/layers/dltb/features/%d", base, parcel), &f)
	ring := f.Geometry.Coordinates[0][0]
	var lon, lat float64
	for _, p := range ring[:len(ring)-1] {
		lon += p[0] / float64(len(ring)-1)
		lat += p[1] / float64(len(ring)-1)
	}
	var idn struct {
		Results []struct {
			Features []struct {
				Properties map[string]any
			}
		}
	}
	getJSON(t, fmt.Sprintf("%s/api/v1/identify?lon=%.7f&lat=%.7f&layers=dltb", base, lon, lat), &idn)
	if len(idn.Results) != 1 || len(idn.Results[0].Features) == 0 {
		t.Fatalf("no parcel at %.7f %.7f", lon, lat)
	}
	tbbh, _ := idn.Results[0].Features[0].Properties["TBBH"].(string)

	// The pasted site: a planted project site, and its area by the API.
	site := man.Sites[0].Geometry
	req, _ := json.Marshal(map[string]any{"geometry": site, "layers": []string{"dltb"}})
	res, err := http.Post(base+"/api/v1/analysis/overlay", "application/json", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	var ov struct{ Area struct{ M2 float64 } }
	json.NewDecoder(res.Body).Decode(&ov)
	res.Body.Close()
	if ov.Area.M2 <= 0 {
		t.Fatalf("overlay of the site: %d", res.StatusCode)
	}

	artifacts := filepath.Join(web, "artifacts")
	cfg, _ := json.Marshal(map[string]any{
		"base": base, "chromium": chromium, "artifacts": artifacts,
		"parcel": map[string]any{"lon": lon, "lat": lat, "tbbh": tbbh},
		"site":   map[string]any{"geometry": site, "m2": ov.Area.M2},
		"patch":  patch,
	})
	cmd := exec.Command("node", "test/browser.mjs", string(cfg))
	cmd.Dir = web
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		t.Log(sc.Text())
	}
	runErr := cmd.Wait()
	var result struct {
		FirstIdleMS float64  `json:"first_idle_ms"`
		SecondMS    float64  `json:"first_idle_fresh_browser_ms"`
		Frames      int      `json:"frames_before_idle"`
		Tiles       int      `json:"tile_requests"`
		Failures    []string `json:"failures"`
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			json.Unmarshal([]byte(rest), &result)
		}
	}
	t.Logf("first idle %.0f ms after navigation start right after /readyz (%d frames, %d tile requests); "+
		"%.0f ms in a fresh browser once the overview tiles are built; screenshots in %s",
		result.FirstIdleMS, result.Frames, result.Tiles, result.SecondMS, artifacts)
	if runErr != nil || len(result.Failures) > 0 {
		t.Fatalf("browser checks failed (%v): %s", runErr, strings.Join(result.Failures, "; "))
	}
}
