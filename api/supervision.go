package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/landuse"
	"github.com/onemap/onemap/spatial/overlay"
	"github.com/onemap/onemap/spatial/supervise"
)

// The supervision routes: verdicts of change patches with their field
// checks, out-of-bounds mining, idle land. The rules live in
// spatial/supervise; these handlers parse, ask the engine and write.

// supervision returns the engine, or the answer that it cannot serve yet.
func (s *server) supervision() (*supervise.Engine, error) {
	if s.Supervision == nil || s.landUse == nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "not_configured", message: "supervision is not enabled on this server"}
	}
	return s.Supervision, nil
}

// findingJSON is a finding as the API writes it (GeoJSON properties).
type findingJSON struct {
	Layer          string                    `json:"layer"`
	Key            string                    `json:"key"`
	Date           string                    `json:"date"`
	Verdict        supervise.Verdict         `json:"verdict,omitempty"`
	VerdictLabel   string                    `json:"verdict_label,omitempty"`
	Reasons        []supervise.Reason        `json:"reasons"`
	ReasonLabels   []string                  `json:"reason_labels"`
	Region         string                    `json:"region"`
	Area           overlay.Amount            `json:"area"`
	Areas          map[string]overlay.Amount `json:"areas"`
	Check          *layers.Check             `json:"check,omitempty"`
	CheckDisagrees bool                      `json:"check_disagrees,omitempty"`
	Error          string                    `json:"error,omitempty"`
	// The detail answer only:
	Evidence   []supervise.Evidence `json:"evidence,omitempty"`
	Checks     []layers.Check       `json:"checks,omitempty"`
	Attributes map[string]any       `json:"attributes,omitempty"`
}

