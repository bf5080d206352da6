package tiles

import (
	"strings"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// TileJSON is a TileJSON 3.0.0 document describing a tile set.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one layer of the tiles: its fields with their
// types ("String" or "Number", as tippecanoe writes them; dates are
// strings) and the zooms at which it is drawn.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// worldBounds is the TileJSON default: the Web Mercator square.
var worldBounds = [4]float64{-180, -maxLat, 180, maxLat}

// TileURL is the absolute URL template of the tiles of the layers, under
// base (the server's public URL, e.g. "https://onemap.example/"; the one
// rule for public links builds it).
func TileURL(base string, ls []*layers.Layer) string {
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	return strings.TrimRight(base, "/") + "/tiles/" + strings.Join(ids, ",") + "/{z}/{x}/{y}.mvt"
}

// TileJSON describes the tiles of the layers: absolute tile URLs under
// base, the layers' extent as the index holds it now, minzoom the lowest
// zoom at which any of them is drawn, maxzoom the deepest of their
// catalogue maxzooms.
func (s *Source) TileJSON(base string, ls []*layers.Layer) TileJSON {
	tj := TileJSON{
		TileJSON: "3.0.0",
		Scheme:   "xyz",
		Tiles:    []string{TileURL(base, ls)},
		MinZoom:  MaxZoom,
		Bounds:   worldBounds,
	}
	var names []string
	var bound orb.Bound
	found := false
	snap := s.idx.Snapshot()
	for _, l := range ls {
		names = append(names, l.ID)
		vl := VectorLayer{ID: l.ID, Description: l.Name, MinZoom: s.LowestZoom(l), MaxZoom: l.MaxZoom, Fields: map[string]string{}}
		for _, f := range l.Fields {
			vl.Fields[f.Name] = fieldType(f.Type)
		}
		tj.VectorLayers = append(tj.VectorLayers, vl)
		tj.MinZoom = min(tj.MinZoom, vl.MinZoom)
		tj.MaxZoom = max(tj.MaxZoom, vl.MaxZoom)
		if b, ok := snap.Bound(l.ID); ok {
			if !found {
				bound, found = b, true
			} else {
				bound = bound.Union(b)
			}
		}
	}
	tj.Name = strings.Join(names, ",")
	if len(ls) == 1 {
		tj.Description = ls[0].Name
	}
	if found {
		tj.Bounds = [4]float64{
			max(-180, bound.Min[0]), max(-maxLat, bound.Min[1]),
			min(180, bound.Max[0]), min(maxLat, bound.Max[1]),
		}
	}
	c := orb.Bound{Min: orb.Point{tj.Bounds[0], tj.Bounds[1]}, Max: orb.Point{tj.Bounds[2], tj.Bounds[3]}}.Center()
	tj.Center = [3]float64{c[0], c[1], float64(max(tj.MinZoom, min(tj.MaxZoom, 8)))}
	return tj
}

func fieldType(t layers.FieldType) string {
	switch t {
	case layers.Integer, layers.Number:
		return "Number"
	}
	return "String"
}
