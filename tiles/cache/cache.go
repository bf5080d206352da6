// Package cache keeps encoded tiles in a least-recently-used cache bounded
// in bytes, keyed by the layers asked for, the tile address and the
// caller's access view, and evicts exactly the tiles an edit touches: those
// whose buffered bounds meet the edited feature's old or new bounds, found
// by computing the range of tiles per zoom (never by scanning the whole
// cache). Counters say how many lookups hit, missed, and how many entries
// went for room or for an edit, so tests count rather than assume.
package cache

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/paulmach/orb"

	"github.com/onemap/onemap/internal/conneg"
)

// MaxZoom is the deepest zoom a key may have.
const MaxZoom = 24

// Key identifies a cached tile.
type Key struct {
	Layers string // layer ids joined by commas, in the order asked
	Z      uint8
	X, Y   uint32
	View   string // the caller's access view ("" for the anonymous one)
}

type addr struct {
	x, y uint32
}

// Entry is one encoded tile: its bytes (none for an empty tile) and, made
// on first demand, its ETag and its gzip form with its own ETag. An entry
// never changes once made (only what is derived from its bytes is added).
type Entry struct {
	Body []byte

	// each representation with its header values ready to send, so that
	// serving a cached tile builds no strings
	plainOnce sync.Once
	plain     Representation
	gzOnce    sync.Once
	gzipped   Representation

	owner  *Cache
	key    Key
	gzSize int64 // counted in the cache's bytes; guarded by owner.mu
}

// Representation is one encoding of a tile with its header values, each
// a one-element slice ready to put in an http.Header (never modify them).
type Representation struct {
	Body         []byte
	ETag, Length []string
}

func representation(body []byte) Representation {
	return Representation{Body: body, ETag: []string{conneg.ETag(body)}, Length: []string{strconv.Itoa(len(body))}}
}

// NewEntry makes an entry for an encoded tile.
func NewEntry(body []byte) *Entry { return &Entry{Body: body} }

// Empty says whether the tile holds nothing (a server's 204).
func (e *Entry) Empty() bool { return len(e.Body) == 0 }

// Plain returns the tile as it is (identity encoding).
func (e *Entry) Plain() Representation {
	e.plainOnce.Do(func() { e.plain = representation(e.Body) })
	return e.plain
}

// ETag is the identity representation's entity tag.
func (e *Entry) ETag() string { return e.Plain().ETag[0] }

// Gzipped returns the gzip-compressed tile, compressing once.
func (e *Entry) Gzipped() Representation {
	e.gzOnce.Do(func() {
		gz := conneg.Gzip(e.Body)
		e.gzipped = representation(gz)
		if e.owner != nil {
			e.owner.grew(e, int64(len(gz)))
		}
	})
	return e.gzipped
}

func (e *Entry) weight() int64 {
	// Key, entry and index overhead, about.
	return int64(len(e.Body)) + e.gzSize + 256
}

// Stats are the cache's counters.
type Stats struct {
	Hits, Misses int64
	Evicted      int64 // entries dropped to make room
	Invalidated  int64 // entries dropped because an edit touched them
	Refused      int64 // additions refused because an edit came after the data they were made from
	Entries      int
	Bytes        int64
}

// Cache is a bounded LRU of encoded tiles, safe for concurrent use.
type Cache struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[Key, *Entry]
	bytes    int64
	max      int64
	byZoom   [MaxZoom + 1]map[addr]map[Key]struct{}
	version  uint64 // data version of the last change announced
	evicting bool   // the current removal is an invalidation

	hits, misses, evicted, invalidated, refused atomic.Int64
}

// New returns a cache holding at most maxBytes of tiles.
func New(maxBytes int64) *Cache {
	c := &Cache{max: max(maxBytes, 1)}
	// The LRU's own count limit is never the one that binds: bytes are.
	c.lru, _ = simplelru.NewLRU[Key, *Entry](math.MaxInt32, c.onRemove)
	for z := range c.byZoom {
		c.byZoom[z] = map[addr]map[Key]struct{}{}
	}
	return c
}

// Get returns the cached tile for k.
func (c *Cache) Get(k Key) (*Entry, bool) {
	c.mu.Lock()
	e, ok := c.lru.Get(k)
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, ok
}

