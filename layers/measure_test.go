package layers

import (
	"sync"
	"testing"

	"github.com/paulmach/orb"
)

func TestMeasureComputesOnce(t *testing.T) {
	f := &Feature{Geometry: orb.Point{1, 2}}
	var mu sync.Mutex
	calls := 0
	fn := func(g orb.Geometry) float64 {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return g.(orb.Point)[0] + g.(orb.Point)[1]
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := f.Measure(fn); got != 3 {
				t.Errorf("Measure = %v, want 3", got)
			}
		}()
	}
	wg.Wait()
	first := calls
	if f.Measure(fn) != 3 || calls != first {
		t.Errorf("a cached measure was computed again (%d calls, then %d)", first, calls)
	}
	if first < 1 || first > 8 {
		t.Errorf("%d calls", first)
	}
}
