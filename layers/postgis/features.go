package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/layers"
)

const srid = 4490

// args converts a feature's values to what pgx sends: dates as pgtype.Date.
func args(l *layers.Layer, f *layers.Feature) ([]any, error) {
	out := make([]any, 0, len(l.Fields)+1)
	vals := f.Props.Values()
	for i, fd := range l.Fields {
		var v any
		if i < len(vals) {
			v = vals[i]
		}
		if v != nil && fd.Type == layers.Date {
			s, _ := v.(string)
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return nil, fmt.Errorf("field %s: date %q: %w", fd.Name, s, err)
			}
			v = pgtype.Date{Time: t, Valid: true}
		}
		out = append(out, v)
	}
	g, err := ewkb.Marshal(f.Geometry, srid)
	if err != nil {
		return nil, fmt.Errorf("encode geometry: %w", err)
	}
	return append(out, g), nil
}

// decode turns a row (fid, version, fields…, geom) into a Feature.
func decode(l *layers.Layer, vals []any, pb *layers.PropsBuilder) (*layers.Feature, error) {
	if len(vals) != len(l.Fields)+3 {
		return nil, fmt.Errorf("row has %d columns, want %d", len(vals), len(l.Fields)+3)
	}
	f := &layers.Feature{ID: vals[0].(int64), Version: vals[1].(int64)}
	pb.Done() // a row that failed half-way leaves nothing behind
	for i, fd := range l.Fields {
		if err := pb.Add(fd.FromColumn(vals[i+2])); err != nil {
			return nil, fmt.Errorf("field %s: unexpected %T", fd.Name, vals[i+2])
		}
	}
	f.Props = pb.Done()
	raw, ok := vals[len(vals)-1].([]byte)
	if !ok {
		return nil, fmt.Errorf("geometry column: unexpected %T", vals[len(vals)-1])
	}
	g, _, err := ewkb.Unmarshal(raw)
	if err != nil {
		return nil, fmt.Errorf("decode geometry of %d: %w", f.ID, err)
	}
	f.Geometry = g
	return f, nil
}

func (s *Store) selectSQL(l *layers.Layer) string {
	return fmt.Sprintf("SELECT fid, version, %s, geom FROM %s", s.cols[l.ID], pgx.Identifier{l.Table()}.Sanitize())
}

// Count returns the number of features in a layer.
func (s *Store) Count(ctx context.Context, layer string) (int64, error) {
	l, err := s.layer(layer)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{l.Table()}.Sanitize()).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgis: count %s: %w", layer, unavailable(err))
	}
	return n, nil
}

// Scan calls fn for every feature of the layer in id order.
func (s *Store) Scan(ctx context.Context, layer string, fn func(*layers.Feature) error) error {
	l, err := s.layer(layer)
	if err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, s.selectSQL(l)+" ORDER BY fid")
	if err != nil {
		return fmt.Errorf("postgis: scan %s: %w", layer, unavailable(err))
	}
	defer rows.Close()
	pb := layers.PropsBuilder{Strings: layers.StringsFrom(ctx)}
	for rows.Next() {
		f, err := decodeRow(l, rows, &pb)
		if err != nil {
			return fmt.Errorf("postgis: scan %s: %w", layer, err)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgis: scan %s: %w", layer, unavailable(err))
	}
	return nil
}

// Get returns one feature.
func (s *Store) Get(ctx context.Context, layer string, id int64) (*layers.Feature, error) {
	l, err := s.layer(layer)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, s.pool, l, id, false)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) get(ctx context.Context, q querier, l *layers.Layer, id int64, forUpdate bool) (*layers.Feature, error) {
	sql := s.selectSQL(l) + " WHERE fid = $1"
	if forUpdate {
		sql += " FOR UPDATE"
	}
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return nil, fmt.Errorf("postgis: get %s %d: %w", l.ID, id, unavailable(err))
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("postgis: get %s %d: %w", l.ID, id, unavailable(err))
		}
		return nil, fmt.Errorf("postgis: %s feature %d: %w", l.ID, id, layers.ErrNotFound)
	}
	vals, err := rows.Values()
	if err != nil {
		return nil, fmt.Errorf("postgis: get %s %d: %w", l.ID, id, err)
	}
	var pb layers.PropsBuilder
	return decode(l, vals, &pb)
}

