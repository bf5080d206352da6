package spatial

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/topology"
)

// Edited is the outcome of a successful write.
type Edited struct {
	Feature  *layers.Feature
	Repaired bool // the geometry was mended (rings closed, GEOS MakeValid) on request
}

// Editor is the write path: validate, commit through the store, apply the
// change to the index, and wait until the index's subscribers (tile cache,
// verdicts) have seen it, so that an acknowledged write is already reflected
// everywhere. A failed commit leaves the index untouched. Commits are
// serialised so that the index applies them in the order the store
// committed them; the index lock is held only while a snapshot is published.
type Editor struct {
	idx   *Index
	store layers.Store
	mu    sync.Mutex // one commit at a time
}

// NewEditor returns the write path over idx and store.
func NewEditor(idx *Index, store layers.Store) *Editor {
	return &Editor{idx: idx, store: store}
}

// Validate turns a draft into a storable feature (without id), or reports
// every problem it finds: vertex cap, geometry type, coordinates, rings,
// OGC validity (GEOS) and attributes. With repair, rings that do not close
// or have too few points are mended and an OGC-invalid polygon is repaired
// by GEOS MakeValid instead of refused.
func Validate(l *layers.Layer, d layers.Draft, repair bool) (*layers.Feature, bool, error) {
	var probs layers.Problems
	collect := func(err error) error {
		var ve *layers.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		probs = append(probs, ve.Problems...)
		return nil
	}
	repaired := false
	geom, err := l.NormalizeGeometry(d.Geometry)
	if err != nil && repair && d.Geometry != nil && layers.CountVertices(d.Geometry) <= l.VertexLimit() {
		if mended, changed := topology.Mend(d.Geometry); changed {
			if g, merr := l.NormalizeGeometry(mended); merr == nil {
				geom, err, repaired = g, nil, true
			}
		}
	}
	if err == nil {
		if verr := topology.Validate(l.ID, geom); verr != nil {
			if !repair {
				err = verr
			} else if fixed, rerr := topology.Repair(l.ID, geom); rerr != nil {
				err = rerr
			} else {
				geom, repaired = fixed, true
			}
		}
	}
	if err != nil {
		if err := collect(err); err != nil {
			return nil, false, err
		}
	}
	props, err := l.ParseProperties(d.Properties)
	if err != nil {
		if err := collect(err); err != nil {
			return nil, false, err
		}
	}
	if len(probs) > 0 {
		return nil, false, &layers.ValidationError{Layer: l.ID, Problems: probs}
	}
	return &layers.Feature{Geometry: geom, Props: props}, repaired, nil
}

func (e *Editor) layer(id string) (*layers.Layer, error) {
	l := e.idx.cat.Layer(id)
	if l == nil {
		return nil, &layers.NotFoundError{Layer: id}
	}
	return l, nil
}

// Create validates and stores a new feature.
func (e *Editor) Create(ctx context.Context, layer string, d layers.Draft, repair bool) (Edited, error) {
	l, err := e.layer(layer)
	if err != nil {
		return Edited{}, err
	}
	f, repaired, err := Validate(l, d, repair)
	if err != nil {
		return Edited{}, err
	}
	stored, err := e.commit(func() (*layers.Feature, <-chan struct{}, error) {
		stored, err := e.store.Create(ctx, layer, f)
		if err != nil {
			return nil, nil, fmt.Errorf("create %s feature: %w", layer, err)
		}
		seen, err := e.idx.put(layer, stored)
		return stored, seen, err
	})
	if err != nil {
		return Edited{}, err
	}
	return Edited{Feature: stored, Repaired: repaired}, nil
}

// Replace validates and stores new contents for feature id, provided its
// stored version meets the precondition (else a *layers.ConflictError).
func (e *Editor) Replace(ctx context.Context, layer string, id int64, d layers.Draft, match layers.IfMatch, repair bool) (Edited, error) {
	l, err := e.layer(layer)
	if err != nil {
		return Edited{}, err
	}
	f, repaired, err := Validate(l, d, repair)
	if err != nil {
		return Edited{}, err
	}
	f.ID = id
	stored, err := e.commit(func() (*layers.Feature, <-chan struct{}, error) {
		ifVersion, err := e.resolve(layer, id, match)
		if err != nil {
			return nil, nil, err
		}
		stored, err := e.store.Replace(ctx, layer, f, ifVersion)
		if err != nil {
			return nil, nil, storeError("replace", layer, id, err)
		}
		seen, err := e.idx.put(layer, stored)
		return stored, seen, err
	})
	if err != nil {
		return Edited{}, err
	}
	return Edited{Feature: stored, Repaired: repaired}, nil
}

// Delete removes feature id, provided its version meets the precondition.
func (e *Editor) Delete(ctx context.Context, layer string, id int64, match layers.IfMatch) (*layers.Feature, error) {
	if _, err := e.layer(layer); err != nil {
		return nil, err
	}
	return e.commit(func() (*layers.Feature, <-chan struct{}, error) {
		ifVersion, err := e.resolve(layer, id, match)
		if err != nil {
			return nil, nil, err
		}
		old, err := e.store.Delete(ctx, layer, id, ifVersion)
		if err != nil {
			return nil, nil, storeError("delete", layer, id, err)
		}
		seen, err := e.idx.remove(layer, id)
		return old, seen, err
	})
}

// commit runs one store commit and its index update alone, then waits,
// without holding anything, until the subscribers have seen the change.
func (e *Editor) commit(fn func() (*layers.Feature, <-chan struct{}, error)) (*layers.Feature, error) {
	e.mu.Lock()
	f, seen, err := fn()
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	<-seen // the write is committed: wait for the feed even if the caller left
	return f, nil
}

// resolve turns a precondition into the one version the store checks
// atomically (0: none). A single tag is passed as it is. With several tags
// the one the indexed feature has is chosen, and the store still checks it,
// so a feature changed meanwhile elsewhere is a conflict, never overwritten.
func (e *Editor) resolve(layer string, id int64, m layers.IfMatch) (int64, error) {
	if !m.Tags {
		return 0, nil
	}
	if len(m.Versions) == 1 {
		return m.Versions[0], nil
	}
	cur, ok := e.idx.Snapshot().Get(layer, id)
	if !ok {
		return 0, &layers.NotFoundError{Layer: layer, ID: id}
	}
	if !slices.Contains(m.Versions, cur.Version) {
		return 0, &layers.ConflictError{Layer: layer, ID: id, Current: cur.Version}
	}
	return cur.Version, nil
}

// storeError wraps a store's error with what was asked; a missing feature
// becomes a *layers.NotFoundError naming it (both stay visible to errors.As).
func storeError(op, layer string, id int64, err error) error {
	if errors.Is(err, layers.ErrNotFound) {
		return fmt.Errorf("%s %s feature %d: %w: %w", op, layer, id, &layers.NotFoundError{Layer: layer, ID: id}, err)
	}
	return fmt.Errorf("%s %s feature %d: %w", op, layer, id, err)
}
