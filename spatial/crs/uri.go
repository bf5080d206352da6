package crs

import (
	"fmt"
	"strconv"
	"strings"
)

// NorthingFirst says the EPSG definition orders the axes latitude or
// northing first, as every accepted code does (4490, 4326, the zones).
// GeoJSON and WKT in onemap are always easting first; OGC API Features
// Part 2 answers in the definition's order when a client names the CRS.
func (c CRS) NorthingFirst() bool { return true }

// URI is the OGC name of the CRS, as OGC API Features Part 2 lists it.
func (c CRS) URI() string { return "http://www.opengis.net/def/crs/EPSG/0/" + strconv.Itoa(c.EPSG) }

// ParseURI reads a CRS named as "EPSG:4527", "4527",
// "urn:ogc:def:crs:EPSG::4527" or "http://www.opengis.net/def/crs/EPSG/0/4527".
// OGC's CRS84 (lon/lat on WGS 84) is not an EPSG code: callers that accept
// it handle it before.
func ParseURI(s string) (CRS, error) {
	t := strings.TrimSpace(s)
	for _, prefix := range []string{
		"http://www.opengis.net/def/crs/EPSG/0/",
		"https://www.opengis.net/def/crs/EPSG/0/",
		"urn:ogc:def:crs:EPSG::",
		"EPSG:",
		"epsg:",
	} {
		if rest, ok := strings.CutPrefix(t, prefix); ok {
			t = rest
			break
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return CRS{}, fmt.Errorf("%w: %q names no EPSG code", ErrUnsupported, s)
	}
	return Lookup(n)
}
