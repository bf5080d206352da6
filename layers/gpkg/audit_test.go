package gpkg

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/storetest"
)

func TestAuditContract(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T, cat *layers.Catalog) (layers.Store, func() layers.Store) {
		path := filepath.Join(t.TempDir(), "audit.gpkg")
		open := func() *Store {
			st, err := Open(context.Background(), path, cat)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		st := open()
		return st, func() layers.Store {
			st.Close()
			return open()
		}
	})
}
