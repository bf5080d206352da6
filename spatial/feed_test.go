package spatial

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// TestBlockedSubscriberDoesNotBlockReaders: while a subscriber is stuck on
// a change, readers take snapshots that already hold it, other changes are
// applied by the follower path, and the Editor's write is not acknowledged.
func TestBlockedSubscriberDoesNotBlockReaders(t *testing.T) {
	idx := NewIndex(layers.DefaultCatalog())
	ed := NewEditor(idx, newMemStore())
	release := make(chan struct{})
	entered := make(chan Change, 16)
	idx.Subscribe(func(c Change) {
		entered <- c
		if c.Layer == "dltb" {
			<-release
		}
	})
	ctx := context.Background()
	acked := make(chan Edited, 1)
	go func() {
		res, err := ed.Create(ctx, "dltb", parcel(sq(112.5, 30.5, 0.001)), false)
		if err != nil {
			t.Error(err)
		}
		acked <- res
	}()
	c := <-entered // the subscriber now blocks on the dltb change
	if c.Op != OpCreate {
		t.Fatalf("first change %+v", c)
	}
	// Readers see the change at once, without waiting for the subscriber.
	if got := idx.Snapshot().Count("dltb"); got != 1 {
		t.Fatalf("reader sees %d dltb features while the subscriber blocks", got)
	}
	// Changes from elsewhere (the replication follower) are still applied.
	done := make(chan error, 1)
	go func() {
		done <- idx.Put("jmd", &layers.Feature{ID: 7, Version: 1, Geometry: orb.Point{112, 30}})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Put waited for a blocked subscriber")
	}
	if _, ok := idx.Snapshot().Get("jmd", 7); !ok {
		t.Fatal("follower's change not visible")
	}
	// The write is not acknowledged while its subscriber has not returned.
	select {
	case <-acked:
		t.Fatal("write acknowledged before its subscriber ran")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	res := <-acked
	if res.Feature == nil {
		t.Fatal("no feature")
	}
	// The follower's change reaches the subscriber after the edit's: order kept.
	if c := <-entered; c.Layer != "jmd" {
		t.Fatalf("second change %+v", c)
	}
}

// TestFeedOrder: subscribers see every change once, in data-version order,
// under concurrent writers.
func TestFeedOrder(t *testing.T) {
	idx := NewIndex(layers.DefaultCatalog())
	ed := NewEditor(idx, newMemStore())
	var mu sync.Mutex
	var versions []uint64
	idx.Subscribe(func(c Change) {
		mu.Lock()
		versions = append(versions, c.DataVersion)
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if _, err := ed.Create(context.Background(), "dltb", parcel(sq(112+float64(w), 30+float64(i)*0.01, 0.001)), false); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	<-idx.Settled()
	if len(versions) != 100 {
		t.Fatalf("%d changes delivered, want 100", len(versions))
	}
	for i := 1; i < len(versions); i++ {
		if versions[i] != versions[i-1]+1 {
			t.Fatalf("delivery out of order at %d: %v", i, versions[max(0, i-3):i+1])
		}
	}
}
