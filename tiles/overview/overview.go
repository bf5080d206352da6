// Package overview draws every layer from zoom 4 up to its detail zoom
// (the zoom from which tiles hold its exact features) from generalised
// overview tiles, built in the background after the index is loaded and
// kept current on edits: an edit marks the overview tiles its old and new
// bounds touch (buffer included) and only those are built again.
//
// A layer's detail zoom is its catalogue minzoom, raised while the densest
// tile of the layer at that zoom would exceed the byte budget
// (Options.MaxLayerBytes): the densest tile by feature count is encoded
// exactly (without repairs) and measured.
//
// Every rule works on the features as seen on tiles' world grid
// (tiles.WorldFeature) and never calls GEOS: what it draws is valid by
// construction or checked in integers. The rules, one per kind of layer (named as
// tippecanoe names its own):
//
//   - dissolve (coverage layers: dltb, xzq, tdytq, and gdzldb, whose
//     grades cover the cultivated land): the tile, buffer included, is
//     rasterised on a grid of square cells (1 tile unit up to 1024 cells
//     across, coarser when the layer's data fills more of the tile) by a
//     scanline over the rows of cell centres; each cell takes the class of
//     the feature that covers its centre; each class's cells are turned
//     into polygons along cell edges and straight runs are merged. Two
//     classes that meet share their boundary exactly, so there are no
//     cracks and no overlaps, and the layer keeps covering its area (never
//     dropped). A class is the key field's value; for DLBM it is the
//     first-level class (its first two characters) more than two zooms
//     below the detail zoom. One feature per class, with the key field as
//     its only attribute and no id. When the tile would exceed the budget
//     the cells double in size (each coarse cell taking the class of a
//     fine cell at its centre).
//   - keep-large (other polygon layers): features are taken largest first;
//     one whose area in the tile is at least a pixel (8×8 tile units, a
//     512-pixel tile) is kept, exact as at the detail zoom (clipped,
//     quantised), with its id and attributes; smaller ones add up their
//     area and each time the sum reaches a pixel the feature that tipped
//     it is drawn as a pixel-sized square (tippecanoe's tiny-polygon
//     reduction: the total area is about kept). A kept feature that
//     quantising would make invalid is traced instead: the cells of a grid
//     over it (a tile unit, coarser for big features, at most 256 a side)
//     whose centres it covers, turned into polygons along cell edges as
//     dissolve does; one under 64 pixels is drawn as its pixel square.
//     Over budget, the threshold grows fourfold; past that, the layer
//     falls back to dissolve.
//   - keep-long (line layers): lines are taken longest first; a line at
//     least a pixel long is kept exact; shorter ones are dropped; over
//     budget the threshold doubles.
//   - cluster (point layers): points are gathered in cells of 8×8 pixels;
//     a lone point is kept with its id and attributes, a cell of several
//     is one point at their mean with a "count" attribute and the key
//     field's most common value.
package overview

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
)

// Rule names a generalisation rule (see the package comment).
type Rule string

const (
	Dissolve  Rule = "dissolve"
	KeepLarge Rule = "keep-large"
	KeepLong  Rule = "keep-long"
	Cluster   Rule = "cluster"
)

// Options tune the overviews; zero values take the defaults.
type Options struct {
	// MinZoom is the lowest zoom of the overviews (tiles.MinZoom).
	MinZoom int
	// MaxLayerBytes is the budget of one layer in one tile (400,000 bytes,
	// below the 500 KB cap so that a layer or two of other data fit).
	MaxLayerBytes int
	// Coverage lists the layers drawn by dissolve (dltb, xzq, tdytq,
	// gdzldb).
	Coverage []string
	// Workers build tiles side by side (GOMAXPROCS).
	Workers int
	Log     *slog.Logger
}

type key struct {
	layer string
	z     uint8
	x, y  uint32
}

// state is one overview tile. It is current when dirty ≤ built.
type state struct {
	body     []byte
	n        int
	built    uint64 // data version it was built from (0: never)
	dirty    uint64 // version of the last change that touched it
	building chan struct{}
}

func (s *state) current() bool { return s.built > 0 && s.dirty <= s.built }

// layerInfo is what the overviews know of a layer.
type layerInfo struct {
	detail int // -1 until known
	ready  bool
	rule   Rule
}

