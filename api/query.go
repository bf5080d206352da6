package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/codec"
	"github.com/onemap/onemap/spatial/cql2"
	"github.com/onemap/onemap/spatial/inputgeom"
	"github.com/onemap/onemap/spatial/query"
)

// labelJSON is a field's name with its Chinese label, so a client can show
// the features' attributes as a supervisor reads them.
type labelJSON struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// layerResultJSON is one layer's page of a query or identify answer.
type layerResultJSON struct {
	Layer          string                 `json:"layer"`
	Name           string                 `json:"name"`
	NumberMatched  int                    `json:"numberMatched"`
	NumberReturned int                    `json:"numberReturned"`
	Fields         []labelJSON            `json:"fields"`
	Features       []codec.GeoJSONFeature `json:"features"`
}

func (s *server) resultsJSON(rs []query.Result) []layerResultJSON {
	out := make([]layerResultJSON, 0, len(rs))
	for _, r := range rs {
		l := s.Catalog.Layer(r.Layer)
		lr := layerResultJSON{Layer: l.ID, Name: l.Name, NumberMatched: r.NumberMatched, NumberReturned: r.NumberReturned,
			Fields: make([]labelJSON, len(l.Fields)), Features: make([]codec.GeoJSONFeature, len(r.Features))}
		for i, f := range l.Fields {
			lr.Fields[i] = labelJSON{Name: f.Name, Label: f.Label}
		}
		for i, f := range r.Features {
			lr.Features[i] = codec.EncodeFeature(l, f)
		}
		out = append(out, lr)
	}
	return out
}

// DefaultToleranceM is how near (metres) a point or line must be to an
// identified point when the request does not say.
const DefaultToleranceM = 10

// identify answers GET /api/v1/identify?lon=&lat=&layers=&tolerance_m=.
func (s *server) identify(c *gin.Context) error {
	num := func(name string, required bool, def float64) (float64, error) {
		v := c.Query(name)
		if v == "" {
			if required {
				return 0, badRequest(name + " is required")
			}
			return def, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != f {
			return 0, badRequest(fmt.Sprintf("%s %q is not a number", name, v))
		}
		return f, nil
	}
	lon, err := num("lon", true, 0)
	if err != nil {
		return err
	}
	lat, err := num("lat", true, 0)
	if err != nil {
		return err
	}
	if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return badRequest(fmt.Sprintf("(%g, %g) is not a lon/lat position", lon, lat))
	}
	tol, err := num("tolerance_m", false, DefaultToleranceM)
	if err != nil {
		return err
	}
	if tol < 0 || tol > 10000 {
		return badRequest("tolerance_m must lie within 0–10000")
	}
	var ids []string
	if v := c.Query("layers"); v != "" {
		ids = strings.Split(v, ",")
	}
	if ids, err = s.readableLayers(c, ids); err != nil {
		return err
	}
	ctx, cancel := s.analysisContext(c)
	defer cancel()
	rs, err := query.Identify(ctx, s.Index.Snapshot(), s.Catalog, orb.Point{lon, lat}, query.IdentifyOptions{Layers: ids, ToleranceM: tol})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"lon": lon, "lat": lat, "tolerance_m": tol, "results": s.resultsJSON(rs)})
	return nil
}

// queryJSON is the body of POST /api/v1/query.
type queryJSON struct {
	Geometry  json.RawMessage `json:"geometry"`
	WKT       string          `json:"wkt"`
	CRS       int             `json:"crs"`
	Repair    bool            `json:"repair"`
	Layers    []string        `json:"layers"`
	Relation  string          `json:"relation"`
	DistanceM *float64        `json:"distance_m"`
	Filter    json.RawMessage `json:"filter"`
	Limit     *int            `json:"limit"`
	Offset    int             `json:"offset"`
}

// query answers POST /api/v1/query: features of the layers that relate to
// a geometry (intersects, within, dwithin in metres on the ellipsoid) and
// pass a CQL2-JSON filter, paged per layer in id order.
func (s *server) query(c *gin.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	var in queryJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return badRequest("body is not a query {\"geometry\", \"layers\", \"relation\", \"distance_m\", \"filter\", \"limit\", \"offset\"}: " + jsonProblem(err))
	}
	req := query.Request{Relation: query.Relation(in.Relation), Offset: in.Offset, Limit: query.DefaultLimit}
	switch req.Relation {
	case "", query.Intersects, query.Within:
		if in.DistanceM != nil {
			return badRequest("distance_m goes with relation dwithin")
		}
	case query.DWithin:
		if in.DistanceM == nil || *in.DistanceM < 0 || *in.DistanceM > 1e6 {
			return badRequest("relation dwithin needs distance_m within 0–1000000 (metres)")
		}
		req.DistanceM = *in.DistanceM
	default:
		return badRequest(fmt.Sprintf("relation %q must be intersects, within or dwithin", in.Relation))
	}
	if in.Offset < 0 {
		return badRequest("offset must be a non-negative integer")
	}
	notice := ""
	if in.Limit != nil {
		if *in.Limit < 0 {
			return badRequest("limit must be a non-negative integer")
		}
		req.Limit = *in.Limit
		if req.Limit > s.MaxLimit {
			notice = fmt.Sprintf("limit %d exceeds the maximum %d; %d used", req.Limit, s.MaxLimit, s.MaxLimit)
			req.Limit = s.MaxLimit
		}
	}
	site, err := inputgeom.Read(c.Request.Context(), inputgeom.Input{GeoJSON: in.Geometry, WKT: in.WKT, CRS: in.CRS, Repair: in.Repair}, s.InputLimits)
	if err != nil {
		return err
	}
	req.Geometry = site.Geometry
	if req.Layers, err = s.readableLayers(c, in.Layers); err != nil {
		return err
	}
	if isPresentJSON(in.Filter) {
		expr, err := cql2.ParseJSON(in.Filter)
		if err != nil {
			return err
		}
		req.Filter = map[string]func(*layers.Feature) bool{}
		for _, id := range req.Layers {
			f, err := cql2.Compile(expr, s.Catalog.Layer(id), cql2.Options{})
			if err != nil {
				return fmt.Errorf("layer %s: %w", id, err)
			}
			req.Filter[id] = f.Match
		}
	}
	ctx, cancel := s.analysisContext(c)
	defer cancel()
	rs, err := query.Query(ctx, s.Index.Snapshot(), s.Catalog, req)
	if err != nil {
		return err
	}
	out := gin.H{"results": s.resultsJSON(rs), "limit": req.Limit, "offset": req.Offset}
	if notice != "" {
		out["notice"] = notice
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func isPresentJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && string(t) != "null"
}
