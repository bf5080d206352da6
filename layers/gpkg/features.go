package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// table holds the SQL of one layer's table, built once at Open.
type table struct {
	l      *layers.Layer
	name   string
	rtree  string
	sel    string // SELECT fid, version, geom, fields… FROM t
	insert string // INSERT … VALUES (geom, fields…), version 1
	update string // UPDATE … SET geom, version, fields… WHERE fid
	del    string
}

func newTable(l *layers.Layer) *table {
	t := &table{l: l, name: l.Table(), rtree: quote("rtree_" + l.Table() + "_geom")}
	qt := quote(t.name)
	sel := []string{`"fid"`, `"version"`, `"geom"`}
	cols := []string{`"geom"`, `"version"`}
	vals := []string{"?", "1"}
	set := []string{`"geom" = ?`, `"version" = ?`}
	for _, f := range l.Fields {
		c := quote(f.Name)
		if f.Type == layers.Date {
			// A plain DATE column would come back from the driver as a
			// time.Time; the cast keeps the stored 'YYYY-MM-DD' text.
			sel = append(sel, "CAST("+c+" AS TEXT)")
		} else {
			sel = append(sel, c)
		}
		cols = append(cols, c)
		vals = append(vals, "?")
		set = append(set, c+" = ?")
	}
	t.sel = fmt.Sprintf("SELECT %s FROM %s", strings.Join(sel, ", "), qt)
	t.insert = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", qt, strings.Join(cols, ", "), strings.Join(vals, ", "))
	t.update = fmt.Sprintf(`UPDATE %s SET %s WHERE "fid" = ?`, qt, strings.Join(set, ", "))
	t.del = fmt.Sprintf(`DELETE FROM %s WHERE "fid" = ?`, qt)
	return t
}

// reader decodes rows of t.sel into features, reusing its scan targets.
type reader struct {
	t     *table
	fid   int64
	ver   int64
	geom  sql.RawBytes
	vals  []any
	dest  []any
	props layers.PropsBuilder
}

func (t *table) reader() *reader {
	n := len(t.l.Fields)
	r := &reader{t: t, vals: make([]any, n), dest: make([]any, 3+n)}
	r.dest[0], r.dest[1], r.dest[2] = &r.fid, &r.ver, &r.geom
	for i := range r.vals {
		r.dest[3+i] = &r.vals[i]
	}
	return r
}

func (r *reader) read(rows *sql.Rows) (*layers.Feature, error) {
	if err := rows.Scan(r.dest...); err != nil {
		return nil, err
	}
	f := &layers.Feature{ID: r.fid, Version: r.ver}
	for i, fd := range r.t.l.Fields {
		// A value of another type than the field's (written by another
		// tool) is converted; one that cannot be is kept as a string.
		if err := r.props.Add(fd.FromColumn(r.vals[i])); err != nil {
			r.props.String(fmt.Sprint(r.vals[i]))
		}
		r.vals[i] = nil
	}
	f.Props = r.props.Done()
	if r.geom != nil {
		g, err := decodeGP(r.geom)
		if err != nil {
			return nil, fmt.Errorf("feature %d: geometry: %w", r.fid, err)
		}
		f.Geometry = promote(r.t.l.Geometry, g)
	}
	return f, nil
}

// promote gives geometries written by other tools the storage form of the
// layer: Polygon → MultiPolygon, LineString → MultiLineString.
func promote(t layers.GeometryType, g orb.Geometry) orb.Geometry {
	switch v := g.(type) {
	case orb.Polygon:
		if t == layers.Polygon {
			return orb.MultiPolygon{v}
		}
	case orb.LineString:
		if t == layers.LineString {
			return orb.MultiLineString{v}
		}
	}
	return g
}

// storable returns g in the layer's storage form, or an error when its type
// does not belong in the layer's geometry column (GDAL would reject the file).
func storable(l *layers.Layer, g orb.Geometry) (orb.Geometry, error) {
	if g == nil {
		return nil, errors.New("geometry is missing")
	}
	g = promote(l.Geometry, g)
	want := l.StorageType()
	if got := g.GeoJSONType(); got != want {
		return nil, fmt.Errorf("layer %s stores %s geometries, got %s", l.ID, want, got)
	}
	return g, nil
}

