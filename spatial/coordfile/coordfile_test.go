package coordfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/onemap/onemap/spatial/area"
	"github.com/onemap/onemap/spatial/crs"
	"github.com/onemap/onemap/spatial/inputgeom"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSite38(t *testing.T) {
	for _, name := range []string{"site38.txt", "site38_gbk.txt"} {
		t.Run(name, func(t *testing.T) {
			f, err := Parse(read(t, name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.GBK != strings.Contains(name, "gbk") {
				t.Errorf("GBK = %v", f.GBK)
			}
			if f.CRS.EPSG != 4526 || f.CRS.Zone != 38 || !f.CRS.ZonePrefix {
				t.Fatalf("CRS %v, want EPSG:4526 (3° zone 38 with prefix)", f.CRS)
			}
			if f.Attribute("坐标系") != "2000国家大地坐标系" || f.Attribute("数据产生单位") != "江汉县自然资源和规划局" {
				t.Errorf("attributes %v", f.Attributes)
			}
			if len(f.Parcels) != 2 || len(f.Warnings) != 0 {
				t.Fatalf("%d parcels, warnings %v", len(f.Parcels), f.Warnings)
			}
			p1, p2 := f.Parcels[0], f.Parcels[1]
			if p1.Line != 13 || p1.PointCount != 11 || p1.Number != "1" || p1.Name != "江汉县城区批次用地一" || p1.Shape != "面" || p1.Sheet != "H49G056078" || p1.Use != "建设用地" || p1.LandClass != "0601" || p1.DeclaredArea != 3.7898 {
				t.Errorf("parcel 1 header %+v", p1)
			}
			// Ring 2 of parcel 1 lies inside ring 1: a hole. Parcel 2's
			// rings are apart: two parts.
			if len(p1.Geometry) != 1 || len(p1.Geometry[0]) != 2 || len(p2.Geometry) != 2 {
				t.Fatalf("parcel 1 %d parts/%d rings, parcel 2 %d parts", len(p1.Geometry), len(p1.Geometry[0]), len(p2.Geometry))
			}
			if p1.Geometry[0][0][1] != (orb.Point{38404320.250, 3403610.512}) {
				t.Errorf("point J2 is %v, want easting first", p1.Geometry[0][0][1])
			}
			// The declared 地块面积 (ha) is the planar area of the file's
			// coordinates, which the parser did not compute.
			for _, p := range f.Parcels {
				if got := planar.Area(p.Geometry) / 1e4; math.Abs(got-p.DeclaredArea) > 0.00005 {
					t.Errorf("parcel %s: planar area %.4f ha, declared %.4f", p.Number, got, p.DeclaredArea)
				}
			}
		})
	}
}

// TestSite38LonLat checks every transformed vertex against cs2cs, and the
// ellipsoidal area against the Gauss-Krüger plane area divided by the
// square of the projection's scale (k = 1 + x²/2R² about 96 km off the
// central meridian).
func TestSite38LonLat(t *testing.T) {
	f, err := Parse(read(t, "site38.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ToCGCS2000(context.Background()); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	var got []orb.Point
	for _, p := range f.Parcels {
		for i, poly := range p.Geometry {
			for j, r := range poly {
				for k, pt := range r {
					fmt.Fprintf(&in, "%.3f %.3f\n", pt[1], pt[0]) // northing easting
					got = append(got, p.LonLat[i][j][k])
				}
			}
		}
	}
	cmd := exec.Command("cs2cs", "-f", "%.10f", "EPSG:4526", "EPSG:4490")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cs2cs (Debian proj-bin) is the independent check: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(got) {
		t.Fatalf("cs2cs gave %d points for %d", len(lines), len(got))
	}
	for i, line := range lines {
		fs := strings.Fields(line)
		lat, _ := strconv.ParseFloat(fs[0], 64)
		lon, _ := strconv.ParseFloat(fs[1], 64)
		if math.Abs(got[i][0]-lon) > 1e-9 || math.Abs(got[i][1]-lat) > 1e-9 {
			t.Fatalf("point %d: %v, cs2cs says %v %v", i, got[i], lon, lat)
		}
		if lon < 112.9 || lon > 113.1 || lat < 30.7 || lat > 30.8 {
			t.Fatalf("point %d at %v %v is not near 113°E 30.75°N", i, lon, lat)
		}
	}
	for _, p := range f.Parcels {
		c := p.Geometry.Bound().Center()
		x := c[0] - f.CRS.FalseEasting()
		const r = 6372000.0 // mean radius of curvature near 30.75°N
		k := 1 + x*x/(2*r*r)
		want := planar.Area(p.Geometry) / (k * k)
		if got := area.Geodesic(p.LonLat); math.Abs(got-want)/want > 2e-6 {
			t.Errorf("parcel %s: %.3f m², plane area / k² %.3f", p.Number, got, want)
		}
	}
}

// variant edits the UTF-8 test file.
func variant(t *testing.T, edits ...string) []byte {
	s := string(read(t, "site38.txt"))
	for i := 0; i < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("test file lacks %q", edits[i])
		}
		s = strings.ReplaceAll(s, edits[i], edits[i+1])
	}
	return []byte(s)
}

func TestZoneFromHeaderOrPrefix(t *testing.T) {
	cases := []struct {
		name  string
		edits []string
		epsg  int
	}{
		{"no 带号: from the prefix", []string{"带号=38\r\n", ""}, 4526},
		{"no 带号 nor 几度分带", []string{"带号=38\r\n", "", "几度分带=3\r\n", ""}, 4526},
		{"带号 as central meridian", []string{"带号=38", "带号=114"}, 4526},
		{"eastings without prefix", []string{",384", ",4"}, 4547},
		{"no 几度分带, 带号 decides", []string{"几度分带=3\r\n", ""}, 4526},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(variant(t, tc.edits...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.CRS.EPSG != tc.epsg {
				t.Fatalf("EPSG:%d, want %d", f.CRS.EPSG, tc.epsg)
			}
		})
	}
	// Without the prefix the same site comes out at the same lon/lat.
	a, _ := Parse(read(t, "site38.txt"), Options{})
	b, _ := Parse(variant(t, ",384", ",4"), Options{})
	if err := a.ToCGCS2000(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.ToCGCS2000(context.Background()); err != nil {
		t.Fatal(err)
	}
	pa, pb := a.LonLat()[0][0][2], b.LonLat()[0][0][2]
	if math.Abs(pa[0]-pb[0]) > 1e-10 || math.Abs(pa[1]-pb[1]) > 1e-10 {
		t.Fatalf("prefixed %v, plain %v", pa, pb)
	}
}

func TestBadFiles(t *testing.T) {
	cases := []struct {
		name        string
		b           []byte
		line        int
		msg         string
		unsupported bool // errors.Is(err, crs.ErrUnsupported)
	}{
		{"missing [地块坐标]", []byte("[属性描述]\r\n坐标系=2000国家大地坐标系\r\n带号=38\r\n"), 0, "[地块坐标] is missing", false},
		// Without its first section, the header lines stand before any.
		{"missing [属性描述]", nil, 1, "before the first section", false},
		{"no parcel", []byte("[属性描述]\n带号=38\n[地块坐标]\n"), 3, "holds no parcel", false},
		{"ring does not close", nil, 18, "ring 1 of parcel 1 does not close", false},
		{"bad number", nil, 15, `X (northing) "3403610.5x2" is not a number`, false},
		{"NaN", nil, 15, `"NaN" is not a number`, false},
		{"three fields", nil, 15, "4 fields", false},
		{"bad point count", nil, 13, "界址点数", false},
		{"zone that does not exist", nil, 9, "there is no CGCS2000 3° Gauss-Krüger zone 46", true},
		{"带号 contradicts prefix", nil, 13, "带号 says zone 39 but the eastings (Y) carry the zone prefix 38", false},
		{"unknown zone", nil, 12, "zone is unknown", false},
		{"Xi'an 1980", nil, 5, "not supported", true},
		{"feet", nil, 8, "metres", false},
		{"point before header", []byte("[属性描述]\n带号=38\n[地块坐标]\nJ1,1,3403600,38404100\n"), 4, "before the first parcel header", false},
		{"text before sections", []byte("hello\n[属性描述]\n"), 1, "before the first section", false},
		{"unknown section", []byte("[属性描述]\n[坐标]\n"), 2, "unknown section", false},
		{"not text", []byte("[属性描述]\n\xff\xfe\xff\n"), 0, "neither UTF-8 nor GBK", false},
		{"ring resumes", nil, 21, "resumes", false},
	}
	fill := map[string][]byte{
		"missing [属性描述]":           variant(t, "[属性描述]\r\n", ""),
		"ring does not close":      variant(t, "J1,1,3403600.000,38404100.000\r\nJ6,", "J6,"),
		"bad number":               variant(t, "3403610.512", "3403610.5x2"),
		"NaN":                      variant(t, "3403610.512", "NaN"),
		"three fields":             variant(t, "J2,1,3403610.512,", "J2,3403610.512,"),
		"bad point count":          variant(t, "11,3.7898", "eleven,3.7898"),
		"zone that does not exist": variant(t, "带号=38", "带号=46", ",384", ",4"),
		"带号 contradicts prefix":    variant(t, "带号=38", "带号=39"),
		"unknown zone":             variant(t, "带号=38\r\n", "", ",384", ",4"),
		"Xi'an 1980":               variant(t, "2000国家大地坐标系", "1980西安坐标系"),
		"feet":                     variant(t, "计量单位=米", "计量单位=英尺"),
		"ring resumes":             variant(t, "J7,2,", "J7,1,"),
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			if b == nil {
				b = fill[tc.name]
			}
			_, err := Parse(b, Options{})
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("want *Error, got %v", err)
			}
			if fe.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %q (line %d), want line %d saying %q", err, fe.Line, tc.line, tc.msg)
			}
			if errors.Is(err, crs.ErrUnsupported) != tc.unsupported {
				t.Fatalf("errors.Is(crs.ErrUnsupported) = %v", !tc.unsupported)
			}
		})
	}
	// Only the sections: the attribute section missing while the parcels
	// are there.
	_, err := Parse([]byte("[地块坐标]\n5,1,1,a,面,,,,@\nJ1,1,3403600,38404100\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "[属性描述] is missing") {
		t.Fatalf("got %v", err)
	}
}

