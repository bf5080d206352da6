package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func square(x, y, s float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}}}
}

func parcel(l *layers.Layer, i int) *layers.Feature {
	props := make([]any, len(l.Fields))
	props[l.FieldIndex("DLBM")] = "0101"
	props[l.FieldIndex("ZLDWDM")] = "429901001001"
	props[l.FieldIndex("TBMJ")] = float64(i) + 0.5
	props[l.FieldIndex("SJNF")] = int64(2024)
	return &layers.Feature{Geometry: square(112+float64(i%100)*0.001, 30+float64(i/100)*0.001, 0.0008), Props: layers.NewProps(props...)}
}

func open(t *testing.T, url string, cat *layers.Catalog) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, cat, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSchemaFromCatalogue(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDB(t)
	cat := layers.DefaultCatalog()
	s := open(t, url, cat)
	// Every layer is an ordinary table with lower-case typed columns and a typed, indexed geometry.
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM geometry_columns WHERE srid = 4490 AND f_geometry_column = 'geom'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 26 {
		t.Fatalf("%d geometry columns with SRID 4490, want 26", n)
	}
	var typ string
	s.pool.QueryRow(ctx, `SELECT type FROM geometry_columns WHERE f_table_name = 'dltb'`).Scan(&typ)
	if typ != "MULTIPOLYGON" {
		t.Fatalf("dltb geometry type %s", typ)
	}
	s.pool.QueryRow(ctx, `SELECT type FROM geometry_columns WHERE f_table_name = 'jtlw'`).Scan(&typ)
	if typ != "MULTILINESTRING" {
		t.Fatalf("jtlw geometry type %s", typ)
	}
	var dateType string
	s.pool.QueryRow(ctx, `SELECT data_type FROM information_schema.columns WHERE table_name = 'jsydsp' AND column_name = 'pzrq'`).Scan(&dateType)
	if dateType != "date" {
		t.Fatalf("jsydsp.pzrq is %q", dateType)
	}
	var gist int
	s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE indexdef ILIKE '%USING gist (geom)%'`).Scan(&gist)
	if gist != 26 {
		t.Fatalf("%d GiST indexes, want 26", gist)
	}

	// Migrating again changes nothing; concurrently from two processes is safe.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	reports := make([][]string, 2)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			reports[i], errs[i] = s.Migrate(ctx)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		if len(reports[i]) != 0 {
			t.Fatalf("second migrate did something: %v", reports[i])
		}
	}

	// A catalogue with a new field, a removed field and a retyped one.
	c2 := layers.DefaultCatalog()
	l := c2.Layer("dltb")
	l.Fields = append(l.Fields, layers.Field{Name: "BZ", Label: "备注", Type: layers.String})
	for i := range l.Fields {
		if l.Fields[i].Name == "SJNF" {
			l.Fields[i].Type = layers.String
		}
	}
	var kept []layers.Field
	for _, f := range l.Fields {
		if f.Name != "KCXS" {
			kept = append(kept, f)
		}
	}
	l.Fields = kept
	b := mustReparse(t, c2)
	s2, err := Open(ctx, url, b, Options{Log: quiet, SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	report, err := s2.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(report, "\n")
	for _, want := range []string{"added column dltb.bz", "dltb.sjnf is bigint but the catalogue says text", "dltb.kcxs is not in the catalogue"} {
		if !strings.Contains(joined, want) {
			t.Errorf("report lacks %q:\n%s", want, joined)
		}
	}
	var still bool
	s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'dltb' AND column_name = 'kcxs')`).Scan(&still)
	if !still {
		t.Fatal("a column the catalogue dropped was dropped from the table")
	}
	// A row written under the old catalogue reads back under the new one:
	// the bigint SJNF as the string the catalogue now asks for.
	old, err := s.Create(ctx, "dltb", parcel(cat.Layer("dltb"), 7))
	if err != nil {
		t.Fatal(err)
	}
	scanned := 0
	err = s2.Scan(ctx, "dltb", func(f *layers.Feature) error {
		if f.ID != old.ID {
			return nil
		}
		scanned++
		if v := b.Layer("dltb").Value(f, "SJNF"); v != "2024" {
			t.Errorf("retyped SJNF reads back as %#v", v)
		}
		if v := b.Layer("dltb").Value(f, "BZ"); v != nil {
			t.Errorf("the new field reads back as %#v", v)
		}
		return nil
	})
	if err != nil || scanned == 0 {
		t.Fatalf("scan under the new catalogue: %d features, %v", scanned, err)
	}
}

