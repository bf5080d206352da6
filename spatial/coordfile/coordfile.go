// Package coordfile reads the coordinate text files in which
// construction-land approvals are exchanged (建设用地报批坐标文件, the
// 勘测定界 exchange format of the Ministry of Natural Resources):
//
//	[属性描述]
//	坐标系=2000国家大地坐标系
//	几度分带=3
//	投影类型=高斯克吕格
//	计量单位=米
//	带号=38
//	精度=0.01
//	转换参数=,,,,,,
//	[地块坐标]
//	5,0.6600,1,某某地块,面,H49G001001,建设用地,0601,@
//	J1,1,3403684.767,38404245.156
//	J2,1,…
//
// One header line per parcel (界址点数,地块面积,地块编号,地块名称,图形属性,
// 图幅号,地块用途,地类编码,@) is followed by its points, "点号,圈号,X,Y"
// with X the northing and Y the easting (with or without the zone prefix);
// a parcel has one or more rings (圈号), each closed by repeating its first
// point. Files come in UTF-8 or, as often, GBK.
//
// Parse returns the parcels in the file's CRS (easting first, as everywhere
// in onemap) with the EPSG code the header (or the eastings' prefix)
// implies; ToCGCS2000 transforms them with spatial/crs.
package coordfile

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/onemap/onemap/spatial/crs"
)

// Section names.
const (
	sectionAttributes = "属性描述"
	sectionParcels    = "地块坐标"
)

