package conneg

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		headers []string
		want    bool
	}{
		{nil, false},
		{[]string{"gzip"}, true},
		{[]string{"deflate, gzip;q=0.5"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.0"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"*, gzip;q=0"}, false}, // named beats the wildcard
		{[]string{"identity"}, false},
		{[]string{"br", "gzip"}, true}, // several header lines
		{[]string{"br;q=1, deflate"}, false},
	} {
		if got := AcceptsGzip(c.headers); got != c.want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", c.headers, got, c.want)
		}
	}
}

func TestNoneMatch(t *testing.T) {
	tag := `"abc-1"`
	for _, c := range []struct {
		headers []string
		want    bool
	}{
		{nil, false},
		{[]string{`"abc-1"`}, true},
		{[]string{`W/"abc-1"`}, true}, // weak comparison
		{[]string{`"x", "abc-1"`}, true},
		{[]string{`"x"`, `"abc-1"`}, true},
		{[]string{`*`}, true},
		{[]string{`"abc-2"`}, false},
		{[]string{`abc-1`}, false},
	} {
		if got := NoneMatch(c.headers, tag); got != c.want {
			t.Errorf("NoneMatch(%q) = %v, want %v", c.headers, got, c.want)
		}
	}
}

func TestETagAndGzip(t *testing.T) {
	a, b := []byte("one tile"), []byte("one tilf")
	if ETag(a) == ETag(b) || ETag(a) != ETag(append([]byte(nil), a...)) {
		t.Fatalf("ETag does not tell bytes apart or is not stable: %s %s", ETag(a), ETag(b))
	}
	big := bytes.Repeat([]byte("onemap "), 1000)
	z := Gzip(big)
	if len(z) >= len(big) {
		t.Fatalf("gzip of a repetitive text: %d bytes of %d", len(z), len(big))
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(back, big) {
		t.Fatalf("gzip round trip: %v", err)
	}
}
