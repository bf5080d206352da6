package tiles

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onemap/onemap/layers"
)

func TestTileJSON(t *testing.T) {
	idx, _ := demo(t)
	src := NewSource(idx, nil, nil)
	cat := idx.Catalog()
	tj := src.TileJSON("https://onemap.example/", []*layers.Layer{cat.Layer("dltb"), cat.Layer("jmd")})
	b, err := json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	if m["tilejson"] != "3.0.0" || m["tiles"].([]any)[0] != "https://onemap.example/tiles/dltb,jmd/{z}/{x}/{y}.mvt" {
		t.Fatalf("tilejson %s", b)
	}
	want, _ := idx.Snapshot().Bound("dltb")
	if jb, _ := idx.Snapshot().Bound("jmd"); true {
		want = want.Union(jb)
	}
	if tj.Bounds != [4]float64{want.Min[0], want.Min[1], want.Max[0], want.Max[1]} {
		t.Fatalf("bounds %v, want %v", tj.Bounds, want)
	}
	// Without overviews a layer starts at its catalogue minzoom.
	if tj.MinZoom != 6 || tj.MaxZoom != 22 || len(tj.VectorLayers) != 2 {
		t.Fatalf("zooms %d–%d, %d layers", tj.MinZoom, tj.MaxZoom, len(tj.VectorLayers))
	}
	vl := tj.VectorLayers[0]
	if vl.ID != "dltb" || vl.Fields["DLBM"] != "String" || vl.Fields["TBMJ"] != "Number" || vl.Fields["SJNF"] != "Number" || len(vl.Fields) != 10 {
		t.Fatalf("vector layer %+v", vl)
	}
}

// stylecheck is gl-style-validate (npm @maplibre/maplibre-gl-style-spec),
// installed by `make test` (scripts/deps.sh) under scripts/stylecheck.
func stylecheck(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../scripts/stylecheck/node_modules/.bin/gl-style-validate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal("gl-style-validate not found: `make test` installs it (scripts/deps.sh test)")
	}
	return p
}

// TestStyle: the style of the whole catalogue passes gl-style-validate,
// uses only onemap's own URLs, and stacks areas under lines under points.
func TestStyle(t *testing.T) {
	idx, _ := demo(t)
	src := NewSource(idx, nil, nil)
	st := src.Style("http://localhost:8080", idx.Catalog().Layers)
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "style.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(stylecheck(t), path).CombinedOutput(); err != nil {
		t.Fatalf("gl-style-validate: %v\n%s", err, out)
	}
	var doc struct {
		Glyphs, Sprite any
		Sources        map[string]struct{ Tiles []string }
		Layers         []struct{ ID, Type, Source string }
	}
	json.Unmarshal(b, &doc)
	if doc.Glyphs != nil || doc.Sprite != nil {
		t.Fatal("the style asks for glyphs or sprites")
	}
	if len(doc.Sources) != len(idx.Catalog().Layers) {
		t.Fatalf("%d sources", len(doc.Sources))
	}
	for id, s := range doc.Sources {
		if len(s.Tiles) != 1 || !strings.HasPrefix(s.Tiles[0], "http://localhost:8080/tiles/"+id+"/") {
			t.Errorf("source %s: %v", id, s.Tiles)
		}
	}
	rank := map[string]int{"background": 0, "fill": 1, "line": 2, "circle": 3, "symbol": 4}
	last := 0
	for _, l := range doc.Layers {
		r, ok := rank[l.Type]
		if !ok || r < last {
			t.Fatalf("layer %s (%s) out of order", l.ID, l.Type)
		}
		last = r
	}
	if last != 4 {
		t.Fatal("no label layers")
	}
	var full struct {
		Layers []struct {
			ID       string
			Layout   map[string]any
			Paint    map[string]any
			Metadata map[string]any
		}
	}
	json.Unmarshal(b, &full)
	seen := map[string]bool{}
	for _, l := range full.Layers {
		seen[l.ID] = true
		if l.ID == "background" {
			continue
		}
		if l.Metadata["onemap:layer"] == nil || l.Metadata["onemap:legend"] == nil {
			t.Errorf("%s: metadata %v", l.ID, l.Metadata)
		}
		if l.ID == "dltb-fill" {
			// Coloured by land-use class: a match on the first two characters of DLBM.
			m, _ := l.Paint["fill-color"].([]any)
			if len(m) != 2+2*len(LandUseClasses)+1 || m[0] != "match" || m[2] != "01" {
				t.Errorf("dltb fill colour %v", l.Paint["fill-color"])
			}
			if lg, _ := l.Metadata["onemap:legend"].([]any); len(lg) != len(LandUseClasses) {
				t.Errorf("dltb legend %v", lg)
			}
		}
		if f, ok := l.Layout["text-font"]; ok && (len(f.([]any)) != 1 || f.([]any)[0] != LabelFont) {
			t.Errorf("%s: text-font %v", l.ID, f)
		}
	}
	for _, id := range []string{"xzq-label", "jmd-label", "dltb-label", "jtlw-label", "sx-label"} {
		if !seen[id] {
			t.Errorf("no %s layer", id)
		}
	}
}

// TestStyleBasemap: a configured raster base map goes right above the
// background, and the style still validates; none configured adds nothing.
func TestStyleBasemap(t *testing.T) {
	idx, _ := demo(t)
	src := NewSource(idx, nil, nil)
	st := Basemap(src.Style("http://localhost:8080", idx.Catalog().Layers), "https://t0.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}", "天地图")
	ls := st["layers"].([]any)
	if ls[1].(map[string]any)["id"] != "basemap" || st["sources"].(map[string]any)["basemap"] == nil {
		t.Fatalf("basemap layer %v", ls[1])
	}
	b, _ := json.Marshal(st)
	path := filepath.Join(t.TempDir(), "style.json")
	os.WriteFile(path, b, 0o644)
	if out, err := exec.Command(stylecheck(t), path).CombinedOutput(); err != nil {
		t.Fatalf("gl-style-validate: %v\n%s", err, out)
	}
	if o := BasemapOrigin("https://t0.tianditu.gov.cn/vec_w/wmts?x={x}"); o != "https://t0.tianditu.gov.cn" {
		t.Errorf("origin %q", o)
	}
	plain := src.Style("http://localhost:8080", idx.Catalog().Layers)
	if n := len(Basemap(plain, "", "")["layers"].([]any)); n != len(src.Style("http://localhost:8080", idx.Catalog().Layers)["layers"].([]any)) {
		t.Errorf("an empty template added layers")
	}
}
