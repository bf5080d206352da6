package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/api/ogc"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/codec"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/cql2"
	"github.com/onemap/onemap/spatial/crs"
)

// The handlers of OGC API – Features: each parses, calls package ogc (the
// protocol) and the index or the editor, and writes JSON or HTML.

// ogcDefaults wires spatial/crs (the Gauss-Krüger zones) and spatial/cql2
// (filter, and the exact test of a bbox given in a zone) into the OGC API's
// seams, unless the configuration brings its own.
func ogcDefaults(o ogc.Options) ogc.Options {
	if o.Project == nil {
		o.Project = crs.Transform
	}
	if o.Intersects == nil {
		o.Intersects = func(l *layers.Layer, g orb.Geometry) (func(*layers.Feature) bool, error) {
			f, err := cql2.Compile(cql2.Intersects{Property: cql2.GeometryProperties[0], Geometry: g}, l, cql2.Options{})
			if err != nil {
				return nil, err
			}
			return f.Match, nil
		}
	}
	if o.Filter == nil {
		o.Filter, o.FilterConformance = cql2Filter, cql2Conformance
	}
	return o
}

// cql2Conformance are the classes of Part 3 and CQL2 that spatial/cql2
// implements: comparisons, IS NULL, AND/OR/NOT (basic), LIKE, BETWEEN, IN
// (advanced comparison), S_INTERSECTS, in both encodings.
var cql2Conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
}

// cql2Filter compiles a filter parameter with the parser and evaluator
// POST /api/v1/query uses.
func cql2Filter(l *layers.Layer, text, lang string) (func(*layers.Feature) bool, *orb.Bound, error) {
	var e cql2.Expr
	var err error
	if lang == "cql2-json" {
		e, err = cql2.ParseJSON([]byte(text))
	} else {
		e, err = cql2.ParseText(text)
	}
	if err != nil {
		return nil, nil, err
	}
	f, err := cql2.Compile(e, l, cql2.Options{})
	if err != nil {
		return nil, nil, err
	}
	if b, ok := f.Bound(); ok {
		return f.Match, &b, nil
	}
	return f.Match, nil, nil
}

func (s *server) ogcFormat(c *gin.Context) (ogc.Format, error) {
	return ogc.Negotiate(c.Query("f"), c.GetHeader("Accept"))
}

