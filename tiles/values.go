package tiles

import "hash/maphash"

// The sets below number a layer's values so that each is written once:
// open addressing with linear probing, each slot stamped with the layer
// it belongs to, so that a writer starts a new layer without clearing
// them. They do what a Go map would, in a fraction of the time a map
// takes to hash and probe: every attribute of every feature of a tile
// goes through them.

// numberSet numbers 64-bit values (an int64, or a float64's bits).
type numberSet struct {
	keys   []uint64
	index  []uint32
	stamps []uint32
	gen    uint32
	n      int
}

func (s *numberSet) reset() {
	s.n = 0
	s.gen++
	if s.gen == 0 {
		clear(s.stamps)
		s.gen = 1
	}
}

func hash64(k uint64) uint64 { return (k ^ k>>31) * 0x9E3779B97F4A7C15 }

// find returns v's slot and whether v is in the set.
func (s *numberSet) find(k uint64) (int, bool) {
	mask := len(s.keys) - 1
	for i := int(hash64(k)>>32) & mask; ; i = (i + 1) & mask {
		if s.stamps[i] != s.gen {
			return i, false
		}
		if s.keys[i] == k {
			return i, true
		}
	}
}

// number returns k's number, or adds it as next (added true).
func (s *numberSet) number(k uint64, next uint32) (uint32, bool) {
	if 2*(s.n+1) > len(s.keys) {
		s.grow()
	}
	i, ok := s.find(k)
	if ok {
		return s.index[i], false
	}
	s.keys[i], s.index[i], s.stamps[i] = k, next, s.gen
	s.n++
	return next, true
}

func (s *numberSet) grow() {
	keys, index, stamps, gen := s.keys, s.index, s.stamps, s.gen
	n := max(64, 2*len(keys))
	s.keys, s.index, s.stamps = make([]uint64, n), make([]uint32, n), make([]uint32, n)
	s.gen = 1
	for i := range keys {
		if stamps[i] == gen {
			j, _ := s.find(keys[i])
			s.keys[j], s.index[j], s.stamps[j] = keys[i], index[i], s.gen
		}
	}
}

// stringSet numbers strings. The strings are kept by reference: they must
// not change while the layer is written (packed attributes never do).
type stringSet struct {
	keys   []string
	hashes []uint64
	index  []uint32
	stamps []uint32
	gen    uint32
	n      int
}

var stringSeed = maphash.MakeSeed()

func (s *stringSet) reset() {
	s.n = 0
	s.gen++
	if s.gen == 0 {
		clear(s.stamps)
		s.gen = 1
	}
}

func (s *stringSet) find(k string, h uint64) (int, bool) {
	mask := len(s.keys) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		if s.stamps[i] != s.gen {
			return i, false
		}
		if s.hashes[i] == h && s.keys[i] == k {
			return i, true
		}
	}
}

// number returns k's number, or adds it as next (added true).
func (s *stringSet) number(k string, next uint32) (uint32, bool) {
	if 2*(s.n+1) > len(s.keys) {
		s.grow()
	}
	h := maphash.String(stringSeed, k)
	i, ok := s.find(k, h)
	if ok {
		return s.index[i], false
	}
	s.keys[i], s.hashes[i], s.index[i], s.stamps[i] = k, h, next, s.gen
	s.n++
	return next, true
}

func (s *stringSet) grow() {
	keys, hashes, index, stamps, gen := s.keys, s.hashes, s.index, s.stamps, s.gen
	n := max(64, 2*len(keys))
	s.keys, s.hashes, s.index, s.stamps = make([]string, n), make([]uint64, n), make([]uint32, n), make([]uint32, n)
	s.gen = 1
	for i := range keys {
		if stamps[i] == gen {
			j, _ := s.find(keys[i], hashes[i])
			s.keys[j], s.hashes[j], s.index[j], s.stamps[j] = keys[i], hashes[i], index[i], s.gen
		}
	}
}
