package inputgeom

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

// BenchmarkRead: WKT of a star-shaped site of n vertices in zone 39, read,
// transformed, capped and validated by GEOS.
func BenchmarkRead(b *testing.B) {
	for _, n := range []int{100, 10000} {
		var sb strings.Builder
		sb.WriteString("POLYGON((")
		for i := 0; i <= n; i++ {
			a := 2 * math.Pi * float64(i%n) / float64(n)
			r := 500.0 + 100*float64(i%2)
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "%.3f %.3f", 39500000+r*math.Cos(a), 3400000+r*math.Sin(a))
		}
		sb.WriteString("))")
		in := Input{WKT: sb.String(), CRS: 4527}
		b.Run(fmt.Sprintf("%d-vertices", n), func(b *testing.B) {
			ctx := context.Background()
			if _, err := Read(ctx, in, DefaultLimits); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Read(ctx, in, DefaultLimits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
