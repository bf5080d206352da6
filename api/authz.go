package api

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/layers"
)

// action is what a request does with a layer.
type action int

const (
	readLayer action = iota
	writeLayer
)

// authorize is the one place that decides whether the caller may do a to
// layer l, on every route (features, tiles, queries, OGC, supervision).
// Until authentication exists, restricted layers (personal data) are
// served to nobody; public and internal layers are open.
func (s *server) authorize(c *gin.Context, l *layers.Layer, a action) error {
	if l.Access == layers.Restricted {
		return forbidden(fmt.Sprintf("layer %s holds personal data and is served only to named roles; authentication is not enabled on this server", l.ID))
	}
	return nil
}

// visible says whether the caller may see a layer's data (its features,
// count and extent) at all.
func (s *server) visible(c *gin.Context, l *layers.Layer) bool {
	return s.authorize(c, l, readLayer) == nil
}

// layerParam finds the layer named in the path and checks that the caller
// may do a to it: 404 for an unknown layer, 403 for one not allowed.
func (s *server) layerParam(c *gin.Context, a action) (*layers.Layer, error) {
	l, err := s.catalogLayer(c.Param("layer"))
	if err != nil {
		return nil, err
	}
	if err := s.authorize(c, l, a); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *server) catalogLayer(id string) (*layers.Layer, error) {
	l := s.Catalog.Layer(id)
	if l == nil {
		return nil, notFound(fmt.Sprintf("no layer %q in the catalogue", id))
	}
	return l, nil
}
