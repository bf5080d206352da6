package cql2

import (
	"testing"
)

// BenchmarkMatch evaluates filters over the demo parcels (about 3,000),
// reporting the cost per feature.
func BenchmarkMatch(b *testing.B) {
	cat, feats := demoData(b)
	cases := []struct{ name, layer, filter string }{
		{"eq-string", "dltb", `DLBM = '0101'`},
		{"gt-number", "dltb", `TBMJ > 5000`},
		{"and-or", "dltb", `DLBM LIKE '01%' AND TBMJ > 1000 OR DLMC IS NULL`},
		{"in-6", "dltb", `DLBM IN ('0101', '0102', '0103', '0201', '0301', '1101')`},
		{"like-general", "dltb", `ZLDWDM LIKE '4299__1%'`},
		{"last-field", "dltb", `SJNF = 2024`},
		{"date-between", "wpbhtb", `HSX BETWEEN DATE('2025-01-01') AND DATE('2025-06-30')`},
	}
	for _, tc := range cases {
		e, err := ParseText(tc.filter)
		if err != nil {
			b.Fatal(err)
		}
		f, err := Compile(e, cat.Layer(tc.layer), Options{})
		if err != nil {
			b.Fatal(err)
		}
		fs := feats[tc.layer]
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, feat := range fs {
					if f.Match(feat) {
						n++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(fs)), "ns/feature")
			if n == 0 {
				b.Fatal("nothing matched")
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	text := `DLBM IN ('0101', '0102') AND TBMJ BETWEEN 1000 AND 5000 AND S_INTERSECTS(geometry, BBOX(113, 30.5, 113.1, 30.6)) OR DLMC LIKE '%田'`
	js := []byte(`{"op":"and","args":[{"op":"in","args":[{"property":"DLBM"},["0101","0102"]]},{"op":"between","args":[{"property":"TBMJ"},1000,5000]},{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[113,30.5,113.1,30.6]}]}]}`)
	b.Run("text", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseText(text); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseJSON(js); err != nil {
				b.Fatal(err)
			}
		}
	})
}
