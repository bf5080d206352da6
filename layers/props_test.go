package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func randomValue(r *rand.Rand) any {
	switch r.IntN(6) {
	case 0:
		return nil
	case 1:
		return []string{"0101", "0103", "水田", "2024-06-30", ""}[r.IntN(5)]
	case 2:
		return fmt.Sprintf("BSM%012d", r.Int64N(1e12)) // an identifier
	case 3:
		return []int64{0, 1, -1, 2024, math.MaxInt64, math.MinInt64, r.Int64()}[r.IntN(7)]
	case 4:
		return []float64{0, -0.5, 1e-300, math.MaxFloat64, r.NormFloat64() * 1e6}[r.IntN(5)]
	}
	return string([]rune{rune(r.IntN(0x10000))})
}

// TestPropsRoundTrip packs random rows and reads them back every way.
func TestPropsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	b := PropsBuilder{Strings: NewStringTable()}
	for range 5000 {
		want := make([]any, r.IntN(12))
		for i := range want {
			want[i] = randomValue(r)
			if err := b.Add(want[i]); err != nil {
				t.Fatal(err)
			}
		}
		p := b.Done()
		if p.Len() != len(want) {
			t.Fatalf("Len %d, want %d", p.Len(), len(want))
		}
		got := p.Values()
		for i := range want {
			if got[i] != want[i] || p.At(i) != want[i] {
				t.Fatalf("value %d: Values %#v, At %#v, want %#v", i, got[i], p.At(i), want[i])
			}
		}
		n := 0
		for i, v := range p.All() {
			if i != n || v != want[i] {
				t.Fatalf("All: %d %#v, want %d %#v", i, v, n, want[i])
			}
			n++
		}
		if n != len(want) {
			t.Fatalf("All yielded %d of %d", n, len(want))
		}
		n = 0
		for i, r := range p.Raw() {
			var v any
			switch r.Kind {
			case RawShared:
				if p.Table() == nil {
					t.Fatalf("Raw: shared id %d without a table", r.ID)
				}
				v = p.Table().String(r.ID)
			case RawString:
				v = r.Str
			case RawInt:
				v = r.Int
			case RawFloat:
				v = r.Float
			}
			if i != n || v != want[i] || (r.Kind == RawFloat && math.Signbit(r.Float) != math.Signbit(want[i].(float64))) {
				t.Fatalf("Raw: %d %#v, want %d %#v", i, v, n, want[i])
			}
			n++
		}
		if n != len(want) || p.At(len(want)) != nil {
			t.Fatalf("Raw yielded %d of %d; At past the end %v", n, len(want), p.At(len(want)))
		}
		if !p.Equal(NewProps(want...)) {
			t.Fatalf("%v differs from NewProps of the same values", p)
		}
	}
	if err := b.Add(true); err == nil {
		t.Fatal("a boolean was packed")
	}
}

// TestPropsSharing: repeated codes are shared (a few bytes each), a field of
// identifiers is judged and stored inline without growing the table.
func TestPropsSharing(t *testing.T) {
	tab := NewStringTable()
	b := PropsBuilder{Strings: tab}
	var last Props
	for i := range 20000 {
		b.String(fmt.Sprintf("%04d", i%40))               // DLBM-like: 40 codes
		b.Bytes([]byte(fmt.Sprintf("ID-%08d-unique", i))) // BSM-like
		last = b.Done()
	}
	if last.At(0) != "0039" || last.At(1) != "ID-00019999-unique" {
		t.Fatalf("values %v", last)
	}
	grown := tab.Len()
	if grown > 40+shareSample {
		t.Fatalf("the string table grew by %d entries for 40 codes and a field of identifiers", grown)
	}
	// code: tag + 1-byte id at most 2 bytes; identifier: tag + length + 18 bytes.
	if last.Size() > 2+2+1+18 {
		t.Fatalf("packed row is %d bytes", last.Size())
	}
	for _, nb := range []PropsBuilder{{Strings: tab, NoSharing: true}, {}} {
		nb.String("0000")
		if p := nb.Done(); p.Size() != 1+1+4 || p.At(0) != "0000" {
			t.Fatalf("NoSharing packed %d bytes, %v", p.Size(), p)
		}
	}
	// Two tables are independent: a second index does not grow the first's.
	other := PropsBuilder{Strings: NewStringTable()}
	other.String("only-in-the-other-table")
	if p := other.Done(); p.At(0) != "only-in-the-other-table" || tab.Len() != grown {
		t.Fatalf("the other table's string %v; first table %d → %d entries", p, grown, tab.Len())
	}
}

// TestPropsConcurrent: readers decode shared ids while writers add strings
// (run under -race by make test for spatial; here it checks the values).
func TestPropsConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	tab := NewStringTable()
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := PropsBuilder{Strings: tab}
			for i := range 3 * chunkLen {
				s := fmt.Sprintf("w%d-%d", w, i)
				b.String(s)
				b.Int(int64(i))
				p := b.Done()
				if p.At(0) != s || p.At(1) != int64(i) {
					t.Errorf("got %v, want [%s %d]", p, s, i)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestFromColumn: values of another column type come back as the field's.
func TestFromColumn(t *testing.T) {
	cases := []struct {
		typ  FieldType
		in   any
		want any
	}{
		{String, int64(2024), "2024"},
		{String, 12.5, "12.5"},
		{String, []byte("0101"), "0101"},
		{Date, time.Date(2023, 5, 17, 0, 0, 0, 0, time.UTC), "2023-05-17"},
		{Integer, "42", int64(42)},
		{Integer, 42.0, int64(42)},
		{Integer, 42.5, 42.5}, // not convertible: kept, and CheckProps will say so
		{Integer, int32(7), int64(7)},
		{Number, int64(3), 3.0},
		{Number, "2.5", 2.5},
		{Number, float32(0.5), 0.5},
		{String, nil, nil},
	}
	for _, c := range cases {
		if got := (Field{Name: "X", Type: c.typ}).FromColumn(c.in); got != c.want {
			t.Errorf("%s from %#v: %#v, want %#v", c.typ, c.in, got, c.want)
		}
	}
}
