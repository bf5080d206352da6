package gpkg

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/onemap/onemap/layers"
)

const (
	applicationID = 0x47504B47 // "GPKG"
	userVersion   = 10300      // GeoPackage 1.3.0
	rtreeExtDef   = "http://www.geopackage.org/spec120/#extension_rtree"
)

// wkt4326 and wkt4490 are the OGC WKT (1) definitions GDAL writes for these
// EPSG codes.
const (
	wkt4326 = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`
	wkt4490 = `GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]`
)

// The GeoPackage core tables (GeoPackage 1.3, §1.1.2, §1.1.3, §2.1.5, §2.1.6, §2.3).
var coreDDL = []string{
	`CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT)`,
	`CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
	`CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
	`CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))`,
}

type srsRow struct {
	name, org  string
	id, orgID  int
	def, descr string
}

var requiredSRS = []srsRow{
	{"Undefined cartesian SRS", "NONE", -1, -1, "undefined", "undefined cartesian coordinate reference system"},
	{"Undefined geographic SRS", "NONE", 0, 0, "undefined", "undefined geographic coordinate reference system"},
	{"WGS 84 geodetic", "EPSG", 4326, 4326, wkt4326, "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"},
	{"China Geodetic Coordinate System 2000", "EPSG", 4490, 4490, wkt4490, "CGCS2000 longitude/latitude coordinates in decimal degrees"},
}

// quote quotes an SQL identifier.
func quote(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }

// geometryTypeName is the GeoPackage geometry type of a layer's column.
func geometryTypeName(l *layers.Layer) string { return strings.ToUpper(l.StorageType()) }

// columnType is the declared SQL type of a field's column.
func columnType(t layers.FieldType) string {
	switch t {
	case layers.String:
		return "TEXT"
	case layers.Integer:
		return "INTEGER"
	case layers.Number:
		return "REAL"
	case layers.Date:
		return "DATE"
	}
	return "TEXT"
}

// checkTableName refuses layer ids that would collide with the GeoPackage or
// SQLite namespaces (the catalogue pattern allows them).
func checkTableName(id string) error {
	for _, p := range []string{"gpkg_", "sqlite_", "rtree_"} {
		if strings.HasPrefix(id, p) {
			return fmt.Errorf("layer id %q: table names starting with %q are reserved in a GeoPackage", id, p)
		}
	}
	return nil
}

// rtreeTriggers are the standard gpkg_rtree_index triggers (GeoPackage 1.3,
// Annex F.3) for table t, column geom, id column fid.
func rtreeTriggers(t string) []string {
	rt := quote("rtree_" + t + "_geom")
	qt := quote(t)
	name := func(s string) string { return quote("rtree_" + t + "_geom_" + s) }
	ins := func(nw string) string {
		return fmt.Sprintf(`INSERT OR REPLACE INTO %s VALUES (%s."fid", ST_MinX(%s."geom"), ST_MaxX(%s."geom"), ST_MinY(%s."geom"), ST_MaxY(%s."geom"));`, rt, nw, nw, nw, nw, nw)
	}
	return []string{
		fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s AFTER INSERT ON %s WHEN (new."geom" NOT NULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN %s END`,
			name("insert"), qt, ins("NEW")),
		fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s AFTER UPDATE OF "geom" ON %s WHEN OLD."fid" = NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN %s END`,
			name("update1"), qt, ins("NEW")),
		fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s AFTER UPDATE OF "geom" ON %s WHEN OLD."fid" = NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM %s WHERE id = OLD."fid"; END`,
			name("update2"), qt, rt),
		fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s AFTER UPDATE ON %s WHEN OLD."fid" != NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM %s WHERE id = OLD."fid"; %s END`,
			name("update3"), qt, rt, ins("NEW")),
		fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s AFTER UPDATE ON %s WHEN OLD."fid" != NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM %s WHERE id IN (OLD."fid", NEW."fid"); END`,
			name("update4"), qt, rt),
		fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s AFTER DELETE ON %s WHEN old."geom" NOT NULL BEGIN DELETE FROM %s WHERE id = OLD."fid"; END`,
			name("delete"), qt, rt),
	}
}

// versionTrigger bumps the version of a row that another tool (QGIS, GDAL)
// updates without touching it, so optimistic locking still sees the change.
// Our own updates set version = old + 1 and do not fire it.
func versionTrigger(t string) string {
	return fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s AFTER UPDATE ON %s WHEN NEW."version" IS OLD."version" BEGIN UPDATE %s SET "version" = OLD."version" + 1 WHERE "fid" = NEW."fid"; END`,
		quote("onemap_"+t+"_version"), quote(t), quote(t))
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ensureSchema creates the GeoPackage core tables when missing, then every
// catalogue layer's table, columns, rtree, triggers and metadata rows. It
// never drops or alters anything that is there. It returns what it did and
// what it found but left alone.
func (s *Store) ensureSchema(ctx context.Context, tx execer, fresh bool) ([]string, error) {
	var report []string
	if fresh {
		for _, q := range []string{
			fmt.Sprintf("PRAGMA application_id = %d", applicationID),
			fmt.Sprintf("PRAGMA user_version = %d", userVersion),
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return nil, err
			}
		}
		report = append(report, "created GeoPackage")
	}
	for _, q := range coreDDL {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, err
		}
	}
	for _, r := range requiredSRS {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition, description) VALUES (?, ?, ?, ?, ?, ?)`,
			r.name, r.id, r.org, r.orgID, r.def, r.descr)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 && !fresh {
			report = append(report, fmt.Sprintf("added spatial reference system %d", r.id))
		}
	}
	r, err := s.ensureAudit(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("audit tables: %w", err)
	}
	if !fresh {
		report = append(report, r...)
	}
	for _, l := range s.cat.Layers {
		r, err := s.ensureLayer(ctx, tx, l)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.ID, err)
		}
		report = append(report, r...)
	}
	return report, nil
}

func (s *Store) ensureLayer(ctx context.Context, tx execer, l *layers.Layer) ([]string, error) {
	var report []string
	t := l.Table()
	qt := quote(t)
	cols, err := tableColumns(ctx, tx, t)
	if err != nil {
		return nil, err
	}
	if cols == nil {
		var b strings.Builder
		fmt.Fprintf(&b, `CREATE TABLE %s ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "geom" %s, "version" INTEGER NOT NULL DEFAULT 1`, qt, geometryTypeName(l))
		for _, f := range l.Fields {
			fmt.Fprintf(&b, ", %s %s", quote(f.Name), columnType(f.Type))
		}
		b.WriteString(")")
		if _, err := tx.ExecContext(ctx, b.String()); err != nil {
			return nil, err
		}
		report = append(report, "created table "+t)
	} else {
		for _, need := range []string{"fid", "geom"} {
			if _, ok := cols[need]; !ok {
				return nil, fmt.Errorf("table %s exists but has no column %q", t, need)
			}
		}
		if _, ok := cols["version"]; !ok {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1`, qt)); err != nil {
				return nil, err
			}
			report = append(report, "added column "+t+".version")
		}
		for _, f := range l.Fields {
			have, ok := cols[strings.ToLower(f.Name)]
			if !ok {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN %s %s`, qt, quote(f.Name), columnType(f.Type))); err != nil {
					return nil, err
				}
				report = append(report, fmt.Sprintf("added column %s.%s", t, f.Name))
				continue
			}
			if want := columnType(f.Type); !strings.EqualFold(baseType(have), want) {
				report = append(report, fmt.Sprintf("column %s.%s is %s, the catalogue says %s: left as it is", t, f.Name, have, want))
			}
		}
	}
	// Metadata rows.
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) VALUES (?, 'features', ?, ?, ?, ?)`,
		t, t, l.Name, s.timestamp(), srsID)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n > 0 && cols != nil {
		report = append(report, "registered "+t+" in gpkg_contents")
	}
	var gtype string
	var gsrs int
	err = tx.QueryRowContext(ctx, `SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ? AND column_name = 'geom'`, t).Scan(&gtype, &gsrs)
	switch {
	case err == sql.ErrNoRows:
		if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES (?, 'geom', ?, ?, 0, 0)`,
			t, geometryTypeName(l), srsID); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if !strings.EqualFold(gtype, geometryTypeName(l)) || gsrs != srsID {
			report = append(report, fmt.Sprintf("%s.geom is %s in srs %d, the catalogue says %s in %d: left as it is", t, gtype, gsrs, geometryTypeName(l), srsID))
		}
	}
	// Spatial index.
	rtree := "rtree_" + t + "_geom"
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = ?`, rtree).Scan(&exists); err != nil {
		return nil, err
	}
	if exists == 0 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE VIRTUAL TABLE %s USING rtree(id, minx, maxx, miny, maxy)`, quote(rtree))); err != nil {
			return nil, err
		}
		if cols != nil {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT OR REPLACE INTO %s SELECT "fid", ST_MinX("geom"), ST_MaxX("geom"), ST_MinY("geom"), ST_MaxY("geom") FROM %s WHERE "geom" NOT NULL AND NOT ST_IsEmpty("geom")`, quote(rtree), qt)); err != nil {
				return nil, err
			}
			report = append(report, "built spatial index "+rtree)
		}
	}
	for _, q := range rtreeTriggers(t) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, versionTrigger(t)); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES (?, 'geom', 'gpkg_rtree_index', ?, 'write-only')`,
		t, rtreeExtDef); err != nil {
		return nil, err
	}
	return report, nil
}

// tableColumns returns the lower-cased column names of a table with their
// declared types, or nil when the table does not exist.
func tableColumns(ctx context.Context, tx execer, table string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols map[string]string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		if cols == nil {
			cols = map[string]string{}
		}
		cols[strings.ToLower(name)] = typ
	}
	return cols, rows.Err()
}

// baseType strips a length from a declared type: TEXT(12) → TEXT.
func baseType(t string) string {
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = t[:i]
	}
	return strings.TrimSpace(t)
}