// Error is a problem with the file, at a line (1-based; 0 for the file as a
// whole). It is the client's file that is wrong: a 400 or 422 for the API.
type Error struct {
	Line int
	Msg  string
	Err  error // the underlying cause, when there is one (a crs error)
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return "coordinate file: " + e.Msg
	}
	return fmt.Sprintf("coordinate file line %d: %s", e.Line, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Options change how forgiving Parse is.
type Options struct {
	// Repair closes a ring whose last point does not repeat its first
	// instead of refusing the file (the File's Warnings say so).
	Repair bool
}

// Parcel is one 地块 of the file.
type Parcel struct {
	Line         int     // of its header line
	PointCount   int     // 界址点数 as declared
	DeclaredArea float64 // 地块面积 as written (公顷 by the format's convention)
	Number       string  // 地块编号
	Name         string  // 地块名称
	Shape        string  // 图形属性 (面, 线, 点)
	Sheet        string  // 图幅号
	Use          string  // 地块用途
	LandClass    string  // 地类编码
	// Geometry in the file's CRS, easting first. Rings that lie inside
	// another ring of the parcel are its holes; the others are parts.
	Geometry orb.MultiPolygon
	// LonLat is Geometry on EPSG:4490, once ToCGCS2000 has run.
	LonLat orb.MultiPolygon
}

// File is a parsed coordinate file.
type File struct {
	// Attributes of [属性描述] in file order.
	Attributes []Attribute
	// CRS the coordinates are in, from 坐标系, 几度分带 and 带号, or from the
	// eastings' zone prefix where the header does not say.
	CRS      crs.CRS
	Parcels  []Parcel
	Warnings []string // what was accepted but is worth telling the sender
	// GBK says the bytes were not UTF-8 and were read as GBK.
	GBK bool
}

// Attribute is one key=value line of [属性描述].
type Attribute struct {
	Line       int
	Key, Value string
}

// Attribute returns the value of a [属性描述] key ("" when absent).
func (f *File) Attribute(key string) string {
	for _, a := range f.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// Geometry is every parcel together, in the file's CRS.
func (f *File) Geometry() orb.MultiPolygon {
	var mp orb.MultiPolygon
	for _, p := range f.Parcels {
		mp = append(mp, p.Geometry...)
	}
	return mp
}

// LonLat is every parcel together on EPSG:4490, after ToCGCS2000.
func (f *File) LonLat() orb.MultiPolygon {
	var mp orb.MultiPolygon
	for _, p := range f.Parcels {
		mp = append(mp, p.LonLat...)
	}
	return mp
}

// ToCGCS2000 fills each parcel's LonLat. Errors name the parcel's line.
func (f *File) ToCGCS2000(ctx context.Context) error {
	for i := range f.Parcels {
		p := &f.Parcels[i]
		g, err := crs.ToCGCS2000(ctx, p.Geometry, f.CRS.EPSG)
		if err != nil {
			return &Error{Line: p.Line, Msg: fmt.Sprintf("parcel %s: %v", p.Number, err), Err: err}
		}
		p.LonLat = g.(orb.MultiPolygon)
	}
	return nil
}

// Decode returns the text of the file: UTF-8 as it is (without a BOM), or
// GBK (read as GB 18030, its superset) when the bytes are not valid UTF-8.
func Decode(b []byte) (string, bool, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if utf8.Valid(b) {
		return string(b), false, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	// The decoder replaces bytes it cannot read with U+FFFD.
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return "", true, &Error{Msg: "the file is neither UTF-8 nor GBK text"}
	}
	return string(out), true, nil
}

// Parse reads a coordinate file.
func Parse(b []byte, opt Options) (*File, error) {
	text, gbk, err := Decode(b)
	if err != nil {
		return nil, err
	}
	f := &File{GBK: gbk}
	lines := strings.Split(text, "\n")
	section := ""
	seen := map[string]int{}
	var cur *parcelBuilder
	var parcels []*parcelBuilder
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimSpace(strings.TrimRight(raw, "\r"))
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			name, ok := strings.CutSuffix(strings.TrimPrefix(line, "["), "]")
			name = strings.TrimSpace(name)
			if !ok {
				return nil, &Error{Line: n, Msg: fmt.Sprintf("section line %q lacks its closing ]", line)}
			}
			if name != sectionAttributes && name != sectionParcels {
				return nil, &Error{Line: n, Msg: fmt.Sprintf("unknown section [%s]: expected [%s] or [%s]", name, sectionAttributes, sectionParcels)}
			}
			if prev := seen[name]; prev != 0 {
				return nil, &Error{Line: n, Msg: fmt.Sprintf("section [%s] again (first at line %d)", name, prev)}
			}
			seen[name] = n
			section = name
			continue
		}
		switch section {
		case "":
			return nil, &Error{Line: n, Msg: fmt.Sprintf("text before the first section: the file must start with [%s]", sectionAttributes)}
		case sectionAttributes:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, &Error{Line: n, Msg: fmt.Sprintf("expected key=value in [%s], got %q", sectionAttributes, line)}
			}
			f.Attributes = append(f.Attributes, Attribute{Line: n, Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
		case sectionParcels:
			if strings.HasSuffix(line, "@") {
				p, err := parseHeader(n, line)
				if err != nil {
					return nil, err
				}
				cur = &parcelBuilder{Parcel: p}
				parcels = append(parcels, cur)
				continue
			}
			if cur == nil {
				return nil, &Error{Line: n, Msg: "a point line before the first parcel header (a header line ends with @)"}
			}
			if err := cur.addPoint(n, line); err != nil {
				return nil, err
			}
		}
	}
	if seen[sectionAttributes] == 0 {
		return nil, &Error{Msg: fmt.Sprintf("section [%s] is missing", sectionAttributes)}
	}
	if seen[sectionParcels] == 0 {
		return nil, &Error{Msg: fmt.Sprintf("section [%s] is missing", sectionParcels)}
	}
	if len(parcels) == 0 {
		return nil, &Error{Line: seen[sectionParcels], Msg: fmt.Sprintf("section [%s] holds no parcel", sectionParcels)}
	}
	for _, pb := range parcels {
		if err := pb.finish(opt, &f.Warnings); err != nil {
			return nil, err
		}
		f.Parcels = append(f.Parcels, pb.Parcel)
	}
	if f.CRS, err = f.deriveCRS(); err != nil {
		return nil, err
	}
	return f, nil
}

// parseHeader reads 界址点数,地块面积,地块编号,地块名称,图形属性,图幅号,地块用途,地类编码,@.
func parseHeader(n int, line string) (Parcel, error) {
	fields := strings.Split(strings.TrimSuffix(line, "@"), ",")
	if len(fields) > 0 && strings.TrimSpace(fields[len(fields)-1]) == "" {
		fields = fields[:len(fields)-1] // the comma before @
	}
	if len(fields) < 3 {
		return Parcel{}, &Error{Line: n, Msg: "parcel header needs at least 界址点数,地块面积,地块编号 before @"}
	}
	for len(fields) < 8 {
		fields = append(fields, "")
	}
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	count, err := strconv.Atoi(fields[0])
	if err != nil || count < 0 {
		return Parcel{}, &Error{Line: n, Msg: fmt.Sprintf("界址点数 %q is not a whole number", fields[0])}
	}
	var a float64
	if fields[1] != "" {
		a, err = strconv.ParseFloat(fields[1], 64)
		if err != nil || math.IsNaN(a) || math.IsInf(a, 0) || a < 0 {
			return Parcel{}, &Error{Line: n, Msg: fmt.Sprintf("地块面积 %q is not a number", fields[1])}
		}
	}
	return Parcel{
		Line: n, PointCount: count, DeclaredArea: a, Number: fields[2], Name: fields[3],
		Shape: fields[4], Sheet: fields[5], Use: fields[6], LandClass: fields[7],
	}, nil
}

type ringPoints struct {
	id    string
	lines []int
	pts   orb.Ring
}

type parcelBuilder struct {
	Parcel
	rings []*ringPoints
}

// addPoint reads 点号,圈号,X,Y (X northing, Y easting).
func (pb *parcelBuilder) addPoint(n int, line string) error {
	fields := strings.Split(line, ",")
	if len(fields) != 4 {
		return &Error{Line: n, Msg: fmt.Sprintf("expected 点号,圈号,X,Y (4 fields), got %d in %q", len(fields), line)}
	}
	ring := strings.TrimSpace(fields[1])
	if ring == "" {
		return &Error{Line: n, Msg: "圈号 is empty"}
	}
	var xy [2]float64
	for i, s := range fields[2:] {
		s = strings.TrimSpace(s)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || !plainNumber(s) {
			name := [2]string{"X (northing)", "Y (easting)"}[i]
			return &Error{Line: n, Msg: fmt.Sprintf("%s %q is not a number", name, s)}
		}
		xy[i] = v
	}
	if len(pb.rings) == 0 || pb.rings[len(pb.rings)-1].id != ring {
		for _, r := range pb.rings {
			if r.id == ring {
				return &Error{Line: n, Msg: fmt.Sprintf("圈号 %s of parcel %s resumes after another ring: a ring's points must be consecutive", ring, pb.Number)}
			}
		}
		pb.rings = append(pb.rings, &ringPoints{id: ring})
	}
	r := pb.rings[len(pb.rings)-1]
	r.lines = append(r.lines, n)
	r.pts = append(r.pts, orb.Point{xy[1], xy[0]}) // easting first
	return nil
}

// plainNumber refuses what ParseFloat would take but no surveyor writes:
// hex, "Inf", "NaN", underscores.
func plainNumber(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return false
		}
	}
	return true
}

