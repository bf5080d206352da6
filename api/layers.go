package api

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

type fieldJSON struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

type layerJSON struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	NameEn   string       `json:"name_en"`
	Group    string       `json:"group"`
	Geometry string       `json:"geometry"`
	Access   string       `json:"access"`
	KeyField string       `json:"key_field"`
	Count    int          `json:"count"`
	Bounds   []float64    `json:"bounds"`
	MinZoom  int          `json:"minzoom"`
	MaxZoom  int          `json:"maxzoom"`
	Style    layers.Style `json:"style"`
	Fields   []fieldJSON  `json:"fields"`
}

func describeLayer(l *layers.Layer, snap *spatial.Snapshot) layerJSON {
	lj := layerJSON{ID: l.ID, Name: l.Name, NameEn: l.NameEn, Group: l.Group, Geometry: string(l.Geometry),
		Access: string(l.Access), KeyField: l.KeyField, Count: snap.Count(l.ID), MinZoom: l.MinZoom, MaxZoom: l.MaxZoom,
		Style: l.Style, Fields: make([]fieldJSON, len(l.Fields))}
	if b, ok := snap.Bound(l.ID); ok {
		lj.Bounds = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	for i, f := range l.Fields {
		lj.Fields[i] = fieldJSON{Name: f.Name, Label: f.Label, Type: string(f.Type), Required: f.Required}
	}
	return lj
}

func (s *server) listLayers(c *gin.Context) {
	snap := s.Index.Snapshot()
	out := struct {
		Groups []layers.Group `json:"groups"`
		Layers []layerJSON    `json:"layers"`
	}{Groups: s.Catalog.Groups, Layers: make([]layerJSON, 0, len(s.Catalog.Layers))}
	for _, l := range s.Catalog.Layers {
		out.Layers = append(out.Layers, describeLayer(l, snap))
	}
	c.JSON(http.StatusOK, out)
}

func (s *server) getLayer(c *gin.Context) {
	l, err := s.layer(c)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, describeLayer(l, s.Index.Snapshot()))
}

// servedLayer finds the layer of the request and refuses restricted layers:
// until authentication exists their features are not served at all.
func (s *server) servedLayer(c *gin.Context) (*layers.Layer, error) {
	l, err := s.layer(c)
	if err != nil {
		return nil, err
	}
	if l.Access == layers.Restricted {
		return nil, restricted(l)
	}
	return l, nil
}

// restricted is the 403 for a layer that needs authentication, which this
// server does not have yet.
func restricted(l *layers.Layer) error {
	return forbidden(fmt.Sprintf("layer %s holds personal data and is served only to named roles; authentication is not enabled on this server", l.ID))
}

func (s *server) layer(c *gin.Context) (*layers.Layer, error) {
	id := c.Param("layer")
	l := s.Catalog.Layer(id)
	if l == nil {
		return nil, notFound(fmt.Sprintf("no layer %q in the catalogue", id))
	}
	return l, nil
}

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

// parsePaging reads limit and offset; an over-large limit is clamped and the
// notice says so.
func (s *server) parsePaging(c *gin.Context) (limit, offset int, notice string, err error) {
	limit = 100
	if v := c.Query("limit"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return 0, 0, "", badRequest("limit must be a non-negative integer")
		}
		limit = n
	}
	if limit > s.MaxLimit {
		notice = fmt.Sprintf("limit %d exceeds the maximum %d; %d used", limit, s.MaxLimit, s.MaxLimit)
		limit = s.MaxLimit
	}
	if v := c.Query("offset"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return 0, 0, "", badRequest("offset must be a non-negative integer")
		}
		offset = n
	}
	return limit, offset, notice, nil
}

// requestURL rebuilds the absolute URL of the request with changed query values.
func requestURL(c *gin.Context, set map[string]string) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	q := c.Request.URL.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	u := url.URL{Scheme: scheme, Host: c.Request.Host, Path: c.Request.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

func (s *server) listFeatures(c *gin.Context) {
	l, err := s.servedLayer(c)
	if err != nil {
		writeError(c, err)
		return
	}
	bbox, err := parseBBox(c.Query("bbox"))
	if err != nil {
		writeError(c, err)
		return
	}
	limit, offset, notice, err := s.parsePaging(c)
	if err != nil {
		writeError(c, err)
		return
	}
	page := s.Index.Snapshot().Features(spatial.FeaturesQuery{Layer: l.ID, BBox: bbox, Offset: offset, Limit: limit})
	out := featureCollectionJSON{Type: "FeatureCollection", Features: make([]featureJSON, len(page.Features)),
		NumberMatched: page.Matched, NumberReturned: len(page.Features), Limit: limit, Offset: offset, Notice: notice,
		Links: []link{{Href: requestURL(c, nil), Rel: "self", Type: "application/geo+json"}}}
	for i, f := range page.Features {
		out.Features[i] = encodeFeature(l, f)
	}
	if offset+len(page.Features) < page.Matched && limit > 0 {
		out.Links = append(out.Links, link{Href: requestURL(c, map[string]string{"offset": strconv.Itoa(offset + len(page.Features)), "limit": strconv.Itoa(limit)}), Rel: "next", Type: "application/geo+json"})
	}
	if notice != "" {
		c.Header("Warning", `299 onemap "`+notice+`"`)
	}
	c.Header("Content-Type", "application/geo+json")
	c.JSON(http.StatusOK, out)
}

func parseFID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("fid"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest(fmt.Sprintf("feature id %q is not a positive integer", c.Param("fid")))
	}
	return id, nil
}

