package ogc

import (
	"maps"
	"slices"
	"strings"

	"github.com/onemap/onemap/layers"
)

// obj is a JSON object of the OpenAPI document.
type obj = map[string]any

// openAPI is the OpenAPI 3.0 document built at start: the paths every
// server has, each collection's paths (per-collection, so that each lists
// its own query parameters, as GDAL reads them), and the components.
type openAPI struct {
	common     obj
	perLayer   map[string]obj
	components obj
}

// OpenAPI is the OpenAPI 3.0 document for a caller who may see the given
// layers, with its server at base.
func (a *API) OpenAPI(base string, visible []*layers.Layer) obj {
	paths := maps.Clone(a.oas.common)
	for _, l := range visible {
		maps.Copy(paths, a.oas.perLayer[l.ID])
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": a.opt.Title, "description": a.opt.Description, "version": "1.0.0",
			"license": obj{"name": "数据仅供演示 (demo data)"}},
		"servers":    []obj{{"url": base + Root, "description": "本服务"}},
		"paths":      paths,
		"components": a.oas.components,
		"tags": []obj{
			{"name": "Capabilities", "description": "服务能力：入口、符合性、API 定义"},
			{"name": "Data", "description": "图层与要素"},
			{"name": "Edit", "description": "要素编辑（第4部分）"},
		},
	}
}

func ref(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }

func jsonContent(schema obj, types ...string) obj {
	out := obj{}
	for _, t := range types {
		out[t] = obj{"schema": schema}
	}
	return out
}

func htmlContent() obj { return obj{MediaHTML: obj{"schema": obj{"type": "string"}}} }

func okResponse(desc string, schema obj, types ...string) obj {
	c := jsonContent(schema, types...)
	maps.Copy(c, htmlContent())
	return obj{"description": desc, "content": c}
}

func errResponses(codes ...string) obj {
	out := obj{}
	for _, c := range codes {
		out[c] = ref("responses", "E"+c)
	}
	return out
}

func op(id, summary, tag string, params []obj, responses obj) obj {
	o := obj{"operationId": id, "summary": summary, "tags": []string{tag}, "responses": responses}
	if len(params) > 0 {
		o["parameters"] = params
	}
	return o
}

func (a *API) buildOpenAPI() *openAPI {
	o := &openAPI{perLayer: map[string]obj{}}
	f := ref("parameters", "f")
	o.common = obj{
		"/": obj{"get": op("getLandingPage", "入口页", "Capabilities", []obj{f},
			with(obj{"200": okResponse("入口页：链接到 API 定义、符合性声明与图层集合", ref("schemas", "landingPage"), MediaJSON)}, errResponses("400")))},
		"/conformance": obj{"get": op("getConformance", "符合性声明", "Capabilities", []obj{f},
			with(obj{"200": okResponse("本服务实现的符合性类", ref("schemas", "confClasses"), MediaJSON)}, errResponses("400")))},
		"/api": obj{"get": op("getAPI", "API 定义（本文档）", "Capabilities", []obj{f},
			with(obj{"200": okResponse("OpenAPI 3.0 文档", obj{"type": "object"}, MediaOpenAPI)}, errResponses("400")))},
		"/collections": obj{"get": op("getCollections", "图层集合", "Data", []obj{f},
			with(obj{"200": okResponse("调用者可见的全部图层", ref("schemas", "collections"), MediaJSON)}, errResponses("400", "503")))},
	}
	o.components = a.components()
	for _, l := range a.cat.Layers {
		o.perLayer[l.ID] = a.layerPaths(l)
		schemas := o.components["schemas"].(obj)
		schemas[l.ID+"_properties"] = propertiesSchema(l)
		schemas[l.ID+"_feature"] = obj{"allOf": []obj{ref("schemas", "feature"),
			{"type": "object", "properties": obj{"properties": ref("schemas", l.ID+"_properties")}}}}
		schemas[l.ID+"_featureCollection"] = obj{"allOf": []obj{ref("schemas", "featureCollection"),
			{"type": "object", "properties": obj{"features": obj{"type": "array", "items": ref("schemas", l.ID+"_feature")}}}}}
	}
	return o
}

func with(a, b obj) obj {
	maps.Copy(a, b)
	return a
}

// propertiesSchema is the OpenAPI schema of a layer's properties: each
// field typed, nullable unless required.
func propertiesSchema(l *layers.Layer) obj {
	var props members
	var required []string
	for _, f := range l.Fields {
		s := obj(fieldSchema(f))
		if f.Required {
			required = append(required, f.Name)
		} else {
			s["nullable"] = true
		}
		props = append(props, member{f.Name, s})
	}
	out := obj{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		out["required"] = required
	}
	return out
}

