package auth

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// identityProvider checks RS256 tokens of an external identity provider
// against the public keys of its JWKS file (read once at start: no network).
type identityProvider struct {
	spec IdPSpec
	keys map[string]*rsa.PublicKey // by kid
}

type jwks struct {
	Keys []struct {
		Kty string `json:"kty"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
		N   string `json:"n"`
		E   string `json:"e"`
	} `json:"keys"`
}

func loadIdP(spec IdPSpec, path string) (*identityProvider, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity provider JWKS: %w", err)
	}
	keys, err := ParseJWKS(b)
	if err != nil {
		return nil, fmt.Errorf("identity provider JWKS %s: %w", path, err)
	}
	if spec.NameClaim == "" {
		spec.NameClaim = "preferred_username"
	}
	if spec.RolesClaim == "" {
		spec.RolesClaim = "roles"
	}
	if spec.RegionsClaim == "" {
		spec.RegionsClaim = "onemap_regions"
	}
	return &identityProvider{spec: spec, keys: keys}, nil
}

// ParseJWKS reads the RSA signing keys of a JWKS document by key id.
func ParseJWKS(b []byte) (map[string]*rsa.PublicKey, error) {
	var set jwks
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("not a JWKS document: %w", err)
	}
	out := map[string]*rsa.PublicKey{}
	for i, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(n) < 256 || len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("keys[%d] (kid %q): n and e must be base64url, n at least 2048 bits", i, k.Kid)
		}
		ev := new(big.Int).SetBytes(e)
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(ev.Int64())}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no RSA signing key in it")
	}
	return out, nil
}

func (idp *identityProvider) verify(token string, now func() time.Time) (*Principal, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(idp.spec.Issuer),
		jwt.WithAudience(idp.spec.Audience), jwt.WithExpirationRequired(), jwt.WithTimeFunc(now)).
		ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
			kid, _ := t.Header["kid"].(string)
			if k := idp.keys[kid]; k != nil {
				return k, nil
			}
			if kid == "" && len(idp.keys) == 1 {
				for _, k := range idp.keys {
					return k, nil
				}
			}
			return nil, fmt.Errorf("no key %q in the JWKS file", kid)
		})
	if err != nil {
		return nil, tokenError(err)
	}
	name, _ := claims[idp.spec.NameClaim].(string)
	if name == "" {
		name, _ = claims["sub"].(string)
	}
	if !namePattern.MatchString(name) {
		return nil, &CredentialError{Reason: "the identity provider's token names no usable user"}
	}
	var regions []string
	for _, r := range stringList(claims[idp.spec.RegionsClaim]) {
		if !regionPattern.MatchString(r) {
			return nil, &CredentialError{Reason: fmt.Sprintf("the token's region %q is not an admin-code prefix", r)}
		}
		regions = append(regions, r)
	}
	roles, regions := normalise(toRoles(stringList(claims[idp.spec.RolesClaim])), regions)
	jti, _ := claims["jti"].(string)
	exp, _ := claims.GetExpirationTime()
	return &Principal{Name: name, Roles: roles, Regions: regions, Via: External, TokenID: jti, Expires: exp.Time}, nil
}

// stringList reads a claim that is a list of strings or one
// space-separated string (as OAuth scopes are).
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
