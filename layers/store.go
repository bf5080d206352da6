package layers

import (
	"context"
	"iter"
)

// Store is the durable home of the features. GeoPackage (layers/gpkg) and
// PostGIS (layers/postgis) implement it; one contract suite tests both.
//
// Features passed in must already be valid (see Layer.NormalizeGeometry,
// Layer.ParseProperties and spatial/topology); a Store checks versions and
// ids, not geometry. Errors wrap ErrNotFound, ErrConflict (as *ConflictError)
// or ErrUnavailable where those apply.
type Store interface {
	// Count returns the number of features in a layer.
	Count(ctx context.Context, layer string) (int64, error)
	// Scan calls fn for every feature of the layer, in id order.
	Scan(ctx context.Context, layer string, fn func(*Feature) error) error
	// Get returns one feature.
	Get(ctx context.Context, layer string, id int64) (*Feature, error)
	// Create stores a new feature and returns it with the id the store
	// assigned and version 1. f.ID is ignored.
	Create(ctx context.Context, layer string, f *Feature) (*Feature, error)
	// Replace stores new geometry and attributes for feature f.ID and returns
	// it with its version incremented. ifVersion > 0 must equal the stored
	// version, or the call fails with a *ConflictError.
	Replace(ctx context.Context, layer string, f *Feature, ifVersion int64) (*Feature, error)
	// Delete removes a feature and returns what it was. ifVersion as in Replace.
	Delete(ctx context.Context, layer string, id int64, ifVersion int64) (*Feature, error)
	// Import stores every feature of the sequence in one transaction, with
	// ids assigned in sequence order, and returns how many it stored. An
	// error from the sequence aborts the import and nothing is committed.
	Import(ctx context.Context, layer string, feats iter.Seq2[*Feature, error]) (int64, error)
	// Ping says whether the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// StoreAs finds the store of kind T (CheckStore, HistoryStore, Follower…)
// in st or in the stores it wraps: wrappers such as metrics.Store have an
// Unwrap() Store method, so a measured store keeps its other abilities.
func StoreAs[T any](st Store) (T, bool) {
	for st != nil {
		if t, ok := st.(T); ok {
			return t, true
		}
		w, ok := st.(interface{ Unwrap() Store })
		if !ok {
			break
		}
		st = w.Unwrap()
	}
	var zero T
	return zero, false
}
