package api

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// linkRule is the one rule for absolute links (Location, next, TileJSON,
// OGC): a pinned public URL when configured; otherwise the request's own
// scheme and host, with X-Forwarded-Proto/Host believed only from trusted
// proxies, so that no client can point our links elsewhere.
type linkRule struct {
	public  *url.URL
	trusted []netip.Prefix
}

// base returns scheme://host[/prefix] for links in the answer to r.
func (lr linkRule) base(r *http.Request) string {
	if lr.public != nil {
		return strings.TrimSuffix(lr.public.String(), "/")
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if lr.fromTrustedProxy(r) {
		if p := strings.ToLower(firstValue(r.Header.Get("X-Forwarded-Proto"))); p == "https" || p == "http" {
			scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); validHost(h) {
			host = h
		}
	}
	return scheme + "://" + host
}

func (lr linkRule) fromTrustedProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range lr.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// firstValue is the first of a comma-separated header list (the client
// side of a proxy chain).
func firstValue(v string) string {
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// validHost accepts host[:port] with nothing that could break out of a URL.
func validHost(h string) bool {
	if h == "" || strings.ContainsAny(h, "/?#@ \\\t\r\n") {
		return false
	}
	u, err := url.Parse("http://" + h)
	return err == nil && u.Host == h
}

// absolute builds the absolute URL of path (which starts with /) with query.
func (lr linkRule) absolute(r *http.Request, path string, query url.Values) string {
	s := lr.base(r) + path
	if len(query) > 0 {
		s += "?" + query.Encode()
	}
	return s
}

// ParseTrustedProxies reads a comma-separated list of CIDRs or addresses.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, err
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	if out == nil {
		out = []netip.Prefix{} // none trusted (nil would mean the loopback default)
	}
	return out, nil
}
