// Package storetest is the contract every layers.Store implementation must
// meet. A store's own tests call Run with a function that opens a fresh,
// empty store for the given catalogue:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, cat *layers.Catalog) layers.Store {
//			st, err := mystore.Open(…, cat)
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { st.Close() })
//			return st
//		})
//	}
//
// The suite only uses the layers.Store interface. It counts relative to what
// a layer held before, so a store that cannot start empty still passes.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// Opener opens a fresh store for cat; it registers its own cleanup on t.
type Opener func(t *testing.T, cat *layers.Catalog) layers.Store

// Run runs the contract suite against the store open returns.
func Run(t *testing.T, open Opener) {
	cat := layers.DefaultCatalog()
	sample := SampleLayers(cat)
	if len(sample) == 0 {
		t.Fatal("storetest: the default catalogue has no layers")
	}
	ctx := context.Background()

	t.Run("CreateGetRoundTrip", func(t *testing.T) {
		st := open(t, cat)
		for _, l := range sample {
			for i := range 4 {
				in := Feature(l, i)
				in.ID, in.Version = 987654, 42 // must be ignored
				snapshot := cloneFeature(in)
				got, err := st.Create(ctx, l.ID, in)
				if err != nil {
					t.Fatalf("%s: create: %v", l.ID, err)
				}
				if !reflect.DeepEqual(in, snapshot) {
					t.Errorf("%s: Create modified its argument", l.ID)
				}
				if got.ID <= 0 || got.Version != 1 {
					t.Errorf("%s: created id %d version %d, want id > 0 and version 1", l.ID, got.ID, got.Version)
				}
				want := Feature(l, i)
				want.ID, want.Version = got.ID, 1
				Equal(t, l, "created", got, want)
				stored, err := st.Get(ctx, l.ID, got.ID)
				if err != nil {
					t.Fatalf("%s: get %d: %v", l.ID, got.ID, err)
				}
				Equal(t, l, "stored", stored, want)
			}
		}
	})

	t.Run("NullsKept", func(t *testing.T) {
		st := open(t, cat)
		for _, l := range sample {
			in := Feature(l, 1)
			vals := in.Props.Values()
			for i, fd := range l.Fields {
				if !fd.Required {
					vals[i] = nil
				}
			}
			in.Props = layers.NewProps(vals...)
			got, err := st.Create(ctx, l.ID, in)
			if err != nil {
				t.Fatalf("%s: create: %v", l.ID, err)
			}
			stored, err := st.Get(ctx, l.ID, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := cloneFeature(in)
			want.ID, want.Version = got.ID, 1
			Equal(t, l, "stored", stored, want)
		}
	})

	t.Run("VersionsIncrement", func(t *testing.T) {
		st := open(t, cat)
		for _, l := range sample {
			f, err := st.Create(ctx, l.ID, Feature(l, 0))
			if err != nil {
				t.Fatal(err)
			}
			for v := int64(1); v <= 3; v++ {
				next := Feature(l, int(v)*10+5)
				next.ID = f.ID
				ifv := v
				if v == 2 {
					ifv = 0 // unconditional
				}
				got, err := st.Replace(ctx, l.ID, next, ifv)
				if err != nil {
					t.Fatalf("%s: replace at version %d (if %d): %v", l.ID, v, ifv, err)
				}
				if got.ID != f.ID || got.Version != v+1 {
					t.Fatalf("%s: replace gave id %d version %d, want %d and %d", l.ID, got.ID, got.Version, f.ID, v+1)
				}
				want := cloneFeature(next)
				want.Version = v + 1
				Equal(t, l, "replaced", got, want)
				stored, err := st.Get(ctx, l.ID, f.ID)
				if err != nil {
					t.Fatal(err)
				}
				Equal(t, l, "stored after replace", stored, want)
			}
		}
	})

	t.Run("StaleVersionConflicts", func(t *testing.T) {
		st := open(t, cat)
		for _, l := range sample {
			f, err := st.Create(ctx, l.ID, Feature(l, 3))
			if err != nil {
				t.Fatal(err)
			}
			next := Feature(l, 4)
			next.ID = f.ID
			cur, err := st.Replace(ctx, l.ID, next, 1)
			if err != nil {
				t.Fatal(err)
			}
			stale := Feature(l, 5)
			stale.ID = f.ID
			_, err = st.Replace(ctx, l.ID, stale, 1)
			checkConflict(t, l.ID, "replace", err, f.ID, 1, 2)
			_, err = st.Replace(ctx, l.ID, stale, 7)
			checkConflict(t, l.ID, "replace", err, f.ID, 7, 2)
			_, err = st.Delete(ctx, l.ID, f.ID, 1)
			checkConflict(t, l.ID, "delete", err, f.ID, 1, 2)
			stored, err := st.Get(ctx, l.ID, f.ID)
			if err != nil {
				t.Fatalf("%s: get after refused writes: %v", l.ID, err)
			}
			Equal(t, l, "stored after refused writes", stored, cur)
		}
	})

	t.Run("DeleteThenNotFound", func(t *testing.T) {
		st := open(t, cat)
		for _, l := range sample {
			before := count(t, st, l.ID)
			f, err := st.Create(ctx, l.ID, Feature(l, 6))
			if err != nil {
				t.Fatal(err)
			}
			keep, err := st.Create(ctx, l.ID, Feature(l, 7))
			if err != nil {
				t.Fatal(err)
			}
			next := Feature(l, 8)
			next.ID = f.ID
			cur, err := st.Replace(ctx, l.ID, next, 0)
			if err != nil {
				t.Fatal(err)
			}
			old, err := st.Delete(ctx, l.ID, f.ID, cur.Version)
			if err != nil {
				t.Fatalf("%s: delete: %v", l.ID, err)
			}
			Equal(t, l, "deleted", old, cur)
			if _, err := st.Get(ctx, l.ID, f.ID); !errors.Is(err, layers.ErrNotFound) {
				t.Errorf("%s: get after delete: %v, want ErrNotFound", l.ID, err)
			}
			if _, err := st.Delete(ctx, l.ID, f.ID, 0); !errors.Is(err, layers.ErrNotFound) {
				t.Errorf("%s: second delete: %v, want ErrNotFound", l.ID, err)
			}
			if _, err := st.Replace(ctx, l.ID, next, 0); !errors.Is(err, layers.ErrNotFound) {
				t.Errorf("%s: replace after delete: %v, want ErrNotFound", l.ID, err)
			}
			if n := count(t, st, l.ID); n != before+1 {
				t.Errorf("%s: count %d after create×2, delete×1, want %d", l.ID, n, before+1)
			}
			if _, err := st.Get(ctx, l.ID, keep.ID); err != nil {
				t.Errorf("%s: the other feature is gone: %v", l.ID, err)
			}
			// Ids are not reused after a delete.
			again, err := st.Create(ctx, l.ID, Feature(l, 9))
			if err != nil {
				t.Fatal(err)
			}
			if again.ID == f.ID {
				t.Errorf("%s: id %d reused after delete", l.ID, f.ID)
			}
		}
	})

	t.Run("MissingFeature", func(t *testing.T) {
		st := open(t, cat)
		l := sample[0]
		const id = 1 << 40
		if _, err := st.Get(ctx, l.ID, id); !errors.Is(err, layers.ErrNotFound) {
			t.Errorf("get missing: %v, want ErrNotFound", err)
		}
		f := Feature(l, 0)
		f.ID = id
		if _, err := st.Replace(ctx, l.ID, f, 0); !errors.Is(err, layers.ErrNotFound) {
			t.Errorf("replace missing: %v, want ErrNotFound", err)
		}
		if _, err := st.Replace(ctx, l.ID, f, 3); !errors.Is(err, layers.ErrNotFound) {
			t.Errorf("replace missing with ifVersion: %v, want ErrNotFound", err)
		}
		if _, err := st.Delete(ctx, l.ID, id, 0); !errors.Is(err, layers.ErrNotFound) {
			t.Errorf("delete missing: %v, want ErrNotFound", err)
		}
	})

	t.Run("UnknownLayer", func(t *testing.T) {
		st := open(t, cat)
		const bad = "no_such_layer"
		f := Feature(sample[0], 0)
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, layers.ErrNotFound) {
				t.Errorf("%s on unknown layer: %v, want ErrNotFound", op, err)
			}
		}
		_, err := st.Count(ctx, bad)
		check("count", err)
		check("scan", st.Scan(ctx, bad, func(*layers.Feature) error { return nil }))
		_, err = st.Get(ctx, bad, 1)
		check("get", err)
		_, err = st.Create(ctx, bad, f)
		check("create", err)
		_, err = st.Replace(ctx, bad, f, 0)
		check("replace", err)
		_, err = st.Delete(ctx, bad, 1, 0)
		check("delete", err)
		_, err = st.Import(ctx, bad, Features(sample[0], 0, 3))
		check("import", err)
	})

	t.Run("ImportThenScan", func(t *testing.T) {
		st := open(t, cat)
		const n = 600
		for _, l := range sample {
			before := scanAll(t, st, l.ID)
			got, err := st.Import(ctx, l.ID, Features(l, 100, n))
			if err != nil {
				t.Fatalf("%s: import: %v", l.ID, err)
			}
			if got != n {
				t.Fatalf("%s: import stored %d, want %d", l.ID, got, n)
			}
			if c := count(t, st, l.ID); c != int64(len(before)+n) {
				t.Errorf("%s: count %d after import, want %d", l.ID, c, len(before)+n)
			}
			all := scanAll(t, st, l.ID)
			if len(all) != len(before)+n {
				t.Fatalf("%s: scan gave %d features, want %d", l.ID, len(all), len(before)+n)
			}
			for i := 1; i < len(all); i++ {
				if all[i].ID <= all[i-1].ID {
					t.Fatalf("%s: scan not in id order: %d after %d", l.ID, all[i].ID, all[i-1].ID)
				}
			}
			// The imported features are the new ids, in sequence order.
			old := map[int64]bool{}
			for _, f := range before {
				old[f.ID] = true
			}
			k := 0
			for _, f := range all {
				if old[f.ID] {
					continue
				}
				want := Feature(l, 100+k)
				want.ID, want.Version = f.ID, 1
				Equal(t, l, fmt.Sprintf("imported #%d", k), f, want)
				k++
			}
			if k != n {
				t.Errorf("%s: found %d new features, want %d", l.ID, k, n)
			}
		}
		// An empty import is fine.
		if got, err := st.Import(ctx, sample[0].ID, Features(sample[0], 0, 0)); err != nil || got != 0 {
			t.Errorf("empty import: %d, %v", got, err)
		}
	})

	t.Run("ImportRollsBack", func(t *testing.T) {
		st := open(t, cat)
		for _, l := range sample {
			if _, err := st.Import(ctx, l.ID, Features(l, 0, 5)); err != nil {
				t.Fatal(err)
			}
			before := scanAll(t, st, l.ID)
			boom := errors.New("the source broke")
			seq := func(yield func(*layers.Feature, error) bool) {
				for i := range 300 {
					if i == 150 {
						yield(nil, boom)
						return
					}
					if !yield(Feature(l, i), nil) {
						return
					}
				}
			}
			n, err := st.Import(ctx, l.ID, seq)
			if !errors.Is(err, boom) {
				t.Errorf("%s: import with a failing sequence: %v, want the sequence's error", l.ID, err)
			}
			if n != 0 {
				t.Errorf("%s: failed import reports %d stored", l.ID, n)
			}
			after := scanAll(t, st, l.ID)
			if len(after) != len(before) {
				t.Fatalf("%s: %d features after a failed import, want %d (nothing committed)", l.ID, len(after), len(before))
			}
			for i := range after {
				Equal(t, l, "after failed import", after[i], before[i])
			}
			// A cancelled context aborts an import too.
			cctx, cancel := context.WithCancel(ctx)
			seq2 := func(yield func(*layers.Feature, error) bool) {
				for i := range 600 {
					if i == 300 {
						cancel()
					}
					if !yield(Feature(l, i), nil) {
						return
					}
				}
			}
			if _, err := st.Import(cctx, l.ID, seq2); err == nil {
				t.Errorf("%s: import went on after its context was cancelled", l.ID)
			}
			cancel()
			if c := count(t, st, l.ID); c != int64(len(before)) {
				t.Errorf("%s: count %d after a cancelled import, want %d", l.ID, c, len(before))
			}
			// The store still works after the failures.
			if _, err := st.Create(ctx, l.ID, Feature(l, 1)); err != nil {
				t.Errorf("%s: create after failed imports: %v", l.ID, err)
			}
		}
	})

	t.Run("ConcurrentCreates", func(t *testing.T) {
		st := open(t, cat)
		l := sample[0]
		before := count(t, st, l.ID)
		const workers, each = 8, 25
		var (
			mu   sync.Mutex
			ids  []int64
			wg   sync.WaitGroup
			errs = make(chan error, workers*each)
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					f, err := st.Create(ctx, l.ID, Feature(l, w*each+i))
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					ids = append(ids, f.ID)
					mu.Unlock()
				}
			}()
		}
		// Readers at the same time must not disturb the writers.
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					if err := st.Scan(ctx, l.ID, func(*layers.Feature) error { return nil }); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent use: %v", err)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for i := 1; i < len(ids); i++ {
			if ids[i] == ids[i-1] {
				t.Fatalf("id %d handed out twice", ids[i])
			}
		}
		if len(ids) != workers*each {
			t.Fatalf("%d creates succeeded, want %d", len(ids), workers*each)
		}
		if c := count(t, st, l.ID); c != before+workers*each {
			t.Errorf("count %d, want %d", c, before+workers*each)
		}
		seen := map[int64]bool{}
		for _, f := range scanAll(t, st, l.ID) {
			seen[f.ID] = true
		}
		for _, id := range ids {
			if !seen[id] {
				t.Errorf("created id %d missing from scan", id)
			}
		}
	})

	t.Run("ScanHonoursContext", func(t *testing.T) {
		st := open(t, cat)
		l := sample[0]
		const n = 3000
		if _, err := st.Import(ctx, l.ID, Features(l, 0, n)); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		calls := 0
		err := st.Scan(cctx, l.ID, func(*layers.Feature) error { calls++; return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("scan with a cancelled context: %v after %d features, want context.Canceled", err, calls)
		}
		cctx, cancel = context.WithCancel(ctx)
		defer cancel()
		calls = 0
		err = st.Scan(cctx, l.ID, func(*layers.Feature) error {
			calls++
			if calls == 10 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("scan cancelled midway: %v, want context.Canceled", err)
		}
		if calls >= n {
			t.Errorf("scan cancelled after 10 features went on to all %d", n)
		}
		// An error from the callback ends the scan and comes back.
		stop := errors.New("enough")
		calls = 0
		err = st.Scan(ctx, l.ID, func(*layers.Feature) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 3 {
			t.Errorf("scan whose callback failed at 3: %v after %d calls", err, calls)
		}
	})

	t.Run("Ping", func(t *testing.T) {
		st := open(t, cat)
		if err := st.Ping(ctx); err != nil {
			t.Fatalf("ping: %v", err)
		}
	})
}

func checkConflict(t *testing.T, layer, op string, err error, id, want, current int64) {
	t.Helper()
	if !errors.Is(err, layers.ErrConflict) {
		t.Errorf("%s: %s with a stale version: %v, want ErrConflict", layer, op, err)
		return
	}
	var ce *layers.ConflictError
	if !errors.As(err, &ce) {
		t.Errorf("%s: %s: %v is not a *layers.ConflictError", layer, op, err)
		return
	}
	if ce.Layer != layer || ce.ID != id || ce.Want != want || ce.Current != current {
		t.Errorf("%s: %s: conflict %+v, want layer %s id %d want %d current %d", layer, op, *ce, layer, id, want, current)
	}
}

func count(t *testing.T, st layers.Store, layer string) int64 {
	t.Helper()
	n, err := st.Count(context.Background(), layer)
	if err != nil {
		t.Fatalf("count %s: %v", layer, err)
	}
	return n
}

func scanAll(t *testing.T, st layers.Store, layer string) []*layers.Feature {
	t.Helper()
	var out []*layers.Feature
	if err := st.Scan(context.Background(), layer, func(f *layers.Feature) error {
		out = append(out, f)
		return nil
	}); err != nil {
		t.Fatalf("scan %s: %v", layer, err)
	}
	return out
}

// SampleLayers picks, from cat, the first two layers of each geometry type
// plus the first layer holding each field type not yet covered, so the
// suite meets every geometry and every attribute type.
func SampleLayers(cat *layers.Catalog) []*layers.Layer {
	var out []*layers.Layer
	picked := map[string]bool{}
	types := map[layers.FieldType]bool{}
	add := func(l *layers.Layer) {
		if !picked[l.ID] {
			picked[l.ID] = true
			out = append(out, l)
			for _, f := range l.Fields {
				types[f.Type] = true
			}
		}
	}
	for _, g := range []layers.GeometryType{layers.Polygon, layers.LineString, layers.Point} {
		n := 0
		for _, l := range cat.Layers {
			if l.Geometry == g && n < 2 {
				add(l)
				n++
			}
		}
	}
	for _, ft := range []layers.FieldType{layers.String, layers.Integer, layers.Number, layers.Date} {
		if types[ft] {
			continue
		}
		for _, l := range cat.Layers {
			if l.FieldIndex(firstOfType(l, ft)) >= 0 {
				add(l)
				break
			}
		}
	}
	return out
}

func firstOfType(l *layers.Layer, ft layers.FieldType) string {
	for _, f := range l.Fields {
		if f.Type == ft {
			return f.Name
		}
	}
	return ""
}

// Feature builds the i-th test feature of a layer: a small valid geometry of
// the layer's storage type near (113°E, 28°N) and a value for every field
// (optional fields are null for every third i). Equal i give equal features.
func Feature(l *layers.Layer, i int) *layers.Feature {
	x := 113 + float64(i%100)*0.01
	y := 28 + float64(i/100)*0.01
	const d = 0.004
	var g orb.Geometry
	switch l.Geometry {
	case layers.Point:
		g = orb.Point{x + d/3, y + d/7}
	case layers.LineString:
		line := orb.LineString{{x, y}, {x + d, y + d/2}, {x + d, y + d}}
		if i%2 == 1 {
			g = orb.MultiLineString{line, {{x, y + d}, {x + d/2, y + d}}}
		} else {
			g = orb.MultiLineString{line}
		}
	default:
		sq := orb.Polygon{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}}
		switch i % 3 {
		case 1: // a square with a hole
			sq = append(sq, orb.Ring{{x + d/4, y + d/4}, {x + d/4, y + d*3/4}, {x + d*3/4, y + d*3/4}, {x + d*3/4, y + d/4}, {x + d/4, y + d/4}})
			g = orb.MultiPolygon{sq}
		case 2: // two parts
			other := orb.Polygon{{{x + d*1.5, y}, {x + d*2, y}, {x + d*2, y + d/2}, {x + d*1.5, y}}}
			g = orb.MultiPolygon{sq, other}
		default:
			g = orb.MultiPolygon{sq}
		}
	}
	props := make([]any, len(l.Fields))
	for j, f := range l.Fields {
		if !f.Required && i%3 == 2 {
			continue
		}
		props[j] = Value(f, i)
	}
	return &layers.Feature{Geometry: g, Props: layers.NewProps(props...)}
}

// Value is a test value of the field's type for feature i: strings with
// Chinese text where the field is long enough, integers beyond 32 bits,
// numbers with binary fractions that survive no decimal round trip, dates
// across months and years.
func Value(f layers.Field, i int) any {
	switch f.Type {
	case layers.Integer:
		return int64(1)<<40 + int64(i)*7919 - 3
	case layers.Number:
		return 1234.5678 + float64(i)/3
	case layers.Date:
		return fmt.Sprintf("%04d-%02d-%02d", 2000+i%26, 1+i%12, 1+i%28)
	}
	s := fmt.Sprintf("%s-%d-地类", f.Name, i)
	if f.MaxLength > 0 && len([]rune(s)) > f.MaxLength {
		s = fmt.Sprintf("%d", i)
		if len(s) > f.MaxLength {
			s = s[len(s)-f.MaxLength:]
		}
	}
	return s
}

// Features yields n test features starting at index from.
func Features(l *layers.Layer, from, n int) iter.Seq2[*layers.Feature, error] {
	return func(yield func(*layers.Feature, error) bool) {
		for i := from; i < from+n; i++ {
			if !yield(Feature(l, i), nil) {
				return
			}
		}
	}
}

// Equal reports (t.Errorf) every difference between two features: id,
// version, geometry (type and every coordinate exactly) and every value
// (type and value).
func Equal(t *testing.T, l *layers.Layer, what string, got, want *layers.Feature) {
	t.Helper()
	if got == nil || want == nil {
		if got != want {
			t.Errorf("%s %s: got %v, want %v", l.ID, what, got, want)
		}
		return
	}
	if d := Diff(l, got, want); d != "" {
		t.Errorf("%s %s feature %d: %s", l.ID, what, want.ID, d)
	}
}

// Diff describes how two features differ, or "" when they are identical.
func Diff(l *layers.Layer, got, want *layers.Feature) string {
	var d []string
	if got.ID != want.ID {
		d = append(d, fmt.Sprintf("id %d, want %d", got.ID, want.ID))
	}
	if got.Version != want.Version {
		d = append(d, fmt.Sprintf("version %d, want %d", got.Version, want.Version))
	}
	if (got.Geometry == nil) != (want.Geometry == nil) || got.Geometry != nil && !orb.Equal(got.Geometry, want.Geometry) {
		d = append(d, fmt.Sprintf("geometry %v, want %v", got.Geometry, want.Geometry))
	}
	gotVals, wantVals := got.Props.Values(), want.Props.Values()
	for i, f := range l.Fields {
		var g, w any
		if i < len(gotVals) {
			g = gotVals[i]
		}
		if i < len(wantVals) {
			w = wantVals[i]
		}
		if !sameValue(g, w) {
			d = append(d, fmt.Sprintf("%s = %#v (%T), want %#v (%T)", f.Name, g, g, w, w))
		}
	}
	if len(gotVals) != len(l.Fields) {
		d = append(d, fmt.Sprintf("%d values, want one per field (%d)", len(gotVals), len(l.Fields)))
	}
	return strings.Join(d, "; ")
}

func sameValue(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && (fa == fb || math.IsNaN(fa) && math.IsNaN(fb))
	}
	return reflect.DeepEqual(a, b)
}

func cloneFeature(f *layers.Feature) *layers.Feature {
	c := *f
	c.Geometry = orb.Clone(f.Geometry)
	return &c
}