// queryParam is a field as a FIELD=value query parameter, typed.
func queryParam(f layers.Field) obj {
	s := obj(fieldSchema(f))
	delete(s, "title")
	delete(s, "description")
	return obj{"name": f.Name, "in": "query", "required": false, "schema": s,
		"description": f.Label + "：等于此值的要素（" + string(f.Type) + "）", "style": "form", "explode": false}
}

func (a *API) layerPaths(l *layers.Layer) obj {
	id := l.ID
	f, crs := ref("parameters", "f"), ref("parameters", "crs")
	items := []obj{f, ref("parameters", "limit"), ref("parameters", "offset"), ref("parameters", "bbox"), ref("parameters", "bbox-crs"), crs}
	if len(l.Temporal) > 0 {
		items = append(items, ref("parameters", "datetime"))
	}
	if a.opt.Filter != nil {
		items = append(items, ref("parameters", "filter"), ref("parameters", "filter-lang"), ref("parameters", "filter-crs"))
	}
	for _, fd := range l.Fields {
		items = append(items, queryParam(fd))
	}
	fid := ref("parameters", "featureId")
	body := func(types ...string) obj {
		return obj{"required": true, "description": "GeoJSON 要素；可带 \"repair\": true 请求修复几何",
			"content": jsonContent(ref("schemas", id+"_feature"), types...)}
	}
	featureHeaders := obj{"ETag": obj{"description": "要素版本", "schema": obj{"type": "string"}}}
	feature := obj{"description": l.Name + "：一个要素", "headers": featureHeaders,
		"content": with(jsonContent(ref("schemas", id+"_feature"), MediaGeoJSON), htmlContent())}
	edited := obj{"description": "已保存的要素", "headers": featureHeaders, "content": jsonContent(ref("schemas", id+"_feature"), MediaGeoJSON)}
	base := "/collections/" + id
	return obj{
		base: obj{"get": op("getCollection_"+id, l.Name+"：图层说明", "Data", []obj{f},
			with(obj{"200": okResponse(l.Name+"：标题、说明、范围、坐标系与链接", ref("schemas", "collection"), MediaJSON)}, errResponses("400", "403", "404", "503")))},
		base + "/queryables": obj{"get": op("getQueryables_"+id, l.Name+"：可查询字段", "Data", []obj{f},
			with(obj{"200": okResponse("字段的 JSON Schema", obj{"type": "object"}, MediaSchema)}, errResponses("400", "403", "404", "503")))},
		base + "/schema": obj{"get": op("getSchema_"+id, l.Name+"：要素结构", "Data", nil,
			with(obj{"200": obj{"description": "GeoJSON 要素的 JSON Schema", "content": jsonContent(obj{"type": "object"}, MediaSchema)}}, errResponses("403", "404", "503")))},
		base + "/items": obj{
			"get": op("getFeatures_"+id, l.Name+"：要素（分页）", "Data", items,
				with(obj{"200": with(okResponse(l.Name+"：一页要素，带 next/prev 链接", ref("schemas", id+"_featureCollection"), MediaGeoJSON),
					obj{"headers": obj{"Content-Crs": ref("headers", "Content-Crs")}})}, errResponses("400", "403", "404", "503"))),
			"post": with(op("createFeature_"+id, l.Name+"：新建要素", "Edit", []obj{ref("parameters", "Content-Crs")},
				with(obj{"201": obj{"description": "已创建；Location 指向新要素", "headers": with(obj{"Location": obj{"description": "新要素的地址", "schema": obj{"type": "string"}}}, featureHeaders),
					"content": jsonContent(ref("schemas", id+"_feature"), MediaGeoJSON)}}, errResponses("400", "403", "404", "413", "415", "422", "503"))),
				obj{"requestBody": body(MediaGeoJSON, MediaJSON)}),
		},
		base + "/items/{featureId}": obj{
			"get": op("getFeature_"+id, l.Name+"：一个要素", "Data", []obj{fid, f, crs},
				with(obj{"200": with(feature, obj{"headers": with(obj{"Content-Crs": ref("headers", "Content-Crs")}, featureHeaders)})}, errResponses("400", "403", "404", "503"))),
			"put": with(op("replaceFeature_"+id, l.Name+"：替换要素", "Edit", []obj{fid, ref("parameters", "If-Match"), ref("parameters", "Content-Crs")},
				with(obj{"200": edited}, errResponses("400", "403", "404", "412", "413", "415", "422", "503"))),
				obj{"requestBody": body(MediaGeoJSON, MediaJSON)}),
			"patch": with(op("updateFeature_"+id, l.Name+"：修改要素（JSON merge patch）", "Edit", []obj{fid, ref("parameters", "If-Match"), ref("parameters", "Content-Crs")},
				with(obj{"200": edited}, errResponses("400", "403", "404", "412", "413", "415", "422", "503"))),
				obj{"requestBody": obj{"required": true, "description": "RFC 7396 合并补丁：properties 中给出的字段被替换，null 清空；geometry 给出则替换",
					"content": jsonContent(obj{"type": "object"}, "application/merge-patch+json", MediaJSON, MediaGeoJSON)}}),
			"delete": op("deleteFeature_"+id, l.Name+"：删除要素", "Edit", []obj{fid, ref("parameters", "If-Match")},
				with(obj{"204": obj{"description": "已删除"}}, errResponses("400", "403", "404", "412", "503"))),
		},
	}
}