type findingFeatureJSON struct {
	Type       string            `json:"type"`
	ID         int64             `json:"id"`
	Version    int64             `json:"version"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties findingJSON       `json:"properties"`
}

func encodeFinding(r supervise.Row, f *layers.Feature) findingFeatureJSON {
	p := findingJSON{Layer: r.Layer, Key: r.Key, Date: r.Date, Verdict: r.Verdict, Reasons: r.Reasons,
		ReasonLabels: make([]string, len(r.Reasons)), Region: r.Region, Area: overlay.AmountOf(r.AreaM2),
		Areas: make(map[string]overlay.Amount, len(r.Areas)), Check: r.Check, CheckDisagrees: r.Disagrees, Error: r.Error}
	if r.Verdict != "" {
		p.VerdictLabel = r.Verdict.Label()
	}
	for i, x := range r.Reasons {
		p.ReasonLabels[i] = x.Label()
	}
	for k, v := range r.Areas {
		p.Areas[k] = overlay.AmountOf(v)
	}
	out := findingFeatureJSON{Type: "Feature", ID: r.ID, Version: r.Version, Properties: p}
	if f != nil {
		out.Geometry = geojson.NewGeometry(f.Geometry)
	}
	return out
}

type findingCollectionJSON struct {
	Type           string               `json:"type"`
	Features       []findingFeatureJSON `json:"features"`
	NumberMatched  int                  `json:"numberMatched"`
	NumberReturned int                  `json:"numberReturned"`
	Limit          int                  `json:"limit"`
	Offset         int                  `json:"offset"`
	Notice         string               `json:"notice,omitempty"`
	Links          []link               `json:"links"`
}

// listFindings answers a findings list of one judged layer: a page of
// GeoJSON with self and next links, or every row as CSV.
func (s *server) listFindings(c *gin.Context, layer string, q supervise.Query, csvName string) error {
	e, err := s.supervision()
	if err != nil {
		return err
	}
	l, err := s.catalogLayer(layer)
	if err != nil {
		return err
	}
	if err := s.authorize(c, l, analyseLayer); err != nil {
		return err
	}
	pg, err := s.parsePaging(c)
	if err != nil {
		return err
	}
	snap := s.Index.Snapshot()
	q.Layer = layer
	rows, err := e.List(snap, q)
	if err != nil {
		return err
	}
	if p := principal(c); s.Policy.RegionBound(p, l, analyseLayer) {
		rows = slices.DeleteFunc(rows, func(r supervise.Row) bool { return !p.InRegion(r.Region) })
	}
	if wantsCSV(c) {
		return writeCSV(c, csvName, func(b *bytes.Buffer) error { return e.WriteCSV(b, layer, rows) })
	}
	page := rows[min(pg.offset, len(rows)):min(pg.offset+pg.limit, len(rows))]
	out := findingCollectionJSON{Type: "FeatureCollection", Features: make([]findingFeatureJSON, len(page)),
		NumberMatched: len(rows), NumberReturned: len(page), Limit: pg.limit, Offset: pg.offset, Notice: pg.notice}
	for i, r := range page {
		f, _ := snap.Get(layer, r.ID)
		out.Features[i] = encodeFinding(r, f)
	}
	out.Links = s.pageLinks(c, pg, len(page), len(rows))
	if pg.notice != "" {
		c.Header("Warning", `299 onemap "`+pg.notice+`"`)
	}
	writeGeoJSON(c, http.StatusOK, out)
	return nil
}

// pageLinks are the self and (when more follow) next links of a page.
func (s *server) pageLinks(c *gin.Context, pg paging, returned, matched int) []link {
	query := c.Request.URL.Query()
	links := []link{{Href: s.links.absolute(c.Request, c.Request.URL.Path, query), Rel: "self", Type: "application/geo+json"}}
	if pg.offset+returned < matched && pg.limit > 0 {
		next := url.Values{}
		for k, v := range query {
			next[k] = v
		}
		next.Set("offset", strconv.Itoa(pg.offset+returned))
		next.Set("limit", strconv.Itoa(pg.limit))
		links = append(links, link{Href: s.links.absolute(c.Request, c.Request.URL.Path, next), Rel: "next", Type: "application/geo+json"})
	}
	return links
}

// listPatches answers GET /api/v1/supervision/patches.
func (s *server) listPatches(c *gin.Context) error {
	e, err := s.supervision()
	if err != nil {
		return err
	}
	q := supervise.Query{Region: c.Query("region"), Verdict: supervise.Verdict(c.Query("status")),
		Reason: supervise.Reason(c.Query("reason")), Check: c.Query("check"), Sort: c.Query("sort")}
	if q.Flagged, err = queryBool(c, "flagged"); err != nil {
		return err
	}
	return s.listFindings(c, e.Rules().Roles.Patches, q, "supervision-patches")
}

// listMining answers GET /api/v1/supervision/mining: the mining patches
// out of bounds (all of them with all=true).
func (s *server) listMining(c *gin.Context) error {
	e, err := s.supervision()
	if err != nil {
		return err
	}
	all, err := queryBool(c, "all")
	if err != nil {
		return err
	}
	q := supervise.Query{Region: c.Query("region"), Sort: c.Query("sort")}
	if !all {
		q.Reason = supervise.OutOfBoundsMining
	}
	return s.listFindings(c, e.Rules().Roles.Mining, q, "supervision-mining")
}

// listIdle answers GET /api/v1/supervision/idle: the idle supplies (every
// supply with all=true).
func (s *server) listIdle(c *gin.Context) error {
	e, err := s.supervision()
	if err != nil {
		return err
	}
	all, err := queryBool(c, "all")
	if err != nil {
		return err
	}
	q := supervise.Query{Region: c.Query("region"), Sort: c.Query("sort")}
	if !all {
		q.Reason = supervise.IdleLand
	}
	return s.listFindings(c, e.Rules().Roles.Supplies, q, "supervision-idle")
}

// patchID reads the change patch id of the path.
func patchID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest(fmt.Sprintf("patch id %q is not a positive integer", c.Param("id")))
	}
	return id, nil
}

// getPatch answers GET /api/v1/supervision/patches/{id}: one verdict with
// its evidence, the patch's attributes and its field checks. The caller
// must be allowed to read every layer the evidence names.
func (s *server) getPatch(c *gin.Context) error {
	e, err := s.supervision()
	if err != nil {
		return err
	}
	id, err := patchID(c)
	if err != nil {
		return err
	}
	layer := e.Rules().Roles.Patches
	l, err := s.catalogLayer(layer)
	if err != nil {
		return err
	}
	if err := s.authorize(c, l, analyseLayer); err != nil {
		return err
	}
	fd, err := e.Finding(layer, id)
	if err != nil {
		return err
	}
	if p := principal(c); s.Policy.RegionBound(p, l, analyseLayer) && !p.InRegion(e.Region(s.Index.Snapshot(), fd)) {
		return notFound(fmt.Sprintf("no change patch %d in your regions", id))
	}
	var named []string
	for _, ev := range fd.Evidence {
		if !slices.Contains(named, ev.Layer) {
			named = append(named, ev.Layer)
		}
	}
	for _, name := range named {
		el, err := s.catalogLayer(name)
		if err != nil {
			return err
		}
		if err := s.authorize(c, el, readLayer); err != nil {
			return err
		}
	}
	snap := s.Index.Snapshot()
	row := supervise.Row{Finding: fd, Region: e.Region(snap, fd)}
	if ck, ok := e.CheckOf(id); ok {
		row.Check, row.Disagrees = &ck, supervise.Disagrees(fd, ck)
	}
	f, _ := snap.Get(layer, id)
	out := encodeFinding(row, f)
	out.Properties.Evidence = fd.Evidence
	if f != nil {
		out.Properties.Attributes = l.Properties(f)
	}
	history, err := e.CheckHistory(c.Request.Context(), id)
	if err != nil && !errors.Is(err, supervise.ErrNoCheckStore) {
		return err
	}
	out.Properties.Checks = history
	writeGeoJSON(c, http.StatusOK, out)
	return nil
}

// checkJSON is the body of PUT …/patches/{id}/check.
type checkJSON struct {
	Result  layers.CheckResult `json:"result"`
	Comment string             `json:"comment"`
}

// putPatchCheck answers PUT /api/v1/supervision/patches/{id}/check: record
// a field check (核查) beside the verdict, which it never changes.
func (s *server) putPatchCheck(c *gin.Context) error {
	e, err := s.supervision()
	if err != nil {
		return err
	}
	id, err := patchID(c)
	if err != nil {
		return err
	}
	l, err := s.catalogLayer(e.Rules().Roles.Patches)
	if err != nil {
		return err
	}
	if err := s.authorize(c, l, checkLayer); err != nil {
		return err
	}
	if p := principal(c); s.Policy.RegionBound(p, l, checkLayer) {
		if fd, err := e.Finding(l.ID, id); err == nil {
			if code := e.Region(s.Index.Snapshot(), fd); !p.InRegion(code) {
				return &auth.Denied{Reason: fmt.Sprintf("change patch %d lies in region %s, outside the regions of %s", id, code, p.Name)}
			}
		}
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	var in checkJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return badRequest(`body is not a field check {"result","comment"}: ` + jsonProblem(err))
	}
	ck, err := e.RecordCheck(c.Request.Context(), id, in.Result, in.Comment)
	if err != nil {
		return err
	}
	fd, err := e.Finding(l.ID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"check": ck, "verdict": fd.Verdict, "reasons": fd.Reasons, "check_disagrees": supervise.Disagrees(fd, ck)})
	return nil
}

// supervisionError maps the supervision engine's errors; nil when err is
// none of them.
func supervisionError(err error) *apiError {
	var nr *supervise.NotReadyError
	var qe *supervise.QueryError
	var ce *layers.CheckError
	switch {
	case errors.As(err, &nr):
		return &apiError{status: http.StatusServiceUnavailable, code: "computing", message: nr.Error(),
			details: nr.Status, header: map[string]string{"Retry-After": "5"}}
	case errors.As(err, &qe):
		return badRequest(qe.Error())
	case errors.As(err, &ce):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid_check", message: ce.Error()}
	case errors.Is(err, supervise.ErrNotJudged):
		return notFound(err.Error())
	case errors.Is(err, supervise.ErrNoCheckStore):
		return &apiError{status: http.StatusServiceUnavailable, code: "not_configured", message: err.Error()}
	}
	return nil
}

// statsParams reads region= and level= of the statistics routes.
func statsParams(c *gin.Context) (string, int, error) {
	level := 0
	if v := c.Query("level"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return "", 0, badRequest(fmt.Sprintf("level %q is not one of 2, 4, 6, 9", v))
		}
		level = n
	}
	return c.Query("region"), level, nil
}

// authorizeAll checks that the caller may analyse every named layer.
func (s *server) authorizeAll(c *gin.Context, ids ...string) error {
	for _, id := range ids {
		if id == "" {
			continue
		}
		l, err := s.catalogLayer(id)
		if err != nil {
			return err
		}
		if err := s.authorize(c, l, analyseLayer); err != nil {
			return err
		}
	}
	return nil
}

// boundRegion is the region= of a statistic for the caller: a caller bound
// to regions asks within them (one region of its own is the default).
func (s *server) boundRegion(c *gin.Context, code string) (string, error) {
	p := principal(c)
	if !p.Bound() {
		return code, nil
	}
	if code == "" && len(p.Regions) == 1 {
		return p.Regions[0], nil
	}
	if !p.CoversRegion(code) {
		return "", &auth.Denied{Reason: fmt.Sprintf("region=%q is not within the regions of %s (%s)", code, p.Name, strings.Join(p.Regions, ", "))}
	}
	return code, nil
}

// supervisionSummary answers GET /api/v1/supervision/summary: counts and
// areas by verdict and reason per admin region.
func (s *server) supervisionSummary(c *gin.Context) error {
	e, err := s.supervision()
	if err != nil {
		return err
	}
	ro := e.Rules().Roles
	if err := s.authorizeAll(c, ro.Patches, ro.Mining, ro.Supplies, ro.Approvals, ro.Farmland, ro.RedLine, ro.Boundary, ro.Parcels, ro.Licences); err != nil {
		return err
	}
	regionCode, level, err := statsParams(c)
	if err != nil {
		return err
	}
	if regionCode, err = s.boundRegion(c, regionCode); err != nil {
		return err
	}
	sum, err := e.Summary(s.Index.Snapshot(), regionCode, level)
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return writeCSV(c, "supervision-summary", func(b *bytes.Buffer) error { return supervise.WriteSummaryCSV(b, sum) })
	}
	c.JSON(http.StatusOK, sum)
	return nil
}

// landUseStats answers GET /api/v1/stats/landuse: area by land-use class,
// farmland grade and the approved → supplied → built → idle chain per
// admin region.
func (s *server) landUseStats(c *gin.Context) error {
	e, err := s.supervision()
	if err != nil {
		return err
	}
	ro := e.Rules().Roles
	if err := s.authorizeAll(c, ro.Parcels, landuse.GradesLayer, ro.Approvals, ro.Supplies, ro.Patches); err != nil {
		return err
	}
	regionCode, level, err := statsParams(c)
	if err != nil {
		return err
	}
	if regionCode, err = s.boundRegion(c, regionCode); err != nil {
		return err
	}
	st, err := s.landUse.Stats(s.Index.Snapshot(), regionCode, level)
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return writeCSV(c, "landuse", func(b *bytes.Buffer) error { return landuse.WriteCSV(b, st) })
	}
	c.JSON(http.StatusOK, st)
	return nil
}
