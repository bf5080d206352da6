package spatial

import (
	"context"
	"errors"
	"iter"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// memStore is a minimal layers.Store for exercising the write path, with a
// switch that makes every write fail as a dead database would.
type memStore struct {
	mu     sync.Mutex
	next   int64
	feats  map[string]map[int64]*layers.Feature
	broken bool
}

func newMemStore() *memStore { return &memStore{feats: map[string]map[int64]*layers.Feature{}} }

func (m *memStore) Count(_ context.Context, layer string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.feats[layer])), nil
}
func (m *memStore) Scan(context.Context, string, func(*layers.Feature) error) error { return nil }
func (m *memStore) Get(_ context.Context, layer string, id int64) (*layers.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.feats[layer][id]
	if !ok {
		return nil, layers.ErrNotFound
	}
	return f, nil
}
func (m *memStore) Create(_ context.Context, layer string, f *layers.Feature) (*layers.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken {
		return nil, layers.ErrUnavailable
	}
	m.next++
	c := *f
	c.ID, c.Version = m.next, 1
	if m.feats[layer] == nil {
		m.feats[layer] = map[int64]*layers.Feature{}
	}
	m.feats[layer][c.ID] = &c
	return &c, nil
}
func (m *memStore) Replace(_ context.Context, layer string, f *layers.Feature, ifVersion int64) (*layers.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken {
		return nil, layers.ErrUnavailable
	}
	old, ok := m.feats[layer][f.ID]
	if !ok {
		return nil, layers.ErrNotFound
	}
	if ifVersion > 0 && ifVersion != old.Version {
		return nil, &layers.ConflictError{Layer: layer, ID: f.ID, Want: ifVersion, Current: old.Version}
	}
	c := *f
	c.Version = old.Version + 1
	m.feats[layer][c.ID] = &c
	return &c, nil
}
func (m *memStore) Delete(_ context.Context, layer string, id, ifVersion int64) (*layers.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken {
		return nil, layers.ErrUnavailable
	}
	old, ok := m.feats[layer][id]
	if !ok {
		return nil, layers.ErrNotFound
	}
	if ifVersion > 0 && ifVersion != old.Version {
		return nil, &layers.ConflictError{Layer: layer, ID: id, Want: ifVersion, Current: old.Version}
	}
	delete(m.feats[layer], id)
	return old, nil
}
func (m *memStore) Import(context.Context, string, iter.Seq2[*layers.Feature, error]) (int64, error) {
	return 0, errors.New("not used")
}
func (m *memStore) Ping(context.Context) error { return nil }
func (m *memStore) Close() error               { return nil }

func parcel(geom orb.Geometry) layers.Draft {
	return layers.Draft{Geometry: geom, Properties: map[string]any{"DLBM": "0101", "ZLDWDM": "429901001001", "TBMJ": 1234.5, "SJNF": float64(2024)}}
}

func sq(x, y, s float64) orb.Polygon {
	return orb.Polygon{{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}}
}

