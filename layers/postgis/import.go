package postgis

import (
	"context"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// Import loads every feature of the sequence with COPY in one transaction:
// ids follow sequence order; an error from the sequence or the database
// rolls everything back. One history row records the batch (layer, count,
// bounds); followers reload the layer when they see it.
func (s *Store) Import(ctx context.Context, layer string, feats iter.Seq2[*layers.Feature, error]) (int64, error) {
	l, err := s.layer(layer)
	if err != nil {
		return 0, err
	}
	cols := make([]string, 0, len(l.Fields)+1)
	for _, f := range l.Fields {
		cols = append(cols, f.Column())
	}
	cols = append(cols, "geom")
	next, stop := iter.Pull2(feats)
	defer stop()
	var (
		count  int64
		bounds orb.Bound
		row    []any
		srcErr error // what broke the sequence, kept so callers can errors.Is it
	)
	src := pgx.CopyFromFunc(func() ([]any, error) {
		f, err, ok := next()
		if !ok {
			return nil, nil
		}
		if err != nil {
			srcErr = err
			return nil, err
		}
		if row, err = args(l, f); err != nil {
			srcErr = fmt.Errorf("feature %d: %w", count+1, err)
			return nil, srcErr
		}
		b := f.Geometry.Bound()
		if count == 0 {
			bounds = b
		} else {
			bounds = bounds.Union(b)
		}
		count++
		return row, nil
	})
	err = s.write(ctx, func(tx pgx.Tx) (historyRow, error) {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{l.Table()}, cols, src); err != nil {
			return historyRow{}, err
		}
		h := historyRow{layer: l, op: layers.ChangeImport, count: count}
		if count > 0 {
			h.bounds = &bounds
		}
		return h, nil
	})
	if srcErr != nil {
		return 0, fmt.Errorf("postgis: import %s: %w", layer, srcErr)
	}
	if err != nil {
		return 0, fmt.Errorf("postgis: import %s: %w", layer, err)
	}
	return count, nil
}