// toSQL checks and normalises a feature's values for binding: one value per
// field (missing trailing values are null), int64 for integers, float64 for
// numbers, strings for strings and dates.
func toSQL(l *layers.Layer, p layers.Props) ([]any, error) {
	props := p.Values()
	if len(props) > len(l.Fields) {
		return nil, fmt.Errorf("%d values for %d fields", len(props), len(l.Fields))
	}
	out := make([]any, len(l.Fields))
	for i, fd := range l.Fields {
		if i >= len(props) || props[i] == nil {
			continue
		}
		v, err := bindValue(fd, props[i])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func bindValue(fd layers.Field, v any) (any, error) {
	switch fd.Type {
	case layers.String, layers.Date:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case layers.Integer:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case int32:
			return int64(x), nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int64(x), nil
			}
		}
	case layers.Number:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case int:
			return float64(x), nil
		}
	}
	return nil, fmt.Errorf("field %s: %T value %v is not a %s", fd.Name, v, v, fd.Type)
}

// Count returns the number of features in a layer.
func (s *Store) Count(ctx context.Context, layer string) (int64, error) {
	t, err := s.table("count", layer)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+quote(t.name)).Scan(&n); err != nil {
		return 0, fmt.Errorf("gpkg: count %s: %w", layer, classify(err))
	}
	return n, nil
}

