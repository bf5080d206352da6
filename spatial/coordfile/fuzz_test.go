package coordfile

import (
	"math"
	"os"
	"testing"
)

// FuzzParse: no file panics the reader, and every accepted parcel has
// closed rings of finite coordinates and a known CRS.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/site38.txt", "testdata/site38_gbk.txt"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte("[属性描述]\n带号=38\n[地块坐标]\n4,1,1,a,面,,,,@\nJ1,1,3400000,38500000\nJ2,1,3400000,38500100\nJ3,1,3400100,38500100\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, repair bool) {
		file, err := Parse(b, Options{Repair: repair})
		if err != nil {
			return
		}
		if file.CRS.EPSG == 0 {
			t.Fatal("accepted without a CRS")
		}
		for _, p := range file.Parcels {
			for _, poly := range p.Geometry {
				for _, r := range poly {
					if len(r) < 4 || r[0] != r[len(r)-1] {
						t.Fatalf("parcel %s: ring %v", p.Number, r)
					}
					for _, pt := range r {
						if math.IsNaN(pt[0]) || math.IsInf(pt[0], 0) || math.IsNaN(pt[1]) || math.IsInf(pt[1], 0) {
							t.Fatalf("parcel %s: point %v", p.Number, pt)
						}
					}
				}
			}
		}
	})
}
