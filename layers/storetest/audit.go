package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/onemap/onemap/layers"
)

// Reopener opens a fresh, empty store for cat and returns it with a
// function that closes it and opens the same data again (a restart).
type Reopener func(t *testing.T, cat *layers.Catalog) (st layers.Store, reopen func() layers.Store)

// RunAudit is the contract of the audit side of a store: the change
// history of every feature (layers.HistoryStore) written with the change,
// and field checks (layers.CheckStore) appended with who and when; both
// survive a restart.
func RunAudit(t *testing.T, open Reopener) {
	cat := layers.DefaultCatalog()
	l := SampleLayers(cat)[0]
	ctx := context.Background()

	t.Run("FeatureHistory", func(t *testing.T) {
		st, reopen := open(t, cat)
		hs, ok := st.(layers.HistoryStore)
		if !ok {
			t.Fatalf("%T is not a layers.HistoryStore", st)
		}
		created, err := st.Create(layers.WithUser(ctx, "alice"), l.ID, Feature(l, 1))
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.Create(ctx, l.ID, Feature(l, 2))
		if err != nil {
			t.Fatal(err)
		}
		upd := Feature(l, 3)
		upd.ID = created.ID
		if _, err := st.Replace(layers.WithUser(ctx, "bob"), l.ID, upd, 1); err != nil {
			t.Fatal(err)
		}
		// A refused change leaves no trace.
		if _, err := st.Replace(ctx, l.ID, upd, 1); !errors.Is(err, layers.ErrConflict) {
			t.Fatalf("stale replace: %v", err)
		}
		if _, err := st.Delete(layers.WithUser(ctx, "carol"), l.ID, created.ID, 2); err != nil {
			t.Fatal(err)
		}
		check := func(st layers.Store, when string) {
			t.Helper()
			revs, err := st.(layers.HistoryStore).FeatureHistory(ctx, l.ID, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := []struct {
				op       layers.ChangeOp
				user     string
				old, new int64 // versions; 0: none
			}{{layers.ChangeCreate, "alice", 0, 1}, {layers.ChangeReplace, "bob", 1, 2}, {layers.ChangeDelete, "carol", 2, 0}}
			if len(revs) != len(want) {
				t.Fatalf("%s: %d revisions of feature %d, want %d: %+v", when, len(revs), created.ID, len(want), revs)
			}
			for i, w := range want {
				r := revs[i]
				if r.Op != w.op || r.User != w.user || r.FeatureID != created.ID || r.Layer != l.ID {
					t.Errorf("%s: revision %d is %s by %q of %s %d, want %s by %q", when, i, r.Op, r.User, r.Layer, r.FeatureID, w.op, w.user)
				}
				if i > 0 && r.Seq <= revs[i-1].Seq {
					t.Errorf("%s: revision numbers %d then %d do not ascend", when, revs[i-1].Seq, r.Seq)
				}
				if time.Since(r.At) > time.Hour || time.Until(r.At) > time.Minute {
					t.Errorf("%s: revision %d at %v", when, i, r.At)
				}
				for _, side := range []struct {
					raw  json.RawMessage
					want int64
					name string
				}{{r.Old, w.old, "old"}, {r.New, w.new, "new"}} {
					if side.want == 0 {
						if len(side.raw) != 0 && string(side.raw) != "null" {
							t.Errorf("%s: revision %d has an %s value %s", when, i, side.name, side.raw)
						}
						continue
					}
					var rec struct {
						Version    int64          `json:"version"`
						Geometry   map[string]any `json:"geometry"`
						Properties map[string]any `json:"properties"`
					}
					if err := json.Unmarshal(side.raw, &rec); err != nil {
						t.Fatalf("%s: revision %d %s value %s: %v", when, i, side.name, side.raw, err)
					}
					if rec.Version != side.want || rec.Geometry["type"] == nil || len(rec.Properties) != len(l.Fields) {
						t.Errorf("%s: revision %d %s value %s, want version %d with geometry and %d properties", when, i, side.name, side.raw, side.want, len(l.Fields))
					}
				}
			}
			revs, err = st.(layers.HistoryStore).FeatureHistory(ctx, l.ID, other.ID)
			if err != nil || len(revs) != 1 || revs[0].User != layers.Anonymous {
				t.Errorf("%s: the other feature's history: %+v, %v", when, revs, err)
			}
		}
		check(st, "before restart")
		if _, err := hs.FeatureHistory(ctx, "no_such_layer", 1); !errors.Is(err, layers.ErrNotFound) {
			t.Errorf("history of an unknown layer: %v", err)
		}
		check(reopen(), "after restart")
	})

	t.Run("FieldChecks", func(t *testing.T) {
		st, reopen := open(t, cat)
		cs, ok := st.(layers.CheckStore)
		if !ok {
			t.Fatalf("%T is not a layers.CheckStore", st)
		}
		record := func(user string, id int64, r layers.CheckResult, comment string) layers.Check {
			t.Helper()
			c, err := cs.RecordCheck(layers.WithUser(ctx, user), layers.Check{Layer: l.ID, FeatureID: id, Result: r, Comment: comment, Verdict: "unapproved"})
			if err != nil {
				t.Fatal(err)
			}
			if c.Seq <= 0 || c.User != user || time.Since(c.At) > time.Hour {
				t.Errorf("recorded %+v", c)
			}
			return c
		}
		first := record("alice", 7, layers.ConfirmedIllegal, "现场已动工")
		second := record("bob", 7, layers.Rectifying, "责令整改")
		nine := record("alice", 9, layers.ConfirmedLegal, "")
		if second.Seq <= first.Seq {
			t.Errorf("check numbers %d then %d", first.Seq, second.Seq)
		}
		if _, err := cs.RecordCheck(ctx, layers.Check{Layer: l.ID, FeatureID: 7, Result: "looks_fine"}); err == nil {
			t.Error("a check with an unknown result was recorded")
		}
		check := func(cs layers.CheckStore, when string) {
			t.Helper()
			latest, err := cs.LatestChecks(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(latest) != 2 || latest[0].Seq != second.Seq || latest[1].Seq != nine.Seq ||
				latest[0].Result != layers.Rectifying || latest[0].User != "bob" || latest[0].Comment != "责令整改" || latest[0].Verdict != "unapproved" {
				t.Errorf("%s: latest checks %+v", when, latest)
			}
			hist, err := cs.CheckHistory(ctx, l.ID, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 2 || hist[0].Seq != first.Seq || hist[0].Comment != "现场已动工" || hist[1].Seq != second.Seq ||
				!hist[0].At.Equal(first.At.Truncate(time.Microsecond)) && !hist[0].At.Equal(first.At) {
				t.Errorf("%s: history of 7: %+v (first recorded %+v)", when, hist, first)
			}
			if other, err := cs.LatestChecks(ctx, SampleLayers(cat)[1].ID); err != nil || len(other) != 0 {
				t.Errorf("%s: another layer's checks: %+v %v", when, other, err)
			}
		}
		check(cs, "before restart")
		check(reopen().(layers.CheckStore), "after restart")
	})
}
