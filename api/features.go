package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/codec"
	"github.com/onemap/onemap/spatial"
)

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

type featureCollectionJSON struct {
	Type           string                 `json:"type"`
	Features       []codec.GeoJSONFeature `json:"features"`
	NumberMatched  int                    `json:"numberMatched"`
	NumberReturned int                    `json:"numberReturned"`
	Limit          int                    `json:"limit"`
	Offset         int                    `json:"offset"`
	Notice         string                 `json:"notice,omitempty"`
	TimeStamp      string                 `json:"timeStamp"`
	Links          []link                 `json:"links"`
}

// featureEncoder writes one feature of a page (in the CRS asked for).
type featureEncoder func(l *layers.Layer, f *layers.Feature) (codec.GeoJSONFeature, error)

func encodeStored(l *layers.Layer, f *layers.Feature) (codec.GeoJSONFeature, error) {
	return codec.EncodeFeature(l, f), nil
}

// featurePage lists one page of a layer's features, written by enc, with
// self, next and prev links to the request's own path (query kept, offset
// and limit replaced) and the time of the answer. /api/v1 and /ogc share it.
func (s *server) featurePage(c *gin.Context, l *layers.Layer, q spatial.FeaturesQuery, pg paging, enc featureEncoder) (featureCollectionJSON, error) {
	page := s.Index.Snapshot().Features(q)
	out := featureCollectionJSON{Type: "FeatureCollection", Features: make([]codec.GeoJSONFeature, len(page.Features)),
		NumberMatched: page.Matched, NumberReturned: len(page.Features), Limit: pg.limit, Offset: pg.offset, Notice: pg.notice,
		TimeStamp: time.Now().UTC().Format(time.RFC3339)}
	for i, f := range page.Features {
		fj, err := enc(l, f)
		if err != nil {
			return out, err
		}
		out.Features[i] = fj
	}
	query := c.Request.URL.Query()
	out.Links = []link{{Href: s.links.absolute(c.Request, c.Request.URL.Path, query), Rel: "self", Type: "application/geo+json"}}
	pageAt := func(rel string, offset int) {
		to := url.Values{}
		for k, v := range query {
			to[k] = v
		}
		to.Set("offset", strconv.Itoa(offset))
		to.Set("limit", strconv.Itoa(pg.limit))
		out.Links = append(out.Links, link{Href: s.links.absolute(c.Request, c.Request.URL.Path, to), Rel: rel, Type: "application/geo+json"})
	}
	if pg.offset+len(page.Features) < page.Matched && pg.limit > 0 {
		pageAt("next", pg.offset+len(page.Features))
	}
	if pg.offset > 0 && pg.limit > 0 {
		pageAt("prev", max(0, min(pg.offset, page.Matched)-pg.limit))
	}
	return out, nil
}

func (s *server) listFeatures(c *gin.Context) error {
	l, err := s.layerParam(c, readLayer)
	if err != nil {
		return err
	}
	bbox, err := parseBBox(c.Query("bbox"))
	if err != nil {
		return err
	}
	if bbox != nil {
		if a := (bbox.Max[0] - bbox.Min[0]) * (bbox.Max[1] - bbox.Min[1]); a > s.MaxBBoxDeg2 {
			return &apiError{status: http.StatusUnprocessableEntity, code: "over_limit",
				message: fmt.Sprintf("the bbox spans %.0f square degrees, more than the limit of %g; page through smaller boxes", a, s.MaxBBoxDeg2)}
		}
	}
	pg, err := s.parsePaging(c)
	if err != nil {
		return err
	}
	q := spatial.FeaturesQuery{Layer: l.ID, BBox: bbox, Match: s.regionMatch(c, l, readLayer), Offset: pg.offset, Limit: pg.limit}
	out, err := s.featurePage(c, l, q, pg, encodeStored)
	if err != nil {
		return err
	}
	if pg.notice != "" {
		c.Header("Warning", `299 onemap "`+pg.notice+`"`)
	}
	writeGeoJSON(c, http.StatusOK, out)
	return nil
}

func writeGeoJSON(c *gin.Context, status int, v any) {
	c.Header("Content-Type", "application/geo+json")
	if fc, ok := v.(featureCollectionJSON); ok {
		// A page of features, written by appending (encoding/json would
		// scan the features' bytes again to check them).
		b, err := fc.appendJSON(make([]byte, 0, 4096))
		if err == nil {
			c.Data(status, "application/geo+json", b)
			return
		}
	}
	c.JSON(status, v)
}

