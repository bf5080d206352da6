package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/layers"
)

// getTileJSON answers GET /tiles/{layers}.json: TileJSON 3.0.0 with
// absolute tile URLs.
func (s *server) getTileJSON(c *gin.Context) {
	name := c.Param("layers")
	list, ok := strings.CutSuffix(name, ".json")
	if !ok {
		writeError(c, notFound("no such path: "+c.Request.URL.Path))
		return
	}
	ls, err := s.tileLayers(list)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Access-Control-Allow-Origin", "*")
	c.JSON(http.StatusOK, s.Tiles.TileJSON(publicBase(c), ls))
}

// getStyle answers GET /style.json: a MapLibre style for every layer the
// caller may see.
func (s *server) getStyle(c *gin.Context) {
	var ls []*layers.Layer
	for _, l := range s.Catalog.Layers {
		if l.Access != layers.Restricted {
			ls = append(ls, l)
		}
	}
	c.Header("Access-Control-Allow-Origin", "*")
	c.JSON(http.StatusOK, s.Tiles.Style(publicBase(c), ls))
}

// publicBase is the server's own absolute URL as the request reached it
// (scheme and host, no trailing slash).
// TODO(lead): the one rule for public links (--public-url, --trusted-proxies).
func publicBase(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + c.Request.Host
}
