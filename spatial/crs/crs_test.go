package crs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
)

// cs2cs runs PROJ's command-line tool (Debian proj-bin), an independent
// implementation path from ours (no go-proj, no axis normalisation): its
// input and output follow the EPSG axis order, so lat/lon for 4490 and
// northing/easting for the zones.
func cs2cs(t *testing.T, from, to int, pts [][2]float64) [][2]float64 {
	t.Helper()
	path, err := exec.LookPath("cs2cs")
	if err != nil {
		t.Fatalf("cs2cs (Debian proj-bin) is needed as the independent check: %v", err)
	}
	var in bytes.Buffer
	for _, p := range pts {
		fmt.Fprintf(&in, "%.10f %.10f\n", p[0], p[1])
	}
	cmd := exec.Command(path, "-f", "%.10f", fmt.Sprintf("EPSG:%d", from), fmt.Sprintf("EPSG:%d", to))
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cs2cs: %v", err)
	}
	var res [][2]float64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		a, erra := strconv.ParseFloat(f[0], 64)
		b, errb := strconv.ParseFloat(f[1], 64)
		if erra != nil || errb != nil {
			t.Fatalf("cs2cs output %q", line)
		}
		res = append(res, [2]float64{a, b})
	}
	if len(res) != len(pts) {
		t.Fatalf("cs2cs gave %d points for %d", len(res), len(pts))
	}
	return res
}

func TestKnownPoint(t *testing.T) {
	// The example of DESIGN.md: on the central meridian of 3° zone 39 the
	// longitude is exactly 117°E; 30.7206°N is the latitude 3 400 km north.
	g, err := ToCGCS2000(context.Background(), orb.Point{39500000, 3400000}, 4527)
	if err != nil {
		t.Fatal(err)
	}
	p := g.(orb.Point)
	if math.Abs(p[0]-117) > 1e-9 || math.Abs(p[1]-30.7206) > 0.00005 {
		t.Fatalf("EPSG:4527 (39500000 3400000) → %v, want 117°E 30.7206°N", p)
	}
	want := cs2cs(t, 4527, 4490, [][2]float64{{3400000, 39500000}})[0]
	if math.Abs(p[0]-want[1]) > 1e-9 || math.Abs(p[1]-want[0]) > 1e-9 {
		t.Fatalf("→ %v, cs2cs says lon %v lat %v", p, want[1], want[0])
	}
	back, err := Transform(context.Background(), p, 4490, 4527)
	if err != nil {
		t.Fatal(err)
	}
	if b := back.(orb.Point); math.Abs(b[0]-39500000) > 1e-3 || math.Abs(b[1]-3400000) > 1e-3 {
		t.Fatalf("round trip gave %v", b)
	}
}

// TestEveryZoneAgainstCS2CS checks each of the 64 zone CRSs both ways at
// points spread over the zone, against cs2cs.
func TestEveryZoneAgainstCS2CS(t *testing.T) {
	ctx := context.Background()
	for epsg := 4491; epsg <= 4554; epsg++ {
		t.Run(strconv.Itoa(epsg), func(t *testing.T) {
			t.Parallel()
			checkZoneAgainstCS2CS(ctx, t, epsg)
		})
	}
}

