package api

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
	"golang.org/x/crypto/bcrypt"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/codec"
	"github.com/onemap/onemap/layers/gpkg"
	"github.com/onemap/onemap/spatial"
)

// accessScale keeps the demo data small: a few counties.
const accessScale = 2500

// demoTemplate is a GeoPackage of the demo data made once per test binary;
// each server works on its own copy.
var demoTemplate struct {
	path string
	err  error
}

func demoCopy(t *testing.T) string {
	t.Helper()
	if demoTemplate.path == "" && demoTemplate.err == nil {
		dir, err := os.MkdirTemp("", "onemap-access")
		if err == nil {
			demoTemplate.path = filepath.Join(dir, "demo.gpkg")
			demoTemplate.err = writeDemo(demoTemplate.path)
		} else {
			demoTemplate.err = err
		}
	}
	if demoTemplate.err != nil {
		t.Fatal(demoTemplate.err)
	}
	b, err := os.ReadFile(demoTemplate.path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "demo.gpkg")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeDemo(path string) error {
	ctx := context.Background()
	cat := layers.DefaultCatalog()
	st, err := gpkg.Open(ctx, path, cat)
	if err != nil {
		return err
	}
	_, err = fixtures.Generate(ctx, cat, fixtures.Config{Seed: 1, Scale: accessScale}, func(l string, fs iter.Seq2[*layers.Feature, error]) error {
		_, err := st.Import(ctx, l, fs)
		return err
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// testUsers are the users of the access tests' auth file: one per role,
// and two bound to a county (filled in once the county is known).
var testUsers = []struct {
	name  string
	roles []string
	bound bool
}{
	{"viewer", []string{"viewer"}, false},
	{"analyst", []string{"analyst"}, false},
	{"supervisor", []string{"supervisor"}, false},
	{"editor", []string{"editor"}, false},
	{"admin", []string{"admin"}, false},
	{"county-editor", []string{"editor"}, true},
	{"county-supervisor", []string{"supervisor", "editor"}, true},
}

const testPassword = "password-1"

type accessServer struct {
	*testServer
	tokens map[string]string // caller → bearer token ("" anonymous)
}

// startAccess serves the demo data with an auth file whose bound users
// belong to county; the policy is demo or secure.
func startAccess(t *testing.T, demo bool, county string) *accessServer {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	f := &auth.File{}
	for _, u := range testUsers {
		spec := auth.UserSpec{Name: u.name, PasswordHash: string(h), Roles: u.roles}
		if u.bound {
			spec.Regions = []string{county}
		}
		f.Users = append(f.Users, spec)
	}
	authn, err := auth.New(f, filepath.Join(t.TempDir(), "auth.json"), auth.Options{LoginBurst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ts := startWith(t, demoCopy(t), func(c *Config) {
		c.Auth = authn
		c.Policy = auth.Policy{Demo: demo}
	})
	as := &accessServer{testServer: ts, tokens: map[string]string{"anonymous": ""}}
	for _, u := range testUsers {
		r := ts.do(t, "POST", "/api/v1/login", fmt.Sprintf(`{"user":%q,"password":%q}`, u.name, testPassword))
		if r.status != 200 {
			t.Fatalf("login %s: %d %s", u.name, r.status, r.body)
		}
		as.tokens[u.name] = r.json(t)["token"].(string)
	}
	return as
}

func (as *accessServer) call(t *testing.T, caller, method, path, body string) response {
	t.Helper()
	if tok := as.tokens[caller]; tok != "" {
		return as.do(t, method, path, body, "Authorization", "Bearer "+tok)
	}
	return as.do(t, method, path, body)
}

// sample is a feature of a matrix layer in the bound users' county or out of it.
type sample struct {
	layer *layers.Layer
	in    *layers.Feature
	out   *layers.Feature
}

// codeOf is the county the generator placed a feature in, read from its
// attributes (not from the region package under test).
func codeOf(l *layers.Layer, f *layers.Feature) string {
	switch l.ID {
	case "tdzfaj":
		return l.Value(f, "AJBH").(string)[2:8]
	case "bdcdj":
		return l.Value(f, "BDCDYH").(string)[:6]
	case "jmd", "xzq", "wpbhtb", "czkfbj":
		return l.Value(f, "XZQDM").(string)
	}
	return l.Value(f, "ZLDWDM").(string)
}

// matrixLayers are one layer per access class, each with a code the
// generator names.
var matrixLayers = []string{"jmd", "dltb", "tdzfaj"}

func pickSamples(t *testing.T, idx *spatial.Index, cat *layers.Catalog) (string, map[string]sample) {
	t.Helper()
	snap := idx.Snapshot()
	byCounty := map[string]map[string]*layers.Feature{} // county → layer → a feature
	for _, id := range matrixLayers {
		l := cat.Layer(id)
		snap.Ascend(id, 0, func(f *layers.Feature) bool {
			c := codeOf(l, f)
			if len(c) < 6 {
				return true
			}
			c = c[:6]
			if byCounty[c] == nil {
				byCounty[c] = map[string]*layers.Feature{}
			}
			if byCounty[c][id] == nil {
				byCounty[c][id] = f
			}
			return true
		})
	}
	var full []string
	for c, m := range byCounty {
		if len(m) == len(matrixLayers) {
			full = append(full, c)
		}
	}
	if len(full) < 2 {
		t.Fatalf("need two counties with features of %v, have %v", matrixLayers, full)
	}
	in, out := full[0], full[1]
	samples := map[string]sample{}
	for _, id := range matrixLayers {
		samples[id] = sample{layer: cat.Layer(id), in: byCounty[in][id], out: byCounty[out][id]}
	}
	return in, samples
}

// featureBody is a feature's GeoJSON without id and version, for POST and PUT.
func featureBody(l *layers.Layer, f *layers.Feature) string {
	g := codec.EncodeFeature(l, f)
	b, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": g.Geometry, "properties": g.Properties})
	return string(b)
}

func tilePath(l *layers.Layer, f *layers.Feature) string {
	z := maptile.Zoom(max(l.MinZoom, 10))
	t := maptile.At(f.Geometry.Bound().Center(), z)
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l.ID, t.Z, t.X, t.Y)
}

// matrixSpec is what the issue asks of each caller, per access class, for
// the actions read, analyse, check and write: A allowed, U 401, F 403.
// Bound callers are further limited to their county (checked per route).
var matrixSpec = map[string]map[layers.Access]string{
	"anonymous":         {layers.Public: "AAUU", layers.Internal: "UUUU", layers.Restricted: "UUUU"},
	"demo-anonymous":    {layers.Public: "AAAA", layers.Internal: "AAAA", layers.Restricted: "UUUU"},
	"viewer":            {layers.Public: "AAFF", layers.Internal: "AFFF", layers.Restricted: "FFFF"},
	"analyst":           {layers.Public: "AAFF", layers.Internal: "AAFF", layers.Restricted: "FFFF"},
	"supervisor":        {layers.Public: "AAAF", layers.Internal: "AAAF", layers.Restricted: "AAAF"},
	"editor":            {layers.Public: "AAFA", layers.Internal: "AFFA", layers.Restricted: "FFFF"},
	"admin":             {layers.Public: "AAAA", layers.Internal: "AAAA", layers.Restricted: "AAAA"},
	"county-editor":     {layers.Public: "AAFA", layers.Internal: "AFFA", layers.Restricted: "FFFF"},
	"county-supervisor": {layers.Public: "AAAA", layers.Internal: "AAAA", layers.Restricted: "AAAA"},
}

var actionColumn = map[auth.Action]int{auth.Read: 0, auth.Analyse: 1, auth.Check: 2, auth.Write: 3}

// matrixCall is one request of the matrix on a feature's layer.
type matrixCall struct {
	method, path, body string
}

// matrixRoute is one endpoint of the matrix: the action it needs, how to
// call it on a sample feature (the server and an admin token at hand for
// set-up), the statuses that mean "allowed", and, for region-bound callers
// outside their county, what they get instead (0: not region-bound here).
type matrixRoute struct {
	name    string
	action  auth.Action
	call    func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall
	ok      []int
	outside int // status for a bound caller's request on another county's feature (non-public reads, all writes)
	// check, when set, looks further into an allowed answer: in says
	// whether the feature lies in the caller's regions (or the caller is
	// not bound).
	check func(t *testing.T, r response, f *layers.Feature, in bool)
}

// listsFeature is the check of routes whose answer lists features: the
// sample is there exactly when it lies in the caller's regions.
func listsFeature(t *testing.T, r response, f *layers.Feature, in bool) {
	t.Helper()
	found := strings.Contains(string(r.body), fmt.Sprintf(`"id":%d,`, f.ID))
	if found != in {
		t.Errorf("feature %d in the answer: %v, in region: %v", f.ID, found, in)
	}
}

// tileHolds checks a tile answer: the sample is in it exactly when it lies
// in the caller's regions, and a tile of a non-public layer is private.
func tileHolds(t *testing.T, r response, f *layers.Feature, in bool) {
	t.Helper()
	found := false
	if r.status == 200 {
		mls, err := mvt.Unmarshal(r.body)
		if err != nil {
			t.Fatalf("tile does not decode: %v", err)
		}
		for _, ml := range mls {
			for _, gf := range ml.Features {
				found = found || gf.ID == float64(f.ID)
			}
		}
	}
	if found != in {
		t.Errorf("feature %d in the tile: %v, in region: %v", f.ID, found, in)
	}
}

// insidePoint is a point of the feature (for polygons, one inside).
func insidePoint(f *layers.Feature) orb.Point {
	switch g := f.Geometry.(type) {
	case orb.Point:
		return g
	case orb.MultiPolygon:
		b := g.Bound()
		for i := 1; i < 64; i++ {
			for j := 1; j < 64; j++ {
				p := orb.Point{b.Min[0] + (b.Max[0]-b.Min[0])*float64(i)/64, b.Min[1] + (b.Max[1]-b.Min[1])*float64(j)/64}
				if planar.MultiPolygonContains(g, p) {
					return p
				}
			}
		}
	}
	return f.Geometry.Bound().Center()
}

// siteAround is a tiny square (about 1 m) around the feature's inside point.
func siteAround(f *layers.Feature) string {
	p := insidePoint(f)
	return squareJSON(p[0]-5e-6, p[1]-5e-6, 1e-5)
}

// matrixRoutes are the endpoints of the matrix. A new route joins by
// adding an entry here.
var matrixRoutes = []matrixRoute{
	{name: "identify", action: auth.Read, ok: []int{200}, check: listsFeature,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			p := insidePoint(f)
			return matrixCall{"GET", fmt.Sprintf("/api/v1/identify?lon=%.9f&lat=%.9f&layers=%s&tolerance_m=1", p[0], p[1], l.ID), ""}
		}},
	{name: "query", action: auth.Analyse, ok: []int{200}, check: listsFeature,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			return matrixCall{"POST", "/api/v1/query", fmt.Sprintf(`{"geometry":%s,"layers":[%q]}`, siteAround(f), l.ID)}
		}},
	{name: "overlay", action: auth.Analyse, ok: []int{200}, check: listsFeature,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			return matrixCall{"POST", "/api/v1/analysis/overlay", fmt.Sprintf(`{"geometry":%s,"layers":[%q]}`, siteAround(f), l.ID)}
		}},
	{name: "list features", action: auth.Read, ok: []int{200}, check: listsFeature,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			b := f.Geometry.Bound()
			return matrixCall{"GET", fmt.Sprintf("/api/v1/layers/%s/features?bbox=%f,%f,%f,%f&limit=10000", l.ID, b.Min[0]-1e-6, b.Min[1]-1e-6, b.Max[0]+1e-6, b.Max[1]+1e-6), ""}
		}},
	{name: "OGC items", action: auth.Read, ok: []int{200}, check: listsFeature,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			b := f.Geometry.Bound()
			return matrixCall{"GET", fmt.Sprintf("/ogc/collections/%s/items?bbox=%f,%f,%f,%f&limit=10000&f=json", l.ID, b.Min[0]-1e-6, b.Min[1]-1e-6, b.Max[0]+1e-6, b.Max[1]+1e-6), ""}
		}},
	{name: "OGC item", action: auth.Read, ok: []int{200}, outside: 404,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			return matrixCall{"GET", fmt.Sprintf("/ogc/collections/%s/items/%d?f=json", l.ID, f.ID), ""}
		}},
	{name: "OGC create", action: auth.Write, ok: []int{201}, outside: 403,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			return matrixCall{"POST", "/ogc/collections/" + l.ID + "/items", featureBody(l, f)}
		}},
	{name: "get feature", action: auth.Read, ok: []int{200}, outside: 404,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			return matrixCall{"GET", fmt.Sprintf("/api/v1/layers/%s/features/%d", l.ID, f.ID), ""}
		}},
	{name: "feature history", action: auth.Read, ok: []int{200}, outside: 404,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			return matrixCall{"GET", fmt.Sprintf("/api/v1/layers/%s/features/%d/history", l.ID, f.ID), ""}
		}},
	{name: "tile", action: auth.Read, ok: []int{200, 204}, check: tileHolds,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			return matrixCall{"GET", tilePath(l, f), ""}
		}},
	{name: "create feature", action: auth.Write, ok: []int{201}, outside: 403,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			return matrixCall{"POST", "/api/v1/layers/" + l.ID + "/features", featureBody(l, f)}
		}},
	{name: "replace feature", action: auth.Write, ok: []int{200}, outside: 403,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			return matrixCall{"PUT", fmt.Sprintf("/api/v1/layers/%s/features/%d", l.ID, f.ID), featureBody(l, f)}
		}},
	{name: "delete feature", action: auth.Write, ok: []int{204}, outside: 403,
		call: func(t *testing.T, as *accessServer, l *layers.Layer, f *layers.Feature) matrixCall {
			// Delete a fresh copy (made by the admin), so every allowed
			// delete has something of its own to remove.
			r := as.call(t, "admin", "POST", "/api/v1/layers/"+l.ID+"/features", featureBody(l, f))
			if r.status != 201 {
				t.Fatalf("set-up copy: %d %s", r.status, r.body)
			}
			return matrixCall{"DELETE", fmt.Sprintf("/api/v1/layers/%s/features/%d", l.ID, int64(r.json(t)["id"].(float64))), ""}
		}},
}