// Add caches e under k, made from data of the given version. It is refused
// (false) when a change newer than that version has been announced: the
// tile may predate it, and caching it would serve a stale tile.
func (c *Cache) Add(k Key, e *Entry, version uint64) bool {
	if int(k.Z) > MaxZoom {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if version < c.version {
		c.refused.Add(1)
		return false
	}
	e.owner, e.key = c, k
	c.lru.Add(k, e)
	c.bytes += e.weight()
	a := addr{k.X, k.Y}
	keys := c.byZoom[k.Z][a]
	if keys == nil {
		keys = map[Key]struct{}{}
		c.byZoom[k.Z][a] = keys
	}
	keys[k] = struct{}{}
	c.trim()
	return true
}

// grew accounts for the gzip form of e once it exists.
func (c *Cache) grew(e *Entry, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.lru.Peek(e.key); ok && cur == e {
		e.gzSize = n
		c.bytes += n
		c.trim()
	}
}

func (c *Cache) trim() {
	for c.bytes > c.max && c.lru.Len() > 0 {
		c.lru.RemoveOldest()
		c.evicted.Add(1)
	}
}

// onRemove keeps the byte count and the address index in step with the LRU.
func (c *Cache) onRemove(k Key, e *Entry) {
	c.bytes -= e.weight()
	a := addr{k.X, k.Y}
	if keys := c.byZoom[k.Z][a]; keys != nil {
		delete(keys, k)
		if len(keys) == 0 {
			delete(c.byZoom[k.Z], a)
		}
	}
	if c.evicting {
		c.invalidated.Add(1)
	}
}

// Invalidate evicts every cached tile that holds layer and whose buffered
// bounds (buffer tile units of extent around it) meet one of the bounds
// (lon/lat: an edited feature's old and new bounds), and records version
// as the last change: additions made from older data are refused from now
// on. It returns how many tiles it evicted.
func (c *Cache) Invalidate(layer string, bounds []orb.Bound, buffer, extent int, version uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = max(c.version, version)
	var doomed []Key
	for z := 0; z <= MaxZoom; z++ {
		cached := c.byZoom[z]
		if len(cached) == 0 {
			continue
		}
		for _, b := range bounds {
			// A hair wider than the buffer: float rounding must never
			// spare a tile the encoder would have drawn the feature in.
			r := tileRange(b, z, float64(buffer)/float64(extent)+1e-6)
			if r.count() <= uint64(len(cached)) {
				for x := r.x0; x <= r.x1; x++ {
					for y := r.y0; y <= r.y1; y++ {
						for k := range cached[addr{x, y}] {
							if holds(k.Layers, layer) {
								doomed = append(doomed, k)
							}
						}
					}
				}
				continue
			}
			for a, keys := range cached {
				if r.has(a) {
					for k := range keys {
						if holds(k.Layers, layer) {
							doomed = append(doomed, k)
						}
					}
				}
			}
		}
	}
	return c.remove(doomed)
}

// InvalidateLayer evicts every cached tile that holds layer (a whole layer
// was replaced) and records version as the last change.
func (c *Cache) InvalidateLayer(layer string, version uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = max(c.version, version)
	var doomed []Key
	for _, k := range c.lru.Keys() {
		if holds(k.Layers, layer) {
			doomed = append(doomed, k)
		}
	}
	return c.remove(doomed)
}

// remove evicts keys as an invalidation; the caller holds c.mu.
func (c *Cache) remove(keys []Key) int {
	c.evicting = true
	defer func() { c.evicting = false }()
	n := 0
	for _, k := range keys {
		if c.lru.Remove(k) {
			n++
		}
	}
	return n
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	n, b := c.lru.Len(), c.bytes
	c.mu.Unlock()
	return Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(),
		Evicted: c.evicted.Load(), Invalidated: c.invalidated.Load(), Refused: c.refused.Load(),
		Entries: n, Bytes: b,
	}
}

// holds says whether a comma-joined layer list names layer.
func holds(list, layer string) bool {
	for list != "" {
		var id string
		id, list, _ = strings.Cut(list, ",")
		if id == layer {
			return true
		}
	}
	return false
}

// span is a range of tiles at one zoom.
type span struct{ x0, x1, y0, y1 uint32 }

func (r span) count() uint64 {
	if r.x1 < r.x0 || r.y1 < r.y0 {
		return 0
	}
	return uint64(r.x1-r.x0+1) * uint64(r.y1-r.y0+1)
}

func (r span) has(a addr) bool { return a.x >= r.x0 && a.x <= r.x1 && a.y >= r.y0 && a.y <= r.y1 }

// tileRange is the range of tiles at zoom z whose bounds, widened by e of
// a tile on every side, meet b.
func tileRange(b orb.Bound, z int, e float64) span {
	n := float64(uint64(1) << z)
	x0, y0 := world(b.Min[0], b.Max[1])
	x1, y1 := world(b.Max[0], b.Min[1])
	// Tile x, widened, spans [x-e, x+1+e]: it meets [x0, x1] when
	// x0-1-e ≤ x ≤ x1+e.
	clamp := func(v float64) uint32 { return uint32(max(0, min(n-1, v))) }
	return span{
		x0: clamp(math.Ceil(x0*n - 1 - e)), x1: clamp(math.Floor(x1*n + e)),
		y0: clamp(math.Ceil(y0*n - 1 - e)), y1: clamp(math.Floor(y1*n + e)),
	}
}

// world is Web Mercator on the unit square, y down.
func world(lon, lat float64) (float64, float64) {
	const maxLat = 85.05112877980659
	lat = max(-maxLat, min(maxLat, lat))
	s := math.Sin(lat * math.Pi / 180)
	return lon/360 + 0.5, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
}