// Scan calls fn for every feature of the layer in id order. An error from fn
// ends the scan and is returned as it is.
func (s *Store) Scan(ctx context.Context, layer string, fn func(*layers.Feature) error) error {
	t, err := s.table("scan", layer)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("gpkg: scan %s: %w", layer, err)
	}
	rows, err := s.db.QueryContext(ctx, t.sel+` ORDER BY "fid"`)
	if err != nil {
		return fmt.Errorf("gpkg: scan %s: %w", layer, classify(err))
	}
	defer rows.Close()
	r := t.reader()
	r.props.Strings = layers.StringsFrom(ctx)
	for n := 1; rows.Next(); n++ {
		if n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("gpkg: scan %s: %w", layer, err)
			}
		}
		f, err := r.read(rows)
		if err != nil {
			return fmt.Errorf("gpkg: scan %s: %w", layer, err)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("gpkg: scan %s: %w", layer, classify(err))
	}
	// database/sql ends the rows quietly when the context is cancelled
	// between rows; say so rather than report a short scan as complete.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("gpkg: scan %s: %w", layer, err)
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// get reads one feature; nil, nil when there is none.
func (t *table) get(ctx context.Context, q querier, id int64) (*layers.Feature, error) {
	rows, err := q.QueryContext(ctx, t.sel+` WHERE "fid" = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	f, err := t.reader().read(rows)
	if err != nil {
		return nil, err
	}
	return f, rows.Close()
}

// Get returns one feature.
func (s *Store) Get(ctx context.Context, layer string, id int64) (*layers.Feature, error) {
	t, err := s.table("get", layer)
	if err != nil {
		return nil, err
	}
	f, err := t.get(ctx, s.db, id)
	if err != nil {
		return nil, fmt.Errorf("gpkg: get %s %d: %w", layer, id, classify(err))
	}
	if f == nil {
		return nil, notFound("get", layer, id)
	}
	return f, nil
}

func notFound(op, layer string, id int64) error {
	return fmt.Errorf("gpkg: %s: %s feature %d: %w", op, layer, id, layers.ErrNotFound)
}

// Create stores a new feature with the next id and version 1. f.ID and
// f.Version are ignored; f is not modified.
func (s *Store) Create(ctx context.Context, layer string, f *layers.Feature) (*layers.Feature, error) {
	t, err := s.table("create", layer)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, fmt.Errorf("gpkg: create %s: no feature", layer)
	}
	props, err := toSQL(t.l, f.Props)
	if err != nil {
		return nil, fmt.Errorf("gpkg: create %s: %w", layer, err)
	}
	g, err := storable(t.l, f.Geometry)
	if err != nil {
		return nil, fmt.Errorf("gpkg: create %s: %w", layer, err)
	}
	blob, bd, ok, err := encodeGP(g)
	if err != nil {
		return nil, fmt.Errorf("gpkg: create %s: %w", layer, err)
	}
	args := append([]any{blob}, props...)
	var id int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, t.insert, args...)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := s.grow(ctx, tx, t, bd, ok); err != nil {
			return err
		}
		return s.record(ctx, tx, t.l, layers.ChangeCreate, id, nil, &layers.Feature{ID: id, Version: 1, Geometry: g, Props: layers.NewProps(props...)}, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("gpkg: create %s: %w", layer, classify(err))
	}
	return &layers.Feature{ID: id, Version: 1, Geometry: g, Props: layers.NewProps(props...)}, nil
}

// Replace stores new geometry and values for f.ID, checking ifVersion when > 0.
func (s *Store) Replace(ctx context.Context, layer string, f *layers.Feature, ifVersion int64) (*layers.Feature, error) {
	t, err := s.table("replace", layer)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, fmt.Errorf("gpkg: replace %s: no feature", layer)
	}
	props, err := toSQL(t.l, f.Props)
	if err != nil {
		return nil, fmt.Errorf("gpkg: replace %s %d: %w", layer, f.ID, err)
	}
	g, err := storable(t.l, f.Geometry)
	if err != nil {
		return nil, fmt.Errorf("gpkg: replace %s %d: %w", layer, f.ID, err)
	}
	blob, bd, ok, err := encodeGP(g)
	if err != nil {
		return nil, fmt.Errorf("gpkg: replace %s %d: %w", layer, f.ID, err)
	}
	var version int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		old, err := t.get(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		if old == nil {
			return notFound("replace", layer, f.ID)
		}
		version = old.Version
		if ifVersion > 0 && ifVersion != version {
			return &layers.ConflictError{Layer: layer, ID: f.ID, Want: ifVersion, Current: version}
		}
		version++
		args := make([]any, 0, len(props)+3)
		args = append(args, blob, version)
		args = append(args, props...)
		args = append(args, f.ID)
		if _, err := tx.ExecContext(ctx, t.update, args...); err != nil {
			return err
		}
		var ob orb.Bound
		ook := old.Geometry != nil && !isEmpty(old.Geometry)
		if ook {
			ob = old.Geometry.Bound()
		}
		if err := s.changed(ctx, tx, t, ob, ook, bd, ok); err != nil {
			return err
		}
		return s.record(ctx, tx, t.l, layers.ChangeReplace, f.ID, old, &layers.Feature{ID: f.ID, Version: version, Geometry: g, Props: layers.NewProps(props...)}, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("gpkg: replace %s %d: %w", layer, f.ID, classify(err))
	}
	return &layers.Feature{ID: f.ID, Version: version, Geometry: g, Props: layers.NewProps(props...)}, nil
}

// Delete removes a feature and returns what it was, checking ifVersion when > 0.
func (s *Store) Delete(ctx context.Context, layer string, id int64, ifVersion int64) (*layers.Feature, error) {
	t, err := s.table("delete", layer)
	if err != nil {
		return nil, err
	}
	var old *layers.Feature
	err = s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if old, err = t.get(ctx, tx, id); err != nil {
			return err
		}
		if old == nil {
			return notFound("delete", layer, id)
		}
		if ifVersion > 0 && ifVersion != old.Version {
			return &layers.ConflictError{Layer: layer, ID: id, Want: ifVersion, Current: old.Version}
		}
		if _, err := tx.ExecContext(ctx, t.del, id); err != nil {
			return err
		}
		var ob orb.Bound
		ook := old.Geometry != nil && !isEmpty(old.Geometry)
		if ook {
			ob = old.Geometry.Bound()
		}
		if err := s.changed(ctx, tx, t, ob, ook, orb.Bound{}, false); err != nil {
			return err
		}
		return s.record(ctx, tx, t.l, layers.ChangeDelete, id, old, nil, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("gpkg: delete %s %d: %w", layer, id, classify(err))
	}
	return old, nil
}

// Import stores every feature of the sequence in one transaction, ids in
// sequence order. Any error (from the sequence, a value, the database or the
// context) rolls the whole import back.
func (s *Store) Import(ctx context.Context, layer string, feats iter.Seq2[*layers.Feature, error]) (int64, error) {
	t, err := s.table("import", layer)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, t.insert)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var (
			buf    bytes.Buffer
			args   = make([]any, 1+len(t.l.Fields))
			ext    orb.Bound
			hasExt bool
		)
		for f, ferr := range feats {
			if ferr != nil {
				return fmt.Errorf("feature %d: %w", n+1, ferr)
			}
			if f == nil {
				return fmt.Errorf("feature %d: nil", n+1)
			}
			if n&255 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			g, err := storable(t.l, f.Geometry)
			if err != nil {
				return fmt.Errorf("feature %d: %w", n+1, err)
			}
			buf.Reset()
			bd, ok, err := appendGP(&buf, g)
			if err != nil {
				return fmt.Errorf("feature %d: %w", n+1, err)
			}
			args[0] = buf.Bytes()
			for i := range t.l.Fields {
				args[1+i] = nil
			}
			for i, pv := range f.Props.All() {
				if i >= len(t.l.Fields) {
					return fmt.Errorf("feature %d: %d values for %d fields", n+1, f.Props.Len(), len(t.l.Fields))
				}
				if pv != nil {
					v, err := bindValue(t.l.Fields[i], pv)
					if err != nil {
						return fmt.Errorf("feature %d: %w", n+1, err)
					}
					args[1+i] = v
				}
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				if cerr := ctx.Err(); cerr != nil {
					err = cerr // the driver says "statement is closed"; the cause is the cancellation
				}
				return fmt.Errorf("feature %d: %w", n+1, err)
			}
			if ok {
				if hasExt {
					ext = ext.Union(bd)
				} else {
					ext, hasExt = bd, true
				}
			}
			n++
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.grow(ctx, tx, t, ext, hasExt); err != nil {
			return err
		}
		return s.record(ctx, tx, t.l, layers.ChangeImport, 0, nil, nil, n)
	})
	if err != nil {
		return 0, fmt.Errorf("gpkg: import %s: %w", layer, classify(err))
	}
	return n, nil
}

// grow widens the layer's gpkg_contents bounds to cover b (when ok) and
// stamps last_change.
func (s *Store) grow(ctx context.Context, tx *sql.Tx, t *table, b orb.Bound, ok bool) error {
	var err error
	if ok {
		_, err = tx.ExecContext(ctx, `UPDATE gpkg_contents SET last_change = ?,
  min_x = coalesce(min(min_x, ?), ?), min_y = coalesce(min(min_y, ?), ?),
  max_x = coalesce(max(max_x, ?), ?), max_y = coalesce(max(max_y, ?), ?)
WHERE table_name = ?`, s.timestamp(), b.Min[0], b.Min[0], b.Min[1], b.Min[1], b.Max[0], b.Max[0], b.Max[1], b.Max[1], t.name)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?`, s.timestamp(), t.name)
	}
	return err
}

