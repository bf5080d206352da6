package supervise

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/onemap/onemap/layers"
)

// Field checks (核查): a supervisor's record of what a change patch turned
// out to be on the ground. They sit beside the computed verdict and never
// replace it; the summary counts where the two disagree.

// ErrNoCheckStore is returned when the engine has no store for checks.
var ErrNoCheckStore = errors.New("field checks are not kept on this server")

// checkBook holds the latest check of every patch in memory, backed by
// the store.
type checkBook struct {
	store  layers.CheckStore
	mu     sync.RWMutex
	latest map[int64]layers.Check
}

func newCheckBook(s layers.CheckStore) *checkBook {
	return &checkBook{store: s, latest: map[int64]layers.Check{}}
}

func (b *checkBook) load(ctx context.Context, layer string) error {
	cs, err := b.store.LatestChecks(ctx, layer)
	if err != nil {
		return fmt.Errorf("load field checks: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cs {
		b.latest[c.FeatureID] = c
	}
	return nil
}

func (b *checkBook) get(id int64) (layers.Check, bool) {
	if b == nil {
		return layers.Check{}, false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	c, ok := b.latest[id]
	return c, ok
}

// CheckOf returns the latest field check of a change patch.
func (e *Engine) CheckOf(id int64) (layers.Check, bool) { return e.checks.get(id) }

// RecordCheck records a field check of change patch id, who (from ctx,
// layers.UserFrom) and when, beside the patch's current verdict.
func (e *Engine) RecordCheck(ctx context.Context, id int64, result layers.CheckResult, comment string) (layers.Check, error) {
	if e.checks == nil {
		return layers.Check{}, ErrNoCheckStore
	}
	layer := e.rules.Roles.Patches
	c := layers.Check{Layer: layer, FeatureID: id, Result: result, Comment: comment}
	if err := c.Validate(); err != nil {
		return layers.Check{}, err
	}
	fd, err := e.Finding(layer, id)
	if err != nil {
		return layers.Check{}, err
	}
	c.Verdict = string(fd.Verdict)
	// One check at a time, so the in-memory latest follows the store's order.
	e.checks.mu.Lock()
	defer e.checks.mu.Unlock()
	stored, err := e.checks.store.RecordCheck(ctx, c)
	if err != nil {
		return layers.Check{}, fmt.Errorf("record field check of %s %d: %w", layer, id, err)
	}
	e.checks.latest[id] = stored
	return stored, nil
}

// CheckHistory lists every field check of change patch id, oldest first.
func (e *Engine) CheckHistory(ctx context.Context, id int64) ([]layers.Check, error) {
	if e.checks == nil {
		return nil, ErrNoCheckStore
	}
	return e.checks.store.CheckHistory(ctx, e.rules.Roles.Patches, id)
}

// checkClaim tells what a check result claims: a result
// that confirms legality, one that confirms (or acts on) a violation, or
// neither (other).
func checkClaim(r layers.CheckResult) (legal, illegal bool) {
	switch r {
	case layers.ConfirmedLegal:
		return true, false
	case layers.ConfirmedIllegal, layers.Rectifying, layers.Rectified:
		return false, true
	}
	return false, false
}

// Disagrees says whether a field check contradicts a finding: it confirms
// legality where the rules flag something, or a violation (confirmed,
// being rectified, rectified) where they flag nothing.
func Disagrees(fd *Finding, c layers.Check) bool {
	if fd == nil || fd.Error != "" {
		return false
	}
	legal, illegal := checkClaim(c.Result)
	return (legal && fd.Flagged()) || (illegal && !fd.Flagged())
}
