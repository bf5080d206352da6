package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
	"github.com/onemap/onemap/layers/postgis"
)

// openStore opens the store the flags choose: PostGIS with --db (migrated to
// the catalogue), otherwise the GeoPackage at dataPath, created with the demo
// data when it does not exist and demo is set.
func openStore(ctx context.Context, log *slog.Logger, cat *layers.Catalog, dataPath, dbURL string, demo bool) (layers.Store, error) {
	if dbURL != "" {
		// A production database is never filled behind the operator's back:
		// `onemap fixtures --db URL` loads the demo data on purpose.
		return postgis.Open(ctx, dbURL, cat, postgis.Options{Log: log})
	}
	fi, err := os.Stat(dataPath)
	if err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		// SQLite would take an empty file for a new database and onemap would
		// lay a fresh, empty GeoPackage over what was surely meant to be data
		// (a copy cut short, a full disk): refuse instead.
		return nil, fmt.Errorf("GeoPackage %s is an empty file (0 bytes): refusing to build a new one over it; restore it from a backup, or remove it to get the demo data", dataPath)
	}
	if errors.Is(err, os.ErrNotExist) && demo {
		if err := createDemo(ctx, log, cat, dataPath, fixtures.Config{Seed: 1}, ""); err != nil {
			return nil, err
		}
	}
	st, err := gpkg.Open(ctx, dataPath, cat)
	if err != nil {
		return nil, err // it names the file
	}
	return st, nil
}

// createDemo writes the demo dataset to a temporary file beside path and
// renames it into place only when complete, so an interrupted first start
// never leaves a half-filled store behind.
func createDemo(ctx context.Context, log *slog.Logger, cat *layers.Catalog, path string, cfg fixtures.Config, manifestPath string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	tmp := path + ".partial"
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(tmp + suffix)
	}
	log.Info("generating demo data", "file", path, "seed", cfg.Seed, "scale", cfg.Scale)
	start := time.Now()
	// The demo's clock is fixed at its as-of date so the same seed gives a
	// byte-identical file (gpkg_contents.last_change would differ otherwise).
	asOf := func() time.Time { return time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC) }
	st, err := gpkg.OpenWith(ctx, tmp, cat, gpkg.Options{Now: asOf})
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	man, total, err := loadDemo(ctx, cat, st, cfg)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("generate demo data: %w", err)
	}
	if err := writeManifest(man, manifestPath); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("move demo data into place: %w", err)
	}
	logGenerated(log, "demo data ready", man, total, time.Since(start), "file", path)
	return nil
}

// logGenerated reports what a fixtures run produced and how fast: parcels/s
// is the figure the scale targets are stated in; peak RSS shows that
// generation streams rather than holding the dataset.
func logGenerated(log *slog.Logger, msg string, man *fixtures.Manifest, total int64, el time.Duration, extra ...any) {
	var parcels int64
	for _, lc := range man.Layers {
		if lc.Layer == "dltb" {
			parcels = lc.Count
		}
	}
	secs := el.Seconds()
	args := append(extra, "features", total, "parcels", parcels, "elapsed_ms", el.Milliseconds(),
		"parcels_per_s", int64(float64(parcels)/secs), "features_per_s", int64(float64(total)/secs),
		"peak_rss_mb", peakRSSMB())
	log.Info(msg, args...)
}

// loadDemo streams the generated dataset into a store, layer by layer.
func loadDemo(ctx context.Context, cat *layers.Catalog, st layers.Store, cfg fixtures.Config) (*fixtures.Manifest, int64, error) {
	var total int64
	man, err := fixtures.Generate(ctx, cat, cfg, func(layer string, feats iter.Seq2[*layers.Feature, error]) error {
		n, err := st.Import(ctx, layer, feats)
		total += n
		return err
	})
	return man, total, err
}

func writeManifest(man *fixtures.Manifest, manifestPath string) error {
	if manifestPath != "" {
		b, err := json.MarshalIndent(man, "", "  ")
		if err != nil {
			return fmt.Errorf("encode manifest: %w", err)
		}
		if err := os.WriteFile(manifestPath, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
	}
	return nil
}
