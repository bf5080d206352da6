package cql2

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/onemap/onemap/fixtures"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
)

// testLayers are the demo layers the filters are checked on.
var testLayers = []string{"dltb", "wpbhtb", "tdgy", "ckq"}

var demo struct {
	once  sync.Once
	cat   *layers.Catalog
	feats map[string][]*layers.Feature
	err   error
}

// demoData is the demo dataset (about 3,000 parcels) with ids 1..N per
// layer in stream order, as a store assigns them. Some dltb DLMC and TBMJ
// values are nulled so that three-valued logic is exercised.
func demoData(t testing.TB) (*layers.Catalog, map[string][]*layers.Feature) {
	demo.once.Do(func() {
		demo.cat = layers.DefaultCatalog()
		demo.feats = map[string][]*layers.Feature{}
		_, demo.err = fixtures.Generate(context.Background(), demo.cat, fixtures.Config{Seed: 1, Scale: 3000}, func(l string, fs iter.Seq2[*layers.Feature, error]) error {
			keep := slices.Contains(testLayers, l)
			var id int64
			for f, err := range fs {
				if err != nil {
					return err
				}
				id++
				if !keep {
					continue
				}
				g := *f
				g.ID = id
				if l == "dltb" && (id%5 == 0 || id%7 == 0) {
					vals := g.Props.Values()
					if id%5 == 0 {
						vals[demo.cat.Layer(l).FieldIndex("DLMC")] = nil
					}
					if id%7 == 0 {
						vals[demo.cat.Layer(l).FieldIndex("TBMJ")] = nil
					}
					g.Props = layers.NewProps(vals...)
				}
				demo.feats[l] = append(demo.feats[l], &g)
			}
			return nil
		})
	})
	if demo.err != nil {
		t.Fatal(demo.err)
	}
	return demo.cat, demo.feats
}

// loadPostgres copies the test layers into PostgreSQL tables with typed
// columns (text, double precision, bigint, date) and the geometry as WKB.
func loadPostgres(t *testing.T, cat *layers.Catalog, feats map[string][]*layers.Feature) *pgx.Conn {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	for _, id := range testLayers {
		l := cat.Layer(id)
		cols := []string{"id", "wkb"}
		ddl := "CREATE TABLE " + id + " (id bigint PRIMARY KEY, wkb bytea"
		for _, f := range l.Fields {
			typ := map[layers.FieldType]string{layers.String: "text", layers.Integer: "bigint", layers.Number: "double precision", layers.Date: "date"}[f.Type]
			ddl += ", " + f.Column() + " " + typ
			cols = append(cols, f.Column())
		}
		if _, err := conn.Exec(ctx, ddl+")"); err != nil {
			t.Fatal(err)
		}
		var rows [][]any
		for _, f := range feats[id] {
			b, err := wkb.Marshal(f.Geometry)
			if err != nil {
				t.Fatal(err)
			}
			row := []any{f.ID, b}
			for i, fd := range l.Fields {
				v := f.Props.At(i)
				if s, ok := v.(string); ok && fd.Type == layers.Date {
					d, err := time.Parse(time.DateOnly, s)
					if err != nil {
						t.Fatal(err)
					}
					v = d
				}
				row = append(row, v)
			}
			rows = append(rows, row)
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{id}, cols, pgx.CopyFromRows(rows)); err != nil {
			t.Fatalf("copy %s: %v", id, err)
		}
	}
	return conn
}

