package ogc

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// SVG draws a lon/lat geometry as an inline SVG of the given size: the
// small map of an item page, with nothing fetched from anywhere. Longitude
// is scaled by the cosine of the middle latitude so shapes keep their
// proportions. The markup holds only numbers the function formats itself.
func SVG(g orb.Geometry, width, height float64) template.HTML {
	if g == nil {
		return ""
	}
	b := g.Bound()
	k := math.Cos((b.Min[1] + b.Max[1]) / 2 * math.Pi / 180)
	w, h := (b.Max[0]-b.Min[0])*k, b.Max[1]-b.Min[1]
	const pad = 12.0
	scale := math.Inf(1)
	if w > 0 {
		scale = (width - 2*pad) / w
	}
	if h > 0 {
		scale = math.Min(scale, (height-2*pad)/h)
	}
	if math.IsInf(scale, 1) { // a single point
		scale = 1
	}
	ox := (width - w*scale) / 2
	oy := (height - h*scale) / 2
	num := func(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }
	xy := func(p orb.Point) string {
		return num(ox+(p[0]-b.Min[0])*k*scale) + " " + num(oy+(b.Max[1]-p[1])*scale)
	}
	var body strings.Builder
	path := func(pts []orb.Point, closed bool) {
		for i, p := range pts {
			if i == 0 {
				body.WriteString("M")
			} else {
				body.WriteString(" L")
			}
			body.WriteString(xy(p))
		}
		if closed {
			body.WriteString(" Z ")
		}
	}
	var shapes strings.Builder
	var draw func(g orb.Geometry)
	draw = func(g orb.Geometry) {
		switch v := g.(type) {
		case orb.Point:
			x, y, _ := strings.Cut(xy(v), " ")
			fmt.Fprintf(&shapes, `<circle cx="%s" cy="%s" r="5" fill="#d9534f" stroke="#7a1f1c"/>`, x, y)
		case orb.MultiPoint:
			for _, p := range v {
				draw(p)
			}
		case orb.LineString:
			path(v, false)
		case orb.MultiLineString:
			for _, l := range v {
				path(l, false)
			}
		case orb.Polygon:
			for _, r := range v {
				path(r, true)
			}
		case orb.MultiPolygon:
			for _, p := range v {
				draw(p)
			}
		case orb.Collection:
			for _, m := range v {
				draw(m)
			}
		}
	}
	draw(g)
	fill := "none"
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		fill = "#e6d27a"
	}
	var out strings.Builder
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="要素示意图">`,
		num(width), num(height), num(width), num(height))
	fmt.Fprintf(&out, `<rect width="100%%" height="100%%" fill="#f7f7f2"/>`)
	if body.Len() > 0 {
		fmt.Fprintf(&out, `<path d="%s" fill="%s" fill-opacity="0.7" fill-rule="evenodd" stroke="#6b5a1e" stroke-width="1.5"/>`, strings.TrimSpace(body.String()), fill)
	}
	out.WriteString(shapes.String())
	out.WriteString(`</svg>`)
	return template.HTML(out.String())
}
