package postgis

import (
	"context"
	"testing"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/storetest"
)

func TestAuditContract(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T, cat *layers.Catalog) (layers.Store, func() layers.Store) {
		url := pgtest.NewDB(t)
		open := func() *Store {
			s, err := Open(context.Background(), url, cat, Options{Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		st := open()
		return st, func() layers.Store {
			st.Close()
			return open()
		}
	})
}