// finish closes the parcel: checks each ring, then sorts rings into parts
// and holes.
func (pb *parcelBuilder) finish(opt Options, warnings *[]string) error {
	if len(pb.rings) == 0 {
		return &Error{Line: pb.Line, Msg: fmt.Sprintf("parcel %s has no points", pb.Number)}
	}
	total := 0
	var rings []orb.Ring
	for _, r := range pb.rings {
		total += len(r.pts)
		last := r.lines[len(r.lines)-1]
		if r.pts[0] != r.pts[len(r.pts)-1] {
			if !opt.Repair {
				return &Error{Line: last, Msg: fmt.Sprintf("ring %s of parcel %s does not close: its last point (line %d) differs from its first (line %d); ask for repair to close it", r.id, pb.Number, last, r.lines[0])}
			}
			r.pts = append(r.pts, r.pts[0])
			*warnings = append(*warnings, fmt.Sprintf("line %d: ring %s of parcel %s was closed by repeating its first point", last, r.id, pb.Number))
		}
		if len(r.pts) < 4 {
			return &Error{Line: last, Msg: fmt.Sprintf("ring %s of parcel %s has %d points, a closed ring needs at least 4", r.id, pb.Number, len(r.pts))}
		}
		rings = append(rings, r.pts)
	}
	if pb.PointCount != 0 && pb.PointCount != total {
		*warnings = append(*warnings, fmt.Sprintf("line %d: parcel %s declares %d points (界址点数) but lists %d", pb.Line, pb.Number, pb.PointCount, total))
	}
	pb.Geometry = assemble(rings)
	return nil
}

// assemble sorts rings into polygons: largest first, each ring inside an
// earlier outer ring (and not inside one of its holes) is a hole of it,
// otherwise it starts a new part.
func assemble(rings []orb.Ring) orb.MultiPolygon {
	type ringArea struct {
		r orb.Ring
		a float64
	}
	sorted := make([]ringArea, len(rings))
	for i, r := range rings {
		sorted[i] = ringArea{r, math.Abs(planar.Area(r))}
	}
	// Stable insertion sort by area, descending: few rings per parcel.
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].a > sorted[j-1].a; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	var mp orb.MultiPolygon
	for _, ra := range sorted {
		placed := false
		probe := ra.r[0]
		for i := range mp {
			if planar.RingContains(mp[i][0], probe) {
				inHole := false
				for _, h := range mp[i][1:] {
					if planar.RingContains(h, probe) {
						inHole = true
						break
					}
				}
				if !inHole {
					mp[i] = append(mp[i], ra.r)
					placed = true
					break
				}
			}
		}
		if !placed {
			mp = append(mp, orb.Polygon{ra.r})
		}
	}
	return mp
}

