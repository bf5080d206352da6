package api

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
)

const (
	// sessionCookie holds the session token of a browser login (HttpOnly).
	sessionCookie = "onemap_session"
	// csrfCookie holds the session's anti-forgery value for the page's
	// script to send back in csrfHeader on writes (double submit, bound to
	// the token: a cookie set by another site cannot match it).
	csrfCookie = "onemap_csrf"
	csrfHeader = "X-CSRF-Token"
	// keyHeader carries an API key for clients that cannot set Authorization.
	keyHeader = "X-API-Key"
)

const principalKey = "principal"

// principal is the caller of the request (anonymous without credentials).
func principal(c *gin.Context) *auth.Principal {
	if p, ok := c.Get(principalKey); ok {
		return p.(*auth.Principal)
	}
	return auth.Anonymous()
}

// authenticate reads the caller's credentials (a bearer token or API key,
// X-API-Key, or the session cookie), puts the principal in the context and
// the user's name in the request's context, where the stores read it for
// their history rows. Bad credentials are a 401, never a silent downgrade,
// except a stale session cookie, which is dropped (the browser keeps
// sending it; public pages must still load).
func (s *server) authenticate(c *gin.Context) {
	p, err := s.credentials(c)
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="onemap"`)
		writeError(c, v1Errors, err)
		return
	}
	c.Set(principalKey, p)
	c.Request = c.Request.WithContext(layers.WithUser(c.Request.Context(), p.Name))
}

func (s *server) credentials(c *gin.Context) (*auth.Principal, error) {
	h := c.GetHeader("Authorization")
	key := c.GetHeader(keyHeader)
	if h == "" && key == "" {
		return s.cookieSession(c)
	}
	if s.Auth == nil {
		return nil, &auth.CredentialError{Reason: "this server has no users (no auth file); send no credentials"}
	}
	if h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return nil, &auth.CredentialError{Reason: "Authorization must be \"Bearer <token or API key>\""}
		}
		return s.Auth.Verify(strings.TrimSpace(tok))
	}
	return s.Auth.VerifyKey(key)
}

// cookieSession checks the session cookie; a write authenticated by it
// must carry the session's CSRF value in X-CSRF-Token.
func (s *server) cookieSession(c *gin.Context) (*auth.Principal, error) {
	tok, err := c.Cookie(sessionCookie)
	if err != nil || tok == "" || s.Auth == nil {
		return auth.Anonymous(), nil
	}
	p, err := s.Auth.Verify(tok)
	if err != nil || p.Via != auth.Session {
		s.clearCookies(c)
		return auth.Anonymous(), nil
	}
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		sent := c.GetHeader(csrfHeader)
		if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(p.CSRF)) != 1 {
			return nil, &apiError{status: http.StatusForbidden, code: "csrf",
				message: "a write with the session cookie must send the session's CSRF token in " + csrfHeader}
		}
	}
	return p, nil
}

func (s *server) setCookies(c *gin.Context, token string, p *auth.Principal) {
	secure := s.SecureCookies || c.Request.TLS != nil
	age := int(time.Until(p.Expires).Seconds())
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", MaxAge: age,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(c.Writer, &http.Cookie{Name: csrfCookie, Value: p.CSRF, Path: "/", MaxAge: age,
		Secure: secure, SameSite: http.SameSiteStrictMode})
}

func (s *server) clearCookies(c *gin.Context) {
	secure := s.SecureCookies || c.Request.TLS != nil
	for _, name := range []string{sessionCookie, csrfCookie} {
		http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: name == sessionCookie, Secure: secure, SameSite: http.SameSiteStrictMode})
	}
}

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

type principalJSON struct {
	Name          string   `json:"name"`
	Authenticated bool     `json:"authenticated"`
	Roles         []string `json:"roles"`
	Regions       []string `json:"regions"`
	Via           string   `json:"via"`
	Demo          bool     `json:"demo"` // anonymous callers act with the demo's rights
}

func (s *server) describePrincipal(p *auth.Principal) principalJSON {
	out := principalJSON{Name: p.Name, Authenticated: p.Authenticated(), Roles: []string{}, Regions: p.Regions,
		Via: string(p.Via), Demo: s.Policy.Demo}
	for _, r := range p.Roles {
		out.Roles = append(out.Roles, string(r))
	}
	if out.Regions == nil {
		out.Regions = []string{}
	}
	return out
}

// login answers POST /api/v1/login {"user","password"} with a session
// token (for Authorization: Bearer) and sets it as an HttpOnly, SameSite
// cookie for the map page, with the CSRF value the page sends on writes.
func (s *server) login(c *gin.Context) error {
	if s.Auth == nil {
		return &apiError{status: http.StatusNotFound, code: "no_logins", message: "logins are not enabled: the server runs without an auth file"}
	}
	body, err := s.readBody(c, "application/json")
	if err != nil {
		return err
	}
	var req loginRequest
	if err := decodeStrict(body, &req); err != nil {
		return badRequest(`the body must be {"user": "...", "password": "..."}`)
	}
	p, tok, err := s.Auth.Login(req.User, req.Password, s.clientAddr(c.Request))
	if err != nil {
		logFrom(c).Warn("login refused", "user", req.User, "client", s.clientAddr(c.Request), "err", err)
		return err
	}
	s.setCookies(c, tok, p)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"token": tok, "token_type": "Bearer", "expires_at": p.Expires.UTC().Format(time.RFC3339),
		"csrf_token": p.CSRF, "user": s.describePrincipal(p)})
	return nil
}

// logout ends the caller's session token at once and drops the cookies.
func (s *server) logout(c *gin.Context) error {
	p := principal(c)
	if s.Auth != nil {
		if err := s.Auth.Logout(p); err != nil {
			return err
		}
	}
	s.clearCookies(c)
	c.Status(http.StatusNoContent)
	return nil
}

func (s *server) whoami(c *gin.Context) error {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, s.describePrincipal(principal(c)))
	return nil
}

// revokeKey answers DELETE /api/v1/keys/{id}: the key stops working at once.
func (s *server) revokeKey(c *gin.Context) error {
	if err := s.Policy.Allow(principal(c), auth.Administer); err != nil {
		return err
	}
	if s.Auth == nil {
		return notFound("no API keys: the server runs without an auth file")
	}
	if err := s.Auth.RevokeKey(c.Param("id")); err != nil {
		if errors.Is(err, auth.ErrNoSuchKey) {
			return notFound("no API key " + c.Param("id"))
		}
		return err
	}
	logFrom(c).Warn("API key revoked", "key", c.Param("id"), "by", principal(c).Name)
	c.Status(http.StatusNoContent)
	return nil
}

// clientAddr is the caller's IP address, for throttling and rate limits:
// the peer, or behind a trusted proxy the address that proxy saw (the last
// entry of X-Forwarded-For, the one it appended: entries before it are the
// client's own say and could pick any bucket).
func (s *server) clientAddr(r *http.Request) string {
	if s.links.fromTrustedProxy(r) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if a, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return a.Unmap().String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// decodeStrict decodes one JSON value with no unknown fields and nothing after it.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}
