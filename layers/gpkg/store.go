// Package gpkg is the embedded store: one OGC GeoPackage 1.3 file (SQLite,
// through the pure-Go modernc.org/sqlite) with one table per catalogue layer,
// typed columns named as the catalogue names the fields, GeoPackage binary
// geometries in EPSG:4490 and the gpkg_rtree_index spatial index. GDAL and
// QGIS read and edit the file as any other GeoPackage.
package gpkg

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/onemap/onemap/layers"
)

// Options tune OpenWith.
type Options struct {
	// Now is the clock for gpkg_contents.last_change (default time.Now).
	// A fixed clock makes two runs that write the same features in the same
	// order produce byte-identical files.
	Now func() time.Time
	// BusyTimeout is how long a write waits for another process's lock
	// before failing with layers.ErrUnavailable (default 10 s).
	BusyTimeout time.Duration
}

// Store is a GeoPackage layers.Store. It is safe for concurrent use: reads
// run in parallel (WAL), writes from this process are serialised.
type Store struct {
	db     *sql.DB
	cat    *layers.Catalog
	path   string
	now    func() time.Time
	tables map[string]*table
	report []string
	// wsem serialises this process's write transactions, so concurrent
	// writers queue here (honouring their contexts) rather than spinning in
	// SQLite's busy handler.
	wsem   chan struct{}
	busy   time.Duration
	closed atomic.Bool
}

var (
	drvOnce sync.Once
	drv     *sqlite.Driver
	drvErr  error
)

// gpkgDriver is a private modernc.org/sqlite driver carrying the ST_*
// functions the rtree triggers call, so they do not leak into (or clash
// with) other users of the process-wide "sqlite" driver.
func gpkgDriver() (*sqlite.Driver, error) {
	drvOnce.Do(func() {
		drv = &sqlite.Driver{}
		drvErr = registerFunctions(drv)
	})
	return drv, drvErr
}

type connector struct {
	d   *sqlite.Driver
	dsn string
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.d.Open(c.dsn)
}

func (c connector) Driver() driver.Driver { return c.d }

// Open opens the GeoPackage at path, creating it when missing, and makes
// sure every catalogue layer has its table, columns and spatial index.
func Open(ctx context.Context, path string, cat *layers.Catalog) (*Store, error) {
	return OpenWith(ctx, path, cat, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, cat *layers.Catalog, opts Options) (*Store, error) {
	if cat == nil {
		return nil, errors.New("gpkg: open: no catalogue")
	}
	for _, l := range cat.Layers {
		if err := checkTableName(l.ID); err != nil {
			return nil, fmt.Errorf("gpkg: open %s: %w", path, err)
		}
	}
	d, err := gpkgDriver()
	if err != nil {
		return nil, fmt.Errorf("gpkg: register SQL functions: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("gpkg: open %s: %w", path, err)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	q := url.Values{}
	q.Add("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Add("_journal_mode", "WAL")
	q.Add("_synchronous", "FULL")
	q.Add("_txlock", "immediate")
	// After a big import the WAL file would otherwise keep its peak size
	// until Close; checkpoints truncate it to at most this.
	q.Add("_pragma", "journal_size_limit(67108864)")
	dsn := (&url.URL{Scheme: "file", Path: abs}).String() + "?" + q.Encode()
	db := sql.OpenDB(connector{d: d, dsn: dsn})
	n := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)

	s := &Store{db: db, cat: cat, path: path, now: opts.Now, tables: map[string]*table{}, wsem: make(chan struct{}, 1), busy: busy}
	if s.now == nil {
		s.now = time.Now
	}
	for _, l := range cat.Layers {
		s.tables[l.ID] = newTable(l)
	}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("gpkg: open %s: %w", path, classify(err))
	}
	return s, nil
}

// init checks what the file is and brings its schema up to the catalogue.
func (s *Store) init(ctx context.Context) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var appID, objects int64
		if err := tx.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&objects); err != nil {
			return err
		}
		var hasContents int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_contents'`).Scan(&hasContents); err != nil {
			return err
		}
		fresh := objects == 0
		if !fresh && hasContents == 0 {
			return fmt.Errorf("the file is an SQLite database but not a GeoPackage (application_id %#x, no gpkg_contents)", appID)
		}
		report, err := s.ensureSchema(ctx, tx, fresh)
		if err != nil {
			return err
		}
		s.report = report
		return nil
	})
}

// SchemaReport lists what Open did to the file (tables, columns, indexes
// added) and what it found at odds with the catalogue but left alone
// (retyped columns). Nothing is ever dropped.
func (s *Store) SchemaReport() []string { return append([]string(nil), s.report...) }

// Path is the file the store was opened on.
func (s *Store) Path() string { return s.path }

// DB exposes the database handle to tests and tools in this repository.
func (s *Store) DB() *sql.DB { return s.db }

// Close checkpoints the write-ahead log into the file and releases it.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// Wait (a while) for a write of ours that is mid-flight, then let the
	// last connection fold the WAL into the file and remove it. A write
	// still running after that fails; its transaction rolls back.
	select {
	case s.wsem <- struct{}{}:
	case <-time.After(s.busy):
	}
	_, cerr := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	err := s.db.Close()
	if err == nil && cerr != nil && !isBusy(cerr) {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("gpkg: close %s: %w", s.path, err)
	}
	return nil
}

// Ping says whether the file can be read.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("gpkg: ping: %w: store is closed", layers.ErrUnavailable)
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM gpkg_contents`).Scan(&n); err != nil {
		return fmt.Errorf("gpkg: ping: %w", unavailable(err))
	}
	return nil
}

// write runs fn in one write transaction (BEGIN IMMEDIATE), serialised with
// this process's other writes. fn's error rolls everything back.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case s.wsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.wsem }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// timestamp is the GeoPackage last_change form of the store's clock.
func (s *Store) timestamp() string {
	return s.now().UTC().Format("2006-01-02T15:04:05.000Z")
}

func (s *Store) table(op, layer string) (*table, error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("gpkg: %s %s: %w: store is closed", op, layer, layers.ErrUnavailable)
	}
	t := s.tables[layer]
	if t == nil {
		return nil, fmt.Errorf("gpkg: %s: layer %q: %w", op, layer, layers.ErrNotFound)
	}
	return t, nil
}

// classify marks errors that mean the file cannot be used right now (locked
// by another process past the busy timeout, I/O failure, closed) with
// layers.ErrUnavailable so the API answers 503. Other errors stay as they are.
func classify(err error) error {
	if err == nil || errors.Is(err, layers.ErrUnavailable) || errors.Is(err, layers.ErrNotFound) || errors.Is(err, layers.ErrConflict) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if isUnavailable(err) {
		return fmt.Errorf("%w: %w", layers.ErrUnavailable, err)
	}
	return err
}

func unavailable(err error) error {
	if err == nil || errors.Is(err, layers.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %w", layers.ErrUnavailable, err)
}

func isUnavailable(err error) bool {
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PROTOCOL:
			return true
		}
	}
	return false
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED)
}
