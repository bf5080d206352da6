package supervise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/region"
)

// State is where the engine stands.
type State string

const (
	Waiting   State = "waiting"   // Start not called yet (the index is loading)
	Computing State = "computing" // judging the whole dataset
	Ready     State = "ready"     // every finding is current
	Failed    State = "failed"    // the full evaluation stopped (its context ended)
)

// Status is the engine's state with the progress of the full evaluation.
type Status struct {
	State   State         `json:"state"`
	Done    int64         `json:"done"`  // features judged by the full evaluation so far
	Total   int64         `json:"total"` // features it judges
	Elapsed time.Duration `json:"elapsed_ns"`
	Err     string        `json:"error,omitempty"`
}

// NotReadyError is returned by reads while the findings are not yet
// computed (or could not be): the API answers 503 with Retry-After.
type NotReadyError struct{ Status Status }

func (e *NotReadyError) Error() string {
	if e.Status.State == Computing {
		return fmt.Sprintf("supervision verdicts are being computed (%d of %d features judged)", e.Status.Done, e.Status.Total)
	}
	if e.Status.State == Failed {
		return "supervision verdicts could not be computed: " + e.Status.Err
	}
	return "supervision verdicts are computed once the index is loaded"
}

// Counts say how much judging the engine has done: tests use them to prove
// that an edit re-judges exactly what it touches.
type Counts struct {
	Changes     int64 // index changes seen
	Full        int64 // features judged by full evaluations
	Incremental int64 // features re-judged after changes
}

// Options configure an Engine.
type Options struct {
	Rules Rules // zero: DefaultRules
	// Regions places features in admin regions; nil: a spatial/region
	// resolver of its own over the index.
	Regions Placer
	// Checks is where field checks are kept; nil: field checks are refused.
	Checks layers.CheckStore
	Log    *slog.Logger
	// Workers judge side by side in a full evaluation; 0: GOMAXPROCS.
	Workers int
}

// Engine keeps a finding for every supervised feature of the index
// current (see the package comment). It is safe for concurrent use.
type Engine struct {
	idx     *spatial.Index
	cat     *layers.Catalog
	rules   Rules                  // fixed at start, but for the date:
	asOf    atomic.Pointer[string] // the as-of date, moved on by RejudgeAsOf
	regions Placer
	log     *slog.Logger
	workers int
	checks  *checkBook

	mu       sync.RWMutex
	state    State
	findings map[string]map[int64]*Finding // judged layer → feature id → finding
	pending  []spatial.Change              // changes seen while computing or rejudging
	// rejudging queues changes as pending while Rejudge replaces the findings.
	rejudging bool
	err       error
	started   time.Time
	elapsed   time.Duration
	ready     chan struct{} // closed when the state leaves Computing

	done, total                atomic.Int64
	changes, full, incremental atomic.Int64
}

// NewEngine returns an engine over idx that follows its changes from now
// on. Call Start once the index is loaded.
func NewEngine(idx *spatial.Index, opts Options) (*Engine, error) {
	if opts.Rules == (Rules{}) {
		opts.Rules = DefaultRules()
	}
	if err := opts.Rules.Check(); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Regions == nil {
		opts.Regions = region.New(idx)
	}
	cat := idx.Catalog()
	ro := opts.Rules.Roles
	for _, l := range []string{ro.Patches, ro.Approvals, ro.Supplies, ro.Farmland, ro.RedLine, ro.Boundary, ro.Parcels, ro.Mining, ro.Licences} {
		if l != "" && cat.Layer(l) == nil {
			return nil, fmt.Errorf("supervision rules: role layer %q is not in the catalogue", l)
		}
	}
	e := &Engine{idx: idx, cat: cat, rules: opts.Rules, regions: opts.Regions, log: opts.Log, workers: opts.Workers,
		state: Waiting, findings: map[string]map[int64]*Finding{}, ready: make(chan struct{})}
	asOf := opts.Rules.AsOf
	e.asOf.Store(&asOf)
	if opts.Checks != nil {
		e.checks = newCheckBook(opts.Checks)
	}
	idx.Subscribe(e.changed)
	return e, nil
}

// Rules returns the rules the engine applies (as of the current date).
func (e *Engine) Rules() Rules {
	r := e.rules
	r.AsOf = *e.asOf.Load()
	return r
}

