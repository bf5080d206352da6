package supervise_test

import (
	"context"
	"errors"
	"iter"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/region"
	"github.com/onemap/onemap/spatial/supervise"
)

const testScale = 4000

// closeM2 is the manifest's tolerance: 0.01 m² (beyond its own rounding to
// 0.01) or 0.001 %.
func closeM2(got, want float64) bool {
	d := math.Abs(got - want)
	return d <= 0.015 || d <= 1e-5*math.Abs(want)
}

func readyEngine(t testing.TB, idx *spatial.Index, opts supervise.Options) *supervise.Engine {
	t.Helper()
	if opts.Regions == nil {
		opts.Regions = region.New(idx)
	}
	e, err := supervise.NewEngine(idx, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := e.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func reasonStrings(rs []supervise.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// TestEngineMatchesManifest: for two seeds, every planted case gets
// exactly its verdict, reasons and areas, its evidence names exactly the
// features the manifest names with the areas it gives, and no feature the
// manifest does not plant is flagged.
func TestEngineMatchesManifest(t *testing.T) {
	for _, seed := range []int64{1, 2} {
		d := demotest.Load(t, seed, testScale)
		e := readyEngine(t, d.Index, supervise.Options{})
		planted := map[string]map[int64]fixtures.Case{}
		for _, c := range d.Manifest.Cases {
			if planted[c.Layer] == nil {
				planted[c.Layer] = map[int64]fixtures.Case{}
			}
			planted[c.Layer][c.ID] = c
		}
		checked, judged := 0, 0
		counties := map[string]bool{}
		for _, layer := range []string{"wpbhtb", "kcjc", "tdgy"} {
			fs, err := e.Findings(layer)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != len(d.Features[layer]) {
				t.Fatalf("seed %d: %d findings for %d %s features", seed, len(fs), len(d.Features[layer]), layer)
			}
			judged += len(fs)
			for _, got := range fs {
				if got.Error != "" {
					t.Errorf("seed %d: %s %d not judged: %s", seed, layer, got.ID, got.Error)
					continue
				}
				want, ok := planted[layer][got.ID]
				if !ok {
					if got.Flagged() {
						t.Errorf("seed %d: unplanted %s %d flagged %s %v", seed, layer, got.ID, got.Verdict, got.Reasons)
					}
					continue
				}
				checked++
				counties[want.County] = true
				checkCase(t, seed, got, want)
			}
		}
		if checked != len(d.Manifest.Cases) {
			t.Errorf("seed %d: checked %d of %d planted cases", seed, checked, len(d.Manifest.Cases))
		}
		if len(counties) != len(d.Manifest.Counties) {
			t.Errorf("seed %d: cases in %d of %d counties", seed, len(counties), len(d.Manifest.Counties))
		}
		if c := e.Counts(); c.Full != int64(judged) || c.Incremental != 0 {
			t.Errorf("seed %d: counts %+v after judging %d features once", seed, c, judged)
		}
		t.Logf("seed %d: %d planted cases agree (verdict, reasons, areas, evidence)", seed, checked)
	}
}

func checkCase(t *testing.T, seed int64, got *supervise.Finding, want fixtures.Case) {
	t.Helper()
	name := func() string { return want.Layer + " " + want.Kind + " " + want.County }
	if string(got.Verdict) != want.Verdict || !slices.Equal(reasonStrings(got.Reasons), want.Reasons) {
		t.Errorf("seed %d: %s %d (%s): %s %v, manifest says %s %v", seed, got.Layer, got.ID, name(), got.Verdict, got.Reasons, want.Verdict, want.Reasons)
	}
	if !closeM2(got.AreaM2, want.AreaM2) {
		t.Errorf("seed %d: %s %d area %.4f, manifest %.2f", seed, got.Layer, got.ID, got.AreaM2, want.AreaM2)
	}
	for k, w := range want.Areas {
		if g, ok := got.Areas[k]; !ok || !closeM2(g, w) {
			t.Errorf("seed %d: %s %d (%s) area %s = %.4f (given %v), manifest %.2f", seed, got.Layer, got.ID, name(), k, g, ok, w)
		}
	}
	if got.Key != want.Key || got.Date != want.Date {
		t.Errorf("seed %d: %s %d key %s date %s, manifest %s %s", seed, got.Layer, got.ID, got.Key, got.Date, want.Key, want.Date)
	}
	// Evidence: per layer the manifest names, the same ids and areas.
	byLayer := map[string][]supervise.Evidence{}
	for _, ev := range got.Evidence {
		byLayer[ev.Layer] = append(byLayer[ev.Layer], ev)
	}
	// Whether the rule counted it: an approval after the photo and an
	// expired licence are shown, with the reason they do not count.
	uncounted := map[string]string{"approved_after_photo": "jsydsp", "expired_licence": "ckq", "partly_outside_expired_licence": "ckq"}[want.Kind]
	for _, ev := range got.Evidence {
		counts := ev.Layer != uncounted
		noted := ev.Note != "" && (!counts || ev.M2 == 0) // counted evidence carries a note only when it merely touches
		if ev.Counts != counts || noted != (ev.Note != "") || !counts && ev.Note == "" {
			t.Errorf("seed %d: %s %d (%s) evidence %s %d counts %v (%q)", seed, got.Layer, got.ID, name(), ev.Layer, ev.ID, ev.Counts, ev.Note)
		}
	}
	for layer, ids := range want.Evidence {
		evs := byLayer[layer]
		gotIDs := make([]int64, len(evs))
		for i, ev := range evs {
			gotIDs[i] = ev.ID
		}
		wantIDs := slices.Clone(ids)
		wantM2 := map[int64]float64{}
		for i, id := range ids {
			wantM2[id] = want.EvidenceM2[layer][i]
		}
		slices.Sort(wantIDs)
		if !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("seed %d: %s %d (%s) evidence %s %v, manifest %v", seed, got.Layer, got.ID, name(), layer, gotIDs, wantIDs)
			continue
		}
		for _, ev := range evs {
			if !closeM2(ev.M2, wantM2[ev.ID]) {
				t.Errorf("seed %d: %s %d evidence %s %d shares %.4f m², manifest %.2f", seed, got.Layer, got.ID, layer, ev.ID, ev.M2, wantM2[ev.ID])
			}
		}
	}
}

// TestEngineAgreesWithEvaluator: the engine (overlay.Measure, area.Fast)
// and the plain evaluator (GEOS unions, Karney) give every feature of every
// judged layer the same verdict, reasons and rule areas.
func TestEngineAgreesWithEvaluator(t *testing.T) {
	d := demotest.Load(t, 3, testScale)
	e := readyEngine(t, d.Index, supervise.Options{})
	ev := supervise.NewEvaluator(d.Index.Snapshot(), d.Catalog, supervise.DefaultRules())
	judge := map[string]func(*layers.Feature) (supervise.Finding, error){"wpbhtb": ev.Patch, "kcjc": ev.Mining, "tdgy": ev.Supply}
	n := 0
	for layer, fn := range judge {
		for _, f := range d.Features[layer] {
			want, err := fn(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Finding(layer, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Verdict != want.Verdict || !slices.Equal(got.Reasons, want.Reasons) {
				t.Errorf("%s %d: engine %s %v, evaluator %s %v", layer, f.ID, got.Verdict, got.Reasons, want.Verdict, want.Reasons)
			}
			for k, w := range want.Areas {
				if g := got.Areas[k]; math.Abs(g-w) > 1e-3+1e-8*w {
					t.Errorf("%s %d: area %s engine %.6f, evaluator %.6f", layer, f.ID, k, g, w)
				}
			}
			n++
		}
	}
	t.Logf("%d features agree", n)
}

// memStore is a layers.Store in memory seeded with the demo features, so
// the Editor's write path (and its wait for the subscribers) runs as in
// the server.
type memStore struct {
	mu    sync.Mutex
	next  map[string]int64
	feats map[string]map[int64]*layers.Feature
}

func newMemStore(d *demotest.Dataset) *memStore {
	m := &memStore{next: map[string]int64{}, feats: map[string]map[int64]*layers.Feature{}}
	for layer, fs := range d.Features {
		m.feats[layer] = map[int64]*layers.Feature{}
		for _, f := range fs {
			m.feats[layer][f.ID] = f
		}
		m.next[layer] = int64(len(fs))
	}
	return m
}

func (m *memStore) Count(_ context.Context, layer string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.feats[layer])), nil
}
func (m *memStore) Scan(context.Context, string, func(*layers.Feature) error) error { return nil }
func (m *memStore) Get(_ context.Context, layer string, id int64) (*layers.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.feats[layer][id]; ok {
		return f, nil
	}
	return nil, layers.ErrNotFound
}
func (m *memStore) Create(_ context.Context, layer string, f *layers.Feature) (*layers.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next[layer]++
	c := &layers.Feature{ID: m.next[layer], Version: 1, Geometry: f.Geometry, Props: f.Props}
	m.feats[layer][c.ID] = c
	return c, nil
}
func (m *memStore) Replace(_ context.Context, layer string, f *layers.Feature, _ int64) (*layers.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.feats[layer][f.ID]
	if !ok {
		return nil, layers.ErrNotFound
	}
	c := &layers.Feature{ID: f.ID, Version: old.Version + 1, Geometry: f.Geometry, Props: f.Props}
	m.feats[layer][c.ID] = c
	return c, nil
}
func (m *memStore) Delete(_ context.Context, layer string, id, _ int64) (*layers.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.feats[layer][id]
	if !ok {
		return nil, layers.ErrNotFound
	}
	delete(m.feats[layer], id)
	return old, nil
}
func (m *memStore) Import(context.Context, string, iter.Seq2[*layers.Feature, error]) (int64, error) {
	return 0, errors.New("not used")
}
func (m *memStore) Ping(context.Context) error { return nil }
func (m *memStore) Close() error               { return nil }

// boxesMeeting counts the features of the layers whose boxes meet any of bs.
func boxesMeeting(snap *spatial.Snapshot, layersIDs []string, bs ...orb.Bound) int {
	n := 0
	for _, l := range layersIDs {
		seen := map[int64]bool{}
		for _, b := range bs {
			snap.Search(l, b, func(f *layers.Feature) bool {
				if !seen[f.ID] {
					seen[f.ID] = true
					n++
				}
				return true
			})
		}
	}
	return n
}

// TestEditsKeepVerdictsCurrent: an approval created over an unapproved
// patch (dated before its photo) makes it approved in the next read, an
// approval moved away or deleted turns it back, each edit re-judging
// exactly the patches and supplies its boxes meet; an edit far from every
// supervised feature re-judges nothing.
func TestEditsKeepVerdictsCurrent(t *testing.T) {
	ctx := context.Background()
	d := demotest.Load(t, 1, testScale)
	idx := d.FreshIndex(t)
	ed := spatial.NewEditor(idx, newMemStore(d))
	e := readyEngine(t, idx, supervise.Options{})
	cat := d.Catalog

	var patch *layers.Feature
	var hsx string
	for _, c := range d.Manifest.Cases {
		if c.Kind == "unapproved_in_boundary" {
			patch, hsx = d.Features["wpbhtb"][c.ID-1], c.Date
			break
		}
	}
	if patch == nil {
		t.Fatal("no unapproved_in_boundary case planted")
	}
	verdict := func() supervise.Verdict {
		t.Helper()
		fd, err := e.Finding("wpbhtb", patch.ID)
		if err != nil {
			t.Fatal(err)
		}
		return fd.Verdict
	}
	if v := verdict(); v != supervise.Unapproved {
		t.Fatalf("patch %d starts %s", patch.ID, v)
	}
	judgedBy := []string{"wpbhtb", "tdgy"} // the layers an approval weighs in
	props := cat.Layer("jsydsp").Properties(d.Features["jsydsp"][0])
	props["PZWH"], props["PZRQ"] = "测试〔2025〕1号", hsx
	cover := patch.Bound().Pad(1e-4)
	before := e.Counts()
	created, err := ed.Create(ctx, "jsydsp", layers.Draft{Geometry: orb.MultiPolygon{cover.ToPolygon()}, Properties: props}, false)
	if err != nil {
		t.Fatal(err)
	}
	if v := verdict(); v != supervise.ApprovedNotSupplied {
		t.Errorf("after an approval covering it: %s, want %s", v, supervise.ApprovedNotSupplied)
	}
	fd, _ := e.Finding("wpbhtb", patch.ID)
	if !slices.ContainsFunc(fd.Evidence, func(ev supervise.Evidence) bool {
		return ev.Layer == "jsydsp" && ev.ID == created.Feature.ID && ev.Counts && closeM2(ev.M2, fd.AreaM2)
	}) {
		t.Errorf("evidence %+v does not name approval %d over the whole patch", fd.Evidence, created.Feature.ID)
	}
	after := e.Counts()
	if want := boxesMeeting(idx.Snapshot(), judgedBy, cover); after.Incremental-before.Incremental != int64(want) || after.Changes-before.Changes != 1 {
		t.Errorf("creating the approval re-judged %d features in %d changes, want %d in 1", after.Incremental-before.Incremental, after.Changes-before.Changes, want)
	}

	// Move it far away (to the box of a patch-free spot): back to unapproved.
	far := farBox(idx.Snapshot(), cover)
	before = e.Counts()
	if _, err := ed.Replace(ctx, "jsydsp", created.Feature.ID, layers.Draft{Geometry: orb.MultiPolygon{far.ToPolygon()}, Properties: props}, layers.IfMatch{}, false); err != nil {
		t.Fatal(err)
	}
	if v := verdict(); v != supervise.Unapproved {
		t.Errorf("after moving the approval away: %s, want %s", v, supervise.Unapproved)
	}
	after = e.Counts()
	if want := boxesMeeting(idx.Snapshot(), judgedBy, cover, far); after.Incremental-before.Incremental != int64(want) {
		t.Errorf("moving the approval re-judged %d features, want %d", after.Incremental-before.Incremental, want)
	}

	// Back over the patch, then deleted.
	if _, err := ed.Replace(ctx, "jsydsp", created.Feature.ID, layers.Draft{Geometry: orb.MultiPolygon{cover.ToPolygon()}, Properties: props}, layers.IfMatch{}, false); err != nil {
		t.Fatal(err)
	}
	if v := verdict(); v != supervise.ApprovedNotSupplied {
		t.Errorf("after moving the approval back: %s", v)
	}
	if _, err := ed.Delete(ctx, "jsydsp", created.Feature.ID, layers.IfMatch{}); err != nil {
		t.Fatal(err)
	}
	if v := verdict(); v != supervise.Unapproved {
		t.Errorf("after deleting the approval: %s, want %s", v, supervise.Unapproved)
	}

	// A parcel far from every supervised feature: its edit re-judges nothing.
	var farParcel *layers.Feature
	snap := idx.Snapshot()
	snap.Ascend("dltb", 0, func(f *layers.Feature) bool {
		if boxesMeeting(snap, []string{"wpbhtb", "kcjc", "tdgy"}, f.Bound()) == 0 {
			farParcel = f
			return false
		}
		return true
	})
	if farParcel == nil {
		t.Fatal("no parcel away from every supervised feature")
	}
	before = e.Counts()
	pp := cat.Layer("dltb").Properties(farParcel)
	pp["TBBH"] = "edited"
	if _, err := ed.Replace(ctx, "dltb", farParcel.ID, layers.Draft{Geometry: farParcel.Geometry, Properties: pp}, layers.IfMatch{}, false); err != nil {
		t.Fatal(err)
	}
	after = e.Counts()
	if after.Changes-before.Changes != 1 || after.Incremental != before.Incremental {
		t.Errorf("an edit far away: %d changes seen, %d features re-judged; want 1 and 0", after.Changes-before.Changes, after.Incremental-before.Incremental)
	}
	// And a change patch edited: itself and the supplies it meets.
	before = e.Counts()
	wp := cat.Layer("wpbhtb").Properties(patch)
	wp["BHLX"] = "推填土"
	if _, err := ed.Replace(ctx, "wpbhtb", patch.ID, layers.Draft{Geometry: patch.Geometry, Properties: wp}, layers.IfMatch{}, false); err != nil {
		t.Fatal(err)
	}
	after = e.Counts()
	if want := 1 + boxesMeeting(idx.Snapshot(), []string{"tdgy"}, patch.Bound()); after.Incremental-before.Incremental != int64(want) {
		t.Errorf("editing a patch re-judged %d features, want %d", after.Incremental-before.Incremental, want)
	}
	if fd, _ := e.Finding("wpbhtb", patch.ID); fd.Version != 2 {
		t.Errorf("the edited patch's finding is of version %d, want 2", fd.Version)
	}
}

// farBox is a small box, east of the data, that meets no feature.
func farBox(snap *spatial.Snapshot, near orb.Bound) orb.Bound {
	b, _ := snap.Bound("dltb")
	w := near.Max[0] - near.Min[0]
	return orb.Bound{Min: orb.Point{b.Max[0] + 0.01, near.Min[1]}, Max: orb.Point{b.Max[0] + 0.01 + w, near.Max[1]}}
}

// TestNotReadyUntilComputed: reads say "computing" (NotReadyError) until
// the full evaluation is done; changes applied while it runs are judged.
func TestNotReadyUntilComputed(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	idx := d.FreshIndex(t)
	e, err := supervise.NewEngine(idx, supervise.Options{Regions: region.New(idx)})
	if err != nil {
		t.Fatal(err)
	}
	var nr *supervise.NotReadyError
	if _, err := e.Findings("wpbhtb"); !errors.As(err, &nr) || nr.Status.State != supervise.Waiting {
		t.Fatalf("before Start: %v", err)
	}
	e.Start(context.Background())
	// Edit while computing: delete a patch; the engine must not keep it.
	gone := d.Features["wpbhtb"][0].ID
	if err := idx.Remove("wpbhtb", gone); err != nil {
		t.Fatal(err)
	}
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-idx.Settled()
	if _, err := e.Finding("wpbhtb", gone); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("a patch deleted during the evaluation: %v, want not found", err)
	}
	fs, err := e.Findings("wpbhtb")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(d.Features["wpbhtb"])-1 {
		t.Errorf("%d findings, want %d", len(fs), len(d.Features["wpbhtb"])-1)
	}
	if !sort.SliceIsSorted(fs, func(i, j int) bool { return fs[i].ID < fs[j].ID }) {
		t.Error("findings not in id order")
	}
	if _, err := e.Findings("dltb"); !errors.Is(err, supervise.ErrNotJudged) {
		t.Errorf("findings of dltb: %v", err)
	}
}

// TestSummaryByCounty: at county level every county of the manifest has
// the counts per verdict and reason of its planted cases, and 违法占耕 is
// the cultivated part of its unapproved patches as the manifest's parcel
// evidence measures it; every level adds up to the same total.
func TestSummaryByCounty(t *testing.T) {
	d := demotest.Load(t, 2, testScale)
	e := readyEngine(t, d.Index, supervise.Options{})
	snap := d.Index.Snapshot()
	s, err := e.Summary(snap, "", 6)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]supervise.SummaryRow{}
	for _, r := range s.Rows {
		rows[r.Code] = r
	}
	dltb := d.Catalog.Layer("dltb")
	for _, county := range d.Manifest.Counties {
		r, ok := rows[county.Code]
		if !ok {
			t.Errorf("county %s missing from the summary", county.Code)
			continue
		}
		if r.Name != county.Name {
			t.Errorf("county %s named %q, manifest %q", county.Code, r.Name, county.Name)
		}
		verdicts := map[supervise.Verdict]int{}
		reasons := map[supervise.Reason]int{}
		var cultivated float64
		for _, c := range d.Manifest.Cases {
			if c.County != county.Code {
				continue
			}
			if c.Verdict != "" {
				verdicts[supervise.Verdict(c.Verdict)]++
			}
			for _, rs := range c.Reasons {
				reasons[supervise.Reason(rs)]++
			}
			if c.Verdict == string(supervise.Unapproved) {
				for i, id := range c.Evidence["dltb"] {
					if code, _ := dltb.Value(d.Features["dltb"][id-1], "DLBM").(string); strings.HasPrefix(code, "01") {
						cultivated += c.EvidenceM2["dltb"][i]
					}
				}
			}
		}
		for _, v := range supervise.Verdicts {
			if r.Verdicts[v].Count != verdicts[v] {
				t.Errorf("county %s: %d %s, manifest %d", county.Code, r.Verdicts[v].Count, v, verdicts[v])
			}
		}
		for _, rs := range supervise.Reasons {
			if r.Reasons[rs].Count != reasons[rs] {
				t.Errorf("county %s: %d %s, manifest %d", county.Code, r.Reasons[rs].Count, rs, reasons[rs])
			}
		}
		if math.Abs(r.IllegalCultivatedM2-cultivated) > 0.05 {
			t.Errorf("county %s: 违法占耕 %.2f m², manifest parcels %.2f", county.Code, r.IllegalCultivatedM2, cultivated)
		}
		if r.Patches.AreaM2 <= 0 || math.Abs(r.IllegalCultivatedShare-r.IllegalCultivatedM2/r.Patches.AreaM2) > 1e-12 {
			t.Errorf("county %s: share %v", county.Code, r.IllegalCultivatedShare)
		}
	}
	if len(s.Rows) != len(d.Manifest.Counties) {
		t.Errorf("%d rows for %d counties", len(s.Rows), len(d.Manifest.Counties))
	}
	for _, level := range supervise.Levels {
		ls, err := e.Summary(snap, "", level)
		if err != nil {
			t.Fatal(err)
		}
		same := func(a, b supervise.Tally) bool { return a.Count == b.Count && math.Abs(a.AreaM2-b.AreaM2) < 1e-6 }
		if !same(ls.Total.Patches, s.Total.Patches) || !same(ls.Total.Mining, s.Total.Mining) || !same(ls.Total.Supplies, s.Total.Supplies) ||
			ls.Total.Patches.Count != len(d.Features["wpbhtb"]) {
			t.Errorf("level %d totals %+v, county level %+v", level, ls.Total.Patches, s.Total.Patches)
		}
		for _, r := range ls.Rows {
			if len(r.Code) > level {
				t.Errorf("level %d row %s", level, r.Code)
			}
		}
	}
	one := d.Manifest.Counties[0].Code
	if rs, err := e.Summary(snap, one, 0); err != nil || rs.Level != 9 || rs.Total.Patches.Count != rows[one].Patches.Count {
		t.Errorf("summary of county %s: %+v %v", one, rs, err)
	}
	var qe *supervise.QueryError
	for _, bad := range []struct {
		region string
		level  int
	}{{"", 5}, {"429901", 4}, {"42x", 6}} {
		if _, err := e.Summary(snap, bad.region, bad.level); !errors.As(err, &qe) {
			t.Errorf("summary region %q level %d: %v", bad.region, bad.level, err)
		}
	}
}

