package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/onemap/onemap/layers"
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
