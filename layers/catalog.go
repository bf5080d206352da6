// Package layers holds the layer catalogue, the feature model, attribute and
// coordinate validation, and the Store interface that every storage backend
// implements.
package layers

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

//go:embed catalog.json
var defaultCatalogJSON []byte

// GeometryType is the declared geometry of a layer: Point, LineString or Polygon.
// Polygon layers store MultiPolygon and LineString layers MultiLineString.
type GeometryType string

const (
	Point      GeometryType = "Point"
	LineString GeometryType = "LineString"
	Polygon    GeometryType = "Polygon"
)

// FieldType is the type of an attribute.
type FieldType string

const (
	String  FieldType = "string"
	Integer FieldType = "integer"
	Number  FieldType = "number"
	Date    FieldType = "date" // ISO YYYY-MM-DD
)

// Access is who may see a layer.
type Access string

const (
	Public     Access = "public"
	Internal   Access = "internal"
	Restricted Access = "restricted"
)

// Group is a group of layers (基础地理, 土地资源现状, …).
type Group struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Field is one attribute of a layer.
type Field struct {
	Name      string    `json:"name"`
	Label     string    `json:"label"`
	Type      FieldType `json:"type"`
	Required  bool      `json:"required"`
	MaxLength int       `json:"max_length,omitempty"` // strings only; 0 = unlimited
}

// Style is the default cartography of a layer.
type Style struct {
	Color   string  `json:"color"`             // fill (polygons), line or circle colour
	Outline string  `json:"outline,omitempty"` // polygon outline
	Opacity float64 `json:"opacity,omitempty"`
	Width   float64 `json:"width,omitempty"`  // line width in px
	Radius  float64 `json:"radius,omitempty"` // circle radius in px
}

// Layer is one catalogue layer.
type Layer struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	NameEn   string       `json:"name_en"`
	Group    string       `json:"group"`
	Geometry GeometryType `json:"geometry"`
	Access   Access       `json:"access"`
	KeyField string       `json:"key_field"`
	MinZoom  int          `json:"minzoom"`
	MaxZoom  int          `json:"maxzoom"`
	// MaxVertices caps the vertices of one feature (0: DefaultMaxVertices),
	// checked before GEOS sees the geometry, since GEOS cannot be interrupted.
	MaxVertices int `json:"max_vertices,omitempty"`
	// Temporal names the date field that places a feature in time (one:
	// an instant, such as a change patch's HSX) or the two that bound its
	// validity (start and end: a licence's YXQQ–YXQZ); empty when the
	// layer has none. OGC API `datetime` filters on it.
	Temporal []string `json:"temporal,omitempty"`
	Style    Style    `json:"style"`
	Fields   []Field  `json:"fields"`

	fieldIndex map[string]int
}

// Catalog is the set of layers a deployment serves, in their groups.
type Catalog struct {
	Groups []Group  `json:"groups"`
	Layers []*Layer `json:"layers"`

	byID map[string]*Layer
}

// DefaultCatalog returns the embedded catalogue of LAYERS.md (26 layers, 5 groups).
func DefaultCatalog() *Catalog {
	c, err := ParseCatalog(defaultCatalogJSON)
	if err != nil {
		panic(fmt.Sprintf("embedded catalogue is invalid: %v", err)) // a build defect, caught by tests
	}
	return c
}

