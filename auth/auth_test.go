package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

// clock is a settable time for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func hash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// testFile writes an auth file with two users and a key into a temp folder.
func testFile(t *testing.T, extra func(*File)) (string, string) {
	t.Helper()
	key, sum, err := NewKey("gis")
	if err != nil {
		t.Fatal(err)
	}
	f := File{
		TokenSecret:     strings.Repeat("ab", 32),
		TokenTTL:        "1h",
		RevocationsFile: "revoked.txt",
		Users: []UserSpec{
			{Name: "ed", PasswordHash: hash(t, "editor-pass"), Roles: []string{"editor", "viewer"}, Regions: []string{"429901", "4299"}},
			{Name: "off", PasswordHash: hash(t, "off-pass"), Roles: []string{"admin"}, Disabled: true},
		},
		Keys: []KeySpec{{ID: "gis", Name: "gis-desktop", SHA256: sum, Roles: []string{"analyst"}}},
	}
	if extra != nil {
		extra(&f)
	}
	dir := t.TempDir()
	b, _ := json.Marshal(f)
	path := filepath.Join(dir, "auth.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, key
}

func TestLoginVerifyLogout(t *testing.T) {
	path, _ := testFile(t, nil)
	clk := &clock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	a, err := Load(path, Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	p, tok, err := a.Login("ed", "editor-pass", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// Roles sorted and repeated regions folded: 4299 covers 429901.
	if p.Name != "ed" || len(p.Roles) != 2 || p.Roles[0] != Editor || len(p.Regions) != 1 || p.Regions[0] != "4299" {
		t.Fatalf("principal %+v", p)
	}
	got, err := a.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "ed" || got.TokenID != p.TokenID || got.CSRF != p.CSRF || got.Via != Session {
		t.Fatalf("verified %+v, issued %+v", got, p)
	}
	// Expiry.
	clk.t = clk.t.Add(61 * time.Minute)
	if _, err := a.Verify(tok); !errors.Is(err, ErrBadCredentials) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}
	clk.t = clk.t.Add(-61 * time.Minute)
	// Logout takes effect at once, and survives a restart through the file.
	if err := a.Logout(got); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(tok); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("token after logout: %v", err)
	}
	b, err := Load(path, Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(tok); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("token after logout and restart: %v", err)
	}
	// A second session of the same user is unaffected.
	_, tok2, err := b.Login("ed", "editor-pass", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(tok2); err != nil {
		t.Fatal(err)
	}
}

func TestLoginRefusals(t *testing.T) {
	path, _ := testFile(t, nil)
	a, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, pw string }{{"ed", "wrong"}, {"nobody", "editor-pass"}, {"off", "off-pass"}, {"", ""}} {
		if _, _, err := a.Login(c.name, c.pw, "10.0.0."+c.name); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("login %q/%q: %v", c.name, c.pw, err)
		}
	}
	// A token signed with another secret, tampered, or of another algorithm.
	_, tok, err := a.Login("ed", "editor-pass", "10.0.1.1")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(claims), `"sub":"ed"`, `"sub":"off"`, 1)
	bad := []string{
		parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2],
		tok[:len(tok)-2] + "xx",
		"not.a.token",
		"",
	}
	other, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ed", "iss": "onemap", "aud": "onemap", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(strings.Repeat("x", 32)))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "ed", "iss": "onemap", "aud": "onemap", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	rs := rsaToken(t, newRSA(t), "k1", jwt.MapClaims{"sub": "ed", "exp": time.Now().Add(time.Hour).Unix()})
	bad = append(bad, other, none, rs)
	for i, b := range bad {
		if _, err := a.Verify(b); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("bad token %d accepted or wrong error: %v", i, err)
		}
	}
}

func TestKeys(t *testing.T) {
	path, key := testFile(t, nil)
	a, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Verify(key)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "gis-desktop" || !p.Has(Analyst) || p.Via != Key || p.Bound() {
		t.Fatalf("key principal %+v", p)
	}
	wrong := "0" // another last character: a random key may already end in 0
	if strings.HasSuffix(key, "0") {
		wrong = "1"
	}
	if _, err := a.VerifyKey(key[:len(key)-1] + wrong); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := a.VerifyKey("om_nokey_abc"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown key: %v", err)
	}
	if err := a.RevokeKey("nokey"); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("revoke unknown: %v", err)
	}
	if err := a.RevokeKey("gis"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyKey(key); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("revoked key accepted: %v", err)
	}
	b, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.VerifyKey(key); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("revoked key accepted after restart: %v", err)
	}
}