// Create stores a new feature; the id comes from the table's identity column.
func (s *Store) Create(ctx context.Context, layer string, f *layers.Feature) (*layers.Feature, error) {
	l, err := s.layer(layer)
	if err != nil {
		return nil, err
	}
	a, err := args(l, f)
	if err != nil {
		return nil, fmt.Errorf("postgis: create %s: %w", layer, err)
	}
	ph := make([]string, len(a))
	for i := range a {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s, geom) VALUES (%s) RETURNING fid", pgx.Identifier{l.Table()}.Sanitize(), s.cols[l.ID], strings.Join(ph, ", "))
	out := *f
	out.Version = 1
	err = s.write(ctx, func(tx pgx.Tx) (historyRow, error) {
		if err := tx.QueryRow(ctx, sql, a...).Scan(&out.ID); err != nil {
			return historyRow{}, err
		}
		return historyRow{layer: l, op: layers.ChangeCreate, id: out.ID, new: &out}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: create %s: %w", layer, err)
	}
	return &out, nil
}

// Replace stores new contents for f.ID, checking ifVersion when > 0.
func (s *Store) Replace(ctx context.Context, layer string, f *layers.Feature, ifVersion int64) (*layers.Feature, error) {
	l, err := s.layer(layer)
	if err != nil {
		return nil, err
	}
	a, err := args(l, f)
	if err != nil {
		return nil, fmt.Errorf("postgis: replace %s: %w", layer, err)
	}
	sets := make([]string, 0, len(l.Fields)+1)
	for i, fd := range l.Fields {
		sets = append(sets, fmt.Sprintf("%s = $%d", pgx.Identifier{fd.Column()}.Sanitize(), i+1))
	}
	sets = append(sets, fmt.Sprintf("geom = $%d", len(a)))
	sql := fmt.Sprintf("UPDATE %s SET %s, version = version + 1 WHERE fid = $%d RETURNING version",
		pgx.Identifier{l.Table()}.Sanitize(), strings.Join(sets, ", "), len(a)+1)
	out := *f
	err = s.write(ctx, func(tx pgx.Tx) (historyRow, error) {
		old, err := s.get(ctx, tx, l, f.ID, true)
		if err != nil {
			return historyRow{}, err
		}
		if ifVersion > 0 && old.Version != ifVersion {
			return historyRow{}, &layers.ConflictError{Layer: layer, ID: f.ID, Want: ifVersion, Current: old.Version}
		}
		if err := tx.QueryRow(ctx, sql, append(a, f.ID)...).Scan(&out.Version); err != nil {
			return historyRow{}, err
		}
		return historyRow{layer: l, op: layers.ChangeReplace, id: f.ID, old: old, new: &out}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: replace %s %d: %w", layer, f.ID, err)
	}
	return &out, nil
}

// Delete removes a feature, checking ifVersion when > 0, and returns what it was.
func (s *Store) Delete(ctx context.Context, layer string, id int64, ifVersion int64) (*layers.Feature, error) {
	l, err := s.layer(layer)
	if err != nil {
		return nil, err
	}
	var old *layers.Feature
	err = s.write(ctx, func(tx pgx.Tx) (historyRow, error) {
		var err error
		old, err = s.get(ctx, tx, l, id, true)
		if err != nil {
			return historyRow{}, err
		}
		if ifVersion > 0 && old.Version != ifVersion {
			return historyRow{}, &layers.ConflictError{Layer: layer, ID: id, Want: ifVersion, Current: old.Version}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{l.Table()}.Sanitize()+" WHERE fid = $1", id); err != nil {
			return historyRow{}, err
		}
		return historyRow{layer: l, op: layers.ChangeDelete, id: id, old: old}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: delete %s %d: %w", layer, id, err)
	}
	return old, nil
}

// historyRow is what one write transaction records in onemap_history.
type historyRow struct {
	layer    *layers.Layer
	op       layers.ChangeOp
	id       int64
	old, new *layers.Feature
	count    int64
	bounds   *orb.Bound
}

// write runs fn in a transaction, then appends its history row and queues
// the NOTIFY, all committed together. The history lock is taken last, just
// before the history insert, and held to commit: history ids therefore
// follow commit order.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) (historyRow, error)) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		h, err := fn(tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, historyLock); err != nil {
			return err
		}
		oldJSON, err := featureJSON(h.layer, h.old)
		if err != nil {
			return err
		}
		newJSON, err := featureJSON(h.layer, h.new)
		if err != nil {
			return err
		}
		var fid, count *int64
		if h.id != 0 {
			fid = &h.id
		}
		if h.op == layers.ChangeImport {
			count = &h.count
		}
		var bounds []byte
		if h.bounds != nil {
			bounds, err = ewkb.Marshal(h.bounds.ToPolygon(), srid)
			if err != nil {
				return err
			}
		}
		user := layers.UserFrom(ctx)
		var hid int64
		if err := tx.QueryRow(ctx, `INSERT INTO onemap_history (layer, op, feature_id, old_value, new_value, batch_count, batch_bounds, username)
			VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromEWKB($7), $8) RETURNING id`,
			h.layer.ID, string(h.op), fid, oldJSON, newJSON, count, bounds, user).Scan(&hid); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, fmt.Sprint(hid))
		return err
	})
	var ce *layers.ConflictError
	if errors.As(err, &ce) || errors.Is(err, layers.ErrNotFound) {
		return err
	}
	return unavailable(err)
}

// featureJSON is the history's record of a feature: version, GeoJSON
// geometry and properties by field name (nil when there is no feature).
func featureJSON(l *layers.Layer, f *layers.Feature) ([]byte, error) {
	if f == nil {
		return nil, nil
	}
	return json.Marshal(historyFeature{Version: f.Version, Geometry: geojson.NewGeometry(f.Geometry), Properties: l.Properties(f)})
}

type historyFeature struct {
	Version    int64             `json:"version"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
}

// featureFromJSON reads a history record back into a Feature.
func featureFromJSON(l *layers.Layer, id int64, b []byte) (*layers.Feature, error) {
	var h historyFeature
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&h); err != nil {
		return nil, err
	}
	props := make([]any, len(l.Fields))
	for i, fd := range l.Fields {
		v, err := fd.Coerce(h.Properties[fd.Name])
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", fd.Name, err)
		}
		props[i] = v
	}
	if h.Geometry == nil {
		return nil, errors.New("history record has no geometry")
	}
	return &layers.Feature{ID: id, Version: h.Version, Geometry: h.Geometry.Geometry(), Props: layers.NewProps(props...)}, nil
}