func TestEditorWritePath(t *testing.T) {
	ctx := context.Background()
	idx := NewIndex(layers.DefaultCatalog())
	store := newMemStore()
	ed := NewEditor(idx, store)
	var changes []Change
	idx.Subscribe(func(c Change) { changes = append(changes, c) })

	res, err := ed.Create(ctx, "dltb", parcel(sq(112, 30, 0.001)), false)
	if err != nil {
		t.Fatal(err)
	}
	f := res.Feature
	if f.ID == 0 || f.Version != 1 {
		t.Fatalf("created %+v", f)
	}
	if _, ok := f.Geometry.(orb.MultiPolygon); !ok {
		t.Fatalf("polygon not promoted: %T", f.Geometry)
	}
	if got, ok := idx.Snapshot().Get("dltb", f.ID); !ok || got != f {
		t.Fatal("created feature not in the index")
	}

	// Stale If-Match: 409 material, nothing changes.
	before := idx.Snapshot().Version()
	_, err = ed.Replace(ctx, "dltb", f.ID, parcel(sq(112.5, 30.5, 0.001)), layers.MatchVersion(7), false)
	var ce *layers.ConflictError
	if !errors.As(err, &ce) || ce.Current != 1 {
		t.Fatalf("stale version: %v", err)
	}
	if idx.Snapshot().Version() != before {
		t.Fatal("a refused replace changed the index")
	}

	res, err = ed.Replace(ctx, "dltb", f.ID, parcel(sq(112.5, 30.5, 0.001)), layers.MatchVersion(1), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Feature.Version != 2 {
		t.Fatalf("version after replace %d", res.Feature.Version)
	}
	var hits int
	idx.Snapshot().Search("dltb", orb.Bound{Min: orb.Point{111.9, 29.9}, Max: orb.Point{112.1, 30.1}}, func(*layers.Feature) bool { hits++; return true })
	if hits != 0 {
		t.Fatal("old position still indexed after replace")
	}

	// A failed commit leaves the index as it was.
	store.broken = true
	before = idx.Snapshot().Version()
	if _, err := ed.Create(ctx, "dltb", parcel(sq(113, 30, 0.001)), false); !errors.Is(err, layers.ErrUnavailable) {
		t.Fatalf("broken store create: %v", err)
	}
	if _, err := ed.Delete(ctx, "dltb", f.ID, layers.IfMatch{}); !errors.Is(err, layers.ErrUnavailable) {
		t.Fatalf("broken store delete: %v", err)
	}
	if idx.Snapshot().Version() != before || idx.Snapshot().Count("dltb") != 1 {
		t.Fatal("failed commit touched the index")
	}
	store.broken = false

	if _, err := ed.Delete(ctx, "dltb", f.ID, layers.MatchVersion(2)); err != nil {
		t.Fatal(err)
	}
	if _, ok := idx.Snapshot().Get("dltb", f.ID); ok {
		t.Fatal("deleted feature still indexed")
	}
	if _, err := ed.Delete(ctx, "dltb", f.ID, layers.IfMatch{}); !errors.Is(err, layers.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	ops := []Op{}
	for _, c := range changes {
		ops = append(ops, c.Op)
	}
	if len(ops) != 3 || ops[0] != OpCreate || ops[1] != OpReplace || ops[2] != OpDelete {
		t.Fatalf("announced %v", ops)
	}
	if changes[1].OldBound == nil || changes[1].NewBound == nil || changes[2].NewBound != nil {
		t.Fatalf("bounds in announcements: %+v", changes)
	}
}

func TestValidateRefusesBadInput(t *testing.T) {
	cat := layers.DefaultCatalog()
	dltb := cat.Layer("dltb")
	good := map[string]any{"DLBM": "0101", "ZLDWDM": "429901001001"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	bowtie := orb.Polygon{{{112, 30}, {112.01, 30.01}, {112.01, 30}, {112, 30.01}, {112, 30}}}
	open := orb.Polygon{{{112, 30}, {112.01, 30}, {112.01, 30.01}, {112, 30.01}}}
	cases := []struct {
		name  string
		layer string
		d     layers.Draft
		want  string // a fragment of the error
	}{
		{"open ring", "dltb", layers.Draft{Geometry: open, Properties: good}, "not closed"},
		{"too few points", "dltb", layers.Draft{Geometry: orb.Polygon{{{112, 30}, {112.01, 30}, {112, 30}}}, Properties: good}, "at least 4"},
		{"self-intersection", "dltb", layers.Draft{Geometry: bowtie, Properties: good}, "Self-intersection"},
		{"point on polygon layer", "dltb", layers.Draft{Geometry: orb.Point{112, 30}, Properties: good}, "Polygon or MultiPolygon"},
		{"polygon on point layer", "dzzhd", layers.Draft{Geometry: sq(112, 30, 0.01), Properties: map[string]any{"ZHLX": "滑坡"}}, "Point"},
		{"longitude out of range", "dltb", layers.Draft{Geometry: sq(181, 30, 0.01), Properties: good}, "longitude"},
		{"latitude out of range", "dzzhd", layers.Draft{Geometry: orb.Point{112, 95}, Properties: map[string]any{"ZHLX": "滑坡"}}, "latitude"},
		{"NaN coordinate", "dzzhd", layers.Draft{Geometry: orb.Point{math.NaN(), 30}, Properties: map[string]any{"ZHLX": "滑坡"}}, "finite"},
		{"no geometry", "dltb", layers.Draft{Geometry: nil, Properties: good}, "missing"},
		{"empty multipolygon", "dltb", layers.Draft{Geometry: orb.MultiPolygon{}, Properties: good}, "empty"},
		{"unknown field", "dltb", layers.Draft{Geometry: sq(112, 30, 0.01), Properties: with("FOO", "x")}, "FOO: unknown field"},
		{"wrong type string", "dltb", layers.Draft{Geometry: sq(112, 30, 0.01), Properties: with("DLBM", 101.0)}, "DLBM: must be a string"},
		{"wrong type number", "dltb", layers.Draft{Geometry: sq(112, 30, 0.01), Properties: with("TBMJ", "big")}, "TBMJ: must be a number"},
		{"fractional integer", "dltb", layers.Draft{Geometry: sq(112, 30, 0.01), Properties: with("SJNF", 2024.5)}, "SJNF: must be an integer"},
		{"bad date", "jsydsp", layers.Draft{Geometry: sq(112, 30, 0.01), Properties: map[string]any{"PZWH": "x", "PZRQ": "2024-13-01"}}, "PZRQ: must be a date"},
		{"missing required", "dltb", layers.Draft{Geometry: sq(112, 30, 0.01), Properties: with("DLBM", nil)}, "DLBM: required"},
		{"too long", "dltb", layers.Draft{Geometry: sq(112, 30, 0.01), Properties: with("DLBM", "010101")}, "at most 5"},
		{"boolean", "dltb", layers.Draft{Geometry: sq(112, 30, 0.01), Properties: with("KCXS", true)}, "KCXS: must be a number, got a boolean"},
		{"line with one point", "jtlw", layers.Draft{Geometry: orb.LineString{{112, 30}, {112, 30}}, Properties: map[string]any{"DLDJ": "县道"}}, "2 distinct"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Validate(cat.Layer(tc.layer), tc.d, false)
			var ve *layers.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *layers.ValidationError, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
	// Several problems at once are all reported.
	_, _, err := Validate(dltb, layers.Draft{Geometry: open, Properties: map[string]any{"FOO": 1.0}}, false)
	var ve *layers.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 4 {
		t.Fatalf("want 4 problems (open ring, unknown FOO, missing DLBM and ZLDWDM), got %v", err)
	}
	// Repair on request.
	f, repaired, err := Validate(dltb, layers.Draft{Geometry: bowtie, Properties: good}, true)
	if err != nil || !repaired || len(f.Geometry.(orb.MultiPolygon)) != 2 {
		t.Fatalf("repair: %v %v %v", f, repaired, err)
	}
}
