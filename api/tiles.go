package api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
)

// getTile answers GET /tiles/{layers}/{z}/{x}/{y}.mvt (or .pbf): an MVT of
// the layers (ids joined by commas), 204 when nothing is there.
func (s *server) getTile(c *gin.Context) error {
	ls, err := s.tileLayers(c, c.Param("layers"))
	if err != nil {
		return err
	}
	yName := c.Param("y")
	ext := yName[strings.LastIndexByte(yName, '.')+1:]
	if ext == yName || (ext != "mvt" && ext != "pbf") {
		return notFound(fmt.Sprintf("tile %q: the tile's name ends in .mvt or .pbf", yName))
	}
	z, zerr := strconv.Atoi(c.Param("z"))
	x, xerr := strconv.Atoi(c.Param("x"))
	y, yerr := strconv.Atoi(strings.TrimSuffix(yName, "."+ext))
	if zerr != nil || xerr != nil || yerr != nil {
		return badRequest("z, x and y of a tile are whole numbers")
	}
	maxZoom := 0
	for _, l := range ls {
		maxZoom = max(maxZoom, l.MaxZoom)
	}
	if z > maxZoom && z <= tiles.MaxZoom {
		return notFound(fmt.Sprintf("no tiles beyond zoom %d for these layers (their maxzoom); map clients overzoom the z%d tiles", maxZoom, maxZoom))
	}
	t, err := tiles.Address(z, x, y)
	if err != nil {
		return badRequest(err.Error())
	}
	view := s.tileView(c)
	e, err := s.Tiles.Tile(c.Request.Context(), ls, t, view)
	if err != nil {
		return err
	}
	writeTile(c.Writer, c.Request, e, view != "")
	return nil
}

// tileView names what the caller may see in tiles, for the tile cache's
// key: "" is the anonymous view, shared by every caller until roles and
// regions exist.
func (s *server) tileView(c *gin.Context) string { return "" }

// tileLayers resolves "dltb,yjjbnt" to layers the caller may read: unknown
// → 404, not allowed → 403, empty or repeated → 400.
func (s *server) tileLayers(c *gin.Context, list string) ([]*layers.Layer, error) {
	out := make([]*layers.Layer, 0, strings.Count(list, ",")+1)
	for rest := list; ; {
		id, more, _ := strings.Cut(rest, ",")
		if id == "" {
			return nil, badRequest(fmt.Sprintf("layer list %q has an empty entry", list))
		}
		for _, l := range out {
			if l.ID == id {
				return nil, badRequest(fmt.Sprintf("layer %s is listed twice", id))
			}
		}
		l, err := s.catalogLayer(id)
		if err != nil {
			return nil, err
		}
		if err := s.authorize(c, l, readLayer); err != nil {
			return nil, err
		}
		out = append(out, l)
		if len(rest) == len(id) {
			return out, nil
		}
		rest = more
	}
}
