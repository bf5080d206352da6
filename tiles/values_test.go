package tiles

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestValueSets: the sets number values as a map would, across many layers
// (generations) and growth, with repeats, near-collisions and the zero
// value.
func TestValueSets(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var nums numberSet
	var strs stringSet
	for layer := 0; layer < 300; layer++ {
		nums.reset()
		strs.reset()
		wantN := map[uint64]uint32{}
		wantS := map[string]uint32{}
		next := uint32(0)
		for range rng.IntN(2000) {
			k := uint64(rng.IntN(500)) << (rng.IntN(3) * 21) // repeats, and keys equal in their low bits
			s := fmt.Sprint(k)
			if rng.IntN(3) == 0 {
				s = ""
			}
			if i, added := nums.number(k, next); added {
				if _, ok := wantN[k]; ok {
					t.Fatalf("layer %d: %d added twice", layer, k)
				}
				wantN[k] = next
				next++
			} else if wantN[k] != i {
				t.Fatalf("layer %d: %d numbered %d, want %d", layer, k, i, wantN[k])
			}
			if i, added := strs.number(s, next); added {
				if _, ok := wantS[s]; ok {
					t.Fatalf("layer %d: %q added twice", layer, s)
				}
				wantS[s] = next
				next++
			} else if wantS[s] != i {
				t.Fatalf("layer %d: %q numbered %d, want %d", layer, s, i, wantS[s])
			}
		}
		if nums.n != len(wantN) || strs.n != len(wantS) {
			t.Fatalf("layer %d: %d and %d values, want %d and %d", layer, nums.n, strs.n, len(wantN), len(wantS))
		}
	}
}
