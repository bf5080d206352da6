package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"iter"
	"log/slog"
	"os"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/codec"
	"github.com/onemap/onemap/spatial"
)

func importCmd(ctx context.Context, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	layerID := fs.String("layer", "", "catalogue layer to import into")
	data := fs.String("data", "./data/onemap.gpkg", "GeoPackage file")
	db := fs.String("db", "", "PostgreSQL/PostGIS URL (instead of --data)")
	catalog := fs.String("catalog", "", "layer catalogue file")
	repair := fs.Bool("repair", false, "repair invalid polygons with GEOS MakeValid instead of refusing them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("give exactly one FILE.geojson")
	}
	cat, err := layers.LoadCatalog(*catalog)
	if err != nil {
		return err
	}
	l := cat.Layer(*layerID)
	if l == nil {
		return fmt.Errorf("no layer %q in the catalogue", *layerID)
	}
	feats, err := readGeoJSON(l, fs.Arg(0), *repair)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, log, cat, *data, *db, false)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.Import(ctx, l.ID, each(feats))
	if err != nil {
		return fmt.Errorf("import into %s: %w", l.ID, err)
	}
	log.Info("imported", "layer", l.ID, "features", n, "file", fs.Arg(0))
	return nil
}

// readGeoJSON reads a FeatureCollection and validates every feature; the
// first bad one stops the import, named by its position in the file.
func readGeoJSON(l *layers.Layer, path string, repair bool) ([]*layers.Feature, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil || fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("%s is not a GeoJSON FeatureCollection: %v", path, err)
	}
	out := make([]*layers.Feature, 0, len(fc.Features))
	for i, raw := range fc.Features {
		cf, err := codec.DecodeFeature(raw)
		if err == nil {
			var f *layers.Feature
			// One repair flag: --repair, or "repair": true on the feature.
			f, _, err = spatial.Validate(l, cf.Draft, repair || (cf.Repair != nil && *cf.Repair))
			out = append(out, f)
		}
		if err != nil {
			var ve *layers.ValidationError
			if errors.As(err, &ve) {
				err = ve.AtFeature(i + 1)
			}
			return nil, fmt.Errorf("%s: feature %d of %d: %w", path, i+1, len(fc.Features), err)
		}
	}
	return out, nil
}

// each yields the features of a slice as an import sequence.
func each(feats []*layers.Feature) iter.Seq2[*layers.Feature, error] {
	return func(yield func(*layers.Feature, error) bool) {
		for _, f := range feats {
			if !yield(f, nil) {
				return
			}
		}
	}
}