// changed maintains the bounds after a feature with bound old (oldOK) was
// replaced by one with bound nw (nwOK), or deleted (nwOK false). When the old
// geometry touched the edge of the layer's extent the extent may shrink, so
// it is recomputed (the spatial index finds the few candidates); otherwise
// it only grows.
func (s *Store) changed(ctx context.Context, tx *sql.Tx, t *table, old orb.Bound, oldOK bool, nw orb.Bound, nwOK bool) error {
	if !oldOK {
		return s.grow(ctx, tx, t, nw, nwOK)
	}
	var ext [4]sql.NullFloat64
	if err := tx.QueryRowContext(ctx, `SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?`, t.name).Scan(&ext[0], &ext[1], &ext[2], &ext[3]); err != nil {
		return err
	}
	if ext[0].Valid && ext[1].Valid && ext[2].Valid && ext[3].Valid &&
		old.Min[0] > ext[0].Float64 && old.Min[1] > ext[1].Float64 && old.Max[0] < ext[2].Float64 && old.Max[1] < ext[3].Float64 {
		return s.grow(ctx, tx, t, nw, nwOK)
	}
	return s.recomputeExtent(ctx, tx, t)
}

// recomputeExtent sets the layer's bounds to the exact extent of its
// geometries. The rtree holds boxes rounded outwards to float32, so its
// aggregate is within a float32 step of the answer; the exact value comes
// from the features whose boxes lie within that step of each edge.
func (s *Store) recomputeExtent(ctx context.Context, tx *sql.Tx, t *table) error {
	var r [4]sql.NullFloat64
	if err := tx.QueryRowContext(ctx, `SELECT min(minx), min(miny), max(maxx), max(maxy) FROM `+t.rtree).Scan(&r[0], &r[1], &r[2], &r[3]); err != nil {
		return err
	}
	if !r[0].Valid {
		_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET last_change = ?, min_x = NULL, min_y = NULL, max_x = NULL, max_y = NULL WHERE table_name = ?`, s.timestamp(), t.name)
		return err
	}
	step := func(v float64) float64 { return max(1e-4, math.Abs(v)*1e-6) }
	qt := quote(t.name)
	edges := []struct {
		agg, fn, col, op string
		bound            float64
	}{
		{"min", "ST_MinX", "minx", "<=", r[0].Float64 + step(r[0].Float64)},
		{"min", "ST_MinY", "miny", "<=", r[1].Float64 + step(r[1].Float64)},
		{"max", "ST_MaxX", "maxx", ">=", r[2].Float64 - step(r[2].Float64)},
		{"max", "ST_MaxY", "maxy", ">=", r[3].Float64 - step(r[3].Float64)},
	}
	var exact [4]sql.NullFloat64
	for i, e := range edges {
		q := fmt.Sprintf(`SELECT %s(%s("geom")) FROM %s WHERE "fid" IN (SELECT id FROM %s WHERE %s %s ?)`, e.agg, e.fn, qt, t.rtree, e.col, e.op)
		if err := tx.QueryRowContext(ctx, q, e.bound).Scan(&exact[i]); err != nil {
			return err
		}
		if !exact[i].Valid {
			exact[i] = r[i]
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET last_change = ?, min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?`,
		s.timestamp(), exact[0].Float64, exact[1].Float64, exact[2].Float64, exact[3].Float64, t.name)
	return err
}
