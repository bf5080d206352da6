package overlay

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/onemap/onemap/internal/demotest"
)

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Fatal("no UTF-8 BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestCSV(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	site := randomSites(d, 1, 5)[0]
	rep, err := Overlay(context.Background(), d.Index.Snapshot(), d.Catalog, site, Options{Layers: []string{"dltb", "jtlw"}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	if strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") || rows[0][7] != "面积(平方米)" {
		t.Fatalf("header %v", rows[0])
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	num := func(r []string, h string) float64 {
		v, err := strconv.ParseFloat(r[col[h]], 64)
		if err != nil {
			t.Fatalf("%s %q: %v", h, r[col[h]], err)
		}
		return v
	}
	if rows[1][col["行类型"]] != "分析范围" || num(rows[1], "面积(平方米)") != roundTo(rep.Area.M2, 2) {
		t.Errorf("site row %v, area %.2f", rows[1], rep.Area.M2)
	}
	want := 2
	for _, l := range rep.Layers {
		want += len(l.Groups) + 1 + len(l.Features)
	}
	if len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	// Group rows of dltb add up to its total row; feature rows carry DLMC.
	var groups, total, net float64
	features := 0
	for _, r := range rows[2:] {
		if r[col["图层"]] != "dltb" {
			continue
		}
		switch r[col["行类型"]] {
		case "分组":
			groups += num(r, "面积(平方米)")
			net += num(r, "扣除后面积(平方米)")
		case "合计":
			total = num(r, "面积(平方米)")
			if d := num(r, "扣除后面积(平方米)") - net; d > 0.01*float64(len(rep.Layers[0].Groups)) || d < -0.01*float64(len(rep.Layers[0].Groups)) {
				t.Errorf("net total %v, groups sum %v", r, net)
			}
		case "要素":
			features++
			if r[col["类别名称"]] == "" || r[col["类别代码"]] == "" || r[col["长度(米)"]] != "" {
				t.Errorf("feature row %v", r)
			}
		}
	}
	if diff := groups - total; diff > 0.01*float64(len(rep.Layers[0].Groups)) || diff < -0.01*float64(len(rep.Layers[0].Groups)) || total != roundTo(rep.Layers[0].Total.M2, 2) {
		t.Errorf("groups sum %.2f, total row %.2f, report %.4f", groups, total, rep.Layers[0].Total.M2)
	}
	if features != len(rep.Layers[0].Features) || features == 0 {
		t.Errorf("%d feature rows for %d features", features, len(rep.Layers[0].Features))
	}
}

func roundTo(v float64, prec int) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64), 64)
	return f
}

func TestComplianceCSV(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	for _, st := range d.Manifest.Sites {
		if st.Pass {
			continue
		}
		rep, err := Compliance(context.Background(), d.Index.Snapshot(), d.Catalog, siteGeometry(st), ComplianceOptions{AsOf: d.Manifest.AsOf})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteComplianceCSV(&buf, rep); err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, buf.Bytes())
		if len(rows) != len(Controls)+2 || rows[0][0] != "审查项" {
			t.Fatalf("rows %v", rows)
		}
		for i, c := range rep.Controls {
			r := rows[i+1]
			verdict := map[bool]string{true: "通过", false: "不通过"}[c.Pass]
			if r[0] != c.Control || r[3] != verdict || len(strings.Split(r[6], ";")) != max(1, len(c.Features)) {
				t.Errorf("row %v for %+v", r, c)
			}
		}
		if rows[len(rows)-1][3] != "不通过" {
			t.Errorf("failing site: last row %v", rows[len(rows)-1])
		}
		return
	}
}
