package metrics

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/gpkg"
)

type fakeFollower struct {
	head int64
	err  error
}

func (f *fakeFollower) HistoryHead(context.Context) (int64, error) { return f.head, f.err }
func (f *fakeFollower) Follow(context.Context, int64, func(layers.Change) error) error {
	return nil
}

func TestFeedLag(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := &fakeFollower{head: 10}
	lag, err := RegisterFeedLag(reg, f, 4)
	if err != nil {
		t.Fatal(err)
	}
	check := func(want string) {
		t.Helper()
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "onemap_change_feed_lag_rows"); err != nil {
			t.Fatal(err)
		}
	}
	hdr := "# HELP onemap_change_feed_lag_rows Committed history rows the index has not applied yet (-1: the store did not answer).\n# TYPE onemap_change_feed_lag_rows gauge\n"
	check(hdr + "onemap_change_feed_lag_rows 6\n")
	lag.Applied(9)
	lag.Applied(7) // out of order: the newest stays
	check(hdr + "onemap_change_feed_lag_rows 1\n")
	f.err = errors.New("down")
	check(hdr + "onemap_change_feed_lag_rows -1\n")
}

// A measured GeoPackage store must still keep field checks and history, and
// each call's outcome is the error it returned (not the one at defer time).
func TestStoreKeepsAbilities(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "m.gpkg"), layers.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	wrapped, err := Store(reg, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := layers.StoreAs[layers.CheckStore](wrapped); !ok {
		t.Error("the measured store hides CheckStore")
	}
	if _, ok := layers.StoreAs[layers.HistoryStore](wrapped); !ok {
		t.Error("the measured store hides HistoryStore")
	}
	if _, err := wrapped.Get(ctx, "dltb", 12345); !errors.Is(err, layers.ErrNotFound) {
		t.Fatalf("Get of a missing feature: %v", err)
	}
	if n := testutil.CollectAndCount(reg, "onemap_store_seconds"); n != 1 {
		t.Fatalf("%d series, want 1", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for _, lp := range mfs[0].GetMetric()[0].GetLabel() {
		labels[lp.GetName()] = lp.GetValue()
	}
	if labels["op"] != "get" || labels["outcome"] != "not_found" {
		t.Fatalf("labels %v, want op=get outcome=not_found", labels)
	}
}