// RejudgeAsOf moves the as-of date to date (YYYY-MM-DD) and, when it
// changed, judges the whole dataset again on it (Rejudge): idle land and
// licences follow the calendar. It waits for the first full evaluation
// to end first; a judgement already running keeps the date it started
// with. When the re-judgement fails the date goes back, so that the
// date the engine reports is the one its findings were judged on.
func (e *Engine) RejudgeAsOf(ctx context.Context, date string) error {
	r := e.rules
	r.AsOf = date
	if err := r.Check(); err != nil {
		return err
	}
	if err := e.Wait(ctx); err != nil {
		return err
	}
	next := &date
	old := e.asOf.Swap(next)
	if *old == date {
		return nil
	}
	e.log.Info("supervision: re-judging as of a new date", "as_of", date, "was", *old)
	if err := e.Rejudge(ctx); err != nil {
		e.asOf.CompareAndSwap(next, old)
		return err
	}
	return nil
}

// FollowDays re-judges as of each day sent on days (a time's local date),
// until ctx is done: a server that keeps to today's date sends one at
// every midnight (Midnights). A failed re-judgement is logged; the next
// day tries again.
func (e *Engine) FollowDays(ctx context.Context, days <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-days:
			if err := e.RejudgeAsOf(ctx, t.Format(time.DateOnly)); err != nil && ctx.Err() == nil {
				e.log.Error("supervision: re-judging as of a new date failed", "as_of", t.Format(time.DateOnly), "err", err)
			}
		}
	}
}

// nextMidnight is one second past the next local midnight after now.
func nextMidnight(now time.Time) time.Time {
	y, m, d := now.Date()
	return time.Date(y, m, d+1, 0, 0, 1, 0, now.Location())
}