// TestAccessMatrix runs every caller × access class × route × in/out of
// the bound callers' county, in the secure mode and the demo mode.
func TestAccessMatrix(t *testing.T) {
	for _, demo := range []bool{false, true} {
		t.Run(fmt.Sprintf("demo=%v", demo), func(t *testing.T) {
			probe := startWith(t, demoCopy(t), nil)
			county, samples := pickSamples(t, probe.idx, layers.DefaultCatalog())
			probe.stop()
			as := startAccess(t, demo, county)
			callers := []string{"anonymous"}
			if demo {
				callers = []string{"demo-anonymous"} // anonymous has the demo's rights
			}
			for _, u := range testUsers {
				callers = append(callers, u.name)
			}
			for _, caller := range callers {
				token := caller
				if caller == "demo-anonymous" {
					token = "anonymous"
				}
				bound := strings.HasPrefix(caller, "county-")
				for _, id := range matrixLayers {
					s := samples[id]
					want := matrixSpec[caller][s.layer.Access]
					for _, rt := range matrixRoutes {
						for _, side := range []string{"in", "out"} {
							f := s.in
							if side == "out" {
								f = s.out
							}
							name := fmt.Sprintf("%s/%s/%s/%s", caller, id, rt.name, side)
							call := rt.call(t, as, s.layer, f)
							r := as.call(t, token, call.method, call.path, call.body)
							allowed := want[actionColumn[rt.action]] == 'A'
							// Public layers are open to anyone: only changes to them are bound.
							regionBound := bound && (rt.action == auth.Write || rt.action == auth.Check || s.layer.Access != layers.Public)
							inRegion := !regionBound || side == "in"
							switch {
							case !allowed:
								wantStatus := map[byte]int{'U': 401, 'F': 403}[want[actionColumn[rt.action]]]
								if r.status != wantStatus {
									t.Errorf("%s: %d, want %d: %s", name, r.status, wantStatus, r.body)
								}
							case !inRegion && rt.outside != 0:
								if r.status != rt.outside {
									t.Errorf("%s: %d, want %d outside the county: %s", name, r.status, rt.outside, r.body)
								}
							default:
								if !contains(rt.ok, r.status) {
									t.Errorf("%s: %d, want %v: %s", name, r.status, rt.ok, r.body)
								} else if rt.check != nil {
									t.Run(name, func(t *testing.T) { rt.check(t, r, f, inRegion) })
								}
							}
						}
					}
					// The catalogue entry shows count and extent exactly to callers who may read.
					r := as.call(t, token, "GET", "/api/v1/layers/"+id, "")
					if shown := r.json(t)["count"] != nil; shown != (want[0] == 'A') {
						t.Errorf("%s/%s catalogue count shown: %v", caller, id, shown)
					}
				}
			}
		})
	}
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestHistoryRecordsUser: every change in PostGIS's history carries the
// name of who made it (the GeoPackage keeps no history).
func TestHistoryRecordsUser(t *testing.T) {
	h, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	authn, err := auth.New(&auth.File{Users: []auth.UserSpec{{Name: "ed", PasswordHash: string(h), Roles: []string{"editor"}}}},
		filepath.Join(t.TempDir(), "auth.json"), auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDB(t)
	ts := startPostGIS(t, url, func(c *Config) { c.Auth, c.Policy = authn, auth.Policy{} })
	r := ts.do(t, "POST", "/api/v1/login", fmt.Sprintf(`{"user":"ed","password":%q}`, testPassword))
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	tok := r.json(t)["token"].(string)
	body := parcelJSON(squareJSON(112, 30, 0.01), "")
	if r := ts.do(t, "POST", "/api/v1/layers/dltb/features", body); r.status != 401 {
		t.Fatalf("anonymous write in the secure mode: %d %s", r.status, r.body)
	}
	r = ts.do(t, "POST", "/api/v1/layers/dltb/features", body, "Authorization", "Bearer "+tok)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := int64(r.json(t)["id"].(float64))
	r = ts.do(t, "DELETE", fmt.Sprintf("/api/v1/layers/dltb/features/%d", id), "", "Authorization", "Bearer "+tok)
	if r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(context.Background(), `SELECT op, coalesce(username, '') FROM onemap_history WHERE layer = 'dltb' AND feature_id = $1 ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var op, user string
		if err := rows.Scan(&op, &user); err != nil {
			t.Fatal(err)
		}
		got = append(got, op+":"+user)
	}
	if strings.Join(got, " ") != "create:ed delete:ed" {
		t.Fatalf("history rows %v", got)
	}
}

// TestCountyEditorCannotChangeAnotherCounty: a refused write leaves the
// feature as it was.
func TestCountyEditorCannotChangeAnotherCounty(t *testing.T) {
	probe := startWith(t, demoCopy(t), nil)
	county, samples := pickSamples(t, probe.idx, layers.DefaultCatalog())
	probe.stop()
	as := startAccess(t, false, county)
	for _, id := range matrixLayers[:2] { // the editor reads no restricted layer
		s := samples[id]
		moved := featureBody(s.layer, s.in) // another county's feature given this county's content
		for _, c := range []matrixCall{
			{"PUT", fmt.Sprintf("/api/v1/layers/%s/features/%d", id, s.out.ID), featureBody(s.layer, s.out)},
			{"PUT", fmt.Sprintf("/api/v1/layers/%s/features/%d", id, s.out.ID), moved},
			{"DELETE", fmt.Sprintf("/api/v1/layers/%s/features/%d", id, s.out.ID), ""},
			{"POST", "/api/v1/layers/" + id + "/features", featureBody(s.layer, s.out)},
			// Moving an own feature into another county is a change there too.
			{"PUT", fmt.Sprintf("/api/v1/layers/%s/features/%d", id, s.in.ID), featureBody(s.layer, s.out)},
		} {
			if r := as.call(t, "county-editor", c.method, c.path, c.body); r.status != 403 {
				t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
			}
		}
		for _, f := range []*layers.Feature{s.in, s.out} {
			r := as.call(t, "admin", "GET", fmt.Sprintf("/api/v1/layers/%s/features/%d", id, f.ID), "")
			if v := r.json(t)["version"]; v != float64(1) {
				t.Errorf("%s %d: version %v after refused writes", id, f.ID, v)
			}
		}
		if n := as.idx.Snapshot().Count(id); n != probe.idx.Snapshot().Count(id) {
			t.Errorf("%s: %d features after refused writes, %d before", id, n, probe.idx.Snapshot().Count(id))
		}
	}
}