// TestRejudge: judging everything again gives the same findings, keeps
// them readable meanwhile, and re-judges an edit made while it runs.
func TestRejudge(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	idx := d.FreshIndex(t)
	e := readyEngine(t, idx, supervise.Options{})
	before, _ := e.Findings("wpbhtb")
	c0 := e.Counts()
	done := make(chan error, 1)
	go func() { done <- e.Rejudge(context.Background()) }()
	gone := d.Features["wpbhtb"][2].ID
	if err := idx.Remove("wpbhtb", gone); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Findings("kcjc"); err != nil {
		t.Errorf("reading while rejudging: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-idx.Settled()
	after, _ := e.Findings("wpbhtb")
	if len(after) != len(before)-1 {
		t.Fatalf("%d findings after rejudging with one patch deleted, %d before", len(after), len(before))
	}
	for _, fd := range after {
		if fd.ID == gone {
			t.Errorf("deleted patch %d still judged", gone)
		}
	}
	if c := e.Counts(); c.Full != 2*c0.Full && c.Full != 2*c0.Full-1 {
		t.Errorf("counts %+v after a rejudge, %+v before", c, c0)
	}
}

// TestFollowDays: as the days pass, supplies become idle land: the
// engine re-judged as of a later date finds every supply agreed to start
// more than a year before it and not built on, and keeps the earlier
// findings' ones; the date it reports is the one judged on.
func TestFollowDays(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	idx := d.FreshIndex(t)
	e := readyEngine(t, idx, supervise.Options{})
	idle := func() map[int64]string {
		out := map[int64]string{}
		fs, err := e.Findings("tdgy")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if slices.Contains(f.Reasons, supervise.IdleLand) {
				out[f.ID] = f.Date
			}
		}
		return out
	}
	before := idle()
	if e.Rules().AsOf != "2025-12-31" {
		t.Fatalf("as of %s", e.Rules().AsOf)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	days := make(chan time.Time)
	stopped := make(chan struct{})
	go func() { e.FollowDays(ctx, days); close(stopped) }()
	later := time.Date(2031, 6, 30, 0, 0, 1, 0, time.Local)
	days <- later
	days <- later // the same day again: nothing to do (the channel is unbuffered: the first is done)
	cancel()
	<-stopped
	if got := e.Rules().AsOf; got != "2031-06-30" {
		t.Fatalf("as of %s after a day passed", got)
	}
	after := idle()
	for id := range before {
		if _, ok := after[id]; !ok {
			t.Errorf("supply %d idle on 2025-12-31 but not later", id)
		}
	}
	newly := 0
	for id, start := range after {
		if _, ok := before[id]; ok {
			continue
		}
		newly++
		if start < "2024-12-31" || start >= "2030-06-30" {
			t.Errorf("supply %d agreed to start on %s became idle only as of 2031-06-30", id, start)
		}
	}
	if newly == 0 {
		t.Fatalf("no supply became idle by 2031 (%d idle before): the date did not reach the rules", len(before))
	}
	if err := e.RejudgeAsOf(context.Background(), "2031-02-30"); err == nil || e.Rules().AsOf != "2031-06-30" {
		t.Errorf("a bad date: %v, as of %s", err, e.Rules().AsOf)
	}
	t.Logf("idle supplies: %d as of 2025-12-31, %d as of 2031-06-30", len(before), len(after))
}
