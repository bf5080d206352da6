package wkt

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	owkt "github.com/paulmach/orb/encoding/wkt"
)

// FuzzParse: no input panics or hangs; what is accepted has finite
// coordinates, and orb's writer's text of it reads back to the same geometry.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"POINT(117 30.5)",
		"POINT Z (1 2 3)",
		"SRID=4527;POLYGON((39500000 3400000,39501000 3400000,39501000 3401000,39500000 3400000))",
		"MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))",
		"MULTIPOINT((1 2),(3 4))",
		"GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))",
		"POLYGON EMPTY",
		"POINT(1e999 2)",
		"POINT(NaN 1)",
		"LINESTRING(0 0, 1 1 1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(s)
		if err != nil {
			return
		}
		bad := false
		var check func(orb.Geometry)
		pt := func(p orb.Point) {
			if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
				bad = true
			}
		}
		check = func(g orb.Geometry) {
			switch v := g.(type) {
			case orb.Point:
				pt(v)
			case orb.MultiPoint:
				for _, p := range v {
					pt(p)
				}
			case orb.LineString:
				for _, p := range v {
					pt(p)
				}
			case orb.Polygon:
				for _, r := range v {
					check(orb.LineString(r))
				}
			case orb.MultiLineString:
				for _, l := range v {
					check(l)
				}
			case orb.MultiPolygon:
				for _, p := range v {
					check(p)
				}
			case orb.Collection:
				for _, m := range v {
					check(m)
				}
			}
		}
		check(g)
		if bad {
			t.Fatalf("%q gave a non-finite coordinate: %v", s, g)
		}
		if isEmpty(g) {
			return // orb writes empty geometries its own way
		}
		text := owkt.MarshalString(g)
		back, err := Parse(text)
		if err != nil {
			t.Fatalf("%q → %q does not read back: %v", s, text, err)
		}
		if !orb.Equal(g, back) {
			t.Fatalf("%q → %q → %v, not %v", s, text, back, g)
		}
	})
}
