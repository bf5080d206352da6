package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

// ErrBadCredentials says a password, token or key was not accepted; the
// API answers 401 and never says which part was wrong.
var ErrBadCredentials = errors.New("credentials not accepted")

// CredentialError is a refused credential with the reason the client may
// see (an expired token says so; a wrong password does not say whether
// the user exists).
type CredentialError struct{ Reason string }

func (e *CredentialError) Error() string { return e.Reason }
func (e *CredentialError) Unwrap() error { return ErrBadCredentials }

// issuer is the iss and aud of the session tokens onemap issues.
const issuer = "onemap"

// KeyPrefix starts every API key, so that a key is told from a token.
const KeyPrefix = "om_"

type user struct {
	spec    UserSpec
	roles   []Role
	regions []string
}

type apiKey struct {
	spec    KeySpec
	sum     []byte
	roles   []Role
	regions []string
}

// Authenticator checks credentials against an auth file's users and keys
// and issues session tokens. It is safe for concurrent use.
type Authenticator struct {
	users   map[string]*user
	keys    map[string]*apiKey
	secret  []byte
	ttl     time.Duration
	idp     *identityProvider
	revoked *revocations
	limit   *throttle
	now     func() time.Time

	dummy []byte // a bcrypt hash compared against for unknown users
	mu    sync.Mutex
}

// Options tune an Authenticator; the zero value is what serve uses.
type Options struct {
	Now func() time.Time // the clock (tests move it)
	// LoginBurst and LoginEvery throttle login attempts per client address
	// and failed attempts per user name: LoginBurst at once, then one per
	// LoginEvery. Defaults: 5 and 12s.
	LoginBurst int
	LoginEvery time.Duration
}

// Load reads the auth file at path and returns its authenticator.
func Load(path string, opt Options) (*Authenticator, error) {
	f, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	return New(f, path, opt)
}

// New returns the authenticator of a checked auth file; path is where the
// file lives (relative paths in it are resolved from its folder).
func New(f *File, path string, opt Options) (*Authenticator, error) {
	a := &Authenticator{users: map[string]*user{}, keys: map[string]*apiKey{}, ttl: 8 * time.Hour, now: opt.Now}
	if a.now == nil {
		a.now = time.Now
	}
	if f.TokenSecret != "" {
		a.secret, _ = hex.DecodeString(f.TokenSecret)
	} else {
		a.secret = make([]byte, 32)
		if _, err := rand.Read(a.secret); err != nil {
			return nil, fmt.Errorf("token secret: %w", err)
		}
	}
	if f.TokenTTL != "" {
		a.ttl, _ = time.ParseDuration(f.TokenTTL)
	}
	for _, u := range f.Users {
		roles, regions := normalise(toRoles(u.Roles), u.Regions)
		a.users[u.Name] = &user{spec: u, roles: roles, regions: regions}
	}
	for _, k := range f.Keys {
		roles, regions := normalise(toRoles(k.Roles), k.Regions)
		sum, _ := hex.DecodeString(k.SHA256)
		a.keys[k.ID] = &apiKey{spec: k, sum: sum, roles: roles, regions: regions}
	}
	if f.IdentityProvider != nil {
		idp, err := loadIdP(*f.IdentityProvider, resolve(path, f.IdentityProvider.JWKSFile))
		if err != nil {
			return nil, err
		}
		a.idp = idp
	}
	var err error
	if a.revoked, err = openRevocations(resolve(path, f.RevocationsFile), a.now); err != nil {
		return nil, err
	}
	burst, every := opt.LoginBurst, opt.LoginEvery
	if burst <= 0 {
		burst = 5
	}
	if every <= 0 {
		every = 12 * time.Second
	}
	a.limit = newThrottle(burst, every, a.now)
	a.dummy, _ = bcrypt.GenerateFromPassword([]byte("no such user"), bcrypt.DefaultCost)
	return a, nil
}

// Users returns the number of users and keys (for the start-up log).
func (a *Authenticator) Users() (users, keys int) { return len(a.users), len(a.keys) }

// TTL is how long a session token lasts.
func (a *Authenticator) TTL() time.Duration { return a.ttl }

// Login checks a user's password and issues a session token. client is the
// caller's address, for throttling. Too many attempts give a *Throttled.
func (a *Authenticator) Login(name, password, client string) (*Principal, string, error) {
	if err := a.limit.attempt(client, name); err != nil {
		return nil, "", err
	}
	u := a.users[name]
	hash := a.dummy
	if u != nil {
		hash = []byte(u.spec.PasswordHash)
	}
	// Compare even for an unknown user, so timing does not tell who exists.
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	if u == nil || err != nil || u.spec.Disabled {
		a.limit.failed(name)
		return nil, "", &CredentialError{Reason: "user name or password not accepted"}
	}
	now := a.now()
	p := &Principal{Name: name, Roles: u.roles, Regions: u.regions, Via: Session,
		TokenID: randomID(), Expires: now.Add(a.ttl).Truncate(time.Second), CSRF: randomID()}
	claims := sessionClaims{CSRF: p.CSRF, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: issuer, Audience: jwt.ClaimStrings{issuer}, Subject: name, ID: p.TokenID,
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(p.Expires)}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.secret)
	if err != nil {
		return nil, "", fmt.Errorf("sign token: %w", err)
	}
	return p, tok, nil
}

