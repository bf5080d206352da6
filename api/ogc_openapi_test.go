package api

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onemap/onemap/api/ogc"
)

// openapicheck runs scripts/openapicheck (npm @apidevtools/swagger-parser,
// installed by `make test` through scripts/deps.sh) on a document.
func openapicheck(t *testing.T, doc []byte) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not found: `make test` needs Node.js for the OpenAPI check")
	}
	dir, err := filepath.Abs("../scripts/openapicheck")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@apidevtools", "swagger-parser")); err != nil {
		t.Fatal("swagger-parser is not installed: run `scripts/deps.sh test` (npm ci in scripts/openapicheck)")
	}
	path := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", filepath.Join(dir, "check.mjs"), path).CombinedOutput()
	return string(out), err
}

// TestOGCOpenAPI: /ogc/api is valid OpenAPI 3.0 by an independent
// validator, names every visible collection with its parameters and the
// limit maximum, and every path it names answers.
func TestOGCOpenAPI(t *testing.T) {
	ts, d := startOGCDemo(t)
	r := ts.do(t, "GET", "/ogc/api", "")
	if r.status != 200 || r.header.Get("Content-Type") != ogc.MediaOpenAPI {
		t.Fatalf("/ogc/api: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if out, err := openapicheck(t, r.body); err != nil {
		t.Fatalf("swagger-parser refuses /ogc/api: %v\n%s", err, out)
	}
	// The validator does look: a parameter in a place OpenAPI 3.0 does not
	// have, and a reference to nothing, are refused.
	for _, c := range []struct{ from, to string }{
		{`"in":"path"`, `"in":"body"`},
		{`"$ref":"#/components/parameters/featureId"`, `"$ref":"#/components/parameters/nosuch"`},
	} {
		broken := strings.Replace(string(r.body), c.from, c.to, 1)
		if broken == string(r.body) {
			t.Fatalf("%s not found in the document", c.from)
		}
		if out, err := openapicheck(t, []byte(broken)); err == nil {
			t.Fatalf("swagger-parser accepts the document with %s:\n%s", c.to, out)
		}
	}

	var doc struct {
		Servers []struct{ URL string }
		Paths   map[string]map[string]struct {
			Parameters []map[string]any
		}
		Components struct {
			Parameters map[string]struct {
				Schema map[string]any
			}
		}
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != ts.URL+"/ogc" {
		t.Fatalf("servers %v", doc.Servers)
	}
	if p := doc.Components.Parameters["limit"].Schema; p["maximum"] != 10000.0 || p["default"] != 100.0 {
		t.Errorf("limit schema %+v", p)
	}
	for _, id := range visibleIDs(d.Catalog) {
		items, ok := doc.Paths["/collections/"+id+"/items"]
		if !ok {
			t.Errorf("no items path for %s", id)
			continue
		}
		names := map[string]bool{}
		for _, p := range items["get"].Parameters {
			if n, ok := p["name"].(string); ok {
				names[n] = true
			}
		}
		for _, f := range d.Catalog.Layer(id).Fields {
			if !names[f.Name] {
				t.Errorf("%s items: no query parameter %s", id, f.Name)
			}
		}
		for _, m := range []string{"post"} {
			if _, ok := items[m]; !ok {
				t.Errorf("%s items: no %s", id, m)
			}
		}
		for _, m := range []string{"get", "put", "patch", "delete"} {
			if _, ok := doc.Paths["/collections/"+id+"/items/{featureId}"][m]; !ok {
				t.Errorf("%s item: no %s", id, m)
			}
		}
	}
	for p := range doc.Paths {
		if strings.Contains(p, "bdcdj") || strings.Contains(p, "tdzfaj") {
			t.Errorf("restricted layer in the API document: %s", p)
		}
	}
	// Every path answers its GET (feature 1 exists in every layer).
	n := 0
	for p, ops := range doc.Paths {
		if _, ok := ops["get"]; !ok {
			continue
		}
		u := doc.Servers[0].URL + strings.ReplaceAll(p, "{featureId}", "1")
		if g := getURL(t, u); g.status != 200 {
			t.Errorf("GET %s: %d %s", u, g.status, g.body)
		}
		n++
	}
	if want := 4 + 5*len(visibleIDs(d.Catalog)); n != want {
		t.Errorf("%d GET paths, want %d", n, want)
	}
}