// Midnights sends the time just after each local midnight from now on,
// until ctx is done.
func Midnights(ctx context.Context) <-chan time.Time {
	out := make(chan time.Time)
	go func() {
		for {
			now := time.Now()
			timer := time.NewTimer(nextMidnight(now).Sub(now))
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case t := <-timer.C:
				select {
				case out <- t:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// Catalog returns the catalogue of the engine's index.
func (e *Engine) Catalog() *layers.Catalog { return e.cat }

// judged lists the layers the engine judges.
func (e *Engine) judged() []string {
	r := e.rules.Roles
	var out []string
	for _, l := range []string{r.Patches, r.Mining, r.Supplies} {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// dependents lists the judged layers whose findings a change to layer
// can alter (not counting layer's own findings).
func (e *Engine) dependents(layer string) []string {
	r := e.rules.Roles
	var out []string
	add := func(judged string, inputs ...string) {
		if judged != "" && slices.Contains(inputs, layer) && !slices.Contains(out, judged) {
			out = append(out, judged)
		}
	}
	add(r.Patches, r.Approvals, r.Supplies, r.Farmland, r.RedLine, r.Boundary, r.Parcels)
	add(r.Mining, r.Licences)
	add(r.Supplies, r.Approvals, r.Patches)
	return out
}

// Start judges the whole dataset in the background (call it once the index
// is loaded) and loads the recorded field checks. Reads answer
// NotReadyError until it is done; changes applied meanwhile are re-judged
// before the engine turns ready. Start returns at once; Wait waits.
func (e *Engine) Start(ctx context.Context) {
	e.mu.Lock()
	if e.state != Waiting {
		e.mu.Unlock()
		return
	}
	e.state = Computing
	e.started = time.Now()
	e.mu.Unlock()
	// The snapshot is taken after the state turned Computing: any change
	// applied after it is queued as pending and re-judged.
	snap := e.idx.Snapshot()
	go e.run(ctx, snap)
}

func (e *Engine) run(ctx context.Context, snap *spatial.Snapshot) {
	err := func() error {
		if e.checks != nil {
			if err := e.checks.load(ctx, e.rules.Roles.Patches); err != nil {
				return err
			}
		}
		found, err := e.judgeAll(ctx, snap, e.judged(), &e.full, true)
		if err != nil {
			return err
		}
		e.mu.Lock()
		e.findings = found
		e.mu.Unlock()
		return e.drain(ctx, func() {
			e.state = Ready
			e.elapsed = time.Since(e.started)
		})
	}()
	if err != nil {
		e.mu.Lock()
		e.state, e.err, e.pending = Failed, err, nil
		e.elapsed = time.Since(e.started)
		e.mu.Unlock()
		e.log.Error("supervision: full evaluation failed", "err", err)
	} else {
		st := e.Status()
		flagged := 0
		for _, l := range e.judged() {
			fs, _ := e.Findings(l)
			for _, f := range fs {
				if f.Flagged() {
					flagged++
				}
			}
		}
		e.log.Info("supervision verdicts computed", "features", st.Total, "flagged", flagged, "elapsed_ms", st.Elapsed.Milliseconds())
	}
	close(e.ready)
}

// drain re-judges the changes queued while the findings were being
// replaced, until none is pending, then calls done with the lock held
// (which ends the queueing).
func (e *Engine) drain(ctx context.Context, done func()) error {
	for {
		e.mu.Lock()
		p := e.pending
		e.pending = nil
		if len(p) == 0 {
			done()
			e.mu.Unlock()
			return nil
		}
		e.mu.Unlock()
		if err := e.apply(ctx, p); err != nil {
			return err
		}
	}
}

// Rejudge judges the whole dataset again (say once the as-of date moved
// on) and replaces every finding; reads keep the current findings
// meanwhile, and changes applied meanwhile are re-judged before it
// returns. The engine must be ready.
func (e *Engine) Rejudge(ctx context.Context) error {
	e.mu.Lock()
	if e.state != Ready || e.rejudging {
		e.mu.Unlock()
		return &NotReadyError{Status: e.Status()}
	}
	e.rejudging = true
	e.mu.Unlock()
	found, err := e.judgeAll(ctx, e.idx.Snapshot(), e.judged(), &e.full, false)
	if err == nil {
		e.mu.Lock()
		e.findings = found
		e.mu.Unlock()
	}
	// What changed meanwhile is re-judged whatever happened, or its
	// findings would stay stale.
	if derr := e.drain(context.Background(), func() { e.rejudging = false }); derr != nil {
		e.mu.Lock()
		e.rejudging = false
		e.mu.Unlock()
		e.log.Error("supervision: re-judging changes failed", "err", derr)
		if err == nil {
			err = derr
		}
	}
	return err
}

// Wait waits until the full evaluation is over (or ctx is done) and
// returns its error.
func (e *Engine) Wait(ctx context.Context) error {
	select {
	case <-e.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.err
}

// Status says where the engine stands.
func (e *Engine) Status() Status {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := Status{State: e.state, Done: e.done.Load(), Total: e.total.Load(), Elapsed: e.elapsed}
	if e.state == Computing {
		st.Elapsed = time.Since(e.started)
	}
	if e.err != nil {
		st.Err = e.err.Error()
	}
	return st
}

// Counts says how much the engine has judged so far.
func (e *Engine) Counts() Counts {
	return Counts{Changes: e.changes.Load(), Full: e.full.Load(), Incremental: e.incremental.Load()}
}

// changed is the engine's subscription to the index: it runs before an
// edit is acknowledged, so an acknowledged edit's verdicts are current.
func (e *Engine) changed(ch spatial.Change) {
	e.changes.Add(1)
	e.mu.Lock()
	switch e.state {
	case Waiting, Failed:
		e.mu.Unlock()
		return
	case Computing:
		e.pending = append(e.pending, ch)
		e.mu.Unlock()
		return
	}
	if e.rejudging {
		e.pending = append(e.pending, ch)
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	if err := e.apply(context.Background(), []spatial.Change{ch}); err != nil {
		e.log.Error("supervision: re-judging after a change failed", "layer", ch.Layer, "id", ch.ID, "err", err)
	}
}

// apply re-judges what the changes touch, against the current snapshot
// (which holds every one of them).
func (e *Engine) apply(ctx context.Context, chs []spatial.Change) error {
	snap := e.idx.Snapshot()
	whole := map[string]bool{}
	some := map[string]map[int64]bool{}
	add := func(layer string, id int64) {
		if some[layer] == nil {
			some[layer] = map[int64]bool{}
		}
		some[layer][id] = true
	}
	for _, ch := range chs {
		deps := e.dependents(ch.Layer)
		judgedItself := slices.Contains(e.judged(), ch.Layer)
		if ch.Op == spatial.OpReload {
			for _, d := range deps {
				whole[d] = true
			}
			if judgedItself {
				whole[ch.Layer] = true
			}
			continue
		}
		if judgedItself {
			add(ch.Layer, ch.ID)
		}
		for _, b := range []*orb.Bound{ch.OldBound, ch.NewBound} {
			if b == nil {
				continue
			}
			for _, d := range deps {
				snap.Search(d, *b, func(f *layers.Feature) bool {
					add(d, f.ID)
					return true
				})
			}
		}
	}
	var wholeLayers []string
	for l := range whole {
		wholeLayers = append(wholeLayers, l)
		delete(some, l)
	}
	if len(wholeLayers) > 0 {
		found, err := e.judgeAll(ctx, snap, wholeLayers, &e.incremental, false)
		if err != nil {
			return err
		}
		e.mu.Lock()
		for l, m := range found {
			e.findings[l] = m
		}
		e.mu.Unlock()
	}
	j := &judge{snap: snap, cat: e.cat, rules: e.Rules()}
	for layer, ids := range some {
		for id := range ids {
			f, ok := snap.Get(layer, id)
			var fd *Finding
			if ok {
				fd = j.judgeFeature(ctx, layer, f)
				e.incremental.Add(1)
			}
			e.mu.Lock()
			if e.findings[layer] == nil {
				e.findings[layer] = map[int64]*Finding{}
			}
			if fd == nil {
				delete(e.findings[layer], id)
			} else {
				e.findings[layer][id] = fd
			}
			e.mu.Unlock()
		}
	}
	return nil
}

// judgeAll judges every feature of the given layers in snap, side by
// side, counting into n (and into the progress when progress is set).
func (e *Engine) judgeAll(ctx context.Context, snap *spatial.Snapshot, judged []string, n *atomic.Int64, progress bool) (map[string]map[int64]*Finding, error) {
	type item struct {
		layer string
		f     *layers.Feature
	}
	var items []item
	for _, l := range judged {
		snap.Ascend(l, 0, func(f *layers.Feature) bool {
			items = append(items, item{l, f})
			return true
		})
	}
	if progress {
		e.total.Store(int64(len(items)))
		e.done.Store(0)
	}
	results := make([]*Finding, len(items))
	var next atomic.Int64
	var wg sync.WaitGroup
	j := &judge{snap: snap, cat: e.cat, rules: e.Rules()}
	for range min(e.workers, max(1, len(items))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(items) || ctx.Err() != nil {
					return
				}
				results[k] = j.judgeFeature(ctx, items[k].layer, items[k].f)
				n.Add(1)
				if progress {
					e.done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("supervision: judge: %w", err)
	}
	out := map[string]map[int64]*Finding{}
	for _, l := range judged {
		out[l] = map[int64]*Finding{}
	}
	for k, it := range items {
		if fd := results[k]; fd != nil {
			out[it.layer][it.f.ID] = fd
		}
	}
	return out, nil
}

// readable answers NotReadyError unless the findings are current.
func (e *Engine) readable() error {
	st := e.Status()
	if st.State != Ready {
		return &NotReadyError{Status: st}
	}
	return nil
}

// ErrNotJudged is returned (wrapped) for a layer the rules do not judge.
var ErrNotJudged = errors.New("the supervision rules do not judge this layer")

// Findings returns the findings of a judged layer in id order.
func (e *Engine) Findings(layer string) ([]*Finding, error) {
	if !slices.Contains(e.judged(), layer) {
		return nil, fmt.Errorf("findings of %s: %w", layer, ErrNotJudged)
	}
	if err := e.readable(); err != nil {
		return nil, err
	}
	e.mu.RLock()
	out := make([]*Finding, 0, len(e.findings[layer]))
	for _, f := range e.findings[layer] {
		out = append(out, f)
	}
	e.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Finding) int { return cmpID(a.ID, b.ID) })
	return out, nil
}

// Finding returns the finding of one feature of a judged layer; a feature
// the index does not hold is a *layers.NotFoundError.
func (e *Engine) Finding(layer string, id int64) (*Finding, error) {
	if !slices.Contains(e.judged(), layer) {
		return nil, fmt.Errorf("finding of %s %d: %w", layer, id, ErrNotJudged)
	}
	if err := e.readable(); err != nil {
		return nil, err
	}
	e.mu.RLock()
	f, ok := e.findings[layer][id]
	e.mu.RUnlock()
	if !ok {
		return nil, &layers.NotFoundError{Layer: layer, ID: id}
	}
	return f, nil
}

// Region is the admin code of a judged feature (see spatial/region), ""
// when it is gone or lies in no county.
func (e *Engine) Region(snap *spatial.Snapshot, fd *Finding) string {
	f, ok := snap.Get(fd.Layer, fd.ID)
	if !ok {
		return ""
	}
	return e.regions.Of(snap, e.cat.Layer(fd.Layer), f)
}

func cmpID(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Placer places a feature in an admin region: its admin code
// (spatial/region.Resolver, shared with the server's other users).
type Placer interface {
	Of(snap *spatial.Snapshot, l *layers.Layer, f *layers.Feature) string
}

// Regions is what places features in admin regions.
func (e *Engine) Regions() Placer { return e.regions }
