package overlay

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// bom makes Excel read the CSV as UTF-8.
const bom = "\uFEFF"

// csvHeader are the columns of an overlay report as CSV.
var csvHeader = []string{"图层", "图层名称", "行类型", "类别代码", "类别名称", "要素编号", "要素数",
	"面积(平方米)", "面积(公顷)", "面积(亩)", "扣除后面积(平方米)", "扣除后面积(公顷)", "扣除后面积(亩)", "长度(米)"}

// Row types of the overlay CSV.
const (
	rowSite    = "分析范围"
	rowGroup   = "分组"
	rowTotal   = "合计"
	rowFeature = "要素"
)

// WriteCSV writes an overlay report as CSV (UTF-8 with a BOM, Chinese
// headers): one row for the site, then for each layer its groups, its total
// and its features. Areas are in m² to 0.01, ha and 亩 to 0.0001, lengths
// in metres to 0.01; a column that does not apply is empty.
func WriteCSV(w io.Writer, r *Report) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	cw.Write(csvRow("", "", rowSite, "", "", "", "", Measures{Amount: r.Area}))
	for _, l := range r.Layers {
		for _, g := range l.Groups {
			cw.Write(csvRow(l.Layer, l.Name, rowGroup, g.Key, g.Label, "", strconv.Itoa(g.Count), g.Measures))
		}
		cw.Write(csvRow(l.Layer, l.Name, rowTotal, "", "", "", strconv.Itoa(l.Total.Count), l.Total.Measures))
		key, label := -1, -1
		if l.layer != nil {
			key, label = l.layer.FieldIndex(l.KeyField), l.layer.FieldIndex(LabelField(l.layer))
		}
		for _, f := range l.Features {
			k, lab := "", ""
			if key >= 0 {
				k = KeyString(f.Feature.Props.At(key))
				lab = k
			}
			if label >= 0 {
				lab = KeyString(f.Feature.Props.At(label))
			}
			cw.Write(csvRow(l.Layer, l.Name, rowFeature, k, lab, strconv.FormatInt(f.ID, 10), "1", f.Measures))
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func csvRow(layer, name, kind, key, label, id, count string, m Measures) []string {
	row := []string{layer, name, kind, key, label, id, count, fixed(m.M2, 2), fixed(m.Ha, 4), fixed(m.Mu, 4), "", "", "", ""}
	if m.Net != nil {
		row[10], row[11], row[12] = fixed(m.Net.M2, 2), fixed(m.Net.Ha, 4), fixed(m.Net.Mu, 4)
	}
	if m.LengthM != nil {
		row[13] = fixed(*m.LengthM, 2)
	}
	return row
}

func fixed(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

// complianceHeader are the columns of a compliance review as CSV.
var complianceHeader = []string{"审查项", "审查项名称", "图层", "结论", "面积(平方米)", "面积(亩)", "涉及要素", "涉及面积(平方米)"}

// WriteComplianceCSV writes a compliance review as CSV (UTF-8 with a BOM,
// Chinese headers): one row per control, the features involved and their
// areas joined by ";", then a row with the overall verdict and the site's
// area.
func WriteComplianceCSV(w io.Writer, r *ComplianceReport) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	verdict := func(pass bool) string {
		if pass {
			return "通过"
		}
		return "不通过"
	}
	cw := csv.NewWriter(w)
	cw.Write(complianceHeader)
	for _, c := range r.Controls {
		ids := make([]string, len(c.Features))
		m2s := make([]string, len(c.FeaturesM2))
		for i, id := range c.Features {
			ids[i] = strconv.FormatInt(id, 10)
			m2s[i] = fixed(c.FeaturesM2[i], 2)
		}
		cw.Write([]string{c.Control, c.Name, c.Layer, verdict(c.Pass), fixed(c.M2, 2), fixed(c.Mu, 4), strings.Join(ids, ";"), strings.Join(m2s, ";")})
	}
	cw.Write([]string{"total", "审查结论(截至 " + r.AsOf + ")", "", verdict(r.Pass), fixed(r.Area.M2, 2), fixed(r.Area.Mu, 4), "", ""})
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
