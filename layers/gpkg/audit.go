package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/onemap/onemap/layers"
)

// The audit trail and the field checks live in two attribute tables beside
// the layers (GIS tools list them after the layers, without geometry).
// Every feature change appends its history row in the change's own
// transaction, so a committed change always has its row and a rolled-back
// one never does.
var auditDDL = []string{
	`CREATE TABLE IF NOT EXISTS onemap_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  layer TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('create', 'replace', 'delete', 'import')),
  feature_id INTEGER,
  old_value TEXT,
  new_value TEXT,
  batch_count INTEGER,
  username TEXT NOT NULL,
  at TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS onemap_history_layer_feature ON onemap_history (layer, feature_id)`,
	`CREATE TABLE IF NOT EXISTS onemap_checks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  layer TEXT NOT NULL,
  feature_id INTEGER NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('confirmed_legal', 'confirmed_illegal', 'rectifying', 'rectified', 'other')),
  comment TEXT NOT NULL DEFAULT '',
  verdict TEXT NOT NULL DEFAULT '',
  username TEXT NOT NULL,
  at TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS onemap_checks_layer_feature ON onemap_checks (layer, feature_id, id)`,
}

var auditTables = []struct{ name, description string }{
	{"onemap_history", "要素变更记录 (change history of every feature)"},
	{"onemap_checks", "核查记录 (field checks of supervised features)"},
}

// auditTime is how the audit tables write a time: UTC, to the microsecond,
// sortable as text.
const auditTime = "2006-01-02T15:04:05.000000Z07:00"

func (s *Store) auditNow() string { return s.now().UTC().Format(auditTime) }

// ensureAudit creates the audit tables when missing.
func (s *Store) ensureAudit(ctx context.Context, tx execer) ([]string, error) {
	var have int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('onemap_history', 'onemap_checks')`).Scan(&have); err != nil {
		return nil, err
	}
	for _, q := range auditDDL {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, err
		}
	}
	// Registered as attribute tables (GeoPackage §2.4), as user tables must be.
	for _, t := range auditTables {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES (?, 'attributes', ?, ?, ?)`,
			t.name, t.name, t.description, s.timestamp()); err != nil {
			return nil, err
		}
	}
	if have < 2 {
		return []string{"created the change history and field check tables"}, nil
	}
	return nil, nil
}

// record appends one change to the history, in the change's transaction.
func (s *Store) record(ctx context.Context, tx *sql.Tx, l *layers.Layer, op layers.ChangeOp, id int64, old, nw *layers.Feature, count int64) error {
	oldJSON, err := layers.RevisionRecord(l, old)
	if err != nil {
		return err
	}
	newJSON, err := layers.RevisionRecord(l, nw)
	if err != nil {
		return err
	}
	var fid, batch any
	if id != 0 {
		fid = id
	}
	if op == layers.ChangeImport {
		batch = count
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO onemap_history (layer, op, feature_id, old_value, new_value, batch_count, username, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, string(op), fid, nullText(oldJSON), nullText(newJSON), batch, layers.UserFrom(ctx), s.auditNow())
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func parseAuditTime(s string) (time.Time, error) {
	t, err := time.Parse(auditTime, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("audit time %q: %w", s, err)
	}
	return t, nil
}

// FeatureHistory returns the changes of one feature, oldest first.
func (s *Store) FeatureHistory(ctx context.Context, layer string, id int64) ([]layers.Revision, error) {
	if _, err := s.table("history", layer); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, op, old_value, new_value, username, at FROM onemap_history
		WHERE layer = ? AND feature_id = ? ORDER BY id`, layer, id)
	if err != nil {
		return nil, fmt.Errorf("gpkg: history of %s %d: %w", layer, id, classify(err))
	}
	defer rows.Close()
	out := []layers.Revision{}
	for rows.Next() {
		r := layers.Revision{Layer: layer, FeatureID: id}
		var op, at string
		var old, nw sql.NullString
		if err := rows.Scan(&r.Seq, &op, &old, &nw, &r.User, &at); err != nil {
			return nil, fmt.Errorf("gpkg: history of %s %d: %w", layer, id, classify(err))
		}
		r.Op = layers.ChangeOp(op)
		if old.Valid {
			r.Old = json.RawMessage(old.String)
		}
		if nw.Valid {
			r.New = json.RawMessage(nw.String)
		}
		if r.At, err = parseAuditTime(at); err != nil {
			return nil, fmt.Errorf("gpkg: history of %s %d: %w", layer, id, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gpkg: history of %s %d: %w", layer, id, classify(err))
	}
	return out, nil
}

// RecordCheck appends a field check.
func (s *Store) RecordCheck(ctx context.Context, c layers.Check) (layers.Check, error) {
	if _, err := s.table("record check", c.Layer); err != nil {
		return layers.Check{}, err
	}
	if err := c.Validate(); err != nil {
		return layers.Check{}, err
	}
	c.User = layers.UserFrom(ctx)
	at := s.auditNow()
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO onemap_checks (layer, feature_id, result, comment, verdict, username, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.Layer, c.FeatureID, string(c.Result), c.Comment, c.Verdict, c.User, at)
		if err != nil {
			return err
		}
		c.Seq, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return layers.Check{}, fmt.Errorf("gpkg: record check of %s %d: %w", c.Layer, c.FeatureID, classify(err))
	}
	c.At, _ = parseAuditTime(at)
	return c, nil
}

const checkColumns = `id, layer, feature_id, result, comment, verdict, username, at`

func scanChecks(rows *sql.Rows) ([]layers.Check, error) {
	defer rows.Close()
	out := []layers.Check{}
	for rows.Next() {
		var c layers.Check
		var result, at string
		if err := rows.Scan(&c.Seq, &c.Layer, &c.FeatureID, &result, &c.Comment, &c.Verdict, &c.User, &at); err != nil {
			return nil, err
		}
		c.Result = layers.CheckResult(result)
		var err error
		if c.At, err = parseAuditTime(at); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LatestChecks returns the newest check of every feature of a layer that
// has one, in feature id order.
func (s *Store) LatestChecks(ctx context.Context, layer string) ([]layers.Check, error) {
	if _, err := s.table("checks", layer); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+checkColumns+` FROM onemap_checks WHERE id IN
		(SELECT max(id) FROM onemap_checks WHERE layer = ? GROUP BY feature_id) ORDER BY feature_id`, layer)
	if err != nil {
		return nil, fmt.Errorf("gpkg: checks of %s: %w", layer, classify(err))
	}
	cs, err := scanChecks(rows)
	if err != nil {
		return nil, fmt.Errorf("gpkg: checks of %s: %w", layer, classify(err))
	}
	return cs, nil
}

// CheckHistory returns every check of one feature, oldest first.
func (s *Store) CheckHistory(ctx context.Context, layer string, id int64) ([]layers.Check, error) {
	if _, err := s.table("checks", layer); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+checkColumns+` FROM onemap_checks WHERE layer = ? AND feature_id = ? ORDER BY id`, layer, id)
	if err != nil {
		return nil, fmt.Errorf("gpkg: checks of %s %d: %w", layer, id, classify(err))
	}
	cs, err := scanChecks(rows)
	if err != nil {
		return nil, fmt.Errorf("gpkg: checks of %s %d: %w", layer, id, classify(err))
	}
	return cs, nil
}

var (
	_ layers.CheckStore   = (*Store)(nil)
	_ layers.HistoryStore = (*Store)(nil)
)
