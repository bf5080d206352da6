// Package gdaltest runs GDAL's own tools on what onemap writes, so tests
// check our output with software we did not write.
package gdaltest

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Layer is what `ogrinfo -so` says of one layer.
type Layer struct {
	Count    int
	EPSG4490 bool
	// Fields maps each attribute to the OGR type ogrinfo gives it
	// (String, Integer, Integer64, Real, Date, …), in the order listed.
	Fields     map[string]string
	FieldOrder []string
}

var (
	layerName    = regexp.MustCompile(`^Layer name: (\S+)`)
	featureCount = regexp.MustCompile(`^Feature Count: (\d+)`)
	fieldLine    = regexp.MustCompile(`^(\w+): (String|Integer|Integer64|Real|Date|DateTime|Time|Binary|\w+List) \(`)
)

// Summary runs `ogrinfo -ro -so <args…>` and returns every layer it lists
// with its feature count and whether its SRS is EPSG:4490. It fails the test
// when ogrinfo is missing (`make test` installs gdal-bin) or reports an error.
func Summary(t testing.TB, args ...string) map[string]Layer {
	t.Helper()
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Fatal("ogrinfo not found: `make test` installs gdal-bin")
	}
	out, err := exec.Command("ogrinfo", append([]string{"-ro", "-so"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "ERROR") {
		t.Fatalf("ogrinfo reported errors:\n%s", out)
	}
	layers := map[string]Layer{}
	var name string
	for _, line := range strings.Split(string(out), "\n") {
		if m := layerName.FindStringSubmatch(line); m != nil {
			name = m[1]
			layers[name] = Layer{}
		}
		l := layers[name]
		if m := featureCount.FindStringSubmatch(line); m != nil {
			l.Count, _ = strconv.Atoi(m[1])
		}
		if strings.Contains(line, `ID["EPSG",4490]`) || strings.Contains(line, `AUTHORITY["EPSG","4490"]`) {
			l.EPSG4490 = true
		}
		if m := fieldLine.FindStringSubmatch(line); m != nil && name != "" {
			if l.Fields == nil {
				l.Fields = map[string]string{}
			}
			l.Fields[m[1]] = m[2]
			l.FieldOrder = append(l.FieldOrder, m[1])
		}
		if name != "" {
			layers[name] = l
		}
	}
	return layers
}