func TestThrottle(t *testing.T) {
	path, _ := testFile(t, nil)
	clk := &clock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	a, err := Load(path, Options{Now: clk.now, LoginBurst: 3, LoginEvery: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Failed attempts on one name from many addresses run out the name's bucket.
	for i := range 3 {
		if _, _, err := a.Login("ed", "wrong", "10.1.0."+string(rune('a'+i))); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, _, err = a.Login("ed", "editor-pass", "10.1.9.9")
	var th *Throttled
	if !errors.As(err, &th) || th.RetryAfter < time.Second || th.RetryAfter > 10*time.Second {
		t.Fatalf("fourth attempt: %v", err)
	}
	clk.t = clk.t.Add(10 * time.Second)
	if _, _, err := a.Login("ed", "editor-pass", "10.1.9.9"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// One address trying many names runs out its own bucket.
	for i := range 3 {
		a.Login("n"+string(rune('a'+i)), "x", "10.2.0.1")
	}
	if _, _, err := a.Login("ed", "editor-pass", "10.2.0.1"); !errors.As(err, &th) {
		t.Fatalf("address bucket: %v", err)
	}
}

func newRSA(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func rsaToken(t *testing.T, k *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func jwksOf(k *rsa.PublicKey, kid string) []byte {
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
	}}})
	return b
}

func TestIdentityProvider(t *testing.T) {
	k := newRSA(t)
	path, _ := testFile(t, func(f *File) {
		f.IdentityProvider = &IdPSpec{JWKSFile: "idp.json", Issuer: "https://idp.example", Audience: "onemap"}
	})
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "idp.json"), jwksOf(&k.PublicKey, "k1"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Unix()
	good := jwt.MapClaims{"iss": "https://idp.example", "aud": "onemap", "exp": exp, "jti": "j1",
		"preferred_username": "alice", "roles": []string{"supervisor", "pilot"}, "onemap_regions": "429902"}
	p, err := a.Verify(rsaToken(t, k, "k1", good))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "alice" || len(p.Roles) != 1 || !p.Has(Supervisor) || !p.InRegion("429902001") || p.InRegion("429901") || p.Via != External {
		t.Fatalf("principal %+v", p)
	}
	if err := a.Logout(p); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(rsaToken(t, k, "k1", good)); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("revoked IdP token: %v", err)
	}
	other := newRSA(t)
	cases := map[string]string{
		"other key":      rsaToken(t, other, "k1", good),
		"unknown kid":    rsaToken(t, k, "k9", good),
		"wrong issuer":   rsaToken(t, k, "k1", with(good, "iss", "https://evil.example")),
		"wrong audience": rsaToken(t, k, "k1", with(good, "aud", "other")),
		"expired":        rsaToken(t, k, "k1", with(good, "exp", time.Now().Add(-time.Hour).Unix())),
		"no expiry":      rsaToken(t, k, "k1", with(good, "exp", nil)),
		"bad region":     rsaToken(t, k, "k1", with(with(good, "jti", "j2"), "onemap_regions", "42-99")),
	}
	// HS256 signed with the public key's bytes (algorithm confusion).
	pub := jwksOf(&k.PublicKey, "k1")
	conf, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, with(good, "jti", "j3")).SignedString(pub)
	cases["alg confusion"] = conf
	for name, tok := range cases {
		if _, err := a.Verify(tok); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%s: accepted or wrong error: %v", name, err)
		}
	}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func TestParseFileRefuses(t *testing.T) {
	good := hash(t, "password1")
	cases := map[string]string{
		"unknown field":  `{"users":[],"token_secrett":"x"}`,
		"short secret":   `{"users":[],"token_secret":"abcd"}`,
		"bad ttl":        `{"users":[],"token_ttl":"-1h"}`,
		"plain password": `{"users":[{"name":"a","password_hash":"secret","roles":["viewer"]}]}`,
		"unknown role":   `{"users":[{"name":"a","password_hash":"` + good + `","roles":["root"]}]}`,
		"no role":        `{"users":[{"name":"a","password_hash":"` + good + `","roles":[]}]}`,
		"bad region":     `{"users":[{"name":"a","password_hash":"` + good + `","roles":["viewer"],"regions":["42x"]}]}`,
		"twice":          `{"users":[{"name":"a","password_hash":"` + good + `","roles":["viewer"]},{"name":"a","password_hash":"` + good + `","roles":["viewer"]}]}`,
		"bad key hash":   `{"users":[],"keys":[{"id":"k","name":"k","sha256":"00","roles":["viewer"]}]}`,
		"bad key id":     `{"users":[],"keys":[{"id":"K_1","name":"k","sha256":"` + strings.Repeat("0", 64) + `","roles":["viewer"]}]}`,
		"idp incomplete": `{"users":[],"identity_provider":{"jwks_file":"x"}}`,
		"trailing":       `{"users":[]} {}`,
	}
	for name, in := range cases {
		if _, err := ParseFile([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseFile([]byte(`{"users":[{"name":"a","password_hash":"` + good + `","roles":["viewer"],"regions":["4299"]}]}`)); err != nil {
		t.Errorf("good file refused: %v", err)
	}
}
