package cache_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/tiles/cache"
)

func key(layers string, t maptile.Tile) cache.Key {
	return cache.Key{Layers: layers, Z: uint8(t.Z), X: t.X, Y: t.Y}
}

func TestHitsMissesAndRoom(t *testing.T) {
	c := cache.New(10 * 1024)
	body := bytes.Repeat([]byte{1}, 1000)
	k := func(i int) cache.Key { return cache.Key{Layers: "dltb", Z: 14, X: uint32(i)} }
	if _, ok := c.Get(k(0)); ok {
		t.Fatal("hit in an empty cache")
	}
	for i := 0; i < 20; i++ {
		if !c.Add(k(i), cache.NewEntry(body), 1) {
			t.Fatalf("add %d refused", i)
		}
		c.Get(k(0)) // keep 0 recently used
	}
	st := c.Stats()
	if st.Bytes > 10*1024 || st.Evicted == 0 || st.Entries+int(st.Evicted) != 20 {
		t.Fatalf("stats %+v", st)
	}
	if _, ok := c.Get(k(0)); !ok {
		t.Fatal("the most recently used tile was evicted")
	}
	if _, ok := c.Get(k(1)); ok {
		t.Fatal("the least recently used tile is still there")
	}
	st = c.Stats()
	if st.Hits < 1 || st.Misses < 2 {
		t.Fatalf("counters %+v", st)
	}
}

func TestGzip(t *testing.T) {
	c := cache.New(1 << 20)
	body := bytes.Repeat([]byte("onemap tile "), 500)
	e := cache.NewEntry(body)
	c.Add(cache.Key{Layers: "x"}, e, 0)
	before := c.Stats().Bytes
	rep := e.Gzipped()
	r, err := gzip.NewReader(bytes.NewReader(rep.Body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	if !bytes.Equal(plain, body) {
		t.Fatal("gzip does not round-trip")
	}
	tag := rep.ETag[0]
	if tag == e.ETag() || tag == "" || e.ETag() == "" || rep.Length[0] != strconv.Itoa(len(rep.Body)) {
		t.Fatalf("etags %s %s, length %s", tag, e.ETag(), rep.Length[0])
	}
	if got := c.Stats().Bytes; got != before+int64(len(rep.Body)) {
		t.Fatalf("bytes %d, want %d", got, before+int64(len(rep.Body)))
	}
	// Removed, the entry takes its gzip form's bytes with it.
	c.InvalidateLayer("x", 1)
	if st := c.Stats(); st.Bytes != 0 || st.Entries != 0 {
		t.Fatalf("after the removal: %+v", st)
	}
	// The tag is a function of the bytes: one byte changed anywhere, or one
	// byte fewer, changes it.
	if cache.NewEntry(body).ETag() != e.ETag() || cache.NewEntry(body[1:]).ETag() == e.ETag() {
		t.Fatal("etag is not a hash of the bytes")
	}
	seen := map[string]bool{}
	for i := range body {
		b := bytes.Clone(body)
		b[i] ^= 1 << (i % 8)
		tag := cache.NewEntry(b).ETag()
		if tag == e.ETag() || seen[tag] {
			t.Fatalf("byte %d changed: the same tag %s", i, tag)
		}
		seen[tag] = true
	}
}

// TestInvalidateExact caches tiles of every zoom around a point, invalidates
// a small bound and checks that exactly the tiles whose buffered bounds
// meet it went (orb's tile maths and tiles.BufferedBound as the oracle),
// and only for keys that hold the layer.
func TestInvalidateExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 20; trial++ {
		c := cache.New(1 << 30)
		centre := orb.Point{113 + rng.Float64()*0.1, 30.7 + rng.Float64()*0.1}
		var keys []cache.Key
		for z := maptile.Zoom(0); z <= 20; z++ {
			ct := maptile.At(centre, z)
			for dx := -2; dx <= 2; dx++ {
				for dy := -2; dy <= 2; dy++ {
					tl := maptile.New(uint32(int(ct.X)+dx), uint32(int(ct.Y)+dy), z)
					if z < 3 {
						tl = ct
					}
					for _, ls := range []string{"dltb", "xzq", "xzq,dltb,wpbhtb"} {
						k := key(ls, tl)
						k.View = fmt.Sprint(dx % 2)
						if _, ok := c.Get(k); !ok {
							c.Add(k, cache.NewEntry([]byte{1}), 0)
							keys = append(keys, k)
						}
					}
				}
			}
		}
		size := 0.00001 + rng.Float64()*0.001
		b := orb.Bound{Min: centre, Max: orb.Point{centre[0] + size, centre[1] + size/2}}
		n := c.Invalidate("dltb", []orb.Bound{b}, tiles.Buffer, tiles.Extent, 5)
		want := 0
		for _, k := range keys {
			tl := maptile.New(k.X, k.Y, maptile.Zoom(k.Z))
			touched := k.Layers != "xzq" && tiles.BufferedBound(tl, tiles.Buffer).Intersects(b)
			if touched {
				want++
			}
			if _, ok := c.Get(k); ok == touched {
				t.Fatalf("trial %d: %v touched=%v cached=%v", trial, k, touched, ok)
			}
		}
		if n != want || c.Stats().Invalidated != int64(want) {
			t.Fatalf("evicted %d, stats %+v, want %d", n, c.Stats(), want)
		}
		// A tile made from data older than the change is refused.
		if c.Add(keys[0], cache.NewEntry(nil), 4) || !c.Add(keys[0], cache.NewEntry(nil), 5) {
			t.Fatal("version check")
		}
	}
}

func TestInvalidateLayer(t *testing.T) {
	c := cache.New(1 << 20)
	for i, ls := range []string{"dltb", "xzq", "jtlw,dltb", "dltbx"} {
		c.Add(cache.Key{Layers: ls, Z: 3, X: uint32(i)}, cache.NewEntry([]byte{1}), 0)
	}
	if n := c.InvalidateLayer("dltb", 1); n != 2 {
		t.Fatalf("evicted %d, want 2", n)
	}
	if st := c.Stats(); st.Entries != 2 || st.Invalidated != 2 {
		t.Fatalf("%+v", st)
	}
}
