package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
)

// migrateCmd applies the embedded migrations and creates or extends the
// layer tables from the catalogue; safe to run twice or beside a running server.
func migrateCmd(ctx context.Context, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	db := fs.String("db", "", "PostgreSQL/PostGIS URL")
	catalog := fs.String("catalog", "", "layer catalogue file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *db == "" {
		return errors.New("--db URL is required")
	}
	cat, err := layers.LoadCatalog(*catalog)
	if err != nil {
		return err
	}
	st, err := postgis.Open(ctx, *db, cat, postgis.Options{Log: log, SkipMigrate: true})
	if err != nil {
		return err
	}
	defer st.Close()
	report, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	log.Info("migrate done", "changes", len(report))
	return nil
}
