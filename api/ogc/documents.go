package ogc

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// Media types the API writes.
const (
	MediaJSON    = "application/json"
	MediaGeoJSON = "application/geo+json"
	MediaHTML    = "text/html"
	MediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	MediaSchema  = "application/schema+json"
)

// Link relations of OGC API beyond the IANA ones.
const (
	RelConformance = "conformance"
	RelData        = "data"
	RelItems       = "items"
	RelQueryables  = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
	RelSchema      = "describedby"
)

// Link is a web link in an OGC document.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// selfLinks are the self link (JSON) and its HTML alternate.
func selfLinks(href, title string) []Link {
	return []Link{
		{Href: href, Rel: "self", Type: MediaJSON, Title: title},
		{Href: withF(href, "html"), Rel: "alternate", Type: MediaHTML, Title: title + "（网页）"},
	}
}

// withF adds f=<format> to a URL.
func withF(href, f string) string {
	if strings.Contains(href, "?") {
		return href + "&f=" + f
	}
	return href + "?f=" + f
}

// Landing is the landing page document.
type Landing struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Links       []Link `json:"links"`
}

// LandingDoc is the landing page with absolute links under base
// (scheme://host[/prefix]).
func (a *API) LandingDoc(base string) Landing {
	root := base + Root
	links := selfLinks(root, "本页")
	links = append(links,
		Link{Href: root + "/api", Rel: "service-desc", Type: MediaOpenAPI, Title: "API 定义（OpenAPI 3.0）"},
		Link{Href: root + "/api?f=html", Rel: "service-doc", Type: MediaHTML, Title: "API 文档（网页）"},
		Link{Href: root + "/conformance", Rel: RelConformance, Type: MediaJSON, Title: "符合性声明"},
		Link{Href: root + "/conformance", Rel: "http://www.opengis.net/def/rel/ogc/1.0/conformance", Type: MediaJSON, Title: "符合性声明"},
		Link{Href: root + "/collections", Rel: RelData, Type: MediaJSON, Title: "图层集合"},
		Link{Href: root + "/collections", Rel: "http://www.opengis.net/def/rel/ogc/1.0/data", Type: MediaJSON, Title: "图层集合"},
	)
	return Landing{Title: a.opt.Title, Description: a.opt.Description, Links: links}
}

// Extent is a collection's spatial and temporal extent.
type Extent struct {
	Spatial  *SpatialExtent  `json:"spatial,omitempty"`
	Temporal *TemporalExtent `json:"temporal,omitempty"`
}

// SpatialExtent is a list of boxes (one here) in CRS84.
type SpatialExtent struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

// TemporalExtent is a list of intervals (one here); null ends are open.
type TemporalExtent struct {
	Interval [][2]*string `json:"interval"`
	TRS      string       `json:"trs"`
}

// Collection is one collection's document.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Links       []Link   `json:"links"`
	Extent      *Extent  `json:"extent,omitempty"`
	ItemType    string   `json:"itemType"`
	CRS         []string `json:"crs"`
	StorageCRS  string   `json:"storageCrs"`
	// Onemap's foreign members, for clients and the HTML pages.
	Geometry string   `json:"geometryType"`
	Count    *int     `json:"numberOfFeatures,omitempty"`
	Temporal []string `json:"temporalProperties,omitempty"`
}

// CollectionState is what the index says of a layer for one caller: its
// count and box (nil when the caller may not see the data), and the time
// its features span.
type CollectionState struct {
	Count    *int
	Bound    *orb.Bound
	Temporal *[2]*string
}

var geometryNames = map[layers.GeometryType]string{layers.Point: "点", layers.LineString: "线", layers.Polygon: "面"}

// CollectionDoc is the document of layer l.
func (a *API) CollectionDoc(base string, l *layers.Layer, st CollectionState) Collection {
	self := base + CollectionPath(l.ID)
	items := base + ItemsPath(l.ID)
	c := Collection{ID: l.ID, Title: l.Name, Description: a.describe(l, st), ItemType: "feature",
		StorageCRS: EPSGURI(StorageEPSG), Geometry: l.StorageType(), Count: st.Count, Temporal: l.Temporal}
	for _, crs := range a.crss {
		c.CRS = append(c.CRS, crs.URI)
	}
	c.Links = append(selfLinks(self, l.Name),
		Link{Href: items, Rel: RelItems, Type: MediaGeoJSON, Title: l.Name + "：要素"},
		Link{Href: withF(items, "html"), Rel: RelItems, Type: MediaHTML, Title: l.Name + "：要素（网页）"},
		Link{Href: self + "/queryables", Rel: RelQueryables, Type: MediaSchema, Title: l.Name + "：可查询字段"},
		Link{Href: self + "/schema", Rel: RelSchema, Type: MediaSchema, Title: l.Name + "：要素结构（JSON Schema）"},
		// GDAL before 3.7 looks for the relation spelt describedBy.
		Link{Href: self + "/schema", Rel: "describedBy", Type: MediaSchema, Title: l.Name + "：要素结构（JSON Schema）"},
	)
	if st.Bound != nil || st.Temporal != nil {
		c.Extent = &Extent{}
		if b := st.Bound; b != nil {
			c.Extent.Spatial = &SpatialExtent{BBox: [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}, CRS: CRS84URI}
		}
		if st.Temporal != nil {
			c.Extent.Temporal = &TemporalExtent{Interval: [][2]*string{*st.Temporal}, TRS: "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
		}
	}
	return c
}

// describe is a collection's description in Chinese: what it is, its group,
// its geometry, its size and its fields.
func (a *API) describe(l *layers.Layer, st CollectionState) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s（%s）", l.Name, l.NameEn)
	for _, g := range a.cat.Groups {
		if g.ID == l.Group {
			fmt.Fprintf(&b, "，属“%s”", g.Name)
		}
	}
	fmt.Fprintf(&b, "，%s图层", geometryNames[l.Geometry])
	if st.Count != nil {
		fmt.Fprintf(&b, "，共 %d 个要素", *st.Count)
	}
	names := make([]string, len(l.Fields))
	for i, f := range l.Fields {
		names[i] = f.Name + " " + f.Label
	}
	fmt.Fprintf(&b, "。字段：%s。", strings.Join(names, "、"))
	switch len(l.Temporal) {
	case 1:
		fmt.Fprintf(&b, "datetime 按 %s 筛选。", l.Temporal[0])
	case 2:
		fmt.Fprintf(&b, "datetime 按有效期 %s–%s 筛选。", l.Temporal[0], l.Temporal[1])
	}
	return b.String()
}

// Collections is the /collections document.
type Collections struct {
	Links       []Link       `json:"links"`
	Collections []Collection `json:"collections"`
}

// CollectionsDoc wraps the documents of the collections a caller may see.
func (a *API) CollectionsDoc(base string, cols []Collection) Collections {
	return Collections{Links: selfLinks(base+Root+"/collections", "图层集合"), Collections: cols}
}