// LoadCatalog reads a catalogue file; an empty path gives the default catalogue.
func LoadCatalog(path string) (*Catalog, error) {
	if path == "" {
		return DefaultCatalog(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	c, err := ParseCatalog(b)
	if err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", path, err)
	}
	return c, nil
}

var (
	idPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	fieldPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,62}$`)
	colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// reservedFields are column names the stores use themselves.
var reservedFields = map[string]bool{"FID": true, "ID": true, "GEOM": true, "VERSION": true}

// ParseCatalog decodes and checks a catalogue. Errors name the layer and field at fault.
func ParseCatalog(b []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decode catalogue: %w", err)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Catalog) check() error {
	if len(c.Layers) == 0 {
		return fmt.Errorf("catalogue has no layers")
	}
	groups := map[string]bool{}
	for i, g := range c.Groups {
		if !idPattern.MatchString(g.ID) {
			return fmt.Errorf("group %d: id %q must be lower-case letters, digits or _", i, g.ID)
		}
		if groups[g.ID] {
			return fmt.Errorf("group %s: duplicate id", g.ID)
		}
		if g.Name == "" {
			return fmt.Errorf("group %s: name is empty", g.ID)
		}
		groups[g.ID] = true
	}
	c.byID = make(map[string]*Layer, len(c.Layers))
	for i, l := range c.Layers {
		if l == nil {
			return fmt.Errorf("layer %d: null", i)
		}
		if !idPattern.MatchString(l.ID) {
			return fmt.Errorf("layer %d: id %q must be lower-case letters, digits or _ (at most 63)", i, l.ID)
		}
		for _, p := range []string{"gpkg_", "sqlite_", "rtree_", "pg_", "onemap_"} {
			if strings.HasPrefix(l.ID, p) {
				return fmt.Errorf("layer %s: ids starting with %s are reserved for the stores' own tables", l.ID, p)
			}
		}
		if c.byID[l.ID] != nil {
			return fmt.Errorf("layer %s: duplicate id", l.ID)
		}
		if err := l.check(groups); err != nil {
			return fmt.Errorf("layer %s: %w", l.ID, err)
		}
		c.byID[l.ID] = l
	}
	return nil
}

func (l *Layer) check(groups map[string]bool) error {
	if l.Name == "" {
		return fmt.Errorf("name is empty")
	}
	if !groups[l.Group] {
		return fmt.Errorf("group %q is not in the catalogue's groups", l.Group)
	}
	switch l.Geometry {
	case Point, LineString, Polygon:
	default:
		return fmt.Errorf("geometry %q must be Point, LineString or Polygon", l.Geometry)
	}
	switch l.Access {
	case Public, Internal, Restricted:
	default:
		return fmt.Errorf("access %q must be public, internal or restricted", l.Access)
	}
	if l.MinZoom < 0 || l.MaxZoom > 24 || l.MinZoom > l.MaxZoom {
		return fmt.Errorf("zoom range %d–%d must lie within 0–24 with minzoom ≤ maxzoom", l.MinZoom, l.MaxZoom)
	}
	if l.Style.Color != "" && !colorPattern.MatchString(l.Style.Color) {
		return fmt.Errorf("style color %q must be #rrggbb", l.Style.Color)
	}
	if l.Style.Outline != "" && !colorPattern.MatchString(l.Style.Outline) {
		return fmt.Errorf("style outline %q must be #rrggbb", l.Style.Outline)
	}
	if l.Style.Opacity < 0 || l.Style.Opacity > 1 {
		return fmt.Errorf("style opacity %v must lie within 0–1", l.Style.Opacity)
	}
	if l.MaxVertices < 0 {
		return fmt.Errorf("max_vertices %d must be positive (or absent for the default %d)", l.MaxVertices, DefaultMaxVertices)
	}
	if len(l.Fields) == 0 {
		return fmt.Errorf("no fields")
	}
	l.fieldIndex = make(map[string]int, len(l.Fields))
	for i, f := range l.Fields {
		if !fieldPattern.MatchString(f.Name) {
			return fmt.Errorf("field %d: name %q must be upper-case letters, digits or _", i, f.Name)
		}
		if reservedFields[f.Name] {
			return fmt.Errorf("field %s: name is reserved", f.Name)
		}
		if _, dup := l.fieldIndex[f.Name]; dup {
			return fmt.Errorf("field %s: duplicate name", f.Name)
		}
		switch f.Type {
		case String, Integer, Number, Date:
		default:
			return fmt.Errorf("field %s: type %q must be string, integer, number or date", f.Name, f.Type)
		}
		if f.MaxLength < 0 || (f.MaxLength > 0 && f.Type != String) {
			return fmt.Errorf("field %s: max_length applies to string fields only and must be positive", f.Name)
		}
		if f.Label == "" {
			return fmt.Errorf("field %s: label is empty", f.Name)
		}
		l.fieldIndex[f.Name] = i
	}
	if l.KeyField != "" {
		if _, ok := l.fieldIndex[l.KeyField]; !ok {
			return fmt.Errorf("key_field %q is not one of the layer's fields", l.KeyField)
		}
	}
	return l.checkTemporal()
}

// checkTemporal accepts one date field (an instant) or two distinct ones
// (the start and end of an interval).
func (l *Layer) checkTemporal() error {
	if l.Temporal == nil {
		return nil
	}
	if len(l.Temporal) < 1 || len(l.Temporal) > 2 {
		return fmt.Errorf("temporal names %d fields: give one date field (an instant) or two (start and end)", len(l.Temporal))
	}
	for _, name := range l.Temporal {
		i, ok := l.fieldIndex[name]
		if !ok {
			return fmt.Errorf("temporal field %q is not one of the layer's fields", name)
		}
		if l.Fields[i].Type != Date {
			return fmt.Errorf("temporal field %s is a %s, not a date", name, l.Fields[i].Type)
		}
	}
	if len(l.Temporal) == 2 && l.Temporal[0] == l.Temporal[1] {
		return fmt.Errorf("temporal field %s is named twice: an interval has two distinct fields", l.Temporal[0])
	}
	return nil
}

// DefaultMaxVertices is the vertex cap of a feature when the catalogue sets
// none: far above any real parcel (a detailed county outline has tens of
// thousands), far below what would stall a writer.
const DefaultMaxVertices = 250_000

// VertexLimit is the most vertices one feature of the layer may have.
func (l *Layer) VertexLimit() int {
	if l.MaxVertices > 0 {
		return l.MaxVertices
	}
	return DefaultMaxVertices
}

// Layer returns the layer with the given id, or nil.
func (c *Catalog) Layer(id string) *Layer { return c.byID[id] }

// FieldIndex returns the position of a field in Fields, or -1.
func (l *Layer) FieldIndex(name string) int {
	if i, ok := l.fieldIndex[name]; ok {
		return i
	}
	return -1
}

// StorageType is the geometry type the stores hold for the layer: lines and
// polygons in their multi form.
func (l *Layer) StorageType() string {
	switch l.Geometry {
	case Polygon:
		return "MultiPolygon"
	case LineString:
		return "MultiLineString"
	}
	return "Point"
}

// Table is the storage table name of the layer (its id; already lower case).
func (l *Layer) Table() string { return l.ID }

// Column is the storage column name of a field in PostGIS (lower case).
func (f Field) Column() string { return strings.ToLower(f.Name) }