// mustReparse turns an edited catalogue back into a checked one.
func mustReparse(t *testing.T, c *layers.Catalog) *layers.Catalog {
	t.Helper()
	b, err := jsonMarshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out, err := layers.ParseCatalog(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWritesAndHistory(t *testing.T) {
	ctx := layers.WithUser(context.Background(), "tester")
	cat := layers.DefaultCatalog()
	s := open(t, pgtest.NewDB(t), cat)
	l := cat.Layer("dltb")
	f, err := s.Create(ctx, "dltb", parcel(l, 1))
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != 1 || f.Version != 1 {
		t.Fatalf("created %d v%d", f.ID, f.Version)
	}
	g, err := s.Get(ctx, "dltb", f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Props.At(l.FieldIndex("SJNF")) != int64(2024) || g.Props.At(l.FieldIndex("DLBM")) != "0101" || g.Props.At(l.FieldIndex("BSM")) != nil {
		t.Fatalf("round trip props %v", g.Props)
	}
	if !orb.Equal(g.Geometry, f.Geometry) {
		t.Fatalf("round trip geometry %v", g.Geometry)
	}
	// Dates survive.
	jl := cat.Layer("jsydsp")
	jp := make([]any, len(jl.Fields))
	jp[jl.FieldIndex("PZWH")], jp[jl.FieldIndex("PZRQ")] = "鄂政土批〔2023〕15号", "2023-05-17"
	jf, err := s.Create(ctx, "jsydsp", &layers.Feature{Geometry: square(112, 30, 0.01), Props: layers.NewProps(jp...)})
	if err != nil {
		t.Fatal(err)
	}
	if jg, _ := s.Get(ctx, "jsydsp", jf.ID); jg.Props.At(jl.FieldIndex("PZRQ")) != "2023-05-17" {
		t.Fatalf("date round trip %v", jg.Props)
	}

	upd := parcel(l, 2)
	upd.ID = f.ID
	if _, err := s.Replace(ctx, "dltb", upd, 5); !errors.Is(err, layers.ErrConflict) {
		t.Fatalf("stale replace: %v", err)
	}
	r, err := s.Replace(ctx, "dltb", upd, 1)
	if err != nil || r.Version != 2 {
		t.Fatalf("replace: %v %v", r, err)
	}
	if _, err := s.Delete(ctx, "dltb", f.ID, 1); !errors.Is(err, layers.ErrConflict) {
		t.Fatalf("stale delete: %v", err)
	}
	if _, err := s.Delete(ctx, "dltb", f.ID, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "dltb", f.ID); !errors.Is(err, layers.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if _, err := s.Create(ctx, "nosuch", parcel(l, 1)); !errors.Is(err, layers.ErrNotFound) {
		t.Fatalf("unknown layer: %v", err)
	}
	// One history row per committed change, with old and new values and the user.
	rows, err := s.pool.Query(ctx, `SELECT layer, op, feature_id, old_value IS NOT NULL, new_value IS NOT NULL, username FROM onemap_history ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var layer, op, user string
		var fid int64
		var hasOld, hasNew bool
		rows.Scan(&layer, &op, &fid, &hasOld, &hasNew, &user)
		got = append(got, fmt.Sprintf("%s %s %d %v %v %s", layer, op, fid, hasOld, hasNew, user))
	}
	want := []string{"dltb create 1 false true tester", "jsydsp create 1 false true tester", "dltb replace 1 true true tester", "dltb delete 1 true false tester"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("history:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A change made without a login is recorded as anonymous, never NULL.
	if _, err := s.Create(context.Background(), "dltb", parcel(l, 3)); err != nil {
		t.Fatal(err)
	}
	var user *string
	if err := s.pool.QueryRow(ctx, `SELECT username FROM onemap_history ORDER BY id DESC LIMIT 1`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user == nil || *user != layers.Anonymous {
		t.Fatalf("username of an anonymous change: %v", user)
	}
}

func TestImportAllOrNothing(t *testing.T) {
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	s := open(t, pgtest.NewDB(t), cat)
	l := cat.Layer("dltb")
	seq := func(n, failAt int) func(func(*layers.Feature, error) bool) {
		return func(yield func(*layers.Feature, error) bool) {
			for i := 1; i <= n; i++ {
				if i == failAt {
					yield(nil, fmt.Errorf("feature %d is bad", i))
					return
				}
				if !yield(parcel(l, i), nil) {
					return
				}
			}
		}
	}
	if _, err := s.Import(ctx, "dltb", seq(500, 377)); err == nil || !strings.Contains(err.Error(), "feature 377") {
		t.Fatalf("failing import: %v", err)
	}
	if n, _ := s.Count(ctx, "dltb"); n != 0 {
		t.Fatalf("failed import left %d rows", n)
	}
	n, err := s.Import(ctx, "dltb", seq(2000, 0))
	if err != nil || n != 2000 {
		t.Fatalf("import: %d %v", n, err)
	}
	var ids []int64
	generic := genericRows.Load()
	if err := s.Scan(ctx, "dltb", func(f *layers.Feature) error { ids = append(ids, f.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2000 {
		t.Fatalf("scanned %d", len(ids))
	}
	// Every row of a table that matches its catalogue takes the fast decoder.
	if n := genericRows.Load() - generic; n != 0 {
		t.Errorf("%d of 2000 rows were decoded the generic way", n)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatal("scan not in id order")
		}
	}
	// The batch is one history row with its count and bounds.
	var count int64
	var bounds string
	if err := s.pool.QueryRow(ctx, `SELECT batch_count, ST_AsText(ST_Envelope(batch_bounds)) FROM onemap_history WHERE op = 'import'`).Scan(&count, &bounds); err != nil {
		t.Fatal(err)
	}
	if count != 2000 || !strings.HasPrefix(bounds, "POLYGON((112 30") {
		t.Fatalf("batch row: %d %s", count, bounds)
	}
}

// TestFollowInCommitOrder has several writers commit concurrently while a
// follower applies the history; it must see every change exactly in id
// order, none skipped, and end with the same data as the table.
func TestFollowInCommitOrder(t *testing.T) {
	cat := layers.DefaultCatalog()
	url := pgtest.NewDB(t)
	s := open(t, url, cat)
	follower := open(t, url, cat)
	l := cat.Layer("dltb")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	var seen []int64
	state := map[int64]int64{} // feature id → version as followed
	done := make(chan error, 1)
	go func() {
		done <- follower.Follow(ctx, 0, func(c layers.Change) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, c.HistoryID)
			switch c.Op {
			case layers.ChangeCreate, layers.ChangeReplace:
				state[c.ID] = c.Feature.Version
			case layers.ChangeDelete:
				delete(state, c.ID)
			}
			return nil
		})
	}()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				f, err := s.Create(ctx, "dltb", parcel(l, w*100+i))
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					f.Geometry = square(113, 31, 0.001)
					if _, err := s.Replace(ctx, "dltb", f, f.Version); err != nil {
						t.Error(err)
					}
				}
				if i%5 == 0 {
					if _, err := s.Delete(ctx, "dltb", f.ID, 0); err != nil {
						t.Error(err)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	head, err := s.HistoryHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n > 0 && seen[n-1] == head {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("follower saw %d changes, head is %d", n, head)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(seen); i++ {
		if seen[i] != seen[i-1]+1 {
			t.Fatalf("history ids not followed in order without gaps: %d then %d", seen[i-1], seen[i])
		}
	}
	want := map[int64]int64{}
	s.Scan(ctx, "dltb", func(f *layers.Feature) error { want[f.ID] = f.Version; return nil })
	if len(want) != len(state) {
		t.Fatalf("follower holds %d features, table %d", len(state), len(want))
	}
	for id, v := range want {
		if state[id] != v {
			t.Fatalf("feature %d: follower v%d, table v%d", id, state[id], v)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, cat *layers.Catalog) layers.Store {
		s, err := Open(context.Background(), pgtest.NewDB(t), cat, Options{Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