func TestRepairClosesRing(t *testing.T) {
	b := variant(t, "J1,1,3403600.000,38404100.000\r\nJ6,", "J6,")
	f, err := Parse(b, Options{Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	r := f.Parcels[0].Geometry[0][0]
	if r[0] != r[len(r)-1] || len(r) != 6 {
		t.Fatalf("ring not closed: %v", r)
	}
	if len(f.Warnings) != 2 || !strings.Contains(f.Warnings[0], "line 18") || !strings.Contains(f.Warnings[1], "declares 11 points") {
		t.Fatalf("warnings %q", f.Warnings)
	}
}

// TestSameAsGeoJSON: the file and the GeoJSON of the same site (its
// vertices transformed by cs2cs, not by us) give the same checked input
// geometry and area.
func TestSameAsGeoJSON(t *testing.T) {
	ctx := context.Background()
	f, err := Parse(read(t, "site38.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := inputgeom.PrepareParcels(ctx, f.Geometry(), f.CRS.EPSG, false, inputgeom.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	// GeoJSON coordinates from cs2cs, polygon by polygon.
	var coords []string
	for _, poly := range f.Geometry() {
		var rings []string
		for _, r := range poly {
			var in bytes.Buffer
			for _, pt := range r {
				fmt.Fprintf(&in, "%.3f %.3f\n", pt[1], pt[0])
			}
			cmd := exec.Command("cs2cs", "-f", "%.10f", "EPSG:4526", "EPSG:4490")
			cmd.Stdin = &in
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("cs2cs: %v", err)
			}
			var pts []string
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				fs := strings.Fields(line)
				pts = append(pts, "["+fs[1]+","+fs[0]+"]")
			}
			rings = append(rings, "["+strings.Join(pts, ",")+"]")
		}
		coords = append(coords, "["+strings.Join(rings, ",")+"]")
	}
	gj := `{"type":"MultiPolygon","coordinates":[` + strings.Join(coords, ",") + `]}`
	fromJSON, err := inputgeom.Read(ctx, inputgeom.Input{GeoJSON: json.RawMessage(gj)}, inputgeom.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	// cs2cs prints 10 decimals of a degree (about 10 µm): the areas agree
	// to that, far inside the 0.001 % the overlay promises.
	if math.Abs(fromFile.AreaM2-fromJSON.AreaM2)/fromJSON.AreaM2 > 1e-7 {
		t.Fatalf("file %.6f m², GeoJSON %.6f m²", fromFile.AreaM2, fromJSON.AreaM2)
	}
	if fromFile.CRS.EPSG != 4526 || fromJSON.CRS.EPSG != 4490 {
		t.Fatalf("CRSs %v and %v", fromFile.CRS, fromJSON.CRS)
	}
	// 3.7898 + 1.1250 ha declared, less the projection's scale (k² ≈ 1.000226).
	if want := (3.7898 + 1.1250) * 1e4 / 1.000226; math.Abs(fromFile.AreaM2-want) > 1 {
		t.Fatalf("area %.3f m², about %.3f expected", fromFile.AreaM2, want)
	}
}
