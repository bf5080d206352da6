package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
)

func fixturesCmd(ctx context.Context, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("fixtures", flag.ContinueOnError)
	seed := fs.Int64("seed", 1, "random seed (the same seed gives the same data)")
	scale := fs.Int("scale", 50000, "number of land-use parcels (dltb)")
	data := fs.String("data", "", "GeoPackage file to write (must not exist)")
	db := fs.String("db", "", "PostgreSQL/PostGIS URL to load into (instead of --data); its layers must be empty")
	manifest := fs.String("manifest", "", "where to write the manifest of planted cases (JSON)")
	catalog := fs.String("catalog", "", "layer catalogue file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cat, err := layers.LoadCatalog(*catalog)
	if err != nil {
		return err
	}
	cfg := fixtures.Config{Seed: *seed, Scale: *scale}
	if *db != "" {
		return fixturesToDB(ctx, log, cat, *db, cfg, *manifest)
	}
	if *data == "" {
		return errors.New("--data FILE or --db URL is required")
	}
	if _, err := os.Stat(*data); err == nil {
		return errors.New(*data + " exists already; remove it or choose another file")
	}
	return createDemo(ctx, log, cat, *data, cfg, *manifest)
}

// fixturesToDB loads the demo data into an empty PostGIS database (COPY, one
// transaction per layer).
func fixturesToDB(ctx context.Context, log *slog.Logger, cat *layers.Catalog, url string, cfg fixtures.Config, manifest string) error {
	st, err := postgis.Open(ctx, url, cat, postgis.Options{Log: log})
	if err != nil {
		return err
	}
	defer st.Close()
	for _, l := range cat.Layers {
		n, err := st.Count(ctx, l.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("layer %s already holds %d features: fixtures load only into empty layers", l.ID, n)
		}
	}
	start := time.Now()
	man, total, err := loadDemo(ctx, cat, st, cfg)
	if err != nil {
		return err
	}
	if err := writeManifest(man, manifest); err != nil {
		return err
	}
	logGenerated(log, "demo data loaded", man, total, time.Since(start))
	return nil
}