type sessionClaims struct {
	jwt.RegisteredClaims
	CSRF string `json:"csrf"`
}

// Verify checks a bearer token: a session token onemap issued (HS256), or
// an external identity provider's (RS256) when one is configured. Roles and
// regions of a session come from the auth file now, not from the token, so
// a user removed or disabled is refused at once.
func (a *Authenticator) Verify(token string) (*Principal, error) {
	if strings.HasPrefix(token, KeyPrefix) {
		return a.VerifyKey(token)
	}
	alg, err := tokenAlg(token)
	if err != nil {
		return nil, err
	}
	switch {
	case alg == "HS256":
		return a.verifySession(token)
	case alg == "RS256" && a.idp != nil:
		p, err := a.idp.verify(token, a.now)
		if err != nil {
			return nil, err
		}
		if a.revoked.token(p.TokenID) {
			return nil, &CredentialError{Reason: "the token was revoked (logged out)"}
		}
		return p, nil
	}
	return nil, &CredentialError{Reason: fmt.Sprintf("tokens signed with %s are not accepted here", alg)}
}

func tokenAlg(token string) (string, error) {
	t, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		return "", &CredentialError{Reason: "the bearer token is not a JWT"}
	}
	alg, _ := t.Header["alg"].(string)
	return alg, nil
}

func (a *Authenticator) verifySession(token string) (*Principal, error) {
	var c sessionClaims
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(issuer), jwt.WithAudience(issuer),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(a.now)).
		ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return a.secret, nil })
	if err != nil {
		return nil, tokenError(err)
	}
	if a.revoked.token(c.ID) {
		return nil, &CredentialError{Reason: "the session was logged out"}
	}
	u := a.users[c.Subject]
	if u == nil || u.spec.Disabled {
		return nil, &CredentialError{Reason: "the token's user is no longer allowed"}
	}
	return &Principal{Name: u.spec.Name, Roles: u.roles, Regions: u.regions, Via: Session,
		TokenID: c.ID, Expires: c.ExpiresAt.Time, CSRF: c.CSRF}, nil
}

func tokenError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return &CredentialError{Reason: "the token has expired; log in again"}
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return &CredentialError{Reason: "the token is not valid yet"}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return &CredentialError{Reason: "the token's signature does not verify"}
	}
	return &CredentialError{Reason: "the token is not accepted"}
}

// VerifyKey checks an API key "om_<id>_<secret>".
func (a *Authenticator) VerifyKey(key string) (*Principal, error) {
	rest, ok := strings.CutPrefix(key, KeyPrefix)
	id, _, ok2 := strings.Cut(rest, "_")
	k := a.keys[id]
	if !ok || !ok2 || k == nil {
		return nil, &CredentialError{Reason: "API key not accepted"}
	}
	sum := sha256.Sum256([]byte(key))
	if subtle.ConstantTimeCompare(sum[:], k.sum) != 1 {
		return nil, &CredentialError{Reason: "API key not accepted"}
	}
	if k.spec.Revoked || a.revoked.key(id) {
		return nil, &CredentialError{Reason: "API key " + id + " was revoked"}
	}
	return &Principal{Name: k.spec.Name, Roles: k.roles, Regions: k.regions, Via: Key, TokenID: id}, nil
}

// Logout ends the caller's token at once (until it would have expired).
// Keys are not ended by logout but revoked by an admin (RevokeKey).
func (a *Authenticator) Logout(p *Principal) error {
	if p == nil || (p.Via != Session && p.Via != External) || p.TokenID == "" {
		return nil
	}
	exp := p.Expires
	if exp.IsZero() {
		exp = a.now().Add(a.ttl)
	}
	return a.revoked.addToken(p.TokenID, exp)
}

// RevokeKey revokes an API key at once; ErrNoSuchKey when there is none.
func (a *Authenticator) RevokeKey(id string) error {
	if a.keys[id] == nil {
		return ErrNoSuchKey
	}
	return a.revoked.addKey(id)
}

// ErrNoSuchKey says no API key has the id.
var ErrNoSuchKey = errors.New("no such API key")

// NewKey makes a random API key with the given id and returns the key (to
// hand to its holder once) and the SHA-256 hex the auth file keeps.
func NewKey(id string) (key, sum string, err error) {
	if !keyIDPattern.MatchString(id) {
		return "", "", fmt.Errorf("key id %q must be lower-case letters, digits and - (at most 32)", id)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	key = KeyPrefix + id + "_" + hex.EncodeToString(b)
	s := sha256.Sum256([]byte(key))
	return key, hex.EncodeToString(s[:]), nil
}

// HashPassword returns the bcrypt hash the auth file keeps for a password.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", fmt.Errorf("a password needs at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
