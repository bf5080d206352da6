package tiles

import (
	"net/url"

	"github.com/onemap/onemap/layers"
)

// Style is a MapLibre style document (spec version 8), built as plain maps
// so that it encodes exactly as the style specification spells it.
type Style map[string]any

// LabelFont is the font every label is drawn in. The style has no glyphs:
// MapLibre GL JS (≥ 5.11) draws text itself with the page's fonts, and the
// map page serves this family as a web font (@font-face).
const LabelFont = "Noto Sans SC"

// LandUseClasses are the first-level classes of GB/T 21010-2017 with the
// colours the map draws them in (those of the national survey's maps,
// softened): the legend of every layer keyed by DLBM.
var LandUseClasses = []struct{ Code, Name, Color string }{
	{"01", "耕地", "#f3ec9d"},
	{"02", "园地", "#e3c26b"},
	{"03", "林地", "#71b36b"},
	{"04", "草地", "#b9d98a"},
	{"05", "商服用地", "#e58a8a"},
	{"06", "工矿仓储用地", "#c89b8f"},
	{"07", "住宅用地", "#f0a978"},
	{"08", "公共管理与公共服务用地", "#e69ac3"},
	{"09", "特殊用地", "#a9a3cf"},
	{"10", "交通运输用地", "#c4c4c4"},
	{"11", "水域及水利设施用地", "#9ccbea"},
	{"12", "其他土地", "#d9cbb4"},
}

// The admin areas name townships from xzqTownshipFrom up
// to xzqLabelMax, where their labels stop.
const (
	xzqTownshipFrom = 10
	xzqLabelMax     = 14
)

// labels says which field names the features of a layer on the map, from
// which zoom, at what size; the layers not listed carry no labels.
var labels = map[string]struct {
	field   string
	minzoom float64
	size    float64
}{
	"xzq":  {"XZQMC", 4, 12},
	"jmd":  {"MC", 9, 12},
	"sx":   {"MC", 12, 11},
	"jtlw": {"MC", 12, 11},
	"dltb": {"TBBH", 16, 10},
}

