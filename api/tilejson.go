package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
)

// getTileJSON answers GET /tiles/{layers}.json: TileJSON 3.0.0 with
// absolute tile URLs built by the one link rule.
func (s *server) getTileJSON(c *gin.Context) error {
	list, ok := strings.CutSuffix(c.Param("layers"), ".json")
	if !ok {
		return notFound("no such path: " + c.Request.URL.Path)
	}
	ls, err := s.tileLayers(c, list)
	if err != nil {
		return err
	}
	c.Header("Access-Control-Allow-Origin", "*")
	c.JSON(http.StatusOK, s.Tiles.TileJSON(s.links.base(c.Request), ls))
	return nil
}

// getStyle answers GET /style.json: a MapLibre style for every layer the
// caller may see.
func (s *server) getStyle(c *gin.Context) error {
	var ls []*layers.Layer
	for _, l := range s.Catalog.Layers {
		if s.visible(c, l) {
			ls = append(ls, l)
		}
	}
	c.Header("Access-Control-Allow-Origin", "*")
	c.JSON(http.StatusOK, tiles.Basemap(s.Tiles.Style(s.links.base(c.Request), ls), s.BasemapURL, s.BasemapAttribution))
	return nil
}
