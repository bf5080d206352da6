package ogc

// The conformance classes this server declares, each covered by a test in
// package api (ogc_test.go names the test beside each class).
const (
	ConfCore       = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
	ConfOAS30      = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
	ConfHTML       = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"
	ConfGeoJSON    = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
	ConfCRS        = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
	ConfQueryables = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables"
	ConfQueryParam = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters"
	ConfCRD        = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete"
	ConfUpdate     = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update"
	ConfFeatures4  = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features"
	ConfETags      = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags"
)

// Conformance is the /conformance document.
type Conformance struct {
	ConformsTo []string `json:"conformsTo"`
	Links      []Link   `json:"links,omitempty"`
}

// ConformsTo lists exactly what is implemented: Part 3's filter classes
// only when a FilterCompiler is wired in, with the classes it declares.
func (a *API) ConformsTo() []string {
	out := []string{ConfCore, ConfOAS30, ConfHTML, ConfGeoJSON, ConfCRS, ConfQueryables, ConfQueryParam,
		ConfCRD, ConfUpdate, ConfFeatures4, ConfETags}
	if a.opt.Filter != nil {
		out = append(out, a.opt.FilterConformance...)
	}
	return out
}

// ConformanceDoc is the /conformance document with its links.
func (a *API) ConformanceDoc(base string) Conformance {
	return Conformance{ConformsTo: a.ConformsTo(), Links: selfLinks(base+Root+"/conformance", "符合性声明")}
}
