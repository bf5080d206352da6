package layers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultCatalog(t *testing.T) {
	c := DefaultCatalog()
	if len(c.Groups) != 5 {
		t.Fatalf("%d groups, want 5", len(c.Groups))
	}
	if len(c.Layers) != 26 {
		t.Fatalf("%d layers, want 26", len(c.Layers))
	}
	// Key fields as LAYERS.md lists them.
	keys := map[string]string{"xzq": "XZQDM", "xzqjx": "JXLX", "sx": "LX", "jtlw": "DLDJ", "jmd": "MC", "yxfw": "SJY",
		"dltb": "DLBM", "czcdyd": "CZCSXM", "gdzldb": "GDZLDB", "gdhbzy": "HBZYLX", "yjjbnt": "DLBM", "stbhhx": "HXLX",
		"czkfbj": "MC", "tdytq": "YTQDM", "kcghq": "GHQLX", "jsydsp": "PZWH", "tdgy": "GDFS", "bdcdj": "YT", "bcgd": "XMBH",
		"wpbhtb": "BHLX", "tdzfaj": "AJZT", "ckq": "KZ", "tkq": "KZ", "kcjc": "KZ", "dzzhd": "ZHLX", "dzzhyfq": "YFCD"}
	perGroup := map[string]int{}
	for _, l := range c.Layers {
		if keys[l.ID] == "" {
			t.Errorf("layer %s is not in LAYERS.md", l.ID)
		}
		if l.KeyField != keys[l.ID] {
			t.Errorf("layer %s key field %s, want %s", l.ID, l.KeyField, keys[l.ID])
		}
		perGroup[l.Group]++
	}
	want := map[string]int{"jc": 6, "xz": 4, "gh": 5, "gl": 6, "kc": 5}
	for g, n := range want {
		if perGroup[g] != n {
			t.Errorf("group %s has %d layers, want %d", g, perGroup[g], n)
		}
	}
	for _, id := range []string{"bdcdj", "tdzfaj"} {
		if c.Layer(id).Access != Restricted {
			t.Errorf("%s must be restricted (personal data)", id)
		}
	}
	if c.Layer("dzzhd").Geometry != Point || c.Layer("jtlw").Geometry != LineString || c.Layer("dltb").Geometry != Polygon {
		t.Error("geometry types differ from LAYERS.md")
	}
	if c.Layer("nosuch") != nil {
		t.Error("unknown layer found")
	}
	// The temporal fields of the issue: an instant or an interval, none elsewhere.
	temporal := map[string]string{"wpbhtb": "HSX", "jsydsp": "PZRQ", "tdgy": "HTKGRQ", "ckq": "YXQQ YXQZ", "tkq": "YXQQ YXQZ"}
	for _, l := range c.Layers {
		if got := strings.Join(l.Temporal, " "); got != temporal[l.ID] {
			t.Errorf("layer %s temporal %q, want %q", l.ID, got, temporal[l.ID])
		}
	}
}

// mutate decodes the default catalogue into generic JSON, applies fn, and re-encodes it.
func mutate(t *testing.T, fn func(c map[string]any)) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(defaultCatalogJSON, &c); err != nil {
		t.Fatal(err)
	}
	fn(c)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func layerByID(c map[string]any, id string) map[string]any {
	for _, l := range c["layers"].([]any) {
		if l.(map[string]any)["id"] == id {
			return l.(map[string]any)
		}
	}
	panic("no layer " + id)
}

func layerAt(c map[string]any, i int) map[string]any { return c["layers"].([]any)[i].(map[string]any) }
func fieldAt(c map[string]any, li, fi int) map[string]any {
	return layerAt(c, li)["fields"].([]any)[fi].(map[string]any)
}

