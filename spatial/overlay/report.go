package overlay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/area"
)

// ErrUnknownLayer is returned (wrapped, naming the layer) for a layer the
// catalogue or the index does not have.
var ErrUnknownLayer = errors.New("unknown layer")

// DeductionField is the field holding a parcel's deduction coefficient
// (扣除系数, the share of its area taken by field ridges, 田坎): a layer
// that has it as a number gets net areas, gross × (1 − KCXS).
const DeductionField = "KCXS"

// Amount is an area in square metres, hectares and 亩.
type Amount struct {
	M2 float64 `json:"m2"`
	Ha float64 `json:"ha"`
	Mu float64 `json:"mu"`
}

// AmountOf expresses m2 square metres in every unit.
func AmountOf(m2 float64) Amount {
	return Amount{M2: m2, Ha: area.Hectares(m2), Mu: area.Mu(m2)}
}

// Measures are what a feature, a group or a layer shares with the site: an
// area (zero for points and lines), the net area after the deduction for
// layers with KCXS, the length inside for lines.
type Measures struct {
	Amount
	Net     *Amount  `json:"net,omitempty"`
	LengthM *float64 `json:"length_m,omitempty"`
}

// Options choose what Overlay reports.
type Options struct {
	// Layers are the layers to overlay, in answer order; none means every
	// catalogue layer. The caller checks the user may see them.
	Layers []string
	// Geometries asks for each feature's intersection with the site.
	Geometries bool
}

// Report is the overlay analysis of a site (DESIGN.md's shape).
type Report struct {
	Area   Amount        `json:"area"` // the site's own area
	Layers []LayerReport `json:"layers"`
}

// LayerReport is what one layer shares with the site.
type LayerReport struct {
	Layer    string              `json:"layer"`
	Name     string              `json:"name"`
	Geometry layers.GeometryType `json:"geometry"`
	KeyField string              `json:"key_field"`
	Total    Total               `json:"total"`
	Groups   []Group             `json:"groups"`
	Features []FeatureShare      `json:"features"`

	layer *layers.Layer
}

// Total sums a layer's features.
type Total struct {
	Count int `json:"count"`
	Measures
}

// Group sums the features that have one value of the layer's key field.
type Group struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
	Measures
}

// FeatureShare is one feature the site meets and what it shares with it.
type FeatureShare struct {
	ID int64 `json:"id"`
	Measures
	Whole      bool              `json:"whole"` // in the site's interior (see Share.Whole)
	Properties Properties        `json:"properties"`
	Geometry   *geojson.Geometry `json:"geometry,omitempty"`
	Feature    *layers.Feature   `json:"-"`
}

// Properties are a feature's attributes by name, built only when encoded.
type Properties struct {
	layer   *layers.Layer
	feature *layers.Feature
}

// Map returns the attributes as a name→value map.
func (p Properties) Map() map[string]any { return p.layer.Properties(p.feature) }

// MarshalJSON writes the attributes as a JSON object.
func (p Properties) MarshalJSON() ([]byte, error) { return json.Marshal(p.Map()) }