func checkZoneAgainstCS2CS(ctx context.Context, t *testing.T, epsg int) {
	c, err := Lookup(epsg)
	if err != nil {
		t.Fatal(err)
	}
	half := float64(c.ZoneWidth) / 2
	var lonlat orb.MultiPoint
	var latlon [][2]float64
	for _, dl := range []float64{-half, -half / 3, 0, half / 2, half} {
		for _, lat := range []float64{18.25, 30.5, 41, 53.4} {
			lonlat = append(lonlat, orb.Point{c.CentralMeridian + dl, lat})
			latlon = append(latlon, [2]float64{lat, c.CentralMeridian + dl})
		}
	}
	ne := cs2cs(t, 4490, epsg, latlon)
	got, err := Transform(ctx, lonlat, 4490, epsg)
	if err != nil {
		t.Fatalf("EPSG:%d: %v", epsg, err)
	}
	var zone orb.MultiPoint
	var nePts [][2]float64
	for i, p := range got.(orb.MultiPoint) {
		if math.Abs(p[0]-ne[i][1]) > 1e-4 || math.Abs(p[1]-ne[i][0]) > 1e-4 {
			t.Fatalf("EPSG:%d: %v → %v, cs2cs says E %v N %v", epsg, lonlat[i], p, ne[i][1], ne[i][0])
		}
		if c.ZonePrefix && math.Floor(p[0]/1e6) != float64(c.Zone) {
			t.Fatalf("EPSG:%d: easting %v lacks the zone prefix %d", epsg, p[0], c.Zone)
		}
		zone = append(zone, p)
		nePts = append(nePts, [2]float64{p[1], p[0]})
	}
	ll := cs2cs(t, epsg, 4490, nePts)
	back, err := ToCGCS2000(ctx, zone, epsg)
	if err != nil {
		t.Fatalf("EPSG:%d back: %v", epsg, err)
	}
	for i, p := range back.(orb.MultiPoint) {
		if math.Abs(p[0]-ll[i][1]) > 1e-9 || math.Abs(p[1]-ll[i][0]) > 1e-9 {
			t.Fatalf("EPSG:%d: %v → %v, cs2cs says lon %v lat %v", epsg, zone[i], p, ll[i][1], ll[i][0])
		}
		if math.Abs(p[0]-lonlat[i][0]) > 1e-8 || math.Abs(p[1]-lonlat[i][1]) > 1e-8 {
			t.Fatalf("EPSG:%d: round trip of %v gave %v", epsg, lonlat[i], p)
		}
	}
}

// TestLookupAgainstProjinfo compares our table of the series with PROJ's
// own definition of each code (projinfo, Debian proj-bin).
func TestLookupAgainstProjinfo(t *testing.T) {
	path, err := exec.LookPath("projinfo")
	if err != nil {
		t.Fatalf("projinfo (Debian proj-bin) is needed as the independent check: %v", err)
	}
	for epsg := 4491; epsg <= 4554; epsg++ {
		t.Run(strconv.Itoa(epsg), func(t *testing.T) {
			t.Parallel()
			checkProjinfo(t, path, epsg)
		})
	}
}

func checkProjinfo(t *testing.T, path string, epsg int) {
	lon0 := regexp.MustCompile(`\+lon_0=(\S+)`)
	x0 := regexp.MustCompile(`\+x_0=(\S+)`)
	c, err := Lookup(epsg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "-o", "PROJ,WKT2:2019", fmt.Sprintf("EPSG:%d", epsg)).Output()
	if err != nil {
		t.Fatalf("projinfo EPSG:%d: %v", epsg, err)
	}
	s := string(out)
	if m := lon0.FindStringSubmatch(s); m == nil || m[1] != strconv.FormatFloat(c.CentralMeridian, 'f', -1, 64) {
		t.Errorf("EPSG:%d: projinfo lon_0 %v, we say %v", epsg, m, c.CentralMeridian)
	}
	if m := x0.FindStringSubmatch(s); m == nil || m[1] != strconv.FormatFloat(c.FalseEasting(), 'f', -1, 64) {
		t.Errorf("EPSG:%d: projinfo x_0 %v, we say %v", epsg, m, c.FalseEasting())
	}
	if !strings.Contains(s, `PROJCRS["`+c.Name+`"`) {
		t.Errorf("EPSG:%d: projinfo does not name it %q", epsg, c.Name)
	}
}

func TestZoneOf(t *testing.T) {
	cases := []struct {
		easting float64
		epsg    int
	}{
		{39500000, 4527},
		{39123456.7, 4527},
		{38400000, 4526},
		{25500000, 4513},
		{45600000, 4533},
		{20500000, 4498},
		{13500000, 4491},
		{23300000, 4501},
	}
	for _, tc := range cases {
		c, err := ZoneOf(tc.easting)
		if err != nil || c.EPSG != tc.epsg {
			t.Errorf("ZoneOf(%v) = %v, %v; want EPSG:%d", tc.easting, c, err, tc.epsg)
		}
	}
	for _, e := range []float64{500000, 12500000, 24500000, 46500000, 99500000, -39500000, math.NaN(), 1e12} {
		if _, err := ZoneOf(e); !errors.Is(err, ErrUnsupported) {
			t.Errorf("ZoneOf(%v): want a zone error, got %v", e, err)
		}
	}
}

