package postgis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/onemap/onemap/layers"
)

// FeatureHistory returns the changes of one feature from onemap_history,
// oldest first.
func (s *Store) FeatureHistory(ctx context.Context, layer string, id int64) ([]layers.Revision, error) {
	if _, err := s.layer(layer); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, op, old_value, new_value, coalesce(username, ''), at FROM onemap_history
		WHERE layer = $1 AND feature_id = $2 ORDER BY id`, layer, id)
	if err != nil {
		return nil, fmt.Errorf("postgis: history of %s %d: %w", layer, id, unavailable(err))
	}
	out := []layers.Revision{}
	for rows.Next() {
		r := layers.Revision{Layer: layer, FeatureID: id}
		var op string
		var old, nw []byte
		if err := rows.Scan(&r.Seq, &op, &old, &nw, &r.User, &r.At); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgis: history of %s %d: %w", layer, id, unavailable(err))
		}
		r.Op = layers.ChangeOp(op)
		if old != nil {
			r.Old = json.RawMessage(old)
		}
		if nw != nil {
			r.New = json.RawMessage(nw)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgis: history of %s %d: %w", layer, id, unavailable(err))
	}
	return out, nil
}

// RecordCheck appends a field check to onemap_checks.
func (s *Store) RecordCheck(ctx context.Context, c layers.Check) (layers.Check, error) {
	if _, err := s.layer(c.Layer); err != nil {
		return layers.Check{}, err
	}
	if err := c.Validate(); err != nil {
		return layers.Check{}, err
	}
	c.User = layers.UserFrom(ctx)
	err := s.pool.QueryRow(ctx, `INSERT INTO onemap_checks (layer, feature_id, result, comment, verdict, username)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, at`, c.Layer, c.FeatureID, string(c.Result), c.Comment, c.Verdict, c.User).Scan(&c.Seq, &c.At)
	if err != nil {
		return layers.Check{}, fmt.Errorf("postgis: record check of %s %d: %w", c.Layer, c.FeatureID, unavailable(err))
	}
	return c, nil
}

const checkColumns = `id, layer, feature_id, result, comment, verdict, username, at`

func collectChecks(rows pgx.Rows) ([]layers.Check, error) {
	out := []layers.Check{}
	for rows.Next() {
		var c layers.Check
		var result string
		if err := rows.Scan(&c.Seq, &c.Layer, &c.FeatureID, &result, &c.Comment, &c.Verdict, &c.User, &c.At); err != nil {
			rows.Close()
			return nil, err
		}
		c.Result = layers.CheckResult(result)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LatestChecks returns the newest check of every feature of a layer that
// has one, in feature id order.
func (s *Store) LatestChecks(ctx context.Context, layer string) ([]layers.Check, error) {
	if _, err := s.layer(layer); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (feature_id) `+checkColumns+` FROM onemap_checks
		WHERE layer = $1 ORDER BY feature_id, id DESC`, layer)
	if err != nil {
		return nil, fmt.Errorf("postgis: checks of %s: %w", layer, unavailable(err))
	}
	cs, err := collectChecks(rows)
	if err != nil {
		return nil, fmt.Errorf("postgis: checks of %s: %w", layer, unavailable(err))
	}
	return cs, nil
}

// CheckHistory returns every check of one feature, oldest first.
func (s *Store) CheckHistory(ctx context.Context, layer string, id int64) ([]layers.Check, error) {
	if _, err := s.layer(layer); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+checkColumns+` FROM onemap_checks WHERE layer = $1 AND feature_id = $2 ORDER BY id`, layer, id)
	if err != nil {
		return nil, fmt.Errorf("postgis: checks of %s %d: %w", layer, id, unavailable(err))
	}
	cs, err := collectChecks(rows)
	if err != nil {
		return nil, fmt.Errorf("postgis: checks of %s %d: %w", layer, id, unavailable(err))
	}
	return cs, nil
}

var (
	_ layers.CheckStore   = (*Store)(nil)
	_ layers.HistoryStore = (*Store)(nil)
)
