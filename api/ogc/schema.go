package ogc

import (
	"bytes"
	"encoding/json"

	"github.com/onemap/onemap/layers"
)

// Schema is a JSON Schema document (or part of one), written as JSON.
type Schema map[string]any

// members is a JSON object whose members keep their order (the
// catalogue's field order, which GDAL and people reading the schema see).
type members []member

type member struct {
	name  string
	value any
}

// MarshalJSON writes the members in order.
func (m members) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(x.name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(x.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

const jsonSchema2020 = "https://json-schema.org/draft/2020-12/schema"

// fieldSchema is the JSON Schema of one field's value: its JSON type, its
// Chinese label as title, dates as format date, the string length cap.
func fieldSchema(f layers.Field) Schema {
	s := Schema{"title": f.Label, "description": f.Name + " " + f.Label}
	switch f.Type {
	case layers.Integer:
		s["type"] = "integer"
	case layers.Number:
		s["type"] = "number"
	case layers.Date:
		s["type"] = "string"
		s["format"] = "date"
	default:
		s["type"] = "string"
		if f.MaxLength > 0 {
			s["maxLength"] = f.MaxLength
		}
	}
	return s
}

var geometryFormats = map[layers.GeometryType]string{
	layers.Point: "geometry-point", layers.LineString: "geometry-multilinestring", layers.Polygon: "geometry-multipolygon",
}

// Queryables is the Part 3 queryables document of l: every field, typed,
// with its Chinese title; the geometry too when a FilterCompiler is wired
// in (S_INTERSECTS is then the one way to query it).
func (a *API) Queryables(base string, l *layers.Layer) Schema {
	var props members
	if a.opt.Filter != nil {
		props = append(props, member{"geometry", Schema{"title": "几何", "format": geometryFormats[l.Geometry]}})
	}
	for _, f := range l.Fields {
		props = append(props, member{f.Name, fieldSchema(f)})
	}
	return Schema{
		"$schema": jsonSchema2020, "$id": base + CollectionPath(l.ID) + "/queryables",
		"type": "object", "title": l.Name + "：可查询字段",
		"description": "可作为查询参数 FIELD=value 使用的字段（按目录中的类型解析）。",
		"properties":  props, "additionalProperties": false,
	}
}

// FeatureSchema is the JSON Schema of a GeoJSON feature of l as the API
// writes it, which GDAL's OAPIF driver reads (the collection's describedby
// link) to type its fields. Each field's type is a single JSON type, as
// GDAL requires; every field is present, null where it has no value (the
// description says so, since a type list with "null" would make GDAL read
// every field as text).
func (a *API) FeatureSchema(base string, l *layers.Layer) Schema {
	var props members
	var required []string
	for _, f := range l.Fields {
		s := fieldSchema(f)
		if f.Required {
			required = append(required, f.Name)
		} else {
			s["description"] = f.Name + " " + f.Label + "（无值时为 null）"
		}
		props = append(props, member{f.Name, s})
	}
	properties := Schema{"type": "object", "title": "属性", "properties": props}
	if required != nil {
		properties["required"] = required
	}
	return Schema{
		"$schema": jsonSchema2020, "$id": base + CollectionPath(l.ID) + "/schema",
		"title": l.Name, "type": "object", "required": []string{"type", "id", "geometry", "properties"},
		"properties": Schema{
			"type":       Schema{"type": "string", "enum": []string{"Feature"}},
			"id":         Schema{"type": "integer", "title": "要素标识"},
			"version":    Schema{"type": "integer", "title": "版本（每次修改加一；即 ETag）"},
			"geometry":   Schema{"type": "object", "title": "几何（" + l.StorageType() + "）"},
			"properties": properties,
		},
	}
}