// parseIfMatch reads If-Match: "3" (also W/"3" or 3); 0 when absent.
func parseIfMatch(c *gin.Context) (int64, error) {
	v := strings.TrimSpace(c.GetHeader("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "W/")
	v = strings.Trim(v, `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, badRequest(fmt.Sprintf("If-Match %q must be a feature version such as \"3\"", c.GetHeader("If-Match")))
	}
	return n, nil
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

func (s *server) readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.MaxBody))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

func etag(f *layers.Feature) string { return `"` + strconv.FormatInt(f.Version, 10) + `"` }

// featureRequest is what the single-feature routes read from a request.
type featureRequest struct {
	layer     *layers.Layer
	id        int64 // from the path; 0 on POST
	ifVersion int64 // If-Match; 0 when absent
	repair    bool
	draft     spatial.Draft
}

// readFeatureRequest parses the layer, and as asked the path's feature id
// and the body (with ?repair and If-Match), answering 400/403/404/413 itself.
func (s *server) readFeatureRequest(c *gin.Context, withID, withBody bool) (featureRequest, bool) {
	var r featureRequest
	fail := func(err error) (featureRequest, bool) { writeError(c, err); return r, false }
	var err error
	if r.layer, err = s.servedLayer(c); err != nil {
		return fail(err)
	}
	if withID {
		if r.id, err = parseFID(c); err != nil {
			return fail(err)
		}
		if r.ifVersion, err = parseIfMatch(c); err != nil {
			return fail(err)
		}
	}
	if !withBody {
		return r, true
	}
	if r.repair, err = parseRepair(c); err != nil {
		return fail(err)
	}
	body, err := s.readBody(c)
	if err != nil {
		return fail(err)
	}
	d, bodyID, err := spatial.DecodeDraft(body)
	if err != nil {
		return fail(err)
	}
	if withID && bodyID != nil && *bodyID != r.id {
		return fail(badRequest(fmt.Sprintf("body id %d differs from the path's %d", *bodyID, r.id)))
	}
	r.draft = d
	r.repair = r.repair || d.Repair // DESIGN's "repair": true in the body, or ?repair=true
	return r, true
}

func (s *server) getFeature(c *gin.Context) {
	r, ok := s.readFeatureRequest(c, true, false)
	if !ok {
		return
	}
	f, found := s.Index.Snapshot().Get(r.layer.ID, r.id)
	if !found {
		writeError(c, notFound(fmt.Sprintf("no feature %d in layer %s", r.id, r.layer.ID)))
		return
	}
	c.Header("ETag", etag(f))
	c.Header("Content-Type", "application/geo+json")
	c.JSON(http.StatusOK, encodeFeature(r.layer, f))
}

func (s *server) createFeature(c *gin.Context) {
	r, ok := s.readFeatureRequest(c, false, true)
	if !ok {
		return
	}
	res, err := s.Editor.Create(c.Request.Context(), r.layer.ID, r.draft, r.repair)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", requestURL(c, nil)+"/"+strconv.FormatInt(res.Feature.ID, 10))
	writeEdited(c, http.StatusCreated, r.layer, res)
}

func (s *server) replaceFeature(c *gin.Context) {
	r, ok := s.readFeatureRequest(c, true, true)
	if !ok {
		return
	}
	res, err := s.Editor.Replace(c.Request.Context(), r.layer.ID, r.id, r.draft, r.ifVersion, r.repair)
	if err != nil {
		writeError(c, err)
		return
	}
	writeEdited(c, http.StatusOK, r.layer, res)
}

func writeEdited(c *gin.Context, status int, l *layers.Layer, res spatial.Edited) {
	fj := encodeFeature(l, res.Feature)
	fj.Repaired = res.Repaired
	c.Header("ETag", etag(res.Feature))
	c.Header("Content-Type", "application/geo+json")
	c.JSON(status, fj)
}

func (s *server) deleteFeature(c *gin.Context) {
	r, ok := s.readFeatureRequest(c, true, false)
	if !ok {
		return
	}
	if _, err := s.Editor.Delete(c.Request.Context(), r.layer.ID, r.id, r.ifVersion); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
