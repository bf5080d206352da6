// Package metrics is what onemap tells Prometheus about the parts below the
// HTTP layer: the index (features per layer, data version), the store
// (latency of each operation, by outcome) and the change feed (how many
// committed history rows the index has yet to apply). The api package
// measures requests itself and serves the registry at /metrics.
package metrics

import (
	"context"
	"errors"
	"iter"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles/cache"
)

// NewRegistry returns a registry with the Go runtime and process
// collectors (RSS among them).
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheusGo(), prometheusProcess())
	return reg
}

// indexCollector reads the index's snapshot at scrape time.
type indexCollector struct {
	idx      *spatial.Index
	features *prometheus.Desc
	version  *prometheus.Desc
}

// RegisterIndex adds onemap_index_features{layer} and onemap_index_data_version.
func RegisterIndex(reg prometheus.Registerer, idx *spatial.Index) error {
	return reg.Register(&indexCollector{idx: idx,
		features: prometheus.NewDesc("onemap_index_features", "Features held in the index, per layer.", []string{"layer"}, nil),
		version:  prometheus.NewDesc("onemap_index_data_version", "The index's data version (one step per applied change).", nil, nil)})
}

func (c *indexCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.features; ch <- c.version }

func (c *indexCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.idx.Snapshot()
	for _, l := range c.idx.Catalog().Layers {
		ch <- prometheus.MustNewConstMetric(c.features, prometheus.GaugeValue, float64(snap.Count(l.ID)), l.ID)
	}
	ch <- prometheus.MustNewConstMetric(c.version, prometheus.GaugeValue, float64(snap.Version()))
}

// store measures every call of a layers.Store.
type store struct {
	layers.Store
	seconds *prometheus.HistogramVec
}

// followerStore is a measured store that others' changes can be followed in.
type followerStore struct {
	*store
	layers.Follower
}

// Store wraps st so that each call's latency lands in
// onemap_store_seconds{op,outcome}; a Follower stays a Follower.
func Store(reg prometheus.Registerer, st layers.Store) (layers.Store, error) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "onemap_store_seconds",
		Help:    "Latency of store operations, by operation and outcome (ok, not_found, conflict, unavailable, error).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60}}, []string{"op", "outcome"})
	if err := reg.Register(h); err != nil {
		return nil, err
	}
	s := &store{Store: st, seconds: h}
	if f, ok := st.(layers.Follower); ok {
		return followerStore{store: s, Follower: f}, nil
	}
	return s, nil
}

// Unwrap gives the measured store, so layers.StoreAs still finds its
// CheckStore and HistoryStore.
func (s *store) Unwrap() layers.Store { return s.Store }

func (s *store) observe(op string, start time.Time, err error) {
	outcome := "ok"
	switch {
	case err == nil:
	case errors.Is(err, layers.ErrNotFound):
		outcome = "not_found"
	case errors.Is(err, layers.ErrConflict):
		outcome = "conflict"
	case errors.Is(err, layers.ErrUnavailable):
		outcome = "unavailable"
	default:
		outcome = "error"
	}
	s.seconds.WithLabelValues(op, outcome).Observe(time.Since(start).Seconds())
}

func (s *store) Count(ctx context.Context, layer string) (n int64, err error) {
	defer func(start time.Time) { s.observe("count", start, err) }(time.Now())
	return s.Store.Count(ctx, layer)
}

func (s *store) Scan(ctx context.Context, layer string, fn func(*layers.Feature) error) (err error) {
	defer func(start time.Time) { s.observe("scan", start, err) }(time.Now())
	return s.Store.Scan(ctx, layer, fn)
}

func (s *store) Get(ctx context.Context, layer string, id int64) (f *layers.Feature, err error) {
	defer func(start time.Time) { s.observe("get", start, err) }(time.Now())
	return s.Store.Get(ctx, layer, id)
}

func (s *store) Create(ctx context.Context, layer string, f *layers.Feature) (out *layers.Feature, err error) {
	defer func(start time.Time) { s.observe("create", start, err) }(time.Now())
	return s.Store.Create(ctx, layer, f)
}

