// Package auth decides who may see and change what: the users and API keys
// of an auth file, password logins that issue signed, expiring tokens,
// tokens of an external identity provider checked against a JWKS file,
// logout and key revocation that take effect at once, login throttling, and
// the policy that maps roles, the catalogue's access classes and admin-code
// regions to allow or deny. It knows nothing of HTTP: the api package reads
// credentials from requests and asks here.
package auth

import (
	"slices"
	"strings"
	"time"
)

// Role is what a user may do. Roles add up: a user may hold several.
type Role string

const (
	// Viewer reads the catalogue, features and tiles of public and internal layers.
	Viewer Role = "viewer"
	// Analyst also runs queries and analyses (overlay, compliance, statistics).
	Analyst Role = "analyst"
	// Supervisor also reads restricted layers and records field checks.
	Supervisor Role = "supervisor"
	// Editor also creates, replaces and deletes features.
	Editor Role = "editor"
	// Admin may do everything, including profiling and revoking keys.
	Admin Role = "admin"
)

// Roles lists every role, from least to most.
var Roles = []Role{Viewer, Analyst, Supervisor, Editor, Admin}

// ParseRole checks a role name.
func ParseRole(s string) (Role, bool) {
	r := Role(s)
	return r, slices.Contains(Roles, r)
}

// Method is how a caller proved who they are.
type Method string

const (
	None     Method = "none"     // anonymous
	Session  Method = "session"  // a token we issued at login (bearer or cookie)
	Key      Method = "key"      // an API key from the auth file
	External Method = "external" // a token of the configured identity provider
)

// Principal is who makes a request.
type Principal struct {
	Name    string   // user or key name; "anonymous" without credentials
	Roles   []Role   // sorted, without repeats
	Regions []string // admin-code prefixes the caller is bound to; none: everywhere
	Via     Method
	TokenID string    // the token's id (jti), for logout; "" for keys
	Expires time.Time // the token's expiry; zero for keys
	// CSRF is the anti-forgery value bound to a session token: a cookie-
	// authenticated write must send it back in a header.
	CSRF string
}

// AnonymousName is the name recorded for a caller without credentials
// (the same as layers.Anonymous, so history rows agree).
const AnonymousName = "anonymous"

// Anonymous returns the principal of a caller without credentials.
func Anonymous() *Principal { return &Principal{Name: AnonymousName, Via: None} }

// Authenticated says whether the caller proved an identity.
func (p *Principal) Authenticated() bool { return p != nil && p.Via != None }

// Has says whether the caller holds role r.
func (p *Principal) Has(r Role) bool { return p != nil && slices.Contains(p.Roles, r) }

// Bound says whether the caller is bound to admin-code regions.
func (p *Principal) Bound() bool { return p != nil && len(p.Regions) > 0 }

// InRegion says whether an admin code lies in the caller's regions: it
// starts with one of their prefixes. An unbound caller is everywhere; for a
// bound caller an empty code (a feature no county holds) is outside.
func (p *Principal) InRegion(code string) bool {
	if !p.Bound() {
		return true
	}
	for _, r := range p.Regions {
		if strings.HasPrefix(code, r) {
			return true
		}
	}
	return false
}

// CoversRegion says whether a whole region (an admin-code prefix asked for
// in a statistic or a list) lies inside the caller's regions.
func (p *Principal) CoversRegion(prefix string) bool {
	return p.InRegion(prefix) && (prefix != "" || !p.Bound())
}

// normalise sorts roles and regions and drops repeats, so that equal
// principals compare and print alike (the tile view relies on it).
func normalise(roles []Role, regions []string) ([]Role, []string) {
	roles = slices.Clone(roles)
	slices.Sort(roles)
	roles = slices.Compact(roles)
	regions = slices.Clone(regions)
	slices.Sort(regions)
	regions = slices.Compact(regions)
	// A prefix inside another prefix adds nothing: 4299 covers 429901.
	out := regions[:0]
	for _, r := range regions {
		if len(out) > 0 && strings.HasPrefix(r, out[len(out)-1]) {
			continue
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		out = nil
	}
	return roles, out
}
