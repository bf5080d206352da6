package ogc

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// ItemsQuery is what an items request asks besides paging: the box (lon/lat
// on EPSG:4490, already converted from bbox-crs), the CRS of the answer,
// and the predicate the features must meet (nil: all).
type ItemsQuery struct {
	BBox  *orb.Bound
	CRS   CRS
	Match func(*layers.Feature) bool
}

// and is the predicate of both (either may be nil).
func and(a, b func(*layers.Feature) bool) func(*layers.Feature) bool {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(f *layers.Feature) bool { return a(f) && b(f) }
}

// The parameters of /items every collection has (f, limit and offset are
// read by the caller); a collection's field names are the others.
var itemsParams = []string{"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime"}

// filterParams exist when a FilterCompiler is wired in.
var filterParams = []string{"filter", "filter-lang", "filter-crs"}

// ParseItems reads an items request's query: bbox and bbox-crs, crs,
// datetime, FIELD=value and (with a FilterCompiler) filter. An unknown
// parameter is a *ParamError, since ignoring it would answer a question
// the client did not ask.
func (a *API) ParseItems(ctx context.Context, l *layers.Layer, q url.Values) (ItemsQuery, error) {
	var out ItemsQuery
	if err := a.checkParams(l, q, true); err != nil {
		return out, err
	}
	var err error
	if out.CRS, err = a.parseCRSParam(q, "crs"); err != nil {
		return out, err
	}
	bboxCRS, err := a.parseCRSParam(q, "bbox-crs")
	if err != nil {
		return out, err
	}
	if q.Has("bbox-crs") && !q.Has("bbox") {
		return out, paramErr("bbox-crs", "is given without bbox")
	}
	var outline orb.Polygon
	if out.BBox, outline, err = parseBBox(ctx, q.Get("bbox"), bboxCRS); err != nil {
		return out, err
	}
	if outline != nil && a.opt.Intersects != nil {
		in, err := a.opt.Intersects(l, outline)
		if err != nil {
			return out, fmt.Errorf("bbox in %s: %w", bboxCRS.URI, err)
		}
		out.Match = in
	}
	match, bound, err := a.Filter(l, q)
	if err != nil {
		return out, err
	}
	out.Match = and(out.Match, match)
	if out.BBox == nil {
		out.BBox = bound // the R-tree finds the candidates of an S_INTERSECTS
	}
	return out, nil
}

// ParseItem reads a single item request's query: f and crs only.
func (a *API) ParseItem(l *layers.Layer, q url.Values) (CRS, error) {
	if err := a.checkParams(l, q, false); err != nil {
		return CRS{}, err
	}
	return a.parseCRSParam(q, "crs")
}

// ParseContentCRS reads a write's Content-Crs header (Part 2 with Part 4):
// the CRS of the geometry in the body, CRS84 when absent.
func (a *API) ParseContentCRS(header string) (CRS, error) {
	if header == "" {
		return CRS84, nil
	}
	return parseCRS(a.crss, "Content-Crs", strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(header), "<"), ">"))
}

func (a *API) parseCRSParam(q url.Values, name string) (CRS, error) {
	vs := q[name]
	switch {
	case len(vs) == 0:
		return CRS84, nil
	case len(vs) > 1:
		return CRS{}, paramErr(name, "is given %d times", len(vs))
	}
	return parseCRS(a.crss, name, vs[0])
}

// checkParams refuses unknown and repeated parameters; on a single item
// only f and crs are known.
func (a *API) checkParams(l *layers.Layer, q url.Values, items bool) error {
	for name, vs := range q {
		known := name == "f" || name == "crs"
		if items {
			known = known || slices.Contains(itemsParams, name) || l.FieldIndex(name) >= 0 ||
				(a.opt.Filter != nil && slices.Contains(filterParams, name))
		}
		if !known {
			msg := "is not a parameter of this resource"
			if items {
				msg += "; " + a.knownParams(l)
				for _, f := range l.Fields {
					if strings.EqualFold(f.Name, name) {
						msg = "is not a parameter of this resource; field names are upper case: " + f.Name
					}
				}
			} else {
				msg += " (f and crs are)"
			}
			return paramErr(name, "%s", msg)
		}
		if len(vs) > 1 {
			return paramErr(name, "is given %d times; give it once", len(vs))
		}
	}
	return nil
}

func (a *API) knownParams(l *layers.Layer) string {
	names := slices.Clone(itemsParams)
	if a.opt.Filter != nil {
		names = append(names, filterParams...)
	}
	return "known: " + strings.Join(names, ", ") + " and the fields of " + l.ID + " (see its queryables)"
}

