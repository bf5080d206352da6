package query

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/layers"
)

// pgMatches runs one query over every layer table: the SQL of each layer
// (with {t} for its table) joined by UNION ALL, each row the layer, the
// feature id and a distance; it returns, per layer, id → distance.
func pgMatches(t *testing.T, pool *pgxpool.Pool, ls []*layers.Layer, perLayer string, args ...any) map[string]map[int64]float64 {
	t.Helper()
	var parts []string
	for _, l := range ls {
		parts = append(parts, "(SELECT '"+l.ID+"'::text, "+strings.ReplaceAll(perLayer, "{t}", l.Table())+")")
	}
	rows, err := pool.Query(context.Background(), strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		t.Fatalf("%s: %v", perLayer, err)
	}
	defer rows.Close()
	out := map[string]map[int64]float64{}
	for _, l := range ls {
		out[l.ID] = map[int64]float64{}
	}
	for rows.Next() {
		var layer string
		var id int64
		var dist float64
		if err := rows.Scan(&layer, &id, &dist); err != nil {
			t.Fatal(err)
		}
		out[layer][id] = dist
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestQueryAgainstPostGIS compares intersects with ST_Intersects, within
// with ST_Within(feature, geometry) and dwithin with
// ST_DWithin(geography) on every layer, for random polygons, lines and
// points; dwithin outside a band of 0.1 % around the distance (PostGIS
// finds the closest points on a sphere with great-circle edges, then
// measures them on the spheroid).
func TestQueryAgainstPostGIS(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	pool := demotest.PostGIS(t, d)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	matched := map[Relation]int{}
	band := 0
	for gi, g := range randomGeometries(d, 12, 7) {
		gw, err := wkb.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		dist := math.Pow(10, rng.Float64()*3.3) // 1 m to 2 km
		for _, rel := range []Relation{Intersects, Within, DWithin} {
			res, err := Query(ctx, d.Index.Snapshot(), d.Catalog, Request{Geometry: g, Relation: rel, DistanceM: dist, Limit: math.MaxInt})
			if err != nil {
				t.Fatal(err)
			}
			var all map[string]map[int64]float64
			switch rel {
			case Intersects:
				all = pgMatches(t, pool, d.Catalog.Layers, `fid, 0::float8 FROM {t} WHERE ST_Intersects(geom, ST_GeomFromWKB($1, 4490))`, gw)
			case Within:
				all = pgMatches(t, pool, d.Catalog.Layers, `fid, 0::float8 FROM {t} WHERE ST_Within(geom, ST_GeomFromWKB($1, 4490))`, gw)
			case DWithin:
				all = pgMatches(t, pool, d.Catalog.Layers, `fid, ST_Distance(geom::geography, ST_GeomFromWKB($1, 4490)::geography)
					FROM {t} WHERE ST_DWithin(geom::geography, ST_GeomFromWKB($1, 4490)::geography, $2)`, gw, dist*1.002)
			}
			for li, l := range d.Catalog.Layers {
				got := map[int64]bool{}
				for _, f := range res[li].Features {
					got[f.ID] = true
				}
				want := all[l.ID]
				name := fmt.Sprintf("geometry %d (%s) %s %s", gi, g.GeoJSONType(), rel, l.ID)
				for id, pd := range want {
					if rel == DWithin {
						if math.Abs(pd-dist) <= 0.001*dist {
							band++
							delete(got, id)
							continue
						}
						if pd > dist {
							if got[id] {
								t.Errorf("%s %.3f m: feature %d listed, PostGIS distance %.4f", name, dist, id, pd)
							}
							delete(got, id)
							continue
						}
					}
					if !got[id] {
						t.Errorf("%s: PostGIS finds feature %d (distance %.4f), onemap does not", name, id, pd)
					}
					delete(got, id)
					matched[rel]++
				}
				for id := range got {
					t.Errorf("%s: onemap finds feature %d, PostGIS does not", name, id)
				}
			}
		}
	}
	if matched[Intersects] < 300 || matched[Within] < 50 || matched[DWithin] < 300 {
		t.Errorf("too few matches to tell: %v", matched)
	}
	t.Logf("matches %v; %d dwithin answers in the 0.1 %% band", matched, band)
}

// TestIdentifyAgainstPostGIS compares identify with ST_Intersects for
// polygons and ST_DWithin(geography) for points and lines.
func TestIdentifyAgainstPostGIS(t *testing.T) {
	d := demotest.Load(t, 1, testScale)
	pool := demotest.PostGIS(t, d)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(8, 8))
	b := d.Manifest.Bounds
	hits := 0
	for i := range 60 {
		pt := orb.Point{b[0] + (b[2]-b[0])*rng.Float64(), b[1] + (b[3]-b[1])*rng.Float64()}
		if i%10 == 0 { // a parcel vertex, on several boundaries
			fs := d.Features["dltb"]
			pt = fs[rng.IntN(len(fs))].Geometry.(orb.MultiPolygon)[0][0][0]
		}
		tol := []float64{0, 10, 100, 400}[i%4]
		res, err := Identify(ctx, d.Index.Snapshot(), d.Catalog, pt, IdentifyOptions{ToleranceM: tol})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]map[int64]bool{}
		for _, r := range res {
			got[r.Layer] = map[int64]bool{}
			for _, f := range r.Features {
				got[r.Layer][f.ID] = true
			}
		}
		pw, _ := wkb.Marshal(pt)
		var polys, others []*layers.Layer
		for _, l := range d.Catalog.Layers {
			if l.Geometry == layers.Polygon {
				polys = append(polys, l)
			} else {
				others = append(others, l)
			}
		}
		all := pgMatches(t, pool, polys, `fid, 0::float8 FROM {t} WHERE ST_Intersects(geom, ST_GeomFromWKB($1, 4490))`, pw)
		for k, v := range pgMatches(t, pool, others, `fid, ST_Distance(geom::geography, ST_GeomFromWKB($1, 4490)::geography)
			FROM {t} WHERE ST_DWithin(geom::geography, ST_GeomFromWKB($1, 4490)::geography, $2)`, pw, tol*1.002) {
			all[k] = v
		}
		for _, l := range d.Catalog.Layers {
			want := all[l.ID]
			for id, pd := range want {
				if l.Geometry != layers.Polygon && tol > 0 && math.Abs(pd-tol) <= 0.001*tol {
					delete(got[l.ID], id)
					continue
				}
				if l.Geometry != layers.Polygon && pd > tol {
					if got[l.ID][id] {
						t.Errorf("point %v %s: feature %d listed, PostGIS distance %.4f > %v", pt, l.ID, id, pd, tol)
					}
					delete(got[l.ID], id)
					continue
				}
				if !got[l.ID][id] {
					t.Errorf("point %v tolerance %v %s: PostGIS finds feature %d, onemap does not", pt, tol, l.ID, id)
				}
				delete(got[l.ID], id)
				hits++
			}
			for id := range got[l.ID] {
				t.Errorf("point %v tolerance %v %s: onemap finds feature %d, PostGIS does not", pt, tol, l.ID, id)
			}
		}
	}
	if hits < 300 {
		t.Errorf("only %d hits", hits)
	}
}
