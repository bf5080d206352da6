package api

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/tiles/cache"
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
	z, zerr := tileNumber(c.Param("z"))
	x, xerr := tileNumber(c.Param("x"))
	y, yerr := tileNumber(strings.TrimSuffix(yName, "."+ext))
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
	// Every caller allowed to ask gets the same tile from the shared cache;
	// a region-bound caller's is cut from it (and not cached: it is theirs).
	view, private := s.Policy.TileView(principal(c), ls)
	e, err := s.Tiles.Tile(c.Request.Context(), ls, t, "")
	if err != nil {
		return err
	}
	if view != "" && !e.Empty() {
		b, _, err := s.cutToRegion(c, s.Index.Snapshot(), ls, e.Body)
		if err != nil {
			return err
		}
		e = cache.NewEntry(b)
	}
	writeTile(c.Writer, c.Request, e, private)
	return nil
}

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

// tileNumber reads a tile coordinate: decimal digits only, so that one tile
// has one address ("+1" or " 1" would name tile 1 again, and cache twice).
func tileNumber(s string) (int, error) {
	if s == "" || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(s)
}

// cutToRegion drops from an encoded tile the features a region-bound caller
// may not see (other counties' features of non-public layers: their
// geometry and attributes alike). It works on the encoded tile, so it holds
// whatever encoder made it; the MVT feature id is the feature's id.
func (s *server) cutToRegion(c *gin.Context, snap *spatial.Snapshot, ls []*layers.Layer, b []byte) ([]byte, int, error) {
	mls, err := mvt.Unmarshal(b)
	if err != nil {
		return nil, 0, fmt.Errorf("region cut: decode tile: %w", err)
	}
	byID := map[string]*layers.Layer{}
	for _, l := range ls {
		byID[l.ID] = l
	}
	n := 0
	out := mls[:0]
	for _, ml := range mls {
		l := byID[ml.Name]
		if match := s.regionMatch(c, l, readLayer); l != nil && match != nil {
			ml.Features = slices.DeleteFunc(ml.Features, func(gf *geojson.Feature) bool {
				id, ok := gf.ID.(float64)
				f, found := snap.Get(l.ID, int64(id))
				return !ok || !found || !match(f)
			})
		}
		if len(ml.Features) > 0 {
			n += len(ml.Features)
			out = append(out, ml)
		}
	}
	if n == 0 {
		return nil, 0, nil
	}
	b, err = mvt.Marshal(out)
	if err != nil {
		return nil, 0, fmt.Errorf("region cut: encode tile: %w", err)
	}
	return b, n, nil
}
