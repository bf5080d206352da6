// Package pgtest gives tests their own PostGIS database on the shared
// PostgreSQL server, or a private throwaway cluster for tests that stop it.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// AdminURL is the maintenance database tests create their databases from;
// ONEMAP_TEST_PG overrides it.
func AdminURL() string {
	if u := os.Getenv("ONEMAP_TEST_PG"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

var seq atomic.Int64

// NewDB creates a fresh database with PostGIS for this test and drops it
// when the test ends. It fails (never skips) when PostgreSQL or PostGIS is
// missing: `make test` installs and starts them.
func NewDB(t testing.TB) string {
	t.Helper()
	return newDB(t, AdminURL())
}

func newDB(t testing.TB, admin string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at %s (make test starts it): %v", admin, err)
	}
	defer conn.Close(context.Background())
	name := fmt.Sprintf("onemap_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, seq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	url := replaceDB(admin, name)
	dbc, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	if _, err := dbc.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		dbc.Close(ctx)
		t.Fatalf("CREATE EXTENSION postgis failed (make test installs postgresql-15-postgis-3): %v", err)
	}
	dbc.Close(ctx)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return url
}

// replaceDB swaps the database name in a postgres:// URL.
func replaceDB(url, db string) string {
	q := ""
	if i := strings.Index(url, "?"); i >= 0 {
		url, q = url[:i], url[i:]
	}
	i := strings.LastIndex(url, "/")
	if i < len("postgres://") {
		return url + "/" + db + q
	}
	return url[:i+1] + db + q
}

// Cluster is a private PostgreSQL server that a test may stop and start.
type Cluster struct {
	Dir  string
	Port int
	t    testing.TB
	bin  string
}

// NewCluster initialises and starts a throwaway cluster on a free port, run
// as the postgres system user, and removes it when the test ends.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := "/usr/lib/postgresql/15/bin"
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		t.Fatalf("PostgreSQL 15 server binaries not found in %s", bin)
	}
	dir, err := os.MkdirTemp("", "onemap-pg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	data := filepath.Join(dir, "data")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c := &Cluster{Dir: dir, Port: port, t: t, bin: bin}
	c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\nshared_buffers = 64MB\n", port, dir)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	c.Start()
	t.Cleanup(func() {
		c.stop(true)
		os.RemoveAll(dir)
	})
	return c
}

func (c *Cluster) run(args ...string) {
	c.t.Helper()
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, args[0])}, args[1:]...)...)
	if os.Geteuid() != 0 {
		cmd = exec.Command(filepath.Join(c.bin, args[0]), args[1:]...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-l", filepath.Join(c.Dir, "log"), "-w", "start")
}

// Stop stops the cluster immediately (fast shutdown: clients are cut off).
func (c *Cluster) Stop() { c.t.Helper(); c.stop(false) }

func (c *Cluster) stop(quiet bool) {
	cmd := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.Dir, "data"), "-m", "fast", "-w", "stop")
	if out, err := cmd.CombinedOutput(); err != nil && !quiet {
		c.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// AdminURL is the cluster's maintenance database.
func (c *Cluster) AdminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
}

// NewDB creates a PostGIS database on the private cluster.
func (c *Cluster) NewDB(t testing.TB) string { t.Helper(); return newDB(t, c.AdminURL()) }