// Style returns a MapLibre style for the layers (the catalogue's layers a
// caller may see, in catalogue order): one vector source per layer with
// absolute tile URLs under base, each drawn with its catalogue style from
// the lowest zoom at which it is served, in the order a map reader
// expects: areas under lines under points under labels. Layers keyed by
// DLBM are coloured by land-use class; admin areas, settlements, rivers,
// roads and (at high zoom) parcel numbers are labelled. It uses nothing
// but what onemap serves: no glyphs, no sprites, no remote sources.
//
// Every style layer's metadata names its catalogue layer ("onemap:layer"),
// its Chinese name and group, and its legend ("onemap:legend": label and
// colour pairs), which the map page's layer tree shows.
func (s *Source) Style(base string, ls []*layers.Layer) Style {
	sources := map[string]any{}
	var fills, lines, points, symbols []any
	for _, l := range ls {
		tj := s.TileJSON(base, []*layers.Layer{l})
		sources[l.ID] = map[string]any{
			"type":    "vector",
			"tiles":   tj.Tiles,
			"minzoom": tj.MinZoom,
			"maxzoom": tj.MaxZoom,
			"bounds":  tj.Bounds,
		}
		st := l.Style
		color := or(st.Color, "#888888")
		var fillColor any = color
		legend := []any{map[string]any{"label": l.Name, "color": color}}
		if l.KeyField == "DLBM" {
			fillColor, legend = landUseColor(color)
		}
		meta := map[string]any{"onemap:layer": l.ID, "onemap:name": l.Name, "onemap:group": l.Group, "onemap:legend": legend}
		base := map[string]any{
			"source":       l.ID,
			"source-layer": l.ID,
			"minzoom":      tj.MinZoom,
			"metadata":     meta,
		}
		with := func(extra map[string]any) map[string]any {
			m := map[string]any{}
			for k, v := range base {
				m[k] = v
			}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		switch l.Geometry {
		case layers.Polygon:
			opacity := st.Opacity
			if opacity == 0 {
				opacity = 0.5
			}
			fills = append(fills, with(map[string]any{
				"id":   l.ID + "-fill",
				"type": "fill",
				// The outline layer draws the edges: no second, antialiasing
				// pass over every polygon's outline (costly on software WebGL).
				"paint": map[string]any{
					"fill-color":     fillColor,
					"fill-opacity":   opacity,
					"fill-antialias": false,
				},
			}))
			lines = append(lines, with(map[string]any{
				"id":   l.ID + "-outline",
				"type": "line",
				"paint": map[string]any{
					"line-color": or(st.Outline, color),
					"line-width": orFloat(st.Width, 0.5),
				},
			}))
		case layers.LineString:
			lines = append(lines, with(map[string]any{
				"id":     l.ID + "-line",
				"type":   "line",
				"layout": map[string]any{"line-join": "round", "line-cap": "round"},
				"paint": map[string]any{
					"line-color": color,
					"line-width": orFloat(st.Width, 1),
				},
			}))
		case layers.Point:
			r := orFloat(st.Radius, 4)
			// Overview clusters carry a count: bigger circles for more.
			points = append(points, with(map[string]any{
				"id":   l.ID + "-circle",
				"type": "circle",
				"paint": map[string]any{
					"circle-color": color,
					"circle-radius": []any{"interpolate", []any{"linear"}, []any{"coalesce", []any{"get", "count"}, 1},
						1, r, 100, r * 3},
					"circle-stroke-color": "#ffffff",
					"circle-stroke-width": 1,
				},
			}))
		}
		if lb, ok := labels[l.ID]; ok && l.FieldIndex(lb.field) >= 0 {
			symbols = append(symbols, label(with, l, lb.field, lb.minzoom, lb.size))
		}
	}
	all := []any{map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f7f6f2"}}}
	all = append(all, fills...)
	all = append(all, lines...)
	all = append(all, points...)
	all = append(all, symbols...)
	return Style{
		"version": 8,
		"name":    "onemap",
		"sources": sources,
		"layers":  all,
	}
}

// landUseColor is the fill colour of a layer keyed by DLBM: by first-level
// class (overview tiles carry the class alone, exact tiles the full code),
// with fallback for codes outside the standard; and its legend.
func landUseColor(fallback string) (any, []any) {
	m := []any{"match", []any{"slice", []any{"to-string", []any{"get", "DLBM"}}, 0, 2}}
	var legend []any
	for _, c := range LandUseClasses {
		m = append(m, c.Code, c.Color)
		legend = append(legend, map[string]any{"label": c.Code + " " + c.Name, "color": c.Color})
	}
	return append(m, fallback), legend
}

// label is the symbol layer naming the features of l by field: along the
// line for line layers, at the point or inside the area otherwise. The
// admin areas name provinces from z4, prefectures and counties from z7
// and townships from z10 to z14, each level in its own zoom band (their JB
// field); settlements name towns first
// and villages from z12 (their RK field).
func label(with func(map[string]any) map[string]any, l *layers.Layer, field string, minzoom, size float64) map[string]any {
	layout := map[string]any{
		"text-field":     []any{"to-string", []any{"get", field}},
		"text-font":      []any{LabelFont},
		"text-size":      size,
		"text-max-width": 8,
	}
	switch l.Geometry {
	case layers.LineString:
		layout["symbol-placement"] = "line"
	case layers.Point:
		layout["text-offset"] = []any{0, 0.9}
		layout["text-anchor"] = "top"
		layout["text-optional"] = true
	}
	m := with(map[string]any{
		"id":     l.ID + "-label",
		"type":   "symbol",
		"layout": layout,
		"paint": map[string]any{
			"text-color":      "#333333",
			"text-halo-color": "#ffffff",
			"text-halo-width": 1.2,
		},
	})
	if z, ok := m["minzoom"].(int); ok && float64(z) > minzoom {
		minzoom = float64(z)
	}
	m["minzoom"] = minzoom
	if l.ID == "jmd" && l.FieldIndex("RK") >= 0 {
		// Towns (5,000 people and more) first; every village from z12. A
		// step, not a comparison: encoding/json writes ">=" as "\u003e=",
		// which gl-style-validate's JSON reader does not decode.
		name := []any{"to-string", []any{"get", field}}
		towns := []any{"step", []any{"to-number", []any{"get", "RK"}, 0}, "", 5000, name}
		if l.FieldIndex("XZQDM") >= 0 {
			// A township's seat bears the township's name and code (9
			// digits; villages have 12): while the admin areas name the
			// townships (xzqTownshipFrom to xzqLabelMax), the seat is not
			// named a second time.
			notSeat := []any{"case", []any{"==", []any{"length", []any{"to-string", []any{"get", "XZQDM"}}}, 9}, "", name}
			layout["text-field"] = []any{"step", []any{"zoom"},
				towns,
				xzqTownshipFrom, "",
				12, notSeat,
				xzqLabelMax, name}
		} else {
			layout["text-field"] = []any{"step", []any{"zoom"}, towns, 12, name}
		}
	}
	if l.ID == "xzq" && l.FieldIndex("JB") >= 0 {
		name := []any{"to-string", []any{"get", field}}
		layout["text-field"] = []any{"step", []any{"zoom"},
			[]any{"match", []any{"get", "JB"}, "省", name, ""},
			7, []any{"match", []any{"get", "JB"}, []any{"市", "县"}, name, ""},
			xzqTownshipFrom, []any{"match", []any{"get", "JB"}, "乡", name, ""}}
		m["maxzoom"] = xzqLabelMax // a place name per tile at street level is noise
		layout["text-size"] = []any{"match", []any{"get", "JB"}, "省", 14, "市", 13, size}
	}
	return m
}

// Basemap adds a raster base map under every other layer of st: tiles
// from the URL template (with {z}/{x}/{y}), such as a 天地图 service with
// its key. The page lets a user hide it. An empty template adds nothing.
func Basemap(st Style, template, attribution string) Style {
	if template == "" {
		return st
	}
	src := map[string]any{"type": "raster", "tiles": []string{template}, "tileSize": 256, "maxzoom": 18}
	if attribution != "" {
		src["attribution"] = attribution
	}
	st["sources"].(map[string]any)["basemap"] = src
	ls := st["layers"].([]any)
	layer := map[string]any{"id": "basemap", "type": "raster", "source": "basemap",
		"metadata": map[string]any{"onemap:layer": "basemap", "onemap:name": "底图", "onemap:group": "basemap"}}
	out := append([]any{ls[0], layer}, ls[1:]...)
	st["layers"] = out
	return st
}

// BasemapOrigin is the scheme://host of a base map URL template (what the
// page's content security policy must allow), or "" if it has none.
func BasemapOrigin(template string) string {
	u, err := url.Parse(template)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func or(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func orFloat(v, d float64) float64 {
	if v == 0 {
		return d
	}
	return v
}