// Overviews holds the overview tiles of every layer. It implements
// tiles.Overviews.
type Overviews struct {
	idx   *spatial.Index
	ready *tiles.Prepared
	opt   Options
	cov   map[string]bool

	mu      sync.Mutex
	started bool
	info    map[string]*layerInfo
	tiles   map[key]*state
	extra   map[key]bool // tiles at or past a layer's detail zoom, generalised because the exact one was too big
	seen    uint64       // the last change heard of
	queue   []key
	ctx     context.Context // Start's: for builds that edits set off
	wake    chan struct{}
	built   time.Duration
	done    chan struct{}
	builds  atomic.Int64
}

// New returns the overviews of idx and subscribes to its changes: call it
// before tiles.NewSource, so that overviews hear of an edit before the tile
// cache drops the tiles made from them. Nothing is built until Start.
func New(idx *spatial.Index, opt Options) *Overviews {
	if opt.MinZoom == 0 {
		opt.MinZoom = tiles.MinZoom
	}
	if opt.MaxLayerBytes == 0 {
		opt.MaxLayerBytes = 400_000
	}
	if opt.Coverage == nil {
		opt.Coverage = []string{"dltb", "xzq", "tdytq", "gdzldb"}
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	o := &Overviews{
		idx: idx, ready: tiles.NewPrepared(idx), opt: opt, cov: map[string]bool{},
		info: map[string]*layerInfo{}, tiles: map[key]*state{}, extra: map[key]bool{},
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	for _, id := range opt.Coverage {
		o.cov[id] = true
	}
	for _, l := range idx.Catalog().Layers {
		o.info[l.ID] = &layerInfo{detail: -1, rule: o.ruleOf(l)}
	}
	idx.Subscribe(o.changed)
	return o
}

func (o *Overviews) ruleOf(l *layers.Layer) Rule {
	switch {
	case l.Geometry == layers.Point:
		return Cluster
	case l.Geometry == layers.LineString:
		return KeepLong
	case o.cov[l.ID]:
		return Dissolve
	}
	return KeepLarge
}

// Prepared returns the notes on features the overviews keep (tiles.NewSource
// makes exact tiles with them too).
func (o *Overviews) Prepared() *tiles.Prepared { return o.ready }

// RuleOf names the rule that draws a layer below its detail zoom.
func (o *Overviews) RuleOf(layer string) Rule {
	if li := o.info[layer]; li != nil {
		return li.rule
	}
	return ""
}

// Start works out each layer's detail zoom and builds every overview tile
// in the background, smaller layers first; it returns at once. Call it
// once the index is loaded. Until a layer's overviews are built, its
// tiles below the detail zoom are tiles.ErrOverviewPending.
func (o *Overviews) Start(ctx context.Context) {
	o.mu.Lock()
	if o.started {
		o.mu.Unlock()
		return
	}
	o.started = true
	o.ctx = ctx
	o.mu.Unlock()
	go o.rebuildLoop(ctx)
	go func() {
		defer close(o.done)
		start := time.Now()
		snap := o.idx.Snapshot()
		ls := slices.Clone(o.idx.Catalog().Layers)
		slices.SortStableFunc(ls, func(a, b *layers.Layer) int { return cmp.Compare(snap.Count(a.ID), snap.Count(b.ID)) })
		for _, l := range ls {
			if ctx.Err() != nil {
				return
			}
			if err := o.buildLayer(ctx, l); err != nil {
				o.opt.Log.Error("overview build failed", "layer", l.ID, "err", err)
			}
		}
		o.mu.Lock()
		o.built = time.Since(start)
		o.mu.Unlock()
		o.opt.Log.Info("overviews built", "ms", time.Since(start).Milliseconds(), "tiles", o.Stats().Tiles, "bytes", o.Stats().Bytes)
	}()
}

// Wait blocks until the first build is done (or ctx ends).
func (o *Overviews) Wait(ctx context.Context) error {
	select {
	case <-o.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats says what the overviews hold.
type Stats struct {
	Tiles     int
	Bytes     int64
	BuildTime time.Duration // of the first build, once done
}

// Stats returns the number and size of the overview tiles held.
func (o *Overviews) Stats() Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := Stats{BuildTime: o.built}
	for _, s := range o.tiles {
		st.Tiles++
		st.Bytes += int64(len(s.body))
	}
	return st
}

// Builds counts the overview tiles built so far (tests count them).
func (o *Overviews) Builds() int64 { return o.builds.Load() }

// DetailZoom is the zoom from which the layer is drawn exactly; ok is
// false until it is known.
func (o *Overviews) DetailZoom(layer string) (int, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	li := o.info[layer]
	if li == nil || li.detail < 0 {
		return 0, false
	}
	return li.detail, true
}

// buildLayer works out a layer's detail zoom and builds its overview
// tiles, then marks it ready.
func (o *Overviews) buildLayer(ctx context.Context, l *layers.Layer) error {
	start := time.Now()
	snap := o.idx.Snapshot()
	detail, err := o.detailZoom(ctx, snap, l)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.info[l.ID].detail = detail
	o.mu.Unlock()
	var todo []key
	if b, ok := snap.Bound(l.ID); ok {
		for z := o.opt.MinZoom; z < detail; z++ {
			r := tiles.TileRange(b, z, 0)
			for x := r.X0; x <= r.X1; x++ {
				for y := r.Y0; y <= r.Y1; y++ {
					t := maptile.New(x, y, maptile.Zoom(z))
					if hasAny(snap, l.ID, tiles.BufferedBound(t, tiles.Buffer)) {
						todo = append(todo, key{l.ID, uint8(z), x, y})
					}
				}
			}
		}
	}
	jobs := make(chan key)
	errc := make(chan error, o.opt.Workers)
	var wg sync.WaitGroup
	for range o.opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				if _, _, _, err := o.get(ctx, k, true); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
feed:
	for _, k := range todo {
		select {
		case jobs <- k:
		case err = <-errc:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.info[l.ID].ready = true
	o.mu.Unlock()
	if len(todo) > 0 {
		o.opt.Log.Info("overview built", "layer", l.ID, "rule", o.info[l.ID].rule, "detail_zoom", detail,
			"tiles", len(todo), "ms", time.Since(start).Milliseconds())
	}
	return nil
}

func hasAny(snap *spatial.Snapshot, layer string, b orb.Bound) bool {
	found := false
	snap.Search(layer, b, func(*layers.Feature) bool { found = true; return false })
	return found
}

// AppendLayer appends the overview of a layer at tile t (a Tile's layer
// field; nothing when the tile is empty), its feature count, and the data
// version it is current as of; to an empty dst it returns the overview's
// own bytes, which the caller must not modify. A tile an edit has touched is built again
// first; one not built yet while the layer's first build runs is
// tiles.ErrOverviewPending.
func (o *Overviews) AppendLayer(ctx context.Context, dst []byte, layer string, t maptile.Tile) ([]byte, int, uint64, error) {
	k := key{layer, uint8(t.Z), t.X, t.Y}
	body, n, v, err := o.get(ctx, k, false)
	if err != nil {
		return dst, 0, 0, err
	}
	if len(dst) == 0 {
		// The overview's own bytes, never modified: no copy. They are a
		// full slice, so appending to them copies.
		return body, n, v, nil
	}
	return append(dst, body...), n, v, nil
}

// get returns a tile's body, building it when it is missing or stale.
// force builds a tile of a layer whose first build is running.
func (o *Overviews) get(ctx context.Context, k key, force bool) ([]byte, int, uint64, error) {
	for {
		o.mu.Lock()
		li := o.info[k.layer]
		if li == nil {
			o.mu.Unlock()
			return nil, 0, 0, fmt.Errorf("overview of %s: %w", k.layer, layers.ErrNotFound)
		}
		s := o.tiles[k]
		if s != nil && s.current() {
			body, n, v := s.body, s.n, o.seen
			o.mu.Unlock()
			return body, n, v, nil
		}
		if !force && !li.ready {
			o.mu.Unlock()
			return nil, 0, 0, fmt.Errorf("%s %d/%d/%d: %w", k.layer, k.z, k.x, k.y, tiles.ErrOverviewPending)
		}
		if s == nil {
			if li.detail >= 0 && int(k.z) < li.detail && !force {
				// Nothing was there when the layer was built, and no edit
				// has touched it since.
				v := o.seen
				o.mu.Unlock()
				return nil, 0, v, nil
			}
			s = &state{}
			o.tiles[k] = s
			if li.detail >= 0 && int(k.z) >= li.detail {
				o.extra[k] = true
			}
		}
		if s.building != nil {
			wait := s.building
			o.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, 0, 0, ctx.Err()
			}
		}
		wait := make(chan struct{})
		s.building = wait
		o.mu.Unlock()

		snap := o.idx.Snapshot()
		body, n, err := o.build(ctx, snap, k)
		o.mu.Lock()
		s.building = nil
		close(wait)
		if err != nil {
			o.mu.Unlock()
			return nil, 0, 0, err
		}
		o.builds.Add(1)
		s.body, s.n = body, n
		s.built = max(snap.Version(), 1)
		current := s.current()
		o.mu.Unlock()
		if current {
			return body, n, snap.Version(), nil
		}
		// An edit touched it while it was being built: again.
	}
}

// changed marks the overview tiles an edit touches, for every overview
// zoom of the layer, and queues them to be built again.
func (o *Overviews) changed(ch spatial.Change) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = max(o.seen, ch.DataVersion)
	li := o.info[ch.Layer]
	if !o.started || li == nil {
		return
	}
	if ch.Op == spatial.OpReload {
		// A whole layer was replaced: its overviews are built anew (its
		// tiles are pending meanwhile).
		for k := range o.tiles {
			if k.layer == ch.Layer {
				delete(o.tiles, k)
				delete(o.extra, k)
			}
		}
		li.detail, li.ready = -1, false
		l := o.idx.Catalog().Layer(ch.Layer)
		go func() {
			if err := o.buildLayer(o.ctx, l); err != nil && o.ctx.Err() == nil {
				o.opt.Log.Error("overview build failed", "layer", l.ID, "err", err)
			}
		}()
		return
	}
	if li.detail < 0 {
		return
	}
	var bs []orb.Bound
	if ch.OldBound != nil {
		bs = append(bs, *ch.OldBound)
	}
	if ch.NewBound != nil {
		bs = append(bs, *ch.NewBound)
	}
	mark := func(k key) {
		s := o.tiles[k]
		if s == nil {
			s = &state{}
			o.tiles[k] = s
		}
		s.dirty = ch.DataVersion
		o.queue = append(o.queue, k)
	}
	for _, b := range bs {
		for z := o.opt.MinZoom; z < li.detail; z++ {
			r := tiles.TileRange(b, z, tiles.Buffer)
			for x := r.X0; x <= r.X1; x++ {
				for y := r.Y0; y <= r.Y1; y++ {
					mark(key{ch.Layer, uint8(z), x, y})
				}
			}
		}
		for k := range o.extra {
			if k.layer == ch.Layer && tiles.BufferedBound(maptile.New(k.x, k.y, maptile.Zoom(k.z)), tiles.Buffer).Intersects(b) {
				mark(k)
			}
		}
	}
	o.signal()
}

func (o *Overviews) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// rebuildLoop builds the tiles edits have marked, in the background.
func (o *Overviews) rebuildLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		}
		for {
			o.mu.Lock()
			if len(o.queue) == 0 {
				o.mu.Unlock()
				break
			}
			k := o.queue[0]
			o.queue = o.queue[1:]
			s := o.tiles[k]
			stale := s != nil && !s.current() && o.info[k.layer].ready
			o.mu.Unlock()
			if stale {
				if _, _, _, err := o.get(ctx, k, true); err != nil && ctx.Err() == nil {
					o.opt.Log.Error("overview rebuild failed", "layer", k.layer, "z", k.z, "x", k.x, "y", k.y, "err", err)
				}
			}
		}
	}
}

// build makes one overview tile from snap.
func (o *Overviews) build(ctx context.Context, snap *spatial.Snapshot, k key) ([]byte, int, error) {
	l := o.idx.Catalog().Layer(k.layer)
	t := maptile.New(k.x, k.y, maptile.Zoom(k.z))
	o.mu.Lock()
	li := *o.info[k.layer]
	o.mu.Unlock()
	b := &builder{o: o, snap: snap, l: l, t: t, detail: li.detail, budget: o.opt.MaxLayerBytes, tg: tiles.NewTileGrid(t)}
	var err error
	switch li.rule {
	case Dissolve:
		err = b.dissolve(ctx)
	case KeepLarge:
		err = b.keepLarge(ctx)
	case KeepLong:
		err = b.keepLong(ctx)
	case Cluster:
		err = b.cluster(ctx)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("overview %s %d/%d/%d: %w", k.layer, k.z, k.x, k.y, err)
	}
	body := b.w.AppendTo(nil)
	// Full, so that a caller appending to it copies it (AppendLayer may
	// hand it out as it is).
	return body[:len(body):len(body)], b.w.Len(), nil
}
