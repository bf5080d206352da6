package supervise_test

import (
	"slices"
	"testing"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/spatial/supervise"
)

// TestEvaluatorMatchesManifest: every planted case of two seeds gets exactly
// the manifest's verdict and reasons, and no feature the manifest does not
// name is flagged.
func TestEvaluatorMatchesManifest(t *testing.T) {
	for _, seed := range []int64{1, 2} {
		d := demotest.Load(t, seed, 4000)
		ev := supervise.NewEvaluator(d.Index.Snapshot(), d.Catalog, supervise.DefaultRules())
		planted := map[string]map[int64]fixtures.Case{}
		for _, c := range d.Manifest.Cases {
			if planted[c.Layer] == nil {
				planted[c.Layer] = map[int64]fixtures.Case{}
			}
			planted[c.Layer][c.ID] = c
		}
		judge := map[string]func(*supervise.Evaluator, int64) (supervise.Finding, error){
			"wpbhtb": func(e *supervise.Evaluator, id int64) (supervise.Finding, error) {
				return e.Patch(d.Features["wpbhtb"][id-1])
			},
			"kcjc": func(e *supervise.Evaluator, id int64) (supervise.Finding, error) {
				return e.Mining(d.Features["kcjc"][id-1])
			},
			"tdgy": func(e *supervise.Evaluator, id int64) (supervise.Finding, error) {
				return e.Supply(d.Features["tdgy"][id-1])
			},
		}
		checked := 0
		for layer, fn := range judge {
			for id := int64(1); id <= int64(len(d.Features[layer])); id++ {
				got, err := fn(ev, id)
				if err != nil {
					t.Fatal(err)
				}
				want, ok := planted[layer][id]
				reasons := make([]string, len(got.Reasons))
				for i, r := range got.Reasons {
					reasons[i] = string(r)
				}
				if !ok {
					if len(got.Reasons) > 0 || (got.Verdict != "" && got.Verdict != supervise.Legal) {
						t.Errorf("seed %d: unplanted %s %d flagged %s %v", seed, layer, id, got.Verdict, reasons)
					}
					continue
				}
				checked++
				if string(got.Verdict) != want.Verdict || !slices.Equal(reasons, want.Reasons) {
					t.Errorf("seed %d: %s %d (%s, county %s): %s %v, manifest says %s %v", seed, layer, id, want.Kind, want.County, got.Verdict, reasons, want.Verdict, want.Reasons)
				}
			}
		}
		if checked != len(d.Manifest.Cases) {
			t.Errorf("seed %d: checked %d of %d planted cases", seed, checked, len(d.Manifest.Cases))
		}
		t.Logf("seed %d: %d planted cases agree", seed, checked)
	}
}
