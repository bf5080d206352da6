package supervise

import (
	"testing"
	"time"
)

func TestNextMidnight(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		sh = time.FixedZone("CST", 8*3600)
	}
	for _, c := range []struct{ now, want time.Time }{
		{time.Date(2026, 12, 5, 18, 30, 0, 0, sh), time.Date(2026, 12, 6, 0, 0, 1, 0, sh)},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, sh), time.Date(2027, 1, 1, 0, 0, 1, 0, sh)},
		{time.Date(2028, 2, 28, 0, 0, 0, 0, sh), time.Date(2028, 2, 29, 0, 0, 1, 0, sh)},
		{time.Date(2026, 12, 6, 0, 0, 0, 500, sh), time.Date(2026, 12, 7, 0, 0, 1, 0, sh)}, // just past one: the next
	} {
		if got := nextMidnight(c.now); !got.Equal(c.want) || !got.After(c.now) {
			t.Errorf("nextMidnight(%v) = %v, want %v", c.now, got, c.want)
		}
	}
}
