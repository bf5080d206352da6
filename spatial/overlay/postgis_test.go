package overlay

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/onemap/onemap/internal/demotest"
	"github.com/onemap/onemap/internal/randsite"
	"github.com/onemap/onemap/layers"
)

// oracleScale is big enough for 100 km² sites to cross counties and
// thousands of parcels (about 115 km² of demo world).
const oracleScale = 10000

// oracleSites are sites of 0.01 to 100 km², log-uniform, the extremes
// included, centred in the demo world.
func oracleSites(d *demotest.Dataset) []orb.MultiPolygon {
	rng := rand.New(rand.NewPCG(10, 100))
	b := d.Manifest.Bounds
	var out []orb.MultiPolygon
	for i := range 14 {
		km2 := math.Pow(10, -2+4*rng.Float64())
		switch i {
		case 0:
			km2 = 0.01
		case 1:
			km2 = 100
		case 2:
			km2 = 1
		}
		c := orb.Point{b[0] + (b[2]-b[0])*(0.25+0.5*rng.Float64()), b[1] + (b[3]-b[1])*(0.25+0.5*rng.Float64())}
		out = append(out, orb.MultiPolygon{randsite.Polygon(rng, c, km2*1e6, 5+rng.IntN(40), 0.45)})
	}
	return out
}

// TestOverlayAgainstPostGIS compares every polygon layer's overlay with
// PostGIS: per feature, per key group and in total,
// ST_Area(ST_Intersection(feature, site)::geography) summed, within
// 0.001 %. PostGIS measures on WGS84's ellipsoid, onemap on CGCS2000's; the
// site's own area shows how far apart the two are.
func TestOverlayAgainstPostGIS(t *testing.T) {
	d := demotest.Load(t, 1, oracleScale)
	pool := demotest.PostGIS(t, d)
	ctx := context.Background()
	var worstFeature, worstGroup, worstTotal, worstSite float64
	parcels, counties := 0, 0
	for si, site := range oracleSites(d) {
		siteWKB, err := wkb.Marshal(site)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Overlay(ctx, d.Index.Snapshot(), d.Catalog, site, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var pgSite float64
		if err := pool.QueryRow(ctx, `SELECT ST_Area(ST_GeomFromWKB($1, 4490)::geography)`, siteWKB).Scan(&pgSite); err != nil {
			t.Fatal(err)
		}
		worstSite = max(worstSite, rel(rep.Area.M2, pgSite))
		for _, lr := range rep.Layers {
			l := d.Catalog.Layer(lr.Layer)
			if l.Geometry != layers.Polygon {
				continue
			}
			rows, err := pool.Query(ctx, fmt.Sprintf(`WITH s AS (SELECT ST_GeomFromWKB($1, 4490) AS g)
				SELECT t.fid, coalesce(t.%s::text, ''), ST_Area(ST_Intersection(t.geom, s.g)::geography)
				FROM %s t, s WHERE ST_Intersects(t.geom, s.g)`, l.Fields[l.FieldIndex(l.KeyField)].Column(), l.Table()), siteWKB)
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]float64{}
			groups := map[string]float64{}
			var total float64
			for rows.Next() {
				var id int64
				var key string
				var a float64
				if err := rows.Scan(&id, &key, &a); err != nil {
					t.Fatal(err)
				}
				if a > 0 {
					want[id] = a
				}
				groups[key] += a
				total += a
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("site %d (%.2f km²) %s", si, rep.Area.M2/1e6, l.ID)
			for _, fs := range lr.Features {
				w, ok := want[fs.ID]
				if !ok {
					t.Errorf("%s: feature %d (%.6f m²) not in PostGIS's answer", name, fs.ID, fs.M2)
					continue
				}
				delete(want, fs.ID)
				// Slivers of a few m² are held to Karney's absolute noise
				// (about 1e-4 m², see spatial/area) rather than 0.001 %.
				if r := rel(fs.M2, w); r > 1e-5 && math.Abs(fs.M2-w) > 2e-4 {
					t.Errorf("%s feature %d: %.6f m², PostGIS %.6f (%.2g)", name, fs.ID, fs.M2, w, r)
				} else if w > 1 {
					worstFeature = max(worstFeature, r)
				}
			}
			for id, a := range want {
				if a > 1e-6 {
					t.Errorf("%s: PostGIS finds feature %d sharing %.6f m², onemap does not", name, id, a)
				}
			}
			for _, g := range lr.Groups {
				if r := rel(g.M2, groups[g.Key]); r > 1e-5 {
					t.Errorf("%s group %s: %.4f m², PostGIS %.4f (%.2g)", name, g.Key, g.M2, groups[g.Key], r)
				} else if groups[g.Key] > 1 {
					worstGroup = max(worstGroup, r)
				}
			}
			if r := rel(lr.Total.M2, total); r > 1e-5 {
				t.Errorf("%s total: %.4f m², PostGIS %.4f (%.2g)", name, lr.Total.M2, total, r)
			} else if total > 1 {
				worstTotal = max(worstTotal, r)
			}
			switch l.ID {
			case "dltb":
				parcels += lr.Total.Count
			case "xzq":
				counties += lr.Total.Count
			}
		}
	}
	if parcels < 5000 || counties < 20 {
		t.Errorf("the sites met %d parcels and %d admin units: they do not test much", parcels, counties)
	}
	t.Logf("largest relative differences from PostGIS: feature %.2g, group %.2g, layer total %.2g; site area (CGCS2000 vs WGS84) %.2g",
		worstFeature, worstGroup, worstTotal, worstSite)
}

func rel(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}
