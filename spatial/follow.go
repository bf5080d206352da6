package spatial

import (
	"context"
	"fmt"

	"github.com/onemap/onemap/layers"
)

// Apply brings one change committed by any server into the index. Creates
// and replaces go through Put, which ignores versions the index already
// has, so a change seen twice (our own write, then its NOTIFY) is harmless.
// A bulk import batch reloads the whole layer from the store.
func (idx *Index) Apply(ctx context.Context, store layers.Store, c layers.Change) error {
	switch c.Op {
	case layers.ChangeCreate, layers.ChangeReplace:
		if c.Feature == nil {
			return fmt.Errorf("apply %s %s %d: no feature", c.Op, c.Layer, c.ID)
		}
		return idx.Put(c.Layer, c.Feature)
	case layers.ChangeDelete:
		return idx.Remove(c.Layer, c.ID)
	case layers.ChangeImport:
		var feats []*layers.Feature
		if err := store.Scan(layers.WithStrings(ctx, idx.strings), c.Layer, func(f *layers.Feature) error {
			feats = append(feats, f)
			return nil
		}); err != nil {
			return fmt.Errorf("reload %s after import: %w", c.Layer, err)
		}
		return idx.ReloadLayer(c.Layer, feats)
	}
	return fmt.Errorf("apply: unknown change %q", c.Op)
}
