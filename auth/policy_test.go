package auth

import (
	"errors"
	"testing"

	"github.com/onemap/onemap/layers"
)

// TestPolicyMatrix spells out, for every kind of caller, access class and
// action, what the issue asks: A = allowed, U = 401, F = 403. Columns are
// read, analyse, check, write on a layer of that class.
func TestPolicyMatrix(t *testing.T) {
	type row struct {
		caller                       string
		public, internal, restricted string // read analyse check write
	}
	rows := []row{
		{"anonymous", "AAUU", "UUUU", "UUUU"},
		{"demo-anonymous", "AAAA", "AAAA", "UUUU"},
		{"viewer", "AAFF", "AFFF", "FFFF"},
		{"analyst", "AAFF", "AAFF", "FFFF"},
		{"supervisor", "AAAF", "AAAF", "AAAF"},
		{"editor", "AAFA", "AFFA", "FFFF"},
		{"admin", "AAAA", "AAAA", "AAAA"},
		{"editor+supervisor", "AAAA", "AAAA", "AAAA"},
		{"no-role", "AAFF", "FFFF", "FFFF"},
	}
	callers := map[string]struct {
		p   *Principal
		pol Policy
	}{
		"anonymous":         {Anonymous(), Policy{}},
		"demo-anonymous":    {Anonymous(), Policy{Demo: true}},
		"viewer":            {user1(Viewer), Policy{}},
		"analyst":           {user1(Analyst), Policy{}},
		"supervisor":        {user1(Supervisor), Policy{Demo: true}},
		"editor":            {user1(Editor), Policy{}},
		"admin":             {user1(Admin), Policy{}},
		"editor+supervisor": {user1(Editor, Supervisor), Policy{}},
		"no-role":           {user1(), Policy{}},
	}
	classes := []layers.Access{layers.Public, layers.Internal, layers.Restricted}
	actions := []Action{Read, Analyse, Check, Write}
	for _, r := range rows {
		c := callers[r.caller]
		for ci, want := range []string{r.public, r.internal, r.restricted} {
			l := &layers.Layer{ID: "l", Access: classes[ci]}
			for ai, a := range actions {
				err := c.pol.Layer(c.p, l, a)
				got := verdict(err)
				if got != want[ai] {
					t.Errorf("%s %s %s: got %c (%v), want %c", r.caller, a, classes[ci], got, err, want[ai])
				}
			}
		}
	}
	// Actions not bound to a layer.
	for _, c := range []struct {
		p    *Principal
		pol  Policy
		a    Action
		want byte
	}{
		{Anonymous(), Policy{}, Analyse, 'U'},
		{Anonymous(), Policy{Demo: true}, Analyse, 'A'},
		{Anonymous(), Policy{Demo: true}, Check, 'A'},
		{Anonymous(), Policy{Demo: true}, Administer, 'U'},
		{user1(Viewer), Policy{}, Analyse, 'F'},
		{user1(Supervisor), Policy{}, Check, 'A'},
		{user1(Analyst), Policy{}, Check, 'F'},
		{user1(Editor, Supervisor, Analyst), Policy{}, Administer, 'F'},
		{user1(Admin), Policy{}, Administer, 'A'},
	} {
		if got := verdict(c.pol.Allow(c.p, c.a)); got != c.want {
			t.Errorf("%v %s (demo %v): got %c want %c", c.p.Roles, c.a, c.pol.Demo, got, c.want)
		}
	}
}

func user1(roles ...Role) *Principal {
	r, _ := normalise(roles, nil)
	return &Principal{Name: "u", Roles: r, Via: Session}
}

func verdict(err error) byte {
	switch {
	case err == nil:
		return 'A'
	case errors.Is(err, ErrUnauthenticated):
		return 'U'
	case errors.Is(err, ErrForbidden):
		return 'F'
	}
	return '?'
}

func TestRegions(t *testing.T) {
	p := &Principal{Name: "c", Roles: []Role{Editor}, Via: Session}
	p.Roles, p.Regions = normalise(p.Roles, []string{"429902", "429901"})
	for code, want := range map[string]bool{"429901": true, "429901003002": true, "429902": true, "429903": false, "4299": false, "": false} {
		if got := p.InRegion(code); got != want {
			t.Errorf("InRegion(%q) = %v", code, got)
		}
	}
	if p.CoversRegion("4299") || !p.CoversRegion("429901001") || p.CoversRegion("") {
		t.Error("CoversRegion")
	}
	free := user1(Editor)
	if !free.InRegion("") || !free.CoversRegion("") {
		t.Error("an unbound caller is everywhere")
	}
	pol := Policy{}
	pub, in, re := &layers.Layer{ID: "xzq", Access: layers.Public}, &layers.Layer{ID: "dltb", Access: layers.Internal}, &layers.Layer{ID: "bdcdj", Access: layers.Restricted}
	if pol.RegionBound(p, pub, Read) || !pol.RegionBound(p, pub, Write) || !pol.RegionBound(p, in, Read) || !pol.RegionBound(p, re, Analyse) {
		t.Error("RegionBound")
	}
	if pol.RegionBound(free, re, Write) {
		t.Error("an unbound caller is never region-bound")
	}
	// Tile views: equal for every caller who sees the same tiles.
	for _, c := range []struct {
		p       *Principal
		ls      []*layers.Layer
		view    string
		private bool
	}{
		{Anonymous(), []*layers.Layer{pub}, "", false},
		{free, []*layers.Layer{pub, in}, "", true},
		{free, []*layers.Layer{re}, "", true},
		{p, []*layers.Layer{pub}, "", false},
		{p, []*layers.Layer{pub, re}, "regions:429901,429902", true},
	} {
		v, priv := pol.TileView(c.p, c.ls)
		if v != c.view || priv != c.private {
			t.Errorf("TileView(%s, %d layers) = %q %v, want %q %v", c.p.Name, len(c.ls), v, priv, c.view, c.private)
		}
	}
}