// Overlay measures what the site shares with each layer's features: per
// feature, per key group (with its label) and in total, in m², ha and 亩
// (lengths for lines, counts for points), and net areas for layers with a
// deduction coefficient. Features come in id order, groups in key order.
func Overlay(ctx context.Context, snap *spatial.Snapshot, cat *layers.Catalog, site orb.MultiPolygon, opts Options) (*Report, error) {
	ls, err := pickLayers(snap, cat, opts.Layers)
	if err != nil {
		return nil, err
	}
	var rep *Report
	err = WithSite(site, func(s *Site) error {
		rep = &Report{Area: AmountOf(s.M2), Layers: make([]LayerReport, 0, len(ls))}
		for _, l := range ls {
			cv, err := Measure(ctx, s, Candidates(snap, l.ID, s.Bound()), MeasureOptions{Geometries: opts.Geometries})
			if err != nil {
				return fmt.Errorf("overlay %s: %w", l.ID, err)
			}
			rep.Layers = append(rep.Layers, layerReport(l, cv.Shares))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// pickLayers resolves layer ids (none: the whole catalogue).
func pickLayers(snap *spatial.Snapshot, cat *layers.Catalog, ids []string) ([]*layers.Layer, error) {
	if len(ids) == 0 {
		return cat.Layers, nil
	}
	out := make([]*layers.Layer, 0, len(ids))
	for _, id := range ids {
		l := cat.Layer(id)
		if l == nil || !snap.Has(id) {
			return nil, fmt.Errorf("overlay: layer %q: %w", id, ErrUnknownLayer)
		}
		out = append(out, l)
	}
	return out, nil
}

// Candidates lists, in id order, the features of a layer whose bounding box
// meets b.
func Candidates(snap *spatial.Snapshot, layer string, b orb.Bound) []*layers.Feature {
	var fs []*layers.Feature
	snap.Search(layer, b, func(f *layers.Feature) bool {
		fs = append(fs, f)
		return true
	})
	slices.SortFunc(fs, func(a, b *layers.Feature) int { return cmpInt(a.ID, b.ID) })
	return fs
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// layerReport sums the shares of one layer.
func layerReport(l *layers.Layer, shares []Share) LayerReport {
	lr := LayerReport{Layer: l.ID, Name: l.Name, Geometry: l.Geometry, KeyField: l.KeyField,
		Groups: []Group{}, Features: make([]FeatureShare, 0, len(shares)), layer: l}
	key := l.FieldIndex(l.KeyField)
	label := l.FieldIndex(LabelField(l))
	ded := -1
	if i := l.FieldIndex(DeductionField); i >= 0 && l.Fields[i].Type == layers.Number {
		ded = i
	}
	type sums struct {
		count       int
		m2, net, lm float64
		label       string
	}
	var total sums
	groups := map[string]*sums{}
	for _, sh := range shares {
		f := sh.Feature
		net := 0.0
		if ded >= 0 {
			k, _ := f.Props.At(ded).(float64)
			net = sh.M2 * (1 - k)
		}
		fs := FeatureShare{ID: f.ID, Whole: sh.Whole, Properties: Properties{l, f}, Feature: f,
			Measures: measures(l, ded >= 0, sh.M2, net, sh.LengthM)}
		if sh.Geometry != nil {
			fs.Geometry = geojson.NewGeometry(sh.Geometry)
		}
		lr.Features = append(lr.Features, fs)
		k := ""
		if key >= 0 {
			k = KeyString(f.Props.At(key))
		}
		g := groups[k]
		if g == nil {
			g = &sums{}
			if label >= 0 {
				g.label = KeyString(f.Props.At(label))
			} else {
				g.label = k
			}
			groups[k] = g
		}
		for _, s := range []*sums{g, &total} {
			s.count++
			s.m2 += sh.M2
			s.net += net
			s.lm += sh.LengthM
		}
	}
	lr.Total = Total{Count: total.count, Measures: measures(l, ded >= 0, total.m2, total.net, total.lm)}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		lr.Groups = append(lr.Groups, Group{Key: k, Label: g.label, Count: g.count, Measures: measures(l, ded >= 0, g.m2, g.net, g.lm)})
	}
	return lr
}

func measures(l *layers.Layer, hasNet bool, m2, net, lengthM float64) Measures {
	m := Measures{Amount: AmountOf(m2)}
	if hasNet {
		a := AmountOf(net)
		m.Net = &a
	}
	if l.Geometry == layers.LineString {
		m.LengthM = &lengthM
	}
	return m
}

// LabelField is the field that names a layer's key codes: for a key ending
// in DM or BM (代码, 编码) the field with the same stem ending in MC (名称),
// as DLBM → DLMC, XZQDM → XZQMC, YTQDM → YTQMC; "" when there is none, and
// the key value labels itself.
func LabelField(l *layers.Layer) string {
	k := l.KeyField
	if strings.HasSuffix(k, "DM") || strings.HasSuffix(k, "BM") {
		if mc := k[:len(k)-2] + "MC"; l.FieldIndex(mc) >= 0 {
			return mc
		}
	}
	return ""
}

// KeyString renders an attribute value as a group key ("" for null).
func KeyString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
