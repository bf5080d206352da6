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