func TestGaussKruger(t *testing.T) {
	cases := []struct {
		width, zone int
		prefix      bool
		epsg        int
	}{
		{3, 39, true, 4527}, {3, 39, false, 4548}, {3, 25, true, 4513}, {3, 45, false, 4554},
		{6, 13, true, 4491}, {6, 23, false, 4512}, {6, 20, true, 4498}, {6, 20, false, 4509},
	}
	for _, tc := range cases {
		c, err := GaussKruger(tc.width, tc.zone, tc.prefix)
		if err != nil || c.EPSG != tc.epsg {
			t.Errorf("GaussKruger(%d, %d, %v) = %v, %v; want EPSG:%d", tc.width, tc.zone, tc.prefix, c, err, tc.epsg)
		}
		byCM, err := GaussKrugerAt(tc.width, c.CentralMeridian, tc.prefix)
		if err != nil || byCM.EPSG != tc.epsg {
			t.Errorf("GaussKrugerAt(%d, %v, %v) = %v, %v; want EPSG:%d", tc.width, c.CentralMeridian, tc.prefix, byCM, err, tc.epsg)
		}
	}
	bad := []struct{ width, zone int }{{3, 24}, {3, 46}, {6, 12}, {6, 24}, {6, 39}, {4, 30}, {3, 0}}
	for _, b := range bad {
		_, err := GaussKruger(b.width, b.zone, true)
		var ze *ZoneError
		if !errors.As(err, &ze) || !errors.Is(err, ErrUnsupported) {
			t.Errorf("GaussKruger(%d, %d): want *ZoneError, got %v", b.width, b.zone, err)
		}
	}
	if _, err := GaussKrugerAt(3, 118, true); err == nil {
		t.Error("118°E is no 3° central meridian, want an error")
	}
	if _, err := GaussKrugerAt(6, 140, true); err == nil {
		t.Error("141°E is beyond the 6° series, want an error")
	}
}

func TestUnsupportedCodes(t *testing.T) {
	for _, code := range []int{0, 3857, 4214, 4489, 4555, 4610, 2383, -4527} {
		_, err := ToCGCS2000(context.Background(), orb.Point{1, 2}, code)
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.EPSG != code || !errors.Is(err, ErrUnsupported) {
			t.Errorf("EPSG:%d: want *UnsupportedError, got %v", code, err)
		}
	}
}

func TestBadCoordinates(t *testing.T) {
	cases := []struct {
		name string
		g    orb.Geometry
		from int
		want string
	}{
		{"NaN lon", orb.Point{math.NaN(), 30}, 4490, "finite"},
		{"infinite northing", orb.LineString{{39500000, 3400000}, {39500000, math.Inf(1)}}, 4527, "finite"},
		{"latitude beyond the pole", orb.Point{117, 95}, 4490, "latitude"},
		{"longitude beyond 180", orb.Point{181, 30}, 4326, "longitude"},
		{"lon/lat sent as zone", orb.Point{117, 30}, 4527, "zone number 39"},
		{"easting of zone 38 sent as 39", orb.Point{38500000, 3400000}, 4527, "zone number 39"},
		{"northing first", orb.Point{3400000, 39500000}, 4527, "zone number 39"},
		{"prefixed easting sent as plain zone", orb.Point{39500000, 3400000}, 4548, "outside 0…1 000 000"},
		{"southern northing", orb.Point{500000, -100}, 4548, "northing"},
		{"far outside its zone", orb.Point{39999999, 100}, 4527, "from the central meridian"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ToCGCS2000(context.Background(), tc.g, tc.from)
			var ce *CoordinateError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want *CoordinateError mentioning %q, got %v", tc.want, err)
			}
		})
	}
	_, err := ToCGCS2000(context.Background(), orb.Bound{Min: orb.Point{39500000, 3400000}, Max: orb.Point{39501000, 3401000}}, 4527)
	if err == nil {
		t.Error("a Bound must be refused: it is no box after projection")
	}
}

