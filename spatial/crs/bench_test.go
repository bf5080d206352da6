package crs

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// zoneRing is a closed ring of n vertices around a point of 3° zone 39.
func zoneRing(n int) orb.Polygon {
	r := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		r = append(r, orb.Point{39500000 + 1000*math.Cos(a), 3400000 + 1000*math.Sin(a)})
	}
	return orb.Polygon{append(r, r[0])}
}

func BenchmarkZoneToCGCS2000(b *testing.B) {
	for _, n := range []int{4, 1000, 100000} {
		g := zoneRing(n)
		b.Run(itoa(n), func(b *testing.B) {
			ctx := context.Background()
			if _, err := ToCGCS2000(ctx, g, 4527); err != nil { // builds the transformation
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := ToCGCS2000(ctx, g, 4527); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/vertex")
		})
	}
}

func itoa(n int) string {
	switch n {
	case 4:
		return "4-vertices"
	case 1000:
		return "1k-vertices"
	}
	return "100k-vertices"
}
