package postgis

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/onemap/onemap/layers"
)

// pgType is the PostgreSQL column type of a catalogue field type.
func pgType(t layers.FieldType) string {
	switch t {
	case layers.String:
		return "text"
	case layers.Integer:
		return "bigint"
	case layers.Number:
		return "double precision"
	case layers.Date:
		return "date"
	}
	return "text"
}

// systemColumns are the columns onemap adds to every layer table.
var systemColumns = map[string]bool{"fid": true, "version": true, "geom": true}

// ensureLayers creates each catalogue layer's table when missing and adds
// missing columns. A column the catalogue no longer has, or whose type
// differs, is reported and left alone: data is never dropped silently.
func ensureLayers(ctx context.Context, tx pgx.Tx, cat *layers.Catalog) (report []string, err error) {
	for _, l := range cat.Layers {
		t := pgx.Identifier{l.Table()}.Sanitize()
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+l.Table()).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			cols := []string{"fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "version bigint NOT NULL DEFAULT 1"}
			for _, f := range l.Fields {
				cols = append(cols, fmt.Sprintf("%s %s", pgx.Identifier{f.Column()}.Sanitize(), pgType(f.Type)))
			}
			cols = append(cols, fmt.Sprintf("geom geometry(%s, 4490) NOT NULL", l.StorageType()))
			if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (\n  %s\n)", t, strings.Join(cols, ",\n  "))); err != nil {
				return nil, fmt.Errorf("create table %s: %w", l.ID, err)
			}
			if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE INDEX %s ON %s USING gist (geom)", pgx.Identifier{l.Table() + "_geom_gist"}.Sanitize(), t)); err != nil {
				return nil, fmt.Errorf("create index on %s: %w", l.ID, err)
			}
			comment := fmt.Sprintf("COMMENT ON TABLE %s IS %s", t, quoteLiteral(l.Name+" ("+l.NameEn+")"))
			if _, err := tx.Exec(ctx, comment); err != nil {
				return nil, err
			}
			for _, f := range l.Fields {
				if _, err := tx.Exec(ctx, fmt.Sprintf("COMMENT ON COLUMN %s.%s IS %s", t, pgx.Identifier{f.Column()}.Sanitize(), quoteLiteral(f.Label))); err != nil {
					return nil, err
				}
			}
			report = append(report, fmt.Sprintf("created table %s", l.ID))
		} else {
			r, err := extendTable(ctx, tx, l)
			if err != nil {
				return nil, err
			}
			report = append(report, r...)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO onemap_layers (id, name, geometry_type) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, geometry_type = EXCLUDED.geometry_type, updated_at = now()
			WHERE onemap_layers.name <> EXCLUDED.name OR onemap_layers.geometry_type <> EXCLUDED.geometry_type`,
			l.ID, l.Name, l.StorageType()); err != nil {
			return nil, fmt.Errorf("register layer %s: %w", l.ID, err)
		}
	}
	return report, nil
}

func extendTable(ctx context.Context, tx pgx.Tx, l *layers.Layer) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, format_type(a.atttypid, a.atttypmod)
		FROM information_schema.columns c
		JOIN pg_attribute a ON a.attrelid = to_regclass('public.' || quote_ident(c.table_name)) AND a.attname = c.column_name
		WHERE c.table_schema = 'public' AND c.table_name = $1`, l.Table())
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", l.ID, err)
	}
	have := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return nil, err
		}
		have[name] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var report []string
	want := map[string]bool{}
	for _, f := range l.Fields {
		col := f.Column()
		want[col] = true
		typ, ok := have[col]
		if !ok {
			if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", pgx.Identifier{l.Table()}.Sanitize(), pgx.Identifier{col}.Sanitize(), pgType(f.Type))); err != nil {
				return nil, fmt.Errorf("add column %s.%s: %w", l.ID, col, err)
			}
			report = append(report, fmt.Sprintf("added column %s.%s", l.ID, col))
			continue
		}
		if typ != pgType(f.Type) {
			report = append(report, fmt.Sprintf("column %s.%s is %s but the catalogue says %s (%s): left as it is", l.ID, col, typ, pgType(f.Type), f.Type))
		}
	}
	if g, ok := have["geom"]; ok && !strings.EqualFold(g, fmt.Sprintf("geometry(%s,4490)", l.StorageType())) {
		report = append(report, fmt.Sprintf("column %s.geom is %s but the catalogue says %s, 4490: left as it is", l.ID, g, l.StorageType()))
	}
	for col := range have {
		if !want[col] && !systemColumns[col] {
			report = append(report, fmt.Sprintf("column %s.%s is not in the catalogue: kept, not served", l.ID, col))
		}
	}
	return report, nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