// parseBBox reads minx,miny,maxx,maxy (or the 6-number 3D form, whose
// heights are ignored) in the CRS c and its axis order, and returns the
// lon/lat box and, for a projected CRS, the box's outline in lon/lat.
func parseBBox(ctx context.Context, v string, c CRS) (*orb.Bound, orb.Polygon, error) {
	if v == "" {
		return nil, nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return nil, nil, paramErr("bbox", "must be four numbers minx,miny,maxx,maxy (or six with heights), got %d", len(parts))
	}
	n := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, nil, paramErr("bbox", "value %q is not a finite number", p)
		}
		n[i] = f
	}
	if len(n) == 6 {
		n = []float64{n[0], n[1], n[3], n[4]}
	}
	if n[1] > n[3] {
		return nil, nil, paramErr("bbox", "the lower corner's second coordinate exceeds the upper one's")
	}
	if n[0] > n[2] {
		return nil, nil, paramErr("bbox", "the lower corner's first coordinate exceeds the upper one's (a box across the antimeridian is not supported)")
	}
	b := orb.Bound{Min: orb.Point{n[0], n[1]}, Max: orb.Point{n[2], n[3]}}
	if c.Geographic() {
		lon, lat := b, b
		if c.NorthFirst {
			lon = orb.Bound{Min: orb.Point{b.Min[1], b.Min[0]}, Max: orb.Point{b.Max[1], b.Max[0]}}
			lat = lon
		}
		if lon.Min[0] < -180 || lon.Max[0] > 180 || lat.Min[1] < -90 || lat.Max[1] > 90 {
			order := "lon,lat"
			if c.NorthFirst {
				order = "lat,lon (the axis order of " + c.URI + ")"
			}
			return nil, nil, paramErr("bbox", "lies outside longitude -180…180, latitude -90…90; its axis order is %s", order)
		}
	}
	out, outline, err := c.boundToStorage(ctx, b)
	if err != nil {
		return nil, nil, paramErr("bbox", "cannot be converted from %s: %v", c.URI, err)
	}
	return &out, outline, nil
}

// Filter is the seam where a request's filters become one predicate on a
// layer's features: FIELD=value parameters (typed by the catalogue),
// datetime on the layer's temporal field or interval, and `filter` when a
// FilterCompiler is wired in. nil means no filter. bound, when not nil, is
// a lon/lat box every match intersects (from the filter's S_INTERSECTS).
func (a *API) Filter(l *layers.Layer, q url.Values) (match func(*layers.Feature) bool, bound *orb.Bound, err error) {
	var preds []func(*layers.Feature) bool
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names) // the first bad parameter is the same on every run
	for _, name := range names {
		if i := l.FieldIndex(name); i >= 0 {
			p, err := fieldEquals(l.Fields[i], i, q.Get(name))
			if err != nil {
				return nil, nil, err
			}
			preds = append(preds, p)
		}
	}
	if v := q.Get("datetime"); q.Has("datetime") {
		p, err := datetimeFilter(l, v)
		if err != nil {
			return nil, nil, err
		}
		preds = append(preds, p)
	}
	if q.Has("filter-lang") && !q.Has("filter") {
		return nil, nil, paramErr("filter-lang", "is given without filter")
	}
	if q.Has("filter") && a.opt.Filter != nil {
		lang := q.Get("filter-lang")
		if lang == "" {
			lang = "cql2-text"
		}
		if lang != "cql2-text" && lang != "cql2-json" {
			return nil, nil, paramErr("filter-lang", "%q is not cql2-text or cql2-json", lang)
		}
		if c := q.Get("filter-crs"); c != "" {
			if crs, err := parseCRS(a.crss, "filter-crs", c); err != nil {
				return nil, nil, err
			} else if crs.URI != CRS84URI {
				return nil, nil, paramErr("filter-crs", "only %s is supported for filter geometries", CRS84URI)
			}
		}
		p, b, err := a.opt.Filter(l, q.Get("filter"), lang)
		if err != nil {
			return nil, nil, err
		}
		preds, bound = append(preds, p), b
	}
	for _, p := range preds {
		match = and(match, p)
	}
	return match, bound, nil
}

// fieldEquals is FIELD=value, the text read as the field's type: a string
// matches exactly, a number or integer by value, a date as YYYY-MM-DD.
// A null never matches.
func fieldEquals(fd layers.Field, i int, text string) (func(*layers.Feature) bool, error) {
	switch fd.Type {
	case layers.Integer:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, paramErr(fd.Name, "is an integer field: %q is not an integer", text)
		}
		return func(f *layers.Feature) bool { v, ok := f.Props.At(i).(int64); return ok && v == n }, nil
	case layers.Number:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, paramErr(fd.Name, "is a number field: %q is not a finite number", text)
		}
		return func(f *layers.Feature) bool { v, ok := f.Props.At(i).(float64); return ok && v == x }, nil
	case layers.Date:
		if _, err := time.Parse(time.DateOnly, text); err != nil || len(text) != 10 {
			return nil, paramErr(fd.Name, "is a date field: %q is not a date YYYY-MM-DD", text)
		}
	}
	return func(f *layers.Feature) bool { v, ok := f.Props.At(i).(string); return ok && v == text }, nil
}
