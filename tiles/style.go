package tiles

import (
	"github.com/onemap/onemap/layers"
)

// Style is a MapLibre style document (spec version 8), built as plain maps
// so that it encodes exactly as the style specification spells it.
type Style map[string]any

// Style returns a MapLibre style for the layers (the catalogue's layers a
// caller may see, in catalogue order): one vector source per layer with
// absolute tile URLs under base, each drawn with its catalogue style from
// the lowest zoom at which it is served, in the order a map reader
// expects: areas under lines under points. It uses nothing but what
// onemap serves: no glyphs, no sprites, no remote sources.
func (s *Source) Style(base string, ls []*layers.Layer) Style {
	sources := map[string]any{}
	var fills, lines, points []any
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
		base := map[string]any{
			"source":       l.ID,
			"source-layer": l.ID,
			"minzoom":      tj.MinZoom,
			"metadata":     map[string]any{"onemap:name": l.Name, "onemap:group": l.Group},
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
				"paint": map[string]any{
					"fill-color":   color,
					"fill-opacity": opacity,
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
	}
	all := []any{map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f7f6f2"}}}
	all = append(all, fills...)
	all = append(all, lines...)
	all = append(all, points...)
	return Style{
		"version": 8,
		"name":    "onemap",
		"sources": sources,
		"layers":  all,
	}
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
