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
func (s *server) getTile(c *gin.Context) {
	ls, err := s.tileLayers(c.Param("layers"))
	if err != nil {
		writeError(c, err)
		return
	}
	yName := c.Param("y")
	ext := yName[strings.LastIndexByte(yName, '.')+1:]
	if ext == yName || (ext != "mvt" && ext != "pbf") {
		writeError(c, notFound(fmt.Sprintf("tile %q: the tile's name ends in .mvt or .pbf", yName)))
		return
	}
	z, zerr := strconv.Atoi(c.Param("z"))
	x, xerr := strconv.Atoi(c.Param("x"))
	y, yerr := strconv.Atoi(strings.TrimSuffix(yName, "."+ext))
	if zerr != nil || xerr != nil || yerr != nil {
		writeError(c, badRequest("z, x and y of a tile are whole numbers"))
		return
	}
	t, err := tiles.Address(z, x, y)
	if err != nil {
		writeError(c, badRequest(err.Error()))
		return
	}
	e, err := s.Tiles.Tile(c.Request.Context(), ls, t, "")
	if err != nil {
		writeError(c, err)
		return
	}
	writeTile(c.Writer, c.Request, e, false)
}

// tileLayers resolves "dltb,yjjbnt" to served layers: unknown → 404,
// restricted → 403, empty or repeated → 400.
func (s *server) tileLayers(list string) ([]*layers.Layer, error) {
	var out []*layers.Layer
	seen := map[string]bool{}
	for _, id := range strings.Split(list, ",") {
		if id == "" {
			return nil, badRequest(fmt.Sprintf("layer list %q has an empty entry", list))
		}
		if seen[id] {
			return nil, badRequest(fmt.Sprintf("layer %s is listed twice", id))
		}
		seen[id] = true
		l := s.Catalog.Layer(id)
		if l == nil {
			return nil, notFound(fmt.Sprintf("no layer %q", id))
		}
		if l.Access == layers.Restricted {
			return nil, restricted(l)
		}
		out = append(out, l)
	}
	return out, nil
}
