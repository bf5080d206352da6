package region

import (
	"testing"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
)

// The generator names the county it placed a feature in: BDCDYH starts
// with the village code, AJBH with "AJ" and the county code. Those are
// the oracle for the county computed from geometry.
func TestCountyOfLayersWithoutCode(t *testing.T) {
	d := demotest.Load(t, 1, 3000)
	idx := d.FreshIndex(t)
	r := New(idx)
	snap := idx.Snapshot()
	counties := map[string]bool{}
	for _, c := range []struct {
		layer, field string
		from         int
	}{{"bdcdj", "BDCDYH", 0}, {"tdzfaj", "AJBH", 2}} {
		l := d.Catalog.Layer(c.layer)
		if CodeField(l) >= 0 {
			t.Fatalf("%s has a code field; the test needs one without", c.layer)
		}
		n := 0
		for _, f := range d.Features[c.layer] {
			want := l.Value(f, c.field).(string)[c.from : c.from+CountyCodeLen]
			if got := r.Of(snap, l, f); got != want {
				t.Errorf("%s %d: county %q, generator placed it in %q", c.layer, f.ID, got, want)
			}
			counties[want] = true
			n++
		}
		if n == 0 {
			t.Fatalf("no %s features", c.layer)
		}
	}
	if len(counties) < 2 {
		t.Fatalf("only %d counties: the test tells nothing apart", len(counties))
	}
	// Layers with a code field answer it.
	dltb := d.Catalog.Layer("dltb")
	f := d.Features["dltb"][0]
	if got, want := r.Of(snap, dltb, f), dltb.Value(f, "ZLDWDM"); got != want {
		t.Errorf("dltb: %q, ZLDWDM %v", got, want)
	}
}

// A feature moved into another county, or a county that goes, is answered
// anew: the resolver follows the index's changes.
func TestFollowsChanges(t *testing.T) {
	d := demotest.Load(t, 1, 3000)
	idx := d.FreshIndex(t)
	r := New(idx)
	l := d.Catalog.Layer("tdzfaj")
	cases := d.Features["tdzfaj"]
	a := cases[0]
	ca := r.Of(idx.Snapshot(), l, a)
	var b *layers.Feature
	for _, f := range cases {
		if r.Of(idx.Snapshot(), l, f) != ca {
			b = f
			break
		}
	}
	if b == nil {
		t.Fatal("every case lies in one county")
	}
	cb := r.Of(idx.Snapshot(), l, b)
	moved := &layers.Feature{ID: a.ID, Version: a.Version + 1, Geometry: b.Geometry, Props: a.Props}
	if err := idx.Put("tdzfaj", moved); err != nil {
		t.Fatal(err)
	}
	<-idx.Settled()
	if got := r.Of(idx.Snapshot(), l, moved); got != cb {
		t.Fatalf("moved case: county %q, want %q", got, cb)
	}
	// Remove county cb from the admin areas: the case lies in none now.
	adm := d.Catalog.Layer(AdminLayer)
	for _, c := range d.Features[AdminLayer] {
		if adm.Value(c, "XZQDM") == cb {
			if err := idx.Remove(AdminLayer, c.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	<-idx.Settled()
	if got := r.Of(idx.Snapshot(), l, moved); got != "" {
		t.Fatalf("after its county went: %q", got)
	}
}
