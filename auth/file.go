package auth

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// File is the auth file (--auth FILE, ONEMAP_AUTH): JSON, unknown keys
// refused so that a misspelt field never silently drops a restriction.
type File struct {
	// Comment is free text for the file's reader.
	Comment string `json:"comment,omitempty"`
	// TokenSecret signs session tokens (HS256), at least 32 bytes as 64+
	// hex digits. Empty: a random secret per start (tokens end at restart).
	TokenSecret string `json:"token_secret,omitempty"`
	// TokenTTL is how long a session token lasts (Go duration; default 8h).
	TokenTTL string     `json:"token_ttl,omitempty"`
	Users    []UserSpec `json:"users"`
	Keys     []KeySpec  `json:"keys,omitempty"`
	// IdentityProvider, when set, admits RS256 tokens of an external
	// identity provider checked against its keys in a JWKS file.
	IdentityProvider *IdPSpec `json:"identity_provider,omitempty"`
	// RevocationsFile keeps logouts and revoked keys across restarts
	// (relative to the auth file's folder). Empty: kept in memory only.
	RevocationsFile string `json:"revocations_file,omitempty"`
}

// UserSpec is a user of the auth file.
type UserSpec struct {
	Name         string   `json:"name"`
	PasswordHash string   `json:"password_hash"` // bcrypt ($2a$/$2b$/$2y$)
	Roles        []string `json:"roles"`
	Regions      []string `json:"regions,omitempty"` // admin-code prefixes
	Disabled     bool     `json:"disabled,omitempty"`
}

// KeySpec is an API key: the caller sends "om_<id>_<secret>"; the file
// keeps only the SHA-256 of that whole string (keys are long random
// strings, so a fast hash is enough and every request can afford it).
type KeySpec struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"` // recorded in history rows
	SHA256  string   `json:"sha256"`
	Roles   []string `json:"roles"`
	Regions []string `json:"regions,omitempty"`
	Revoked bool     `json:"revoked,omitempty"`
}

// IdPSpec configures tokens of an external identity provider.
type IdPSpec struct {
	JWKSFile     string `json:"jwks_file"` // relative to the auth file's folder
	Issuer       string `json:"issuer"`
	Audience     string `json:"audience"`
	NameClaim    string `json:"name_claim,omitempty"`    // default preferred_username, then sub
	RolesClaim   string `json:"roles_claim,omitempty"`   // default roles
	RegionsClaim string `json:"regions_claim,omitempty"` // default onemap_regions
}

var (
	namePattern   = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$`)
	keyIDPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	regionPattern = regexp.MustCompile(`^[0-9]{2,12}$`)
)

// LoadFile reads and checks an auth file.
func LoadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth file: %w", err)
	}
	f, err := ParseFile(b)
	if err != nil {
		return nil, fmt.Errorf("auth file %s: %w", path, err)
	}
	return f, nil
}

// ParseFile decodes and checks an auth file's content.
func ParseFile(b []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a valid auth file: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a valid auth file: data after the JSON object")
	}
	return &f, f.check()
}

func (f *File) check() error {
	if f.TokenSecret != "" {
		s, err := hex.DecodeString(f.TokenSecret)
		if err != nil || len(s) < 32 {
			return fmt.Errorf("token_secret must be at least 64 hex digits (32 bytes)")
		}
	}
	if f.TokenTTL != "" {
		d, err := time.ParseDuration(f.TokenTTL)
		if err != nil || d <= 0 {
			return fmt.Errorf("token_ttl %q is not a positive duration such as 8h", f.TokenTTL)
		}
	}
	names := map[string]bool{}
	for i, u := range f.Users {
		if !namePattern.MatchString(u.Name) {
			return fmt.Errorf("users[%d]: name %q must be letters, digits and ._@- (at most 64)", i, u.Name)
		}
		if names[u.Name] {
			return fmt.Errorf("users[%d]: name %q appears twice", i, u.Name)
		}
		names[u.Name] = true
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			return fmt.Errorf("user %s: password_hash is not a bcrypt hash (onemap auth hash-password makes one): %w", u.Name, err)
		}
		if err := checkGrants(u.Roles, u.Regions); err != nil {
			return fmt.Errorf("user %s: %w", u.Name, err)
		}
	}
	ids := map[string]bool{}
	for i, k := range f.Keys {
		if !keyIDPattern.MatchString(k.ID) {
			return fmt.Errorf("keys[%d]: id %q must be lower-case letters, digits and - (at most 32)", i, k.ID)
		}
		if ids[k.ID] {
			return fmt.Errorf("keys[%d]: id %q appears twice", i, k.ID)
		}
		ids[k.ID] = true
		if !namePattern.MatchString(k.Name) {
			return fmt.Errorf("key %s: name %q must be letters, digits and ._@-", k.ID, k.Name)
		}
		if h, err := hex.DecodeString(k.SHA256); err != nil || len(h) != 32 {
			return fmt.Errorf("key %s: sha256 must be 64 hex digits (onemap auth new-key makes one)", k.ID)
		}
		if err := checkGrants(k.Roles, k.Regions); err != nil {
			return fmt.Errorf("key %s: %w", k.ID, err)
		}
	}
	if p := f.IdentityProvider; p != nil {
		if p.JWKSFile == "" || p.Issuer == "" || p.Audience == "" {
			return fmt.Errorf("identity_provider needs jwks_file, issuer and audience")
		}
	}
	return nil
}

func checkGrants(roles, regions []string) error {
	if len(roles) == 0 {
		return fmt.Errorf("no roles (one or more of viewer, analyst, supervisor, editor, admin)")
	}
	for _, r := range roles {
		if _, ok := ParseRole(r); !ok {
			return fmt.Errorf("role %q is not one of viewer, analyst, supervisor, editor, admin", r)
		}
	}
	for _, r := range regions {
		if !regionPattern.MatchString(r) {
			return fmt.Errorf("region %q is not an admin-code prefix of 2 to 12 digits", r)
		}
	}
	return nil
}

func toRoles(names []string) []Role {
	out := make([]Role, 0, len(names))
	for _, n := range names {
		if r, ok := ParseRole(n); ok {
			out = append(out, r)
		}
	}
	return out
}

// resolve makes a path of the auth file relative to its folder.
func resolve(authPath, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(authPath), p)
}