func (s *store) Replace(ctx context.Context, layer string, f *layers.Feature, ifVersion int64) (out *layers.Feature, err error) {
	defer func(start time.Time) { s.observe("replace", start, err) }(time.Now())
	return s.Store.Replace(ctx, layer, f, ifVersion)
}

func (s *store) Delete(ctx context.Context, layer string, id int64, ifVersion int64) (out *layers.Feature, err error) {
	defer func(start time.Time) { s.observe("delete", start, err) }(time.Now())
	return s.Store.Delete(ctx, layer, id, ifVersion)
}

func (s *store) Import(ctx context.Context, layer string, feats iter.Seq2[*layers.Feature, error]) (n int64, err error) {
	defer func(start time.Time) { s.observe("import", start, err) }(time.Now())
	return s.Store.Import(ctx, layer, feats)
}

func (s *store) Ping(ctx context.Context) (err error) {
	defer func(start time.Time) { s.observe("ping", start, err) }(time.Now())
	return s.Store.Ping(ctx)
}

// FeedLag tracks how far the index trails the store's history when it
// follows a shared database: onemap_change_feed_lag_rows is the newest
// committed history id (asked at scrape time) less the last one applied.
type FeedLag struct {
	applied atomic.Int64
	head    func(context.Context) (int64, error)
}

// RegisterFeedLag registers the lag of following f, starting from history id from.
func RegisterFeedLag(reg prometheus.Registerer, f layers.Follower, from int64) (*FeedLag, error) {
	l := &FeedLag{head: f.HistoryHead}
	l.applied.Store(from)
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onemap_change_feed_lag_rows",
		Help: "Committed history rows the index has not applied yet (-1: the store did not answer)."}, l.rows)
	applied := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onemap_change_feed_applied_id",
		Help: "The last history id the index applied."}, func() float64 { return float64(l.applied.Load()) })
	if err := reg.Register(g); err != nil {
		return nil, err
	}
	return l, reg.Register(applied)
}

// Applied records that the change with history id h was applied.
func (l *FeedLag) Applied(h int64) {
	for {
		cur := l.applied.Load()
		if h <= cur || l.applied.CompareAndSwap(cur, h) {
			return
		}
	}
}

func (l *FeedLag) rows() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	h, err := l.head(ctx)
	if err != nil {
		return -1
	}
	return float64(max(0, h-l.applied.Load()))
}

// RegisterTileCache adds the tile cache's counters, read at scrape time:
// onemap_tile_cache_{hits,misses,evicted,invalidated,refused}_total,
// onemap_tile_cache_entries and onemap_tile_cache_bytes.
func RegisterTileCache(reg prometheus.Registerer, stats func() cache.Stats) error {
	counter := func(name, help string, v func(cache.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "onemap_tile_cache_" + name + "_total", Help: help},
			func() float64 { return float64(v(stats())) })
	}
	gauge := func(name, help string, v func(cache.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onemap_tile_cache_" + name, Help: help},
			func() float64 { return v(stats()) })
	}
	for _, c := range []prometheus.Collector{
		counter("hits", "Tile lookups answered from the cache.", func(s cache.Stats) int64 { return s.Hits }),
		counter("misses", "Tile lookups that made the tile.", func(s cache.Stats) int64 { return s.Misses }),
		counter("evicted", "Tiles dropped to make room.", func(s cache.Stats) int64 { return s.Evicted }),
		counter("invalidated", "Tiles dropped because an edit touched them.", func(s cache.Stats) int64 { return s.Invalidated }),
		counter("refused", "Tiles not cached because an edit came after the data they were made from.", func(s cache.Stats) int64 { return s.Refused }),
		gauge("entries", "Tiles in the cache.", func(s cache.Stats) float64 { return float64(s.Entries) }),
		gauge("bytes", "Bytes of tiles in the cache.", func(s cache.Stats) float64 { return float64(s.Bytes) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
