package ogc

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/codec"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"deref": func(p *int) int { return *p },
		"add":   func(a, b int) int { return a + b },
		"join":  strings.Join,
		"typename": func(t layers.FieldType) string {
			return map[layers.FieldType]string{layers.String: "文本", layers.Integer: "整数", layers.Number: "数值", layers.Date: "日期"}[t]
		},
		"bbox": func(b [4]float64) string {
			return fmt.Sprintf("%s, %s – %s, %s", num(b[0]), num(b[1]), num(b[2]), num(b[3]))
		},
		"interval": func(iv [2]*string) string {
			s := func(p *string) string {
				if p == nil {
					return "（开放）"
				}
				return *p
			}
			return s(iv[0]) + " 至 " + s(iv[1])
		},
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"landing", "conformance", "collections", "collection", "items", "item", "queryables", "api"} {
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return out
}()

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// page is what the layout needs: the title, the breadcrumbs, the JSON
// alternate and the page's own data.
type page struct {
	Title  string
	Crumbs []Link
	JSON   string
	Body   any
}

func render(w io.Writer, name string, p page) error {
	if err := pages[name].ExecuteTemplate(w, "layout", p); err != nil {
		return fmt.Errorf("render %s page: %w", name, err)
	}
	return nil
}

// crumbs are the breadcrumbs down to a collection (and its items).
func crumbs(base string, l *layers.Layer, items bool) []Link {
	root := base + Root
	out := []Link{{Href: root + "?f=html", Title: "首页"}}
	if l != nil {
		out = append(out, Link{Href: root + "/collections?f=html", Title: "图层集合"},
			Link{Href: base + CollectionPath(l.ID) + "?f=html", Title: l.Name})
		if items {
			out = append(out, Link{Href: base + ItemsPath(l.ID) + "?f=html", Title: "要素"})
		}
	}
	return out
}

// RenderLanding writes the landing page as HTML.
func (a *API) RenderLanding(w io.Writer, base string) error {
	d := a.LandingDoc(base)
	return render(w, "landing", page{Title: d.Title, Crumbs: crumbs(base, nil, false), JSON: base + Root + "?f=json",
		Body: struct{ Description, Root string }{d.Description, base + Root}})
}

// RenderConformance writes the conformance declaration as HTML.
func (a *API) RenderConformance(w io.Writer, base string) error {
	return render(w, "conformance", page{Title: "符合性声明", Crumbs: crumbs(base, nil, false), JSON: base + Root + "/conformance?f=json",
		Body: a.ConformanceDoc(base)})
}

// RenderCollections writes the list of collections as HTML.
func (a *API) RenderCollections(w io.Writer, base string, cols []Collection) error {
	c := crumbs(base, nil, false)
	c = append(c, Link{Href: base + Root + "/collections?f=html", Title: "图层集合"})
	return render(w, "collections", page{Title: "图层集合", Crumbs: c, JSON: base + Root + "/collections?f=json",
		Body: struct {
			Collections []Collection
			Root        string
		}{cols, base + Root}})
}

// RenderCollection writes one collection's page.
func (a *API) RenderCollection(w io.Writer, base string, l *layers.Layer, c Collection) error {
	return render(w, "collection", page{Title: l.Name + "（" + l.ID + "）", Crumbs: crumbs(base, l, false), JSON: base + CollectionPath(l.ID) + "?f=json",
		Body: struct {
			Collection Collection
			Layer      *layers.Layer
			Root       string
		}{c, l, base + Root}})
}

// RenderQueryables writes a collection's queryables as HTML.
func (a *API) RenderQueryables(w io.Writer, base string, l *layers.Layer) error {
	return render(w, "queryables", page{Title: l.Name + "：可查询字段", Crumbs: crumbs(base, l, false), JSON: base + CollectionPath(l.ID) + "/queryables?f=json",
		Body: struct{ Layer *layers.Layer }{l}})
}

// RenderAPI writes the operations of the OpenAPI document as HTML.
func (a *API) RenderAPI(w io.Writer, base string, doc obj) error {
	return render(w, "api", page{Title: "API 文档", Crumbs: crumbs(base, nil, false), JSON: base + Root + "/api?f=json",
		Body: struct {
			Root, Server string
			Ops          []Operation
		}{base + Root, base + Root, Operations(doc)}})
}

// ItemsPage is one page of features for the HTML table.
type ItemsPage struct {
	Features                  []codec.GeoJSONFeature
	Matched, Returned, Offset int
	Next, Prev, JSON          string // absolute links; empty when there is none
	Notice                    string
}

type itemRow struct {
	ID     int64
	Href   string
	Values []string
}

// RenderItems writes a page of features as a table with Chinese headings
// and prev/next links.
func (a *API) RenderItems(w io.Writer, base string, l *layers.Layer, p ItemsPage) error {
	rows := make([]itemRow, len(p.Features))
	for i, f := range p.Features {
		r := itemRow{ID: f.ID, Href: base + ItemPath(l.ID, f.ID) + "?f=html", Values: make([]string, len(l.Fields))}
		for j, fd := range l.Fields {
			r.Values[j] = valueText(f.Properties[fd.Name])
		}
		rows[i] = r
	}
	return render(w, "items", page{Title: l.Name + "：要素", Crumbs: crumbs(base, l, true), JSON: p.JSON,
		Body: struct {
			ItemsPage
			Layer *layers.Layer
			Rows  []itemRow
		}{p, l, rows}})
}

type fieldRow struct{ Name, Label, Value string }

// RenderItem writes one feature: its fields with Chinese labels and a
// small map of its geometry (lon/lat).
func (a *API) RenderItem(w io.Writer, base string, l *layers.Layer, f *layers.Feature) error {
	rows := make([]fieldRow, len(l.Fields))
	for i, fd := range l.Fields {
		rows[i] = fieldRow{Name: fd.Name, Label: fd.Label, Value: valueText(f.Props.At(i))}
	}
	return render(w, "item", page{Title: fmt.Sprintf("%s %d", l.Name, f.ID), Crumbs: crumbs(base, l, true),
		JSON: base + ItemPath(l.ID, f.ID) + "?f=json",
		Body: struct {
			Layer       *layers.Layer
			ID, Version int64
			Map         template.HTML
			Fields      []fieldRow
		}{l, f.ID, f.Version, SVG(f.Geometry, 360, 260), rows}})
}

// valueText is an attribute value as a table shows it; null is empty.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return num(x)
	}
	return fmt.Sprint(v)
}
