package crs

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	for _, s := range []string{"EPSG:4527", "4527", " epsg:4527 ", "urn:ogc:def:crs:EPSG::4527", "http://www.opengis.net/def/crs/EPSG/0/4527"} {
		c, err := ParseURI(s)
		if err != nil || c.EPSG != 4527 {
			t.Errorf("%q: %v, %v", s, c, err)
		}
	}
	for _, s := range []string{"", "EPSG:", "CRS84", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:3857", "EPSG:4527x"} {
		if _, err := ParseURI(s); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%q: want ErrUnsupported, got %v", s, err)
		}
	}
	if u := (CRS{EPSG: 4490}).URI(); u != "http://www.opengis.net/def/crs/EPSG/0/4490" {
		t.Errorf("URI %s", u)
	}
}

// TestNorthingFirst asks PROJ for the axis order of every accepted code.
func TestNorthingFirst(t *testing.T) {
	codes := []string{"EPSG:4490", "EPSG:4326"}
	for epsg := 4491; epsg <= 4554; epsg += 7 {
		codes = append(codes, "EPSG:"+strconv.Itoa(epsg))
	}
	for _, code := range codes {
		out, err := exec.Command("projinfo", "-o", "WKT2:2019", code).Output()
		if err != nil {
			t.Fatalf("projinfo %s: %v", code, err)
		}
		s := string(out)
		first := strings.Index(s, "AXIS[")
		if first < 0 {
			t.Fatalf("%s: no AXIS in %s", code, s)
		}
		axis := strings.ToLower(s[first : first+40])
		north := strings.Contains(axis, "latitude") || strings.Contains(axis, "northing")
		c, err := ParseURI(code)
		if err != nil {
			t.Fatal(err)
		}
		if c.NorthingFirst() != north {
			t.Errorf("%s: first axis %q, NorthingFirst %v", code, axis, c.NorthingFirst())
		}
	}
}
