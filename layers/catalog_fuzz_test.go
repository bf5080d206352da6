package layers

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseCatalog feeds catalogue files as an operator could get them
// wrong: parsing never panics, and an accepted catalogue is whole (every
// layer and field found by name, a vertex cap, a storage type) and says the
// same after a round trip through JSON.
func FuzzParseCatalog(f *testing.F) {
	f.Add(defaultCatalogJSON)
	f.Add(defaultCatalogJSON[:len(defaultCatalogJSON)/3])
	for _, edit := range [][2]string{
		{`"id": "dltb"`, `"id": "xzq"`},                  // duplicate layer
		{`"access": "restricted"`, `"access": "secret"`}, // unknown access class
		{`"geometry": "Point"`, `"geometry": "Circle"`},  // unknown geometry
		{`"name": "DLBM"`, `"name": "dlbm"`},             // lower-case field
		{`"type": "date"`, `"type": "datetime"`},         // unknown type
		{`"key_field": "DLBM"`, `"key_field": "NOPE"`},   // key field missing
		{`"group": "jc"`, `"group": "nope"`},             // unknown group
		{`"minzoom": `, `"minzoom": -`},                  // negative zoom
		{`"layers"`, `"layerz"`},                         // unknown key
	} {
		f.Add(bytes.Replace(defaultCatalogJSON, []byte(edit[0]), []byte(edit[1]), 1))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"groups":[],"layers":[]}`))
	f.Add([]byte(`{"groups":[{"id":"g","name":"G","name_en":"G"}],"layers":[{"id":"a","name":"A","name_en":"A","group":"g","geometry":"Point","access":"public","fields":[]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCatalog(b)
		if err != nil {
			return
		}
		for _, l := range c.Layers {
			if c.Layer(l.ID) != l {
				t.Fatalf("layer %q not found by its id", l.ID)
			}
			for i, fd := range l.Fields {
				if l.FieldIndex(fd.Name) != i {
					t.Fatalf("layer %s field %q not found at %d", l.ID, fd.Name, i)
				}
			}
			if l.VertexLimit() <= 0 || l.StorageType() == "" {
				t.Fatalf("layer %s: vertex limit %d, storage type %q", l.ID, l.VertexLimit(), l.StorageType())
			}
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("an accepted catalogue does not encode: %v", err)
		}
		c2, err := ParseCatalog(again)
		if err != nil {
			t.Fatalf("an accepted catalogue, encoded, is refused: %v\n%s", err, again)
		}
		if len(c2.Layers) != len(c.Layers) || len(c2.Groups) != len(c.Groups) {
			t.Fatalf("round trip: %d/%d layers, %d/%d groups", len(c2.Layers), len(c.Layers), len(c2.Groups), len(c.Groups))
		}
		for i, l := range c.Layers {
			if c2.Layers[i].ID != l.ID || len(c2.Layers[i].Fields) != len(l.Fields) || c2.Layers[i].Access != l.Access {
				t.Fatalf("round trip changed layer %s", l.ID)
			}
		}
	})
}