func TestBadCatalogueRefused(t *testing.T) {
	cases := []struct {
		name string
		fn   func(c map[string]any)
		want []string // fragments the message must contain
	}{
		{"unknown field type", func(c map[string]any) { fieldAt(c, 6, 2)["type"] = "text" }, []string{"layer dltb", "field DLBM", `"text"`}},
		{"duplicate field", func(c map[string]any) { fieldAt(c, 6, 3)["name"] = "DLBM" }, []string{"layer dltb", "field DLBM", "duplicate"}},
		{"lower-case field", func(c map[string]any) { fieldAt(c, 0, 0)["name"] = "xzqdm" }, []string{"layer xzq", "xzqdm"}},
		{"reserved field", func(c map[string]any) { fieldAt(c, 0, 1)["name"] = "FID" }, []string{"layer xzq", "FID", "reserved"}},
		{"bad geometry", func(c map[string]any) { layerAt(c, 2)["geometry"] = "Polyline" }, []string{"layer sx", "Polyline"}},
		{"unknown group", func(c map[string]any) { layerAt(c, 3)["group"] = "zz" }, []string{"layer jtlw", `"zz"`}},
		{"key field missing", func(c map[string]any) { layerAt(c, 6)["key_field"] = "NOPE" }, []string{"layer dltb", "NOPE"}},
		{"duplicate layer", func(c map[string]any) { layerAt(c, 1)["id"] = "xzq" }, []string{"layer xzq", "duplicate"}},
		{"bad access", func(c map[string]any) { layerAt(c, 4)["access"] = "secret" }, []string{"layer jmd", "secret"}},
		{"bad zoom", func(c map[string]any) { layerAt(c, 5)["minzoom"] = 30.0 }, []string{"layer yxfw", "zoom"}},
		{"bad colour", func(c map[string]any) { layerAt(c, 5)["style"].(map[string]any)["color"] = "red" }, []string{"layer yxfw", "red"}},
		{"unknown key", func(c map[string]any) { layerAt(c, 5)["colour"] = "#ffffff" }, []string{"colour"}},
		{"max_length on number", func(c map[string]any) { fieldAt(c, 6, 7)["max_length"] = 3.0 }, []string{"layer dltb", "field TBMJ", "max_length"}},
		{"reserved id", func(c map[string]any) { layerAt(c, 1)["id"] = "gpkg_contents" }, []string{"gpkg_contents", "reserved"}},
		{"no layers", func(c map[string]any) { c["layers"] = []any{} }, []string{"no layers"}},
		{"temporal not a field", func(c map[string]any) { layerByID(c, "wpbhtb")["temporal"] = []any{"HSY"} }, []string{"layer wpbhtb", `"HSY"`}},
		{"temporal not a date", func(c map[string]any) { layerByID(c, "wpbhtb")["temporal"] = []any{"TBMJ"} }, []string{"layer wpbhtb", "TBMJ", "not a date"}},
		{"temporal empty", func(c map[string]any) { layerByID(c, "ckq")["temporal"] = []any{} }, []string{"layer ckq", "0 fields"}},
		{"temporal three fields", func(c map[string]any) { layerByID(c, "ckq")["temporal"] = []any{"YXQQ", "YXQZ", "YXQQ"} }, []string{"layer ckq", "3 fields"}},
		{"temporal twice the same", func(c map[string]any) { layerByID(c, "ckq")["temporal"] = []any{"YXQZ", "YXQZ"} }, []string{"layer ckq", "YXQZ", "twice"}},
		{"temporal not a list", func(c map[string]any) { layerByID(c, "ckq")["temporal"] = "YXQQ" }, []string{"temporal"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCatalog(mutate(t, tc.fn))
			if err == nil {
				t.Fatal("bad catalogue accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadCatalogFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cat.json")
	b := mutate(t, func(c map[string]any) {
		c["layers"] = c["layers"].([]any)[:2]
	})
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCatalog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Layers) != 2 || c.Layer("xzqjx") == nil {
		t.Fatalf("loaded %d layers", len(c.Layers))
	}
	if _, err := LoadCatalog(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestParseProperties(t *testing.T) {
	l := DefaultCatalog().Layer("dltb")
	props, err := l.ParseProperties(map[string]any{"DLBM": "0101", "ZLDWDM": "429901001001", "TBMJ": 12.5, "SJNF": 2024.0, "KCXS": json.Number("0.1")})
	if err != nil {
		t.Fatal(err)
	}
	if props.At(l.FieldIndex("SJNF")) != int64(2024) || props.At(l.FieldIndex("TBMJ")) != 12.5 || props.At(l.FieldIndex("KCXS")) != 0.1 {
		t.Fatalf("props %v", props)
	}
	if props.At(l.FieldIndex("BSM")) != nil {
		t.Fatal("absent field not null")
	}
	if err := l.CheckProps(props); err != nil {
		t.Fatal(err)
	}
	if err := l.CheckProps(NewProps(props.Values()[:3]...)); err == nil {
		t.Fatal("short props accepted")
	}
	m := l.Properties(&Feature{Props: props})
	if m["DLBM"] != "0101" || len(m) != len(l.Fields) {
		t.Fatalf("properties %v", m)
	}

}
