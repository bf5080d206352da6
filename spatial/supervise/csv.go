package supervise

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/onemap/onemap/spatial/area"
)

// bom makes Excel read a CSV as UTF-8.
const bom = "\uFEFF"

// csvColumn is one column of a findings CSV.
type csvColumn struct {
	head  string
	value func(r Row) string
}

func m2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
func mu(v float64) string { return strconv.FormatFloat(area.Mu(v), 'f', 4, 64) }

func areaColumns(head, name string) []csvColumn {
	return []csvColumn{
		{head + "(平方米)", func(r Row) string { return m2(r.Areas[name]) }},
		{head + "(亩)", func(r Row) string { return mu(r.Areas[name]) }},
	}
}

func reasonLabels(r Row) string {
	s := make([]string, len(r.Reasons))
	for i, x := range r.Reasons {
		s[i] = x.Label()
	}
	return strings.Join(s, "；")
}

var (
	colID     = csvColumn{"要素编号", func(r Row) string { return strconv.FormatInt(r.ID, 10) }}
	colRegion = csvColumn{"行政区代码", func(r Row) string { return r.Region }}
	colReason = csvColumn{"问题类型", reasonLabels}
	colArea   = []csvColumn{
		{"面积(平方米)", func(r Row) string { return m2(r.AreaM2) }},
		{"面积(亩)", func(r Row) string { return mu(r.AreaM2) }},
	}
	colError = csvColumn{"无法判定原因", func(r Row) string { return r.Error }}
)

func checkColumns() []csvColumn {
	c := func(f func(r Row) string) func(r Row) string {
		return func(r Row) string {
			if r.Check == nil {
				return ""
			}
			return f(r)
		}
	}
	return []csvColumn{
		{"核查结果", c(func(r Row) string { return r.Check.Result.Label() })},
		{"核查意见", c(func(r Row) string { return r.Check.Comment })},
		{"核查人", c(func(r Row) string { return r.Check.User })},
		{"核查时间", c(func(r Row) string { return r.Check.At.Format(time.RFC3339) })},
		{"核查与判定不一致", func(r Row) string {
			if r.Disagrees {
				return "是"
			}
			return ""
		}},
	}
}

func patchColumns() []csvColumn {
	cols := []csvColumn{{"监测编号", func(r Row) string { return r.Key }}, colID, colRegion,
		{"后时相", func(r Row) string { return r.Date }},
		{"判定结果", func(r Row) string { return r.Verdict.Label() }}, colReason}
	cols = append(cols, colArea...)
	cols = append(cols, areaColumns("已批面积", AreaApproved)...)
	cols = append(cols, areaColumns("已供面积", AreaSupplied)...)
	cols = append(cols, areaColumns("未批占用永久基本农田面积", AreaFarmlandUnapproved)...)
	cols = append(cols, areaColumns("占用生态保护红线面积", AreaRedLine)...)
	cols = append(cols, areaColumns("城镇开发边界外面积", AreaOutsideBoundary)...)
	cols = append(cols, areaColumns("占用耕地面积", AreaCultivated)...)
	cols = append(cols, checkColumns()...)
	return append(cols, colError)
}

func miningColumns() []csvColumn {
	cols := []csvColumn{{"监测编号", func(r Row) string { return r.Key }}, colID, colRegion,
		{"监测日期", func(r Row) string { return r.Date }}, colReason}
	cols = append(cols, colArea...)
	cols = append(cols, areaColumns("有效采矿权范围内面积", AreaLicensed)...)
	cols = append(cols, areaColumns("越界面积", AreaOutsideLicence)...)
	return append(cols, colError)
}

func supplyColumns() []csvColumn {
	cols := []csvColumn{{"电子监管号", func(r Row) string { return r.Key }}, colID, colRegion,
		{"约定开工日期", func(r Row) string { return r.Date }}, colReason}
	cols = append(cols, colArea...)
	cols = append(cols, areaColumns("变化图斑面积", AreaPatched)...)
	return append(cols, colError)
}

// WriteCSV writes findings of one judged layer of the engine's rules as
// CSV (UTF-8 with a BOM, Chinese headers), one row per finding: areas in
// m² to 0.01 and 亩 to 0.0001, reasons by their Chinese names.
func (e *Engine) WriteCSV(w io.Writer, layer string, rows []Row) error {
	var cols []csvColumn
	switch layer {
	case e.rules.Roles.Patches:
		cols = patchColumns()
	case e.rules.Roles.Mining:
		cols = miningColumns()
	case e.rules.Roles.Supplies:
		cols = supplyColumns()
	default:
		return fmt.Errorf("csv of %s: %w", layer, ErrNotJudged)
	}
	if _, err := io.WriteString(w, bom); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.head
	}
	cw.Write(rec)
	for _, r := range rows {
		for i, c := range cols {
			rec[i] = c.value(r)
		}
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WriteSummaryCSV writes a summary as CSV (UTF-8 with a BOM, Chinese
// headers): one row per region, then the total; areas in 亩 to 0.0001.
func WriteSummaryCSV(w io.Writer, s *Summary) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	head := []string{"行政区代码", "行政区名称", "变化图斑数", "变化图斑面积(亩)"}
	for _, v := range Verdicts {
		head = append(head, v.Label()+"数", v.Label()+"面积(亩)")
	}
	for _, r := range Reasons {
		head = append(head, r.Label()+"数", r.Label()+"面积(亩)")
	}
	head = append(head, "违法占耕面积(亩)", "违法占耕占变化图斑面积比例(%)", "矿山监测图斑数", "供地数", "供地面积(亩)", "已核查数", "核查与判定不一致数", "无法判定数")
	cw.Write(head)
	n := strconv.Itoa
	write := func(r SummaryRow) {
		rec := []string{r.Code, r.Name, n(r.Patches.Count), mu(r.Patches.AreaM2)}
		for _, v := range Verdicts {
			rec = append(rec, n(r.Verdicts[v].Count), mu(r.Verdicts[v].AreaM2))
		}
		for _, x := range Reasons {
			rec = append(rec, n(r.Reasons[x].Count), mu(r.Reasons[x].AreaM2))
		}
		rec = append(rec, mu(r.IllegalCultivatedM2), strconv.FormatFloat(100*r.IllegalCultivatedShare, 'f', 2, 64),
			n(r.Mining.Count), n(r.Supplies.Count), mu(r.Supplies.AreaM2), n(r.Checked), n(r.Disagreements), n(r.Unjudged))
		cw.Write(rec)
	}
	for _, r := range s.Rows {
		write(r)
	}
	total := s.Total
	total.Code, total.Name = "合计", s.Total.Name
	write(total)
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
