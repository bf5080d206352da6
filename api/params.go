package api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// parseBBox reads minx,miny,maxx,maxy.
func parseBBox(v string) (*orb.Bound, error) {
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return nil, badRequest("bbox must be minx,miny,maxx,maxy")
	}
	var n [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f != f {
			return nil, badRequest(fmt.Sprintf("bbox value %q is not a number", p))
		}
		n[i] = f
	}
	if n[0] > n[2] || n[1] > n[3] {
		return nil, badRequest("bbox minimum exceeds maximum")
	}
	if n[0] < -180 || n[2] > 180 || n[1] < -90 || n[3] > 90 {
		return nil, badRequest("bbox lies outside lon -180…180, lat -90…90")
	}
	return &orb.Bound{Min: orb.Point{n[0], n[1]}, Max: orb.Point{n[2], n[3]}}, nil
}

// paging is a page request: limit after clamping, offset, and the notice
// that says a limit was clamped.
type paging struct {
	limit, offset int
	notice        string
}

// parsePaging reads limit and offset; an over-large limit is clamped and
// the notice says so.
func (s *server) parsePaging(c *gin.Context) (paging, error) {
	p := paging{limit: 100}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return paging{}, badRequest("limit must be a non-negative integer")
		}
		p.limit = n
	}
	if p.limit > s.MaxLimit {
		p.notice = fmt.Sprintf("limit %d exceeds the maximum %d; %d used", p.limit, s.MaxLimit, s.MaxLimit)
		p.limit = s.MaxLimit
	}
	if v := c.Query("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return paging{}, badRequest("offset must be a non-negative integer")
		}
		p.offset = n
	}
	return p, nil
}

func parseFID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("fid"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest(fmt.Sprintf("feature id %q is not a positive integer", c.Param("fid")))
	}
	return id, nil
}

// parseIfMatch reads If-Match as RFC 9110 §13.1.1 defines it: "*" or a
// comma-separated list of entity tags, each "opaque" or W/"opaque". Our
// tags are feature versions; comparison is strong, so a weak tag never
// matches (and is answered like a stale version). A header that is not a
// list of entity tags is a 400.
func parseIfMatch(c *gin.Context) (layers.IfMatch, error) {
	raw := c.Request.Header.Values("If-Match")
	if len(raw) == 0 {
		return layers.IfMatch{}, nil
	}
	v := strings.TrimSpace(strings.Join(raw, ","))
	if v == "*" {
		return layers.IfMatch{}, nil
	}
	bad := func() (layers.IfMatch, error) {
		return layers.IfMatch{}, badRequest(fmt.Sprintf(`If-Match %q is not a list of entity tags such as "3" (or *)`, v))
	}
	m := layers.IfMatch{Tags: true}
	rest := v
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return bad()
		}
		weak := strings.HasPrefix(rest, "W/")
		if weak {
			rest = rest[2:]
		}
		if !strings.HasPrefix(rest, `"`) {
			return bad()
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return bad()
		}
		opaque := rest[1 : 1+end]
		for _, ch := range []byte(opaque) {
			// etagc = %x21 / %x23-7E / obs-text
			if ch == '"' || ch < 0x21 || ch == 0x7f {
				return bad()
			}
		}
		rest = strings.TrimLeft(rest[2+end:], " \t")
		if !weak {
			if n, err := strconv.ParseInt(opaque, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == opaque {
				m.Versions = append(m.Versions, n)
			}
			// A well-formed tag that is not one of our versions matches nothing.
		}
		if rest == "" {
			return m, nil
		}
		if rest[0] != ',' {
			return bad()
		}
		rest = rest[1:]
	}
}

func parseRepair(c *gin.Context) (bool, error) {
	switch c.Query("repair") {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, badRequest("repair must be true or false")
}
