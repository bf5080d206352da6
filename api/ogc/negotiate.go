package ogc

import (
	"mime"
	"strconv"
	"strings"
)

// Format is the representation of an answer.
type Format int

const (
	JSON Format = iota // JSON (GeoJSON for features)
	HTML
)

// Negotiate picks the representation: the f parameter when given
// (json, geojson or html), else the Accept header's preference between
// HTML and JSON (a browser's text/html wins over its */*), else JSON.
func Negotiate(f, accept string) (Format, error) {
	switch strings.ToLower(f) {
	case "json", "geojson", "application/json", "application/geo+json":
		return JSON, nil
	case "html", "text/html":
		return HTML, nil
	case "":
	default:
		return JSON, paramErr("f", "%q is not a format of this API: use json or html", f)
	}
	htmlQ, jsonQ := -1.0, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				q = x
			}
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			htmlQ = max(htmlQ, q)
		case "text/*":
			htmlQ = max(htmlQ, q-0.001) // an exact type outranks a wildcard
		case "application/json", "application/geo+json", "application/schema+json",
			"application/vnd.oai.openapi+json", "application/openapi+json":
			jsonQ = max(jsonQ, q)
		case "application/*", "*/*":
			jsonQ = max(jsonQ, q-0.001)
		}
	}
	if htmlQ > 0 && htmlQ > jsonQ {
		return HTML, nil
	}
	return JSON, nil
}
