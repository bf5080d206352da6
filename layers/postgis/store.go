// Package postgis is the durable store: one PostGIS table per catalogue layer
// with lower-case typed columns and a GiST-indexed geometry(…, 4490) column,
// an append-only change history, and NOTIFY so every server's index follows.
package postgis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onemap/onemap/layers"
)

// notifyChannel carries the id of each committed history row, nothing more
// (NOTIFY payloads are capped at 8 kB; the row itself is read from the table).
const notifyChannel = "onemap_changes"

// historyLock serialises the history-writing tail of every write
// transaction, so history ids are assigned in commit order and a follower
// that reads "id > last seen" never skips a row that commits late.
const historyLock = 0x6f6d68697374 // "omhist"

// Store is a PostGIS layers.Store.
type Store struct {
	pool *pgxpool.Pool
	cat  *layers.Catalog
	url  string
	log  *slog.Logger
	cols map[string]string // layer id → "col1, col2, …" of its fields, in catalogue order
}

// Options tune Open.
type Options struct {
	Log *slog.Logger
	// Migrate applies migrations and creates/extends layer tables (default on
	// through Open; `onemap migrate` does the same on its own).
	SkipMigrate bool
}

// Open connects to url, applies the migrations and makes sure every layer's
// table exists with its columns.
func Open(ctx context.Context, url string, cat *layers.Catalog, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgis: parse url: %w", err)
	}
	cfg.AfterConnect = registerGeometry
	cfg.HealthCheckPeriod = 5 * time.Second
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: %w", err)
	}
	s := &Store{pool: pool, cat: cat, url: url, log: opts.Log, cols: map[string]string{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, l := range cat.Layers {
		names := make([]string, len(l.Fields))
		for i, f := range l.Fields {
			names[i] = pgx.Identifier{f.Column()}.Sanitize()
		}
		s.cols[l.ID] = strings.Join(names, ", ")
	}
	if !opts.SkipMigrate {
		if _, err := s.Migrate(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return s, nil
}

// Migrate applies pending migrations and creates or extends the layer tables.
// It returns what it did and what it found but left alone.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	applied, err := migrate(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("postgis: migrate: %w", err)
	}
	var report []string
	for _, a := range applied {
		report = append(report, "applied migration "+a)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return nil, fmt.Errorf("postgis: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		r, err := ensureLayers(ctx, tx, s.cat)
		report = append(report, r...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: layer tables: %w", err)
	}
	for _, r := range report {
		s.log.Info("schema", "change", r)
	}
	return report, nil
}

// registerGeometry lets pgx pass geometry values as EWKB bytes in binary
// form (PostGIS's binary send/receive format for geometry is EWKB).
func registerGeometry(ctx context.Context, conn *pgx.Conn) error {
	var oid uint32
	err := conn.QueryRow(ctx, `SELECT oid FROM pg_type WHERE typname = 'geometry'`).Scan(&oid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // before CREATE EXTENSION postgis; migrate creates it and new connections register it
	}
	if err != nil {
		return err
	}
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: oid, Codec: pgtype.ByteaCodec{}})
	return nil
}

// Close releases the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping says whether PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Pool exposes the connection pool to tests and tools in this repository.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func (s *Store) layer(id string) (*layers.Layer, error) {
	l := s.cat.Layer(id)
	if l == nil {
		return nil, fmt.Errorf("postgis: layer %q: %w", id, layers.ErrNotFound)
	}
	return l, nil
}

// unavailable marks errors that mean "the database cannot be reached" so the
// API answers 503; SQL errors the server reported stay as they are.
func unavailable(err error) error {
	if err == nil || errors.Is(err, layers.ErrUnavailable) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isConnectErr(err) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutdown, crash, cannot connect now
			pgErr.Code == "53300": // too many connections
			return fmt.Errorf("%w: %w", layers.ErrUnavailable, err)
		}
		return err
	}
	return fmt.Errorf("%w: %w", layers.ErrUnavailable, err)
}

func isConnectErr(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne)
}