// appendJSON writes the page as encoding/json writes it, members in order.
func (fc featureCollectionJSON) appendJSON(b []byte) ([]byte, error) {
	head, err := json.Marshal(fc.Type)
	if err != nil {
		return nil, err
	}
	b = append(b, `{"type":`...)
	b = append(b, head...)
	b = append(b, `,"features":`...)
	if fc.Features == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range fc.Features {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = fc.Features[i].AppendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	tail := struct {
		NumberMatched  int    `json:"numberMatched"`
		NumberReturned int    `json:"numberReturned"`
		Limit          int    `json:"limit"`
		Offset         int    `json:"offset"`
		Notice         string `json:"notice,omitempty"`
		TimeStamp      string `json:"timeStamp"`
		Links          []link `json:"links"`
	}{fc.NumberMatched, fc.NumberReturned, fc.Limit, fc.Offset, fc.Notice, fc.TimeStamp, fc.Links}
	rest, err := json.Marshal(tail)
	if err != nil {
		return nil, err
	}
	b = append(b, ',')
	return append(b, rest[1:]...), nil // the rest's members, after its "{"
}

func etag(f *layers.Feature) string { return `"` + strconv.FormatInt(f.Version, 10) + `"` }

// featureWrite is what a write to one feature reads from its request.
type featureWrite struct {
	layer  *layers.Layer
	id     int64 // from the path; 0 on POST
	match  layers.IfMatch
	repair bool
	draft  layers.Draft
}

// readFeatureWrite parses the layer (checked for writing), as asked the
// path's feature id and If-Match, and the body with its repair request
// ("repair": true in the body or ?repair=true: one flag).
func (s *server) readFeatureWrite(c *gin.Context, withID, withBody bool) (featureWrite, error) {
	var w featureWrite
	var err error
	if w.layer, err = s.layerParam(c, writeLayer); err != nil {
		return w, err
	}
	if withID {
		if w.id, err = parseFID(c); err != nil {
			return w, err
		}
		if w.match, err = parseIfMatch(c); err != nil {
			return w, err
		}
		if err = s.checkStoredRegion(c, w.layer, w.id); err != nil {
			return w, err
		}
	}
	if !withBody {
		return w, nil
	}
	if w.repair, err = parseRepair(c); err != nil {
		return w, err
	}
	body, err := s.readBody(c)
	if err != nil {
		return w, err
	}
	f, err := codec.DecodeFeature(body)
	if err != nil {
		return w, err
	}
	if withID && f.ID != nil && *f.ID != w.id {
		return w, badRequest(fmt.Sprintf("body id %d differs from the path's %d", *f.ID, w.id))
	}
	w.draft = f.Draft
	if f.Repair != nil && *f.Repair {
		w.repair = true
	}
	return w, nil
}

// checkStoredRegion refuses a change to a stored feature outside the
// caller's regions (an unknown id is left for the editor to answer 404).
// The check reads the current snapshot; a send with If-Match pins the
// version it checked.
func (s *server) checkStoredRegion(c *gin.Context, l *layers.Layer, id int64) error {
	if f, ok := s.Index.Snapshot().Get(l.ID, id); ok {
		return s.checkRegion(c, l, f, writeLayer)
	}
	return nil
}

// checkDraftRegion refuses a feature that would be stored outside the
// caller's regions: its code field, or the county holding most of it. A
// draft whose attributes do not parse is left to the editor's 422.
func (s *server) checkDraftRegion(c *gin.Context, l *layers.Layer, d layers.Draft) error {
	if !s.Policy.RegionBound(principal(c), l, writeLayer) || d.Geometry == nil {
		return nil
	}
	props, err := l.ParseProperties(d.Properties)
	if err != nil {
		return nil
	}
	return s.checkRegion(c, l, &layers.Feature{Geometry: d.Geometry, Props: props}, writeLayer)
}

func (s *server) getFeature(c *gin.Context) error {
	l, err := s.layerParam(c, readLayer)
	if err != nil {
		return err
	}
	id, err := parseFID(c)
	if err != nil {
		return err
	}
	f, found := s.Index.Snapshot().Get(l.ID, id)
	if match := s.regionMatch(c, l, readLayer); !found || (match != nil && !match(f)) {
		return &layers.NotFoundError{Layer: l.ID, ID: id} // another region's feature is not there for the caller
	}
	c.Header("ETag", etag(f))
	writeGeoJSON(c, http.StatusOK, codec.EncodeFeature(l, f))
	return nil
}

func (s *server) createFeature(c *gin.Context) error {
	w, err := s.readFeatureWrite(c, false, true)
	if err != nil {
		return err
	}
	if err := s.checkDraftRegion(c, w.layer, w.draft); err != nil {
		return err
	}
	res, err := s.Editor.Create(c.Request.Context(), w.layer.ID, w.draft, w.repair)
	if err != nil {
		return err
	}
	c.Header("Location", s.links.absolute(c.Request, c.Request.URL.Path+"/"+strconv.FormatInt(res.Feature.ID, 10), nil))
	writeEdited(c, http.StatusCreated, w.layer, res)
	return nil
}

func (s *server) replaceFeature(c *gin.Context) error {
	w, err := s.readFeatureWrite(c, true, true)
	if err != nil {
		return err
	}
	if err := s.checkDraftRegion(c, w.layer, w.draft); err != nil {
		return err
	}
	res, err := s.Editor.Replace(c.Request.Context(), w.layer.ID, w.id, w.draft, w.match, w.repair)
	if err != nil {
		return err
	}
	writeEdited(c, http.StatusOK, w.layer, res)
	return nil
}

func writeEdited(c *gin.Context, status int, l *layers.Layer, res spatial.Edited) {
	fj := codec.EncodeFeature(l, res.Feature)
	fj.Repaired = res.Repaired
	c.Header("ETag", etag(res.Feature))
	writeGeoJSON(c, status, fj)
}

func (s *server) deleteFeature(c *gin.Context) error {
	w, err := s.readFeatureWrite(c, true, false)
	if err != nil {
		return err
	}
	if _, err := s.Editor.Delete(c.Request.Context(), w.layer.ID, w.id, w.match); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
