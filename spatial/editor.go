package spatial

import (
	"context"
	"errors"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/topology"
)

// Draft is a feature as a client sends it, before validation.
type Draft struct {
	Geometry   orb.Geometry
	Properties map[string]any
	Repair     bool // the body asked for repair ("repair": true beside "properties")
}

// Edited is the outcome of a successful write.
type Edited struct {
	Feature  *layers.Feature
	Repaired bool // the geometry was invalid and GEOS MakeValid repaired it on request
}

// Editor is the write path: validate, commit through the store, then apply
// the change to the index (which announces it). A failed commit leaves the
// index untouched. Writes are serialised so the index applies them in the
// order the store committed them.
type Editor struct {
	idx   *Index
	store layers.Store
}

// NewEditor returns the write path over idx and store.
func NewEditor(idx *Index, store layers.Store) *Editor {
	return &Editor{idx: idx, store: store}
}

// Validate turns a draft into a storable feature (without id), or reports
// every problem it finds: geometry type, coordinates, rings, OGC validity
// (GEOS) and attributes. With repair, an OGC-invalid polygon is mended by
// GEOS MakeValid instead of refused.
func Validate(l *layers.Layer, d Draft, repair bool) (*layers.Feature, bool, error) {
	var probs layers.Problems
	repaired := false
	geom, err := l.NormalizeGeometry(d.Geometry)
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
		var ve *layers.ValidationError
		if !errors.As(err, &ve) {
			return nil, false, err
		}
		probs = append(probs, ve.Problems...)
	}
	props, err := l.ParseProperties(d.Properties)
	if err != nil {
		var ve *layers.ValidationError
		if !errors.As(err, &ve) {
			return nil, false, err
		}
		probs = append(probs, ve.Problems...)
	}
	if len(probs) > 0 {
		return nil, false, &layers.ValidationError{Layer: l.ID, Problems: probs}
	}
	return &layers.Feature{Geometry: geom, Props: props}, repaired, nil
}

func (e *Editor) layer(id string) (*layers.Layer, error) {
	l := e.idx.cat.Layer(id)
	if l == nil {
		return nil, fmt.Errorf("layer %q: %w", id, layers.ErrNotFound)
	}
	return l, nil
}

// Create validates and stores a new feature.
func (e *Editor) Create(ctx context.Context, layer string, d Draft, repair bool) (Edited, error) {
	l, err := e.layer(layer)
	if err != nil {
		return Edited{}, err
	}
	f, repaired, err := Validate(l, d, repair)
	if err != nil {
		return Edited{}, err
	}
	e.idx.mu.Lock()
	defer e.idx.mu.Unlock()
	stored, err := e.store.Create(ctx, layer, f)
	if err != nil {
		return Edited{}, fmt.Errorf("create %s feature: %w", layer, err)
	}
	if err := e.idx.putLocked(layer, stored); err != nil {
		return Edited{}, err
	}
	return Edited{Feature: stored, Repaired: repaired}, nil
}

// Replace validates and stores new contents for feature id. ifVersion > 0
// must equal the stored version (optimistic locking), else *layers.ConflictError.
func (e *Editor) Replace(ctx context.Context, layer string, id int64, d Draft, ifVersion int64, repair bool) (Edited, error) {
	l, err := e.layer(layer)
	if err != nil {
		return Edited{}, err
	}
	f, repaired, err := Validate(l, d, repair)
	if err != nil {
		return Edited{}, err
	}
	f.ID = id
	e.idx.mu.Lock()
	defer e.idx.mu.Unlock()
	stored, err := e.store.Replace(ctx, layer, f, ifVersion)
	if err != nil {
		return Edited{}, fmt.Errorf("replace %s feature %d: %w", layer, id, err)
	}
	if err := e.idx.putLocked(layer, stored); err != nil {
		return Edited{}, err
	}
	return Edited{Feature: stored, Repaired: repaired}, nil
}

// Delete removes feature id; ifVersion as in Replace.
func (e *Editor) Delete(ctx context.Context, layer string, id int64, ifVersion int64) (*layers.Feature, error) {
	if _, err := e.layer(layer); err != nil {
		return nil, err
	}
	e.idx.mu.Lock()
	defer e.idx.mu.Unlock()
	old, err := e.store.Delete(ctx, layer, id, ifVersion)
	if err != nil {
		return nil, fmt.Errorf("delete %s feature %d: %w", layer, id, err)
	}
	if err := e.idx.removeLocked(layer, id); err != nil {
		return nil, err
	}
	return old, nil
}
