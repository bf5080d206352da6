package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func TestServe(t *testing.T) {
	js := []byte(strings.Repeat("console.log('onemap');\n", 200))
	font := bytes.Repeat([]byte{0x77, 0x4f, 0x46, 0x32}, 200)
	s := New(fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><title>onemap</title>")},
		"main.js":            {Data: js},
		"fonts/a.woff2":      {Data: font},
		"fonts/sub/.keep":    {Data: nil},
		"maplibre-gl.js.map": {Data: []byte("{}")},
	})
	get := func(name string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/web/"+name, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		s.Serve(w, r, name)
		return w
	}

	// Gzip only when accepted, and it decodes to the file.
	plain := get("main.js")
	if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" || !bytes.Equal(plain.Body.Bytes(), js) ||
		!strings.HasPrefix(plain.Header().Get("Content-Type"), "text/javascript") || plain.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("plain: %d %v", plain.Code, plain.Header())
	}
	gz := get("main.js", "Accept-Encoding", "gzip, br")
	if gz.Code != 200 || gz.Header().Get("Content-Encoding") != "gzip" || gz.Header().Get("Vary") != "Accept-Encoding" || gz.Body.Len() >= len(js)/4 {
		t.Fatalf("gzip: %d %v, %d bytes", gz.Code, gz.Header(), gz.Body.Len())
	}
	if n := gz.Header().Get("Content-Length"); n != strconv.Itoa(gz.Body.Len()) {
		t.Fatalf("Content-Length %s for %d bytes", n, gz.Body.Len())
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if back, _ := io.ReadAll(zr); !bytes.Equal(back, js) {
		t.Fatal("the gzipped file does not decode to the file")
	}
	if gz.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Fatal("gzip and identity share an ETag")
	}

	// Revalidation: 304 with no body for the representation's own tag,
	// 200 for the other one's.
	if w := get("main.js", "Accept-Encoding", "gzip", "If-None-Match", gz.Header().Get("ETag")); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Fatalf("If-None-Match: %d, %d bytes", w.Code, w.Body.Len())
	}
	if w := get("main.js", "If-None-Match", gz.Header().Get("ETag")); w.Code != 200 {
		t.Fatalf("identity asked with the gzip tag: %d", w.Code)
	}

	// Fonts are compressed already: never gzipped again.
	if w := get("fonts/a.woff2", "Accept-Encoding", "gzip"); w.Code != 200 || w.Header().Get("Content-Encoding") != "" || !bytes.Equal(w.Body.Bytes(), font) {
		t.Fatalf("font: %d %v", w.Code, w.Header())
	}

	// Missing files, folders and escapes are 404s.
	for _, name := range []string{"nope.js", "fonts", "fonts/", "../web.go", "", "fonts/sub"} {
		if w := get(name); w.Code != http.StatusNotFound {
			t.Errorf("%q: %d", name, w.Code)
		}
	}
	// Only files that exist are kept (what clients ask for is unbounded).
	for name := range s.kept {
		if name != "main.js" && name != "fonts/a.woff2" {
			t.Errorf("%q kept though it was missing", name)
		}
	}

	// HEAD: the headers of GET, no body.
	r := httptest.NewRequest("HEAD", "/web/main.js", nil)
	w := httptest.NewRecorder()
	s.Serve(w, r, "main.js")
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != strconv.Itoa(len(js)) {
		t.Fatalf("HEAD: %d %v %d", w.Code, w.Header(), w.Body.Len())
	}
}