// TestAgainstPostgres evaluates each filter with onemap and the same
// condition written by hand in SQL, and compares the ids that match.
func TestAgainstPostgres(t *testing.T) {
	cat, feats := demoData(t)
	conn := loadPostgres(t, cat, feats)
	var all orb.Bound
	for i, f := range feats["dltb"] {
		if i == 0 {
			all = f.Bound()
		}
		all = all.Union(f.Bound())
	}
	c, w, h := all.Center(), all.Max[0]-all.Min[0], all.Max[1]-all.Min[1]
	box := orb.Bound{Min: orb.Point{c[0] - w/20, c[1] - h/20}, Max: orb.Point{c[0] + w/20, c[1] + h/20}}
	tri := fmt.Sprintf("POLYGON((%f %f, %f %f, %f %f, %f %f))", c[0], c[1], c[0]+w/8, c[1], c[0], c[1]+h/8, c[0], c[1])
	boxText := fmt.Sprintf("BBOX(%f, %f, %f, %f)", box.Min[0], box.Min[1], box.Max[0], box.Max[1])
	boxSQL := fmt.Sprintf("ST_MakeEnvelope(%f, %f, %f, %f, 4490)", box.Min[0], box.Min[1], box.Max[0], box.Max[1])
	cases := []struct {
		layer, filter, sql string
	}{
		{"dltb", `DLBM = '0101'`, `dlbm = '0101'`},
		{"dltb", `DLBM <> '0101'`, `dlbm <> '0101'`},
		{"dltb", `TBMJ > 5000`, `tbmj > 5000`},
		{"dltb", `TBMJ <= 2500.5`, `tbmj <= 2500.5`},
		{"dltb", `TBMJ BETWEEN 1000 AND 3000`, `tbmj BETWEEN 1000 AND 3000`},
		{"dltb", `TBMJ NOT BETWEEN 1000 AND 3000`, `tbmj NOT BETWEEN 1000 AND 3000`},
		{"dltb", `NOT (TBMJ < 2000)`, `NOT (tbmj < 2000)`},
		{"dltb", `DLBM IN ('0101', '0102', '0103', '0201', '0301', '1101')`, `dlbm IN ('0101', '0102', '0103', '0201', '0301', '1101')`},
		{"dltb", `DLBM IN ('0101', '0102')`, `dlbm IN ('0101', '0102')`},
		{"dltb", `DLBM NOT IN ('0101', '0102')`, `dlbm NOT IN ('0101', '0102')`},
		{"dltb", `DLBM LIKE '01%'`, `dlbm LIKE '01%'`},
		{"dltb", `DLMC LIKE '%地'`, `dlmc LIKE '%地'`},
		{"dltb", `DLMC LIKE '_田'`, `dlmc LIKE '_田'`},
		{"dltb", `DLMC LIKE '%林%'`, `dlmc LIKE '%林%'`},
		{"dltb", `ZLDWDM LIKE '4299__1%'`, `zldwdm LIKE '4299__1%'`},
		{"dltb", `DLMC NOT LIKE '%地'`, `dlmc NOT LIKE '%地'`},
		{"dltb", `DLMC IS NULL`, `dlmc IS NULL`},
		{"dltb", `DLMC IS NOT NULL AND TBMJ IS NULL`, `dlmc IS NOT NULL AND tbmj IS NULL`},
		{"dltb", `DLBM LIKE '01%' AND TBMJ > 1000 OR DLMC IS NULL`, `dlbm LIKE '01%' AND tbmj > 1000 OR dlmc IS NULL`},
		{"dltb", `NOT (DLMC = '水田' OR TBMJ > 4000)`, `NOT (dlmc = '水田' OR tbmj > 4000)`},
		{"dltb", `dlbm = '0301' and kcxs >= 0`, `dlbm = '0301' AND kcxs >= 0`},
		{"dltb", `SJNF = 2024 AND KCXS > 0.05`, `sjnf = 2024 AND kcxs > 0.05`},
		{"dltb", `TBMJ > KCXS * 0`, ``}, // not in the subset: must fail to parse
		{"dltb", `S_INTERSECTS(geometry, ` + boxText + `)`, `ST_Intersects(ST_GeomFromWKB(wkb, 4490), ` + boxSQL + `)`},
		{"dltb", `S_INTERSECTS(geometry, ` + tri + `) AND DLBM LIKE '01%'`, `ST_Intersects(ST_GeomFromWKB(wkb, 4490), ST_GeomFromText('` + tri + `', 4490)) AND dlbm LIKE '01%'`},
		{"dltb", `S_INTERSECTS(geometry, ` + boxText + `) OR TBMJ > 9000`, `ST_Intersects(ST_GeomFromWKB(wkb, 4490), ` + boxSQL + `) OR tbmj > 9000`},
		{"wpbhtb", `HSX BETWEEN DATE('2025-01-01') AND DATE('2025-06-30')`, `hsx BETWEEN DATE '2025-01-01' AND DATE '2025-06-30'`},
		// The demo's HSX dates are quarter ends; timestamps on and around
		// midnight of 2025-06-30 test the date-against-instant ordering.
		{"wpbhtb", `HSX > TIMESTAMP('2025-06-30T12:00:00Z')`, `hsx > TIMESTAMPTZ '2025-06-30T12:00:00Z'`},
		{"wpbhtb", `HSX >= TIMESTAMP('2025-06-30T00:00:00Z')`, `hsx >= TIMESTAMPTZ '2025-06-30T00:00:00Z'`},
		{"wpbhtb", `HSX > TIMESTAMP('2025-06-30T00:00:00Z')`, `hsx > TIMESTAMPTZ '2025-06-30T00:00:00Z'`},
		{"wpbhtb", `HSX < TIMESTAMP('2025-06-30T00:00:00.5Z')`, `hsx < TIMESTAMPTZ '2025-06-30T00:00:00.5Z'`},
		{"wpbhtb", `HSX <= TIMESTAMP('2025-06-30T08:30:00+08:00')`, `hsx <= TIMESTAMPTZ '2025-06-30T08:30:00+08:00'`},
		{"wpbhtb", `HSX = TIMESTAMP('2025-06-30T08:00:00+08:00') OR HSX = DATE('2025-12-15')`, `hsx = TIMESTAMPTZ '2025-06-30T08:00:00+08:00' OR hsx = DATE '2025-12-15'`},
		{"wpbhtb", `HSX = TIMESTAMP('2025-06-30T09:00:00+08:00') OR HSX = DATE('2025-12-15')`, `hsx = TIMESTAMPTZ '2025-06-30T09:00:00+08:00' OR hsx = DATE '2025-12-15'`},
		{"wpbhtb", `HSX > '2025-05-01'`, `hsx > DATE '2025-05-01'`},
		{"wpbhtb", `QSX >= HSX OR HSX = DATE('2025-03-31')`, `qsx >= hsx OR hsx = DATE '2025-03-31'`},
		{"wpbhtb", `QSX IS NULL OR BHLX = '新增建设'`, `qsx IS NULL OR bhlx = '新增建设'`},
		{"tdgy", `HTKGRQ < DATE('2024-01-01') AND GDFS = '出让'`, `htkgrq < DATE '2024-01-01' AND gdfs = '出让'`},
		{"ckq", `YXQQ <= DATE('2025-12-31') AND YXQZ >= DATE('2025-12-31')`, `yxqq <= DATE '2025-12-31' AND yxqz >= DATE '2025-12-31'`},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.layer+": "+tc.filter, func(t *testing.T) {
			e, err := ParseText(tc.filter)
			if tc.sql == "" {
				if err == nil {
					t.Fatal("parsed, but arithmetic is not in the subset")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f, err := Compile(e, cat.Layer(tc.layer), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, feat := range feats[tc.layer] {
				if f.Match(feat) {
					got = append(got, feat.ID)
				}
			}
			rows, err := conn.Query(ctx, "SELECT id FROM "+tc.layer+" WHERE "+tc.sql+" ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			want, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("onemap matched %d, PostgreSQL %d; first difference %v", len(got), len(want), firstDiff(got, want))
			}
			// A filter that matches nothing or everything proves little.
			if len(want) == 0 || len(want) == len(feats[tc.layer]) {
				t.Fatalf("the case is trivial on the demo data: %d of %d match", len(want), len(feats[tc.layer]))
			}
			// The query engine may search the R-tree with the filter's bound:
			// nothing that matches may lie outside it.
			if b, ok := f.Bound(); ok {
				for _, feat := range feats[tc.layer] {
					if f.Match(feat) && !feat.Bound().Intersects(b) {
						t.Fatalf("feature %d matches outside the filter's bound", feat.ID)
					}
				}
			}
		})
	}
}

func firstDiff(a, b []int64) string {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: %d vs %d", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}
