package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

type fieldJSON struct {
	Name      string `json:"name"`
	Label     string `json:"label"`
	Type      string `json:"type"`
	Required  bool   `json:"required"`
	MaxLength int    `json:"max_length,omitempty"`
}

type layerJSON struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	NameEn      string       `json:"name_en"`
	Group       string       `json:"group"`
	Geometry    string       `json:"geometry"`
	Access      string       `json:"access"`
	KeyField    string       `json:"key_field"`
	Count       *int         `json:"count"`  // null where the caller may not see the data
	Bounds      []float64    `json:"bounds"` // null when empty or not visible
	MinZoom     int          `json:"minzoom"`
	MaxZoom     int          `json:"maxzoom"`
	MaxVertices int          `json:"max_vertices"`
	Style       layers.Style `json:"style"`
	Fields      []fieldJSON  `json:"fields"`
}

// describeLayer is a layer's catalogue entry; count and bounds only when
// the caller may see its data (a restricted layer's extent and size are
// themselves information).
func describeLayer(l *layers.Layer, snap *spatial.Snapshot, visible bool) layerJSON {
	lj := layerJSON{ID: l.ID, Name: l.Name, NameEn: l.NameEn, Group: l.Group, Geometry: string(l.Geometry),
		Access: string(l.Access), KeyField: l.KeyField, MinZoom: l.MinZoom, MaxZoom: l.MaxZoom,
		MaxVertices: l.VertexLimit(), Style: l.Style, Fields: make([]fieldJSON, len(l.Fields))}
	if visible {
		n := snap.Count(l.ID)
		lj.Count = &n
		if b, ok := snap.Bound(l.ID); ok {
			lj.Bounds = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
		}
	}
	for i, f := range l.Fields {
		lj.Fields[i] = fieldJSON{Name: f.Name, Label: f.Label, Type: string(f.Type), Required: f.Required, MaxLength: f.MaxLength}
	}
	return lj
}

func (s *server) listLayers(c *gin.Context) error {
	snap := s.Index.Snapshot()
	out := struct {
		Groups []layers.Group `json:"groups"`
		Layers []layerJSON    `json:"layers"`
	}{Groups: s.Catalog.Groups, Layers: make([]layerJSON, 0, len(s.Catalog.Layers))}
	for _, l := range s.Catalog.Layers {
		out.Layers = append(out.Layers, describeLayer(l, snap, s.visible(c, l)))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *server) getLayer(c *gin.Context) error {
	l, err := s.catalogLayer(c.Param("layer"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, describeLayer(l, s.Index.Snapshot(), s.visible(c, l)))
	return nil
}
