package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"github.com/onemap/onemap/spatial/coordfile"
	"github.com/onemap/onemap/spatial/inputgeom"
	"github.com/onemap/onemap/spatial/overlay"
)

// siteRequest is what the analysis routes read: the site (lon/lat on
// EPSG:4490, checked and, on request, repaired), the layers and options.
type siteRequest struct {
	site       *inputgeom.Result
	layers     []string
	geometries bool
}

// analysisJSON is the JSON body of the analysis routes.
type analysisJSON struct {
	Geometry   json.RawMessage `json:"geometry"`
	WKT        string          `json:"wkt"`
	CRS        int             `json:"crs"`
	Layers     []string        `json:"layers"`
	Repair     bool            `json:"repair"`
	Geometries bool            `json:"geometries"`
}

// readSite reads an analysis request: a JSON body in DESIGN.md's shape, or
// a construction-land coordinate file posted as text/plain (UTF-8 or GBK)
// with layers, repair and geometries in the query string and the CRS from
// the file's header.
func (s *server) readSite(c *gin.Context) (siteRequest, error) {
	var r siteRequest
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt == "text/plain" {
		body, err := s.readBody(c, "text/plain")
		if err != nil {
			return r, err
		}
		repair, err := parseRepair(c)
		if err != nil {
			return r, err
		}
		if r.geometries, err = queryBool(c, "geometries"); err != nil {
			return r, err
		}
		if v := c.Query("layers"); v != "" {
			r.layers = strings.Split(v, ",")
		}
		f, err := coordfile.Parse(body, coordfile.Options{Repair: repair})
		if err != nil {
			return r, err
		}
		if r.site, err = inputgeom.PrepareParcels(c.Request.Context(), f.Geometry(), f.CRS.EPSG, repair, s.InputLimits); err != nil {
			return r, err
		}
		return r, nil
	}
	body, err := s.readBody(c)
	if err != nil {
		return r, err
	}
	var in analysisJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return r, badRequest("body is not an analysis request {\"geometry\" or \"wkt\", \"crs\", \"layers\", \"repair\", \"geometries\"}: " + jsonProblem(err))
	}
	r.layers, r.geometries = in.Layers, in.Geometries
	r.site, err = inputgeom.Read(c.Request.Context(), inputgeom.Input{GeoJSON: in.Geometry, WKT: in.WKT, CRS: in.CRS, Repair: in.Repair}, s.InputLimits)
	return r, err
}

// jsonProblem says what encoding/json found, without Go type names.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("member %q has the wrong type (%s)", te.Field, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "malformed JSON: it ends early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func queryBool(c *gin.Context, name string) (bool, error) {
	switch c.Query(name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, badRequest(name + " must be true or false")
}

// polygonalSite is the site as the overlay takes it: polygons only.
func polygonalSite(g orb.Geometry) (orb.MultiPolygon, error) {
	switch v := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{v}, nil
	case orb.MultiPolygon:
		return v, nil
	}
	return nil, &apiError{status: http.StatusUnprocessableEntity, code: "invalid_geometry",
		message: fmt.Sprintf("an analysis site must be a Polygon or MultiPolygon, got %s", g.GeoJSONType())}
}

// readableLayers checks that the caller may read every listed layer, or
// lists every layer it may read when none is given.
func (s *server) readableLayers(c *gin.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		for _, l := range s.Catalog.Layers {
			if s.visible(c, l) {
				ids = append(ids, l.ID)
			}
		}
		return ids, nil
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, badRequest(fmt.Sprintf("layer %s is listed twice", id))
		}
		seen[id] = true
		l, err := s.catalogLayer(id)
		if err != nil {
			return nil, err
		}
		if err := s.authorize(c, l, readLayer); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// analysisContext bounds an analysis by the configured deadline.
func (s *server) analysisContext(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), s.AnalysisTimeout)
}

// wantsCSV says whether the client asked for CSV (Accept: text/csv or f=csv).
func wantsCSV(c *gin.Context) bool {
	if f := c.Query("f"); f != "" {
		return f == "csv"
	}
	return strings.Contains(c.GetHeader("Accept"), "text/csv")
}

func writeCSV(c *gin.Context, name string, write func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	return nil
}

// overlayAnswer is the overlay report with the request's own notes.
type overlayAnswer struct {
	*overlay.Report
	Repaired bool   `json:"repaired"`
	CRS      int    `json:"crs"`
	Vertices int    `json:"vertices"`
	AsOf     string `json:"as_of,omitempty"`
}

// analyseOverlay answers POST /api/v1/analysis/overlay (压盖分析).
func (s *server) analyseOverlay(c *gin.Context) error {
	req, err := s.readSite(c)
	if err != nil {
		return err
	}
	site, err := polygonalSite(req.site.Geometry)
	if err != nil {
		return err
	}
	ids, err := s.readableLayers(c, req.layers)
	if err != nil {
		return err
	}
	ctx, cancel := s.analysisContext(c)
	defer cancel()
	rep, err := overlay.Overlay(ctx, s.Index.Snapshot(), s.Catalog, site, overlay.Options{Layers: ids, Geometries: req.geometries})
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return writeCSV(c, "overlay", func(b *bytes.Buffer) error { return overlay.WriteCSV(b, rep) })
	}
	c.JSON(http.StatusOK, overlayAnswer{Report: rep, Repaired: req.site.Repaired, CRS: req.site.CRS.EPSG, Vertices: req.site.Vertices})
	return nil
}

type complianceAnswer struct {
	*overlay.ComplianceReport
	Repaired bool `json:"repaired"`
	CRS      int  `json:"crs"`
}

// analyseCompliance answers POST /api/v1/analysis/compliance (合规审查).
func (s *server) analyseCompliance(c *gin.Context) error {
	req, err := s.readSite(c)
	if err != nil {
		return err
	}
	if len(req.layers) > 0 {
		return badRequest("the compliance review checks its fixed controls; it takes no layers")
	}
	site, err := polygonalSite(req.site.Geometry)
	if err != nil {
		return err
	}
	for _, ctl := range overlay.Controls {
		if l := s.Catalog.Layer(ctl.Layer); l != nil {
			if err := s.authorize(c, l, readLayer); err != nil {
				return err
			}
		}
	}
	ctx, cancel := s.analysisContext(c)
	defer cancel()
	rep, err := overlay.Compliance(ctx, s.Index.Snapshot(), s.Catalog, site, overlay.ComplianceOptions{AsOf: s.AsOf})
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return writeCSV(c, "compliance", func(b *bytes.Buffer) error { return overlay.WriteComplianceCSV(b, rep) })
	}
	c.JSON(http.StatusOK, complianceAnswer{ComplianceReport: rep, Repaired: req.site.Repaired, CRS: req.site.CRS.EPSG})
	return nil
}
