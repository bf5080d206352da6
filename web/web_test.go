package web

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBundleMatchesSources rebuilds the page from src/ with the pinned
// esbuild (web/node_modules, installed by `make test`: scripts/deps.sh)
// into a temporary folder and fails when the committed dist/ differs: a
// changed source whose bundle was not rebuilt (`npm run build --prefix web`).
func TestBundleMatchesSources(t *testing.T) {
	if _, err := os.Stat("node_modules/esbuild"); err != nil {
		t.Fatal("web/node_modules is missing: `make test` installs it (scripts/deps.sh test), or run `npm ci --prefix web`")
	}
	out := t.TempDir()
	cmd := exec.Command("node", "build.mjs", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	want := map[string][]byte{}
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			want[filepath.ToSlash(rel)], _ = os.ReadFile(p)
		}
		return err
	})
	got := map[string][]byte{}
	fs.WalkDir(Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got[p], _ = fs.ReadFile(Files(), p)
		}
		return err
	})
	for name, b := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("dist/%s is missing: rebuild with `npm run build --prefix web`", name)
		} else if !bytes.Equal(g, b) {
			t.Errorf("dist/%s differs from its sources: rebuild with `npm run build --prefix web`", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("dist/%s is not made from the sources: remove it", name)
		}
	}
	if len(want) < 4 {
		t.Fatalf("the build made only %d files", len(want))
	}
}

// TestFilesServeThePage: the embedded page has its entry points.
func TestFilesServeThePage(t *testing.T) {
	for _, name := range []string{"index.html", "main.js", "main.css", "maplibre-gl-worker.mjs", "fonts/NotoSansSC-onemap.woff2"} {
		if _, err := fs.Stat(Files(), name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
