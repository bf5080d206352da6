package supervise_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/spatial/supervise"
)

// verdictSQL recomputes DESIGN.md's change-patch rules in PostGIS, with
// nothing of onemap but the tables: per patch the unions of each role
// (approvals dated on or before the photo), the rule areas on the
// ellipsoid (geography), then the verdict and reasons.
const verdictSQL = `
WITH p AS (SELECT fid, geom, hsx FROM wpbhtb),
u AS (
  SELECT p.fid, p.geom,
    (SELECT ST_Union(a.geom) FROM jsydsp a WHERE a.geom && p.geom AND ST_Intersects(a.geom, p.geom) AND a.pzrq <= p.hsx) AS a,
    (SELECT ST_Union(s.geom) FROM tdgy s WHERE s.geom && p.geom AND ST_Intersects(s.geom, p.geom)) AS s,
    (SELECT ST_Union(f.geom) FROM yjjbnt f WHERE f.geom && p.geom AND ST_Intersects(f.geom, p.geom)) AS f,
    (SELECT ST_Union(r.geom) FROM stbhhx r WHERE r.geom && p.geom AND ST_Intersects(r.geom, p.geom)) AS r,
    (SELECT ST_Union(b.geom) FROM czkfbj b WHERE b.geom && p.geom AND ST_Intersects(b.geom, p.geom)) AS b
  FROM p),
m AS (
  SELECT fid,
    ST_Area(geom::geography) AS area,
    coalesce(ST_Area(ST_Intersection(geom, a)::geography), 0) AS approved,
    coalesce(ST_Area(ST_Intersection(geom, s)::geography), 0) AS supplied,
    coalesce(ST_Area(coalesce(ST_Difference(ST_Intersection(geom, f), a), ST_Intersection(geom, f))::geography), 0) AS farmland_unapproved,
    coalesce(ST_Area(ST_Intersection(geom, r)::geography), 0) AS red_line,
    ST_Area(coalesce(ST_Difference(geom, b), geom)::geography) AS outside_boundary
  FROM u)
SELECT fid, area, approved, supplied, farmland_unapproved, red_line, outside_boundary,
  CASE WHEN approved / area >= $1 AND supplied / area >= $1 THEN 'legal'
       WHEN approved / area >= $1 THEN 'approved_not_supplied'
       ELSE 'unapproved' END AS verdict,
  array_remove(ARRAY[
    CASE WHEN farmland_unapproved >= $2 THEN 'occupies_basic_farmland' END,
    CASE WHEN red_line >= $2 THEN 'occupies_red_line' END,
    CASE WHEN outside_boundary >= $2 THEN 'outside_development_boundary' END], NULL) AS reasons
FROM m ORDER BY fid`

// TestVerdictsAgainstPostGIS: an independent recomputation of every
// change patch's verdict in SQL agrees with the engine on the demo, the
// rule areas within 0.001 % (PostGIS measures on WGS84's ellipsoid,
// onemap on CGCS2000's) or 0.01 m².
func TestVerdictsAgainstPostGIS(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	pool := demotest.PostGIS(t, d, "wpbhtb", "jsydsp", "tdgy", "yjjbnt", "stbhhx", "czkfbj")
	e := readyEngine(t, d.Index, supervise.Options{})
	rules := e.Rules()
	rows, err := pool.Query(context.Background(), verdictSQL, rules.Coverage, rules.MinAreaM2)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	names := []string{supervise.AreaApproved, supervise.AreaSupplied, supervise.AreaFarmlandUnapproved, supervise.AreaRedLine, supervise.AreaOutsideBoundary}
	for rows.Next() {
		var id int64
		var areaM2 float64
		a := make([]float64, len(names))
		var verdict string
		var reasons []string
		if err := rows.Scan(&id, &areaM2, &a[0], &a[1], &a[2], &a[3], &a[4], &verdict, &reasons); err != nil {
			t.Fatal(err)
		}
		got, err := e.Finding("wpbhtb", id)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if string(got.Verdict) != verdict || !slices.Equal(reasonStrings(got.Reasons), reasons) {
			t.Errorf("patch %d: engine %s %v, PostGIS %s %v", id, got.Verdict, got.Reasons, verdict, reasons)
		}
		for i, name := range names {
			if g := got.Areas[name]; math.Abs(g-a[i]) > 0.01 && math.Abs(g-a[i]) > 1e-5*a[i] {
				t.Errorf("patch %d: %s engine %.4f m², PostGIS %.4f", id, name, g, a[i])
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(d.Features["wpbhtb"]) || n == 0 {
		t.Errorf("PostGIS judged %d of %d patches", n, len(d.Features["wpbhtb"]))
	}
	t.Logf("%d change patches agree with PostGIS", n)
}