// writeHTML renders a page into memory first, so that a failure is a
// clean error answer rather than half a page.
func writeHTML(c *gin.Context, render func(w io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
	return nil
}

// answer writes v as JSON of the given media type, or the HTML page.
func (s *server) answer(c *gin.Context, mediaType string, v any, html func(w io.Writer) error) error {
	f, err := s.ogcFormat(c)
	if err != nil {
		return err
	}
	if f == ogc.HTML {
		return writeHTML(c, html)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", c.Request.URL.Path, err)
	}
	c.Data(http.StatusOK, mediaType, b)
	return nil
}

func (s *server) ogcLanding(c *gin.Context) error {
	base := s.links.base(c.Request)
	return s.answer(c, ogc.MediaJSON, s.ogc.LandingDoc(base), func(w io.Writer) error { return s.ogc.RenderLanding(w, base) })
}

func (s *server) ogcConformance(c *gin.Context) error {
	base := s.links.base(c.Request)
	return s.answer(c, ogc.MediaJSON, s.ogc.ConformanceDoc(base), func(w io.Writer) error { return s.ogc.RenderConformance(w, base) })
}

// visibleLayers are the layers whose data the caller may see, in
// catalogue order; the others are left out of /ogc/collections and the API
// document.
func (s *server) visibleLayers(c *gin.Context) []*layers.Layer {
	var out []*layers.Layer
	for _, l := range s.Catalog.Layers {
		if s.visible(c, l) {
			out = append(out, l)
		}
	}
	return out
}

func (s *server) ogcOpenAPI(c *gin.Context) error {
	base := s.links.base(c.Request)
	doc := s.ogc.OpenAPI(base, s.visibleLayers(c))
	return s.answer(c, ogc.MediaOpenAPI, doc, func(w io.Writer) error { return s.ogc.RenderAPI(w, base, doc) })
}

// collectionDoc is a layer's document with what the index says of it now.
func (s *server) collectionDoc(c *gin.Context, snap *spatial.Snapshot, l *layers.Layer) ogc.Collection {
	var st ogc.CollectionState
	if s.visible(c, l) {
		n := snap.Count(l.ID)
		st.Count = &n
		if b, ok := snap.Bound(l.ID); ok {
			st.Bound = &b
		}
		st.Temporal = s.ogcTime.interval(snap, l)
	}
	return s.ogc.CollectionDoc(s.links.base(c.Request), l, st)
}

func (s *server) ogcCollections(c *gin.Context) error {
	snap := s.Index.Snapshot()
	var cols []ogc.Collection
	for _, l := range s.visibleLayers(c) {
		cols = append(cols, s.collectionDoc(c, snap, l))
	}
	base := s.links.base(c.Request)
	return s.answer(c, ogc.MediaJSON, s.ogc.CollectionsDoc(base, cols), func(w io.Writer) error { return s.ogc.RenderCollections(w, base, cols) })
}

func (s *server) ogcCollection(c *gin.Context) error {
	l, err := s.layerParam(c, readLayer)
	if err != nil {
		return err
	}
	doc := s.collectionDoc(c, s.Index.Snapshot(), l)
	base := s.links.base(c.Request)
	return s.answer(c, ogc.MediaJSON, doc, func(w io.Writer) error { return s.ogc.RenderCollection(w, base, l, doc) })
}

func (s *server) ogcQueryables(c *gin.Context) error {
	l, err := s.layerParam(c, readLayer)
	if err != nil {
		return err
	}
	base := s.links.base(c.Request)
	return s.answer(c, ogc.MediaSchema, s.ogc.Queryables(base, l), func(w io.Writer) error { return s.ogc.RenderQueryables(w, base, l) })
}

func (s *server) ogcSchema(c *gin.Context) error {
	l, err := s.layerParam(c, readLayer)
	if err != nil {
		return err
	}
	b, err := json.Marshal(s.ogc.FeatureSchema(s.links.base(c.Request), l))
	if err != nil {
		return fmt.Errorf("encode schema of %s: %w", l.ID, err)
	}
	c.Data(http.StatusOK, ogc.MediaSchema, b)
	return nil
}

// crsEncoder writes features with their geometry in crs.
func crsEncoder(c *gin.Context, crs ogc.CRS) featureEncoder {
	return func(l *layers.Layer, f *layers.Feature) (codec.GeoJSONFeature, error) {
		fj := codec.EncodeFeature(l, f)
		if crs.URI == ogc.CRS84URI {
			return fj, nil
		}
		g, err := crs.FromStorage(c.Request.Context(), f.Geometry)
		if err != nil {
			return fj, &ogc.ParamError{Param: "crs", Msg: fmt.Sprintf("feature %d: %v", f.ID, err)}
		}
		fj.Geometry = geojson.NewGeometry(g)
		return fj, nil
	}
}

func (s *server) ogcItems(c *gin.Context) error {
	l, err := s.layerParam(c, readLayer)
	if err != nil {
		return err
	}
	format, err := s.ogcFormat(c)
	if err != nil {
		return err
	}
	iq, err := s.ogc.ParseItems(c.Request.Context(), l, c.Request.URL.Query())
	if err != nil {
		return err
	}
	pg, err := s.parsePaging(c)
	if err != nil {
		return err
	}
	q := spatial.FeaturesQuery{Layer: l.ID, BBox: iq.BBox, Match: bothMatch(iq.Match, s.regionMatch(c, l, readLayer)), Offset: pg.offset, Limit: pg.limit}
	out, err := s.featurePage(c, l, q, pg, crsEncoder(c, iq.CRS))
	if err != nil {
		return err
	}
	if pg.notice != "" {
		c.Header("Warning", `299 onemap "`+pg.notice+`"`)
	}
	if format == ogc.HTML {
		ip := ogc.ItemsPage{Features: out.Features, Matched: out.NumberMatched, Returned: out.NumberReturned, Offset: pg.offset, Notice: pg.notice}
		for _, lk := range out.Links {
			switch lk.Rel {
			case "next":
				ip.Next = lk.Href
			case "prev":
				ip.Prev = lk.Href
			}
		}
		jq := c.Request.URL.Query()
		jq.Set("f", "json")
		ip.JSON = s.links.absolute(c.Request, c.Request.URL.Path, jq)
		return writeHTML(c, func(w io.Writer) error { return s.ogc.RenderItems(w, s.links.base(c.Request), l, ip) })
	}
	hq := c.Request.URL.Query()
	hq.Set("f", "html")
	base := s.links.base(c.Request)
	out.Links = append(out.Links,
		link{Href: s.links.absolute(c.Request, c.Request.URL.Path, hq), Rel: "alternate", Type: ogc.MediaHTML, Title: l.Name + "（网页）"},
		link{Href: base + ogc.CollectionPath(l.ID), Rel: "collection", Type: ogc.MediaJSON, Title: l.Name})
	c.Header("Content-Crs", "<"+iq.CRS.URI+">")
	writeGeoJSON(c, http.StatusOK, out)
	return nil
}

// ogcFeatureJSON is an item with its links.
type ogcFeatureJSON struct {
	codec.GeoJSONFeature
	Links []link `json:"links"`
}

// MarshalJSON writes the feature with its links as the last member (the
// embedded feature's own MarshalJSON would leave them out).
func (o ogcFeatureJSON) MarshalJSON() ([]byte, error) {
	b, err := o.GeoJSONFeature.AppendJSON(nil)
	if err != nil {
		return nil, err
	}
	links, err := json.Marshal(o.Links)
	if err != nil {
		return nil, err
	}
	b = append(b[:len(b)-1], `,"links":`...)
	b = append(b, links...)
	return append(b, '}'), nil
}

func (s *server) ogcItem(c *gin.Context) error {
	l, err := s.layerParam(c, readLayer)
	if err != nil {
		return err
	}
	id, err := parseFID(c)
	if err != nil {
		return err
	}
	format, err := s.ogcFormat(c)
	if err != nil {
		return err
	}
	crs, err := s.ogc.ParseItem(l, c.Request.URL.Query())
	if err != nil {
		return err
	}
	f, found := s.Index.Snapshot().Get(l.ID, id)
	if match := s.regionMatch(c, l, readLayer); !found || (match != nil && !match(f)) {
		return &layers.NotFoundError{Layer: l.ID, ID: id}
	}
	c.Header("ETag", etag(f))
	base := s.links.base(c.Request)
	if format == ogc.HTML {
		return writeHTML(c, func(w io.Writer) error { return s.ogc.RenderItem(w, base, l, f) })
	}
	fj, err := crsEncoder(c, crs)(l, f)
	if err != nil {
		return err
	}
	self := base + ogc.ItemPath(l.ID, f.ID)
	out := ogcFeatureJSON{GeoJSONFeature: fj, Links: []link{
		{Href: s.links.absolute(c.Request, c.Request.URL.Path, c.Request.URL.Query()), Rel: "self", Type: ogc.MediaGeoJSON},
		{Href: self + "?f=html", Rel: "alternate", Type: ogc.MediaHTML},
		{Href: base + ogc.CollectionPath(l.ID), Rel: "collection", Type: ogc.MediaJSON, Title: l.Name},
	}}
	c.Header("Content-Crs", "<"+crs.URI+">")
	writeGeoJSON(c, http.StatusOK, out)
	return nil
}

// contentCRS reads the CRS of a write's body from its Content-Crs header.
func (s *server) contentCRS(c *gin.Context) (ogc.CRS, error) {
	return s.ogc.ParseContentCRS(c.GetHeader("Content-Crs"))
}

// toStorage converts a draft's geometry from the body's CRS.
func toStorage(c *gin.Context, crs ogc.CRS, d *layers.Draft) error {
	if d.Geometry == nil || crs.URI == ogc.CRS84URI {
		return nil
	}
	g, err := crs.ToStorage(c.Request.Context(), d.Geometry)
	if err != nil {
		return &ogc.ParamError{Param: "Content-Crs", Msg: err.Error()}
	}
	d.Geometry = g
	return nil
}

func (s *server) ogcCreate(c *gin.Context) error {
	crs, err := s.contentCRS(c)
	if err != nil {
		return err
	}
	w, err := s.readFeatureWrite(c, false, true)
	if err != nil {
		return err
	}
	if err := toStorage(c, crs, &w.draft); err != nil {
		return err
	}
	if err := s.checkDraftRegion(c, w.layer, w.draft); err != nil {
		return err
	}
	res, err := s.Editor.Create(c.Request.Context(), w.layer.ID, w.draft, w.repair)
	if err != nil {
		return err
	}
	c.Header("Location", s.links.base(c.Request)+ogc.ItemPath(w.layer.ID, res.Feature.ID))
	c.Header("Content-Crs", "<"+ogc.CRS84URI+">")
	writeEdited(c, http.StatusCreated, w.layer, res)
	return nil
}

func (s *server) ogcReplace(c *gin.Context) error {
	crs, err := s.contentCRS(c)
	if err != nil {
		return err
	}
	w, err := s.readFeatureWrite(c, true, true)
	if err != nil {
		return err
	}
	if err := toStorage(c, crs, &w.draft); err != nil {
		return err
	}
	if err := s.checkDraftRegion(c, w.layer, w.draft); err != nil {
		return err
	}
	res, err := s.Editor.Replace(c.Request.Context(), w.layer.ID, w.id, w.draft, w.match, w.repair)
	if err != nil {
		return err
	}
	c.Header("Content-Crs", "<"+ogc.CRS84URI+">")
	writeEdited(c, http.StatusOK, w.layer, res)
	return nil
}

// ogcUpdate is PATCH: a JSON merge patch (RFC 7396) of the feature as the
// API writes it, in the body's CRS, stored through the same validated
// write path. The patch is applied to the version read and stored only if
// that is still the version in the store: with If-Match a change in
// between is a 412; without, the patch is applied again to the new
// version (a few times at most).
func (s *server) ogcUpdate(c *gin.Context) error {
	l, err := s.layerParam(c, writeLayer)
	if err != nil {
		return err
	}
	id, err := parseFID(c)
	if err != nil {
		return err
	}
	match, err := parseIfMatch(c)
	if err != nil {
		return err
	}
	crs, err := s.contentCRS(c)
	if err != nil {
		return err
	}
	repair, err := parseRepair(c)
	if err != nil {
		return err
	}
	patch, err := s.readBody(c, "application/merge-patch+json", "application/json", "application/geo+json")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	for attempt := 0; ; attempt++ {
		cur, ok := s.Index.Snapshot().Get(l.ID, id)
		if !ok {
			return &layers.NotFoundError{Layer: l.ID, ID: id}
		}
		if !match.Allows(cur.Version) {
			return &layers.ConflictError{Layer: l.ID, ID: id, Current: cur.Version}
		}
		if err := s.checkRegion(c, l, cur, writeLayer); err != nil {
			return err
		}
		target, err := crsEncoder(c, crs)(l, cur)
		if err != nil {
			return err
		}
		tb, err := json.Marshal(target)
		if err != nil {
			return fmt.Errorf("encode %s feature %d: %w", l.ID, id, err)
		}
		merged, err := ogc.MergePatch(tb, patch)
		if err != nil {
			return err
		}
		f, err := codec.DecodeFeature(merged)
		if err != nil {
			return err
		}
		if f.ID != nil && *f.ID != id {
			return badRequest(fmt.Sprintf("the patch sets id %d; the path's feature is %d and ids do not change", *f.ID, id))
		}
		if err := toStorage(c, crs, &f.Draft); err != nil {
			return err
		}
		if err := s.checkDraftRegion(c, l, f.Draft); err != nil {
			return err
		}
		res, err := s.Editor.Replace(ctx, l.ID, id, f.Draft, layers.MatchVersion(cur.Version), repair || (f.Repair != nil && *f.Repair))
		var ce *layers.ConflictError
		if errors.As(err, &ce) && !match.Tags && attempt < 3 {
			continue // changed by someone else since it was read: patch the new version
		}
		if err != nil {
			return err
		}
		c.Header("Content-Crs", "<"+ogc.CRS84URI+">")
		writeEdited(c, http.StatusOK, l, res)
		return nil
	}
}

// temporalCache keeps each layer's temporal extent for the data version
// it was computed on (a scan of the layer), so collection documents do not
// rescan an unchanged layer.
type temporalCache struct {
	mu sync.Mutex
	m  map[string]temporalEntry
}

type temporalEntry struct {
	version uint64
	iv      *[2]*string
}

func (tc *temporalCache) interval(snap *spatial.Snapshot, l *layers.Layer) *[2]*string {
	if len(l.Temporal) == 0 {
		return nil
	}
	tc.mu.Lock()
	e, ok := tc.m[l.ID]
	tc.mu.Unlock()
	if ok && e.version == snap.Version() {
		return e.iv
	}
	iv := ogc.TemporalInterval(l, func(yield func(*layers.Feature) bool) { snap.Ascend(l.ID, 0, yield) })
	tc.mu.Lock()
	if tc.m == nil {
		tc.m = map[string]temporalEntry{}
	}
	tc.m[l.ID] = temporalEntry{version: snap.Version(), iv: iv}
	tc.mu.Unlock()
	return iv
}