func (a *API) components() obj {
	var crsURIs []string
	for _, c := range a.crss {
		crsURIs = append(crsURIs, c.URI)
	}
	link := obj{"type": "object", "required": []string{"href", "rel"}, "properties": obj{
		"href": obj{"type": "string"}, "rel": obj{"type": "string"}, "type": obj{"type": "string"}, "title": obj{"type": "string"}}}
	links := obj{"type": "array", "items": ref("schemas", "link")}
	exception := obj{"type": "object", "required": []string{"error"}, "properties": obj{"error": obj{
		"type": "object", "required": []string{"code", "message"}, "properties": obj{
			"code": obj{"type": "string"}, "message": obj{"type": "string"}, "details": obj{}}}}}
	geometry := obj{"type": "object", "required": []string{"type"}, "properties": obj{
		"type":        obj{"type": "string", "enum": []string{"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}},
		"coordinates": obj{"type": "array", "items": obj{}}}}
	feature := obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
		"type": obj{"type": "string", "enum": []string{"Feature"}}, "id": obj{"type": "integer", "format": "int64"},
		"version": obj{"type": "integer", "format": "int64"}, "geometry": ref("schemas", "geometry"),
		"properties": obj{"type": "object", "nullable": true}, "links": links}}
	featureCollection := obj{"type": "object", "required": []string{"type", "features"}, "properties": obj{
		"type": obj{"type": "string", "enum": []string{"FeatureCollection"}}, "features": obj{"type": "array", "items": ref("schemas", "feature")},
		"links": links, "timeStamp": obj{"type": "string", "format": "date-time"},
		"numberMatched": obj{"type": "integer", "minimum": 0}, "numberReturned": obj{"type": "integer", "minimum": 0}}}
	extent := obj{"type": "object", "properties": obj{
		"spatial": obj{"type": "object", "properties": obj{"bbox": obj{"type": "array", "items": obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
			"crs": obj{"type": "string"}}},
		"temporal": obj{"type": "object", "properties": obj{"interval": obj{"type": "array", "items": obj{"type": "array", "minItems": 2, "maxItems": 2,
			"items": obj{"type": "string", "format": "date-time", "nullable": true}}}, "trs": obj{"type": "string"}}}}}
	collection := obj{"type": "object", "required": []string{"id", "links"}, "properties": obj{
		"id": obj{"type": "string"}, "title": obj{"type": "string"}, "description": obj{"type": "string"}, "links": links,
		"extent": ref("schemas", "extent"), "itemType": obj{"type": "string"}, "crs": obj{"type": "array", "items": obj{"type": "string"}},
		"storageCrs": obj{"type": "string"}}}
	schemas := obj{
		"link": link, "exception": exception, "geometry": geometry, "feature": feature, "featureCollection": featureCollection,
		"extent": extent, "collection": collection,
		"collections": obj{"type": "object", "required": []string{"links", "collections"}, "properties": obj{
			"links": links, "collections": obj{"type": "array", "items": ref("schemas", "collection")}}},
		"landingPage": obj{"type": "object", "required": []string{"links"}, "properties": obj{
			"title": obj{"type": "string"}, "description": obj{"type": "string"}, "links": links}},
		"confClasses": obj{"type": "object", "required": []string{"conformsTo"}, "properties": obj{
			"conformsTo": obj{"type": "array", "items": obj{"type": "string"}}}},
	}
	params := obj{
		"f": obj{"name": "f", "in": "query", "required": false, "description": "输出格式：json（GeoJSON）或 html；缺省时按 Accept",
			"schema": obj{"type": "string", "enum": []string{"json", "html"}}, "style": "form", "explode": false},
		"limit": obj{"name": "limit", "in": "query", "required": false, "description": "每页要素数；超过最大值时按最大值并在 notice 中说明",
			"schema": obj{"type": "integer", "minimum": 0, "maximum": a.opt.MaxLimit, "default": a.opt.DefaultLimit}, "style": "form", "explode": false},
		"offset": obj{"name": "offset", "in": "query", "required": false, "description": "跳过的要素数（按 id 排序）",
			"schema": obj{"type": "integer", "minimum": 0, "default": 0}, "style": "form", "explode": false},
		"bbox": obj{"name": "bbox", "in": "query", "required": false, "description": "范围 minx,miny,maxx,maxy，按 bbox-crs 的轴序（缺省 CRS84 经度在前）",
			"schema": obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}, "style": "form", "explode": false},
		"bbox-crs": obj{"name": "bbox-crs", "in": "query", "required": false, "description": "bbox 的坐标系",
			"schema": obj{"type": "string", "format": "uri", "enum": crsURIs, "default": CRS84URI}, "style": "form", "explode": false},
		"crs": obj{"name": "crs", "in": "query", "required": false, "description": "输出坐标系；EPSG:4490 与 4326 纬度在前",
			"schema": obj{"type": "string", "format": "uri", "enum": crsURIs, "default": CRS84URI}, "style": "form", "explode": false},
		"datetime": obj{"name": "datetime", "in": "query", "required": false, "description": "日期或区间（start/end，.. 为开放端），按图层的时间字段筛选",
			"schema": obj{"type": "string"}, "style": "form", "explode": false},
		"featureId": obj{"name": "featureId", "in": "path", "required": true, "description": "要素标识（正整数）",
			"schema": obj{"type": "integer", "format": "int64", "minimum": 1}},
		"If-Match": obj{"name": "If-Match", "in": "header", "required": false, "description": "要素的 ETag（版本）；不符时 412",
			"schema": obj{"type": "string"}},
		"Content-Crs": obj{"name": "Content-Crs", "in": "header", "required": false, "description": "请求体中几何的坐标系，如 <" + CRS84URI + ">",
			"schema": obj{"type": "string"}},
	}
	if a.opt.Filter != nil {
		params["filter"] = obj{"name": "filter", "in": "query", "required": false, "description": "CQL2 筛选表达式", "schema": obj{"type": "string"}, "style": "form", "explode": false}
		params["filter-lang"] = obj{"name": "filter-lang", "in": "query", "required": false, "description": "筛选语言",
			"schema": obj{"type": "string", "enum": []string{"cql2-text", "cql2-json"}, "default": "cql2-text"}, "style": "form", "explode": false}
		params["filter-crs"] = obj{"name": "filter-crs", "in": "query", "required": false, "description": "筛选几何的坐标系",
			"schema": obj{"type": "string", "format": "uri", "enum": []string{CRS84URI}, "default": CRS84URI}, "style": "form", "explode": false}
	}
	errorDescs := map[string]string{"400": "请求有误（参数、格式）", "403": "无权访问此图层", "404": "无此图层或要素", "412": "If-Match 与要素当前版本不符",
		"413": "请求体过大", "415": "不支持的 Content-Type", "422": "几何或属性不合规", "503": "索引加载中或存储不可用"}
	responses := obj{}
	for code, desc := range errorDescs {
		responses["E"+code] = obj{"description": desc, "content": jsonContent(ref("schemas", "exception"), MediaJSON)}
	}
	return obj{"schemas": schemas, "parameters": params, "responses": responses,
		"headers": obj{"Content-Crs": obj{"description": "回答中几何的坐标系", "schema": obj{"type": "string"}}}}
}

// Operation is one operation of the OpenAPI document, for its HTML page.
type Operation struct {
	Method, Path, Summary string
}

// Operations lists the operations of an OpenAPI document in path order.
func Operations(doc obj) []Operation {
	paths, _ := doc["paths"].(obj)
	keys := slices.Sorted(maps.Keys(paths))
	var out []Operation
	for _, p := range keys {
		item, _ := paths[p].(obj)
		for _, m := range []string{"get", "post", "put", "patch", "delete"} {
			if o, ok := item[m].(obj); ok {
				s, _ := o["summary"].(string)
				out = append(out, Operation{Method: strings.ToUpper(m), Path: p, Summary: s})
			}
		}
	}
	return out
}
