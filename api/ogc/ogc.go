// Package ogc is the protocol side of onemap's OGC API – Features (Parts 1
// Core, 2 CRS, 3 queryables and query parameters, 4 create, replace, update
// and delete): conformance classes, the landing page and collection
// documents, the OpenAPI 3.0 document generated from the catalogue, the
// queryables and feature JSON Schemas, the items query parameters, and the
// HTML pages. It knows nothing of HTTP routing: package api's handlers call
// it and write what it returns.
//
// Two seams wait for other packages: a Projector (spatial/crs.Transform)
// adds the CGCS2000 Gauss-Krüger zones to the CRSs offered, and a
// FilterCompiler (spatial/cql2) adds the `filter` parameter with its
// conformance classes.
package ogc

import (
	"fmt"
	"net/url"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// FilterCompiler turns a `filter` parameter in the language lang
// ("cql2-text" or "cql2-json") into a predicate on the layer's features and,
// when the filter implies one (an S_INTERSECTS that must hold), a lon/lat
// box every match intersects (nil: none); or an error the client can read
// (the API maps its filter errors to 400).
type FilterCompiler func(l *layers.Layer, filter, lang string) (match func(*layers.Feature) bool, bound *orb.Bound, err error)

// IntersectsTest returns the predicate "the feature intersects g" (g
// lon/lat) on a layer's features: spatial/cql2's S_INTERSECTS.
type IntersectsTest func(l *layers.Layer, g orb.Geometry) (func(*layers.Feature) bool, error)

// Options configure an API.
type Options struct {
	Title       string // of the landing page; "" gives onemap's
	Description string
	// DefaultLimit and MaxLimit are the page sizes of /items (DESIGN.md:
	// 100 and 10,000).
	DefaultLimit, MaxLimit int
	// Project, when set, offers the CGCS2000 Gauss-Krüger zones as CRSs.
	Project Projector
	// Intersects makes a bbox given in a zone (bbox-crs) exact: features
	// must meet the box's outline, which is no box in lon/lat. Without it
	// such a bbox selects by the lon/lat box that encloses the outline.
	Intersects IntersectsTest
	// Filter, when set, accepts `filter`/`filter-lang`, and
	// FilterConformance lists the classes it implements (CQL2 and Part 3's
	// filter classes).
	Filter            FilterCompiler
	FilterConformance []string
}

// API holds what the OGC API serves that is fixed at start: the catalogue,
// the CRSs and the OpenAPI paths of every collection.
type API struct {
	cat  *layers.Catalog
	opt  Options
	crss []CRS
	oas  *openAPI
}

// New builds the API of a catalogue.
func New(cat *layers.Catalog, opt Options) *API {
	if opt.Title == "" {
		opt.Title = "onemap 国土资源一张图 OGC API – Features"
	}
	if opt.Description == "" {
		opt.Description = "国土资源\"一张图\"的全部图层，以 OGC API – Features（第1–4部分）提供：浏览、查询、按坐标系输出与编辑。"
	}
	if opt.DefaultLimit == 0 {
		opt.DefaultLimit = 100
	}
	if opt.MaxLimit == 0 {
		opt.MaxLimit = 10000
	}
	a := &API{cat: cat, opt: opt, crss: crsList(opt.Project)}
	a.oas = a.buildOpenAPI()
	return a
}

// CRSs lists the CRSs offered, CRS84 first.
func (a *API) CRSs() []CRS { return a.crss }

// ParamError is a query parameter (or header) the API cannot use: a 400.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return fmt.Sprintf("parameter %s: %s", e.Param, e.Msg) }

func paramErr(param, format string, args ...any) *ParamError {
	return &ParamError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// Paths of the API under its root (the landing page).
const (
	Root = "/ogc"
)

// CollectionPath, ItemsPath and ItemPath are the paths of a collection's
// resources.
func CollectionPath(id string) string { return Root + "/collections/" + url.PathEscape(id) }
func ItemsPath(id string) string      { return CollectionPath(id) + "/items" }
func ItemPath(id string, fid int64) string {
	return fmt.Sprintf("%s/%d", ItemsPath(id), fid)
}