// deriveCRS reads 坐标系, 几度分带 and 带号 and checks them against the
// eastings: a zone prefix in the eastings decides the prefixed EPSG code and
// must agree with 带号.
func (f *File) deriveCRS() (crs.CRS, error) {
	lineOf := func(key string) int {
		for _, a := range f.Attributes {
			if a.Key == key {
				return a.Line
			}
		}
		return 0
	}
	if sys := f.Attribute("坐标系"); sys != "" && !isCGCS2000(sys) {
		return crs.CRS{}, &Error{Line: lineOf("坐标系"), Msg: fmt.Sprintf("坐标系 %q is not supported: only 2000国家大地坐标系 (CGCS2000) is, since other datums need transformation parameters", sys), Err: crs.ErrUnsupported}
	}
	if unit := f.Attribute("计量单位"); unit != "" && unit != "米" && !strings.EqualFold(unit, "m") {
		return crs.CRS{}, &Error{Line: lineOf("计量单位"), Msg: fmt.Sprintf("计量单位 %q is not supported: coordinates must be in metres (米)", unit)}
	}
	// The eastings: all with the zone prefix or all without.
	var firstE float64
	prefixed, plain := 0, 0
	for _, p := range f.Parcels {
		for _, poly := range p.Geometry {
			for _, r := range poly {
				for _, pt := range r {
					if firstE == 0 {
						firstE = pt[0]
					}
					if pt[0] >= 1e6 {
						prefixed++
					} else {
						plain++
					}
				}
			}
		}
	}
	if prefixed > 0 && plain > 0 {
		return crs.CRS{}, &Error{Line: f.Parcels[0].Line, Msg: "some eastings (Y) carry the zone prefix and some do not"}
	}
	hasPrefix := prefixed > 0

	width := 0
	if w := f.Attribute("几度分带"); w != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(w, "度"), "°"))
		if err != nil {
			return crs.CRS{}, &Error{Line: lineOf("几度分带"), Msg: fmt.Sprintf("几度分带 %q is not 3 or 6", w)}
		}
		width = n
	}
	zoneText := f.Attribute("带号")
	if zoneText == "" {
		if !hasPrefix {
			return crs.CRS{}, &Error{Line: f.Parcels[0].Line, Msg: "the zone is unknown: the header has no 带号 and the eastings (Y) carry no zone prefix"}
		}
		c, err := crs.ZoneOf(firstE)
		if err != nil {
			return crs.CRS{}, &Error{Line: f.Parcels[0].Line, Msg: err.Error(), Err: err}
		}
		if width != 0 && width != c.ZoneWidth {
			return crs.CRS{}, &Error{Line: lineOf("几度分带"), Msg: fmt.Sprintf("几度分带 is %d but the eastings' prefix %d is a %d° zone", width, c.Zone, c.ZoneWidth)}
		}
		return c, nil
	}
	zone, err := strconv.ParseFloat(zoneText, 64)
	if err != nil || zone != math.Trunc(zone) {
		return crs.CRS{}, &Error{Line: lineOf("带号"), Msg: fmt.Sprintf("带号 %q is not a zone number", zoneText)}
	}
	if width == 0 {
		// The series' zone numbers do not overlap (6°: 13–23, 3°: 25–45).
		switch {
		case zone >= 13 && zone <= 23:
			width = 6
		case zone >= 25 && zone <= 45:
			width = 3
		default:
			return crs.CRS{}, &Error{Line: lineOf("带号"), Msg: fmt.Sprintf("带号 %s is no CGCS2000 Gauss-Krüger zone and 几度分带 is missing", zoneText), Err: crs.ErrUnsupported}
		}
	}
	var c crs.CRS
	if zone >= 75 {
		c, err = crs.GaussKrugerAt(width, zone, hasPrefix) // a central meridian
	} else {
		c, err = crs.GaussKruger(width, int(zone), hasPrefix)
	}
	if err != nil {
		return crs.CRS{}, &Error{Line: lineOf("带号"), Msg: err.Error(), Err: err}
	}
	if hasPrefix {
		if z := int(firstE / 1e6); z != c.Zone {
			return crs.CRS{}, &Error{Line: f.Parcels[0].Line, Msg: fmt.Sprintf("带号 says zone %d but the eastings (Y) carry the zone prefix %d", c.Zone, z)}
		}
	}
	return c, nil
}

func isCGCS2000(s string) bool {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	return strings.Contains(s, "2000") && (strings.Contains(s, "国家大地") || strings.Contains(s, "CGCS"))
}