func TestGeometryTypesAndInputUntouched(t *testing.T) {
	ctx := context.Background()
	ring := orb.Ring{{39500000, 3400000}, {39501000, 3400000}, {39501000, 3401000}, {39500000, 3401000}, {39500000, 3400000}}
	hole := orb.Ring{{39500200, 3400200}, {39500200, 3400400}, {39500400, 3400400}, {39500200, 3400200}}
	poly := orb.Polygon{ring, hole}
	geoms := []orb.Geometry{
		orb.Point{39500000, 3400000},
		orb.MultiPoint{{39500000, 3400000}, {39501000, 3401000}},
		orb.LineString(ring),
		orb.MultiLineString{orb.LineString(ring), orb.LineString(hole)},
		poly,
		orb.MultiPolygon{poly, {ring}},
		orb.Collection{orb.Point{39500000, 3400000}, poly},
	}
	for _, g := range geoms {
		before := orb.Clone(g)
		out, err := ToCGCS2000(ctx, g, 4527)
		if err != nil {
			t.Fatalf("%s: %v", g.GeoJSONType(), err)
		}
		if !orb.Equal(g, before) {
			t.Fatalf("%s: input changed", g.GeoJSONType())
		}
		if out.GeoJSONType() != g.GeoJSONType() {
			t.Fatalf("%s came back as %s", g.GeoJSONType(), out.GeoJSONType())
		}
		// Every coordinate comes out as the single-point transform gives it.
		var in, res []float64
		walk(orb.Clone(g), func(p *orb.Point) { in = append(in, p[0], p[1]) })
		walk(orb.Clone(out), func(p *orb.Point) { res = append(res, p[0], p[1]) })
		if len(in) != len(res) {
			t.Fatalf("%s: %d coordinates became %d", g.GeoJSONType(), len(in)/2, len(res)/2)
		}
		for i := 0; i < len(in); i += 2 {
			one, err := ToCGCS2000(ctx, orb.Point{in[i], in[i+1]}, 4527)
			if err != nil {
				t.Fatal(err)
			}
			if p := one.(orb.Point); p[0] != res[i] || p[1] != res[i+1] {
				t.Fatalf("%s: point %d is %v %v, alone it is %v", g.GeoJSONType(), i/2, res[i], res[i+1], p)
			}
		}
	}
	same, err := ToCGCS2000(ctx, orb.Point{117.1, 30.2}, 4326)
	if err != nil || same.(orb.Point) != (orb.Point{117.1, 30.2}) {
		t.Fatalf("4326 → 4490 is PROJ's no-op, got %v, %v", same, err)
	}
}

// TestConcurrentTransforms runs more goroutines than there are PROJ
// workers; under -race this also checks that no context is shared.
func TestConcurrentTransforms(t *testing.T) {
	ctx := context.Background()
	codes := []int{4527, 4526, 4498, 4548, 4509}
	want := map[int]orb.Point{}
	for _, c := range codes {
		crs, _ := Lookup(c)
		g, err := Transform(ctx, orb.Point{crs.CentralMeridian + 0.5, 31}, 4490, c)
		if err != nil {
			t.Fatal(err)
		}
		want[c] = g.(orb.Point)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				c := codes[(i+j)%len(codes)]
				crs, _ := Lookup(c)
				g, err := Transform(ctx, orb.Point{crs.CentralMeridian + 0.5, 31}, 4490, c)
				if err != nil {
					errs <- err
					return
				}
				if g.(orb.Point) != want[c] {
					errs <- fmt.Errorf("EPSG:%d: %v, alone %v", c, g, want[c])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestCancelledWhileWaiting(t *testing.T) {
	p := newWorkers(1)
	w, err := p.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled while the only worker is out, got %v", err)
	}
	p.put(w)
	if _, err := p.get(ctx); err != nil {
		t.Fatalf("a free worker is handed out even to a done context: %v", err)
	}
}
