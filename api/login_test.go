package api

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/onemap/onemap/auth"
)

func startLogins(t *testing.T, burst int) (*testServer, string) {
	t.Helper()
	h, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	key, sum, err := auth.NewKey("desk")
	if err != nil {
		t.Fatal(err)
	}
	f := &auth.File{
		Users: []auth.UserSpec{
			{Name: "ed", PasswordHash: string(h), Roles: []string{"editor"}},
			{Name: "root", PasswordHash: string(h), Roles: []string{"admin"}},
		},
		Keys: []auth.KeySpec{{ID: "desk", Name: "desk-gis", SHA256: sum, Roles: []string{"viewer"}}},
	}
	authn, err := auth.New(f, filepath.Join(t.TempDir(), "auth.json"), auth.Options{LoginBurst: burst})
	if err != nil {
		t.Fatal(err)
	}
	ts := startWith(t, filepath.Join(t.TempDir(), "t.gpkg"), func(c *Config) { c.Auth, c.Policy = authn, auth.Policy{} })
	return ts, key
}

func cookieOf(r response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestLoginCookieCSRFLogout(t *testing.T) {
	ts, _ := startLogins(t, 100)
	r := ts.do(t, "POST", "/api/v1/login", fmt.Sprintf(`{"user":"ed","password":%q}`, testPassword))
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	m := r.json(t)
	tok, csrf := m["token"].(string), m["csrf_token"].(string)
	sc := cookieOf(r, sessionCookie)
	if sc == nil || sc.Value != tok || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.MaxAge <= 0 {
		t.Fatalf("session cookie %+v", sc)
	}
	if cc := cookieOf(r, csrfCookie); cc == nil || cc.Value != csrf || cc.HttpOnly {
		t.Fatalf("csrf cookie %+v", cc)
	}
	cookie := sessionCookie + "=" + tok
	if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", cookie); r.json(t)["name"] != "ed" {
		t.Fatalf("me with cookie: %s", r.body)
	}
	body := parcelJSON(squareJSON(112, 30, 0.01), "")
	// A cookie-authenticated write needs the CSRF token; a bearer one does not.
	r = ts.do(t, "POST", "/api/v1/layers/dltb/features", body, "Cookie", cookie)
	if r.status != 403 || errorOf(t, r)["code"] != "csrf" {
		t.Fatalf("cookie write without CSRF: %d %s", r.status, r.body)
	}
	r = ts.do(t, "POST", "/api/v1/layers/dltb/features", body, "Cookie", cookie, csrfHeader, "forged")
	if r.status != 403 {
		t.Fatalf("cookie write with a wrong CSRF: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/layers/dltb/features", body, "Cookie", cookie, csrfHeader, csrf); r.status != 201 {
		t.Fatalf("cookie write with CSRF: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/layers/dltb/features", body, "Authorization", "Bearer "+tok); r.status != 201 {
		t.Fatalf("bearer write: %d %s", r.status, r.body)
	}
	// Logout ends the token at once, for the bearer and the cookie alike.
	r = ts.do(t, "POST", "/api/v1/logout", "", "Authorization", "Bearer "+tok)
	if r.status != 204 || cookieOf(r, sessionCookie) == nil || cookieOf(r, sessionCookie).MaxAge >= 0 {
		t.Fatalf("logout: %d %v", r.status, r.header)
	}
	if r := ts.do(t, "GET", "/api/v1/me", "", "Authorization", "Bearer "+tok); r.status != 401 {
		t.Fatalf("bearer after logout: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/me", "", "Cookie", cookie); r.json(t)["authenticated"] != false {
		t.Fatalf("cookie after logout: %s", r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/layers/dltb/features", body, "Cookie", cookie, csrfHeader, csrf); r.status != 401 {
		t.Fatalf("cookie write after logout: %d %s", r.status, r.body)
	}
	// Refusals.
	for _, c := range []struct {
		body, ctype string
		status      int
	}{
		{`{"user":"ed","password":"nope-nope"}`, "application/json", 401},
		{`{"user":"nobody","password":"nope-nope"}`, "application/json", 401},
		{`{"user":"ed"`, "application/json", 400},
		{`{"user":"ed","password":"x","extra":1}`, "application/json", 400},
		{`user=ed&password=x`, "application/x-www-form-urlencoded", 415},
	} {
		if r := ts.do(t, "POST", "/api/v1/login", c.body, "Content-Type", c.ctype); r.status != c.status {
			t.Errorf("login %s: %d, want %d: %s", c.body, r.status, c.status, r.body)
		} else if c.status == 401 && strings.Contains(string(r.body), "nobody") {
			t.Errorf("the refusal names the user: %s", r.body)
		}
	}
	for _, h := range [][]string{{"Authorization", "Bearer nonsense"}, {"Authorization", "Basic ZWQ6eA=="}, {keyHeader, "om_desk_00"}} {
		if r := ts.do(t, "GET", "/api/v1/layers", "", h...); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%v: %d %v", h, r.status, r.header)
		}
	}
}

func TestLoginThrottled(t *testing.T) {
	ts, _ := startLogins(t, 3)
	var last response
	for range 4 {
		last = ts.do(t, "POST", "/api/v1/login", `{"user":"ed","password":"wrong-wrong"}`)
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" || errorOf(t, last)["code"] != "throttled" {
		t.Fatalf("fourth attempt: %d %v %s", last.status, last.header, last.body)
	}
	// Even the right password waits.
	if r := ts.do(t, "POST", "/api/v1/login", fmt.Sprintf(`{"user":"ed","password":%q}`, testPassword)); r.status != 429 {
		t.Fatalf("right password while throttled: %d", r.status)
	}
}

func TestAPIKeyRevokedAtOnce(t *testing.T) {
	ts, key := startLogins(t, 100)
	for _, h := range [][]string{{keyHeader, key}, {"Authorization", "Bearer " + key}} {
		if r := ts.do(t, "GET", "/api/v1/me", "", h...); r.json(t)["name"] != "desk-gis" {
			t.Fatalf("key by %s: %s", h[0], r.body)
		}
	}
	if r := ts.do(t, "GET", "/api/v1/layers/dltb/features", "", keyHeader, key); r.status != 200 {
		t.Fatalf("viewer key reads internal: %d", r.status)
	}
	if r := ts.do(t, "POST", "/api/v1/layers/dltb/features", parcelJSON(squareJSON(112, 30, 0.01), ""), keyHeader, key); r.status != 403 {
		t.Fatalf("viewer key writes: %d", r.status)
	}
	login := func(user string) string {
		r := ts.do(t, "POST", "/api/v1/login", fmt.Sprintf(`{"user":%q,"password":%q}`, user, testPassword))
		return r.json(t)["token"].(string)
	}
	if r := ts.do(t, "DELETE", "/api/v1/keys/desk", "", "Authorization", "Bearer "+login("ed")); r.status != 403 {
		t.Fatalf("editor revokes: %d", r.status)
	}
	if r := ts.do(t, "DELETE", "/api/v1/keys/desk", ""); r.status != 401 {
		t.Fatalf("anonymous revokes: %d", r.status)
	}
	admin := login("root")
	if r := ts.do(t, "DELETE", "/api/v1/keys/nokey", "", "Authorization", "Bearer "+admin); r.status != 404 {
		t.Fatalf("unknown key: %d", r.status)
	}
	if r := ts.do(t, "DELETE", "/api/v1/keys/desk", "", "Authorization", "Bearer "+admin); r.status != 204 {
		t.Fatalf("admin revokes: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/layers", "", keyHeader, key); r.status != 401 {
		t.Fatalf("revoked key: %d", r.status)
	}
}

// Without an auth file there are no logins and every credential is refused.
func TestNoAuthFile(t *testing.T) {
	ts := startWith(t, filepath.Join(t.TempDir(), "t.gpkg"), func(c *Config) { c.Policy = auth.Policy{} })
	if r := ts.do(t, "POST", "/api/v1/login", `{"user":"a","password":"b"}`); r.status != 404 {
		t.Fatalf("login: %d", r.status)
	}
	if r := ts.do(t, "GET", "/api/v1/layers", "", "Authorization", "Bearer x.y.z"); r.status != 401 {
		t.Fatalf("bearer: %d", r.status)
	}
	if r := ts.do(t, "GET", "/api/v1/layers/xzq/features", ""); r.status != 200 {
		t.Fatalf("public read: %d", r.status)
	}
	if r := ts.do(t, "GET", "/api/v1/layers/dltb/features", ""); r.status != 401 {
		t.Fatalf("internal read: %d", r.status)
	}
	if r := ts.do(t, "POST", "/api/v1/layers/xzq/features", `{}`); r.status != 401 {
		t.Fatalf("public write: %d", r.status)
	}
}

// Tiles an anonymous caller may not see never sit in shared caches.
func TestTilePrivacyHeaders(t *testing.T) {
	ts, key := startLogins(t, 100)
	r := ts.do(t, "GET", "/tiles/dltb/12/3375/1689.mvt", "", keyHeader, key)
	if r.status >= 400 || !strings.Contains(r.header.Get("Cache-Control"), "private") || !strings.Contains(r.header.Get("Vary"), "Authorization") {
		t.Fatalf("internal tile: %d %v", r.status, r.header)
	}
	r = ts.do(t, "GET", "/tiles/xzq/12/3375/1689.mvt", "")
	if r.status >= 400 || strings.Contains(r.header.Get("Cache-Control"), "private") {
		t.Fatalf("public tile: %d %v", r.status, r.header)
	}
}
