package auth

import (
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Throttled says a login was refused for too many attempts; the API answers
// 429 with Retry-After.
type Throttled struct{ RetryAfter time.Duration }

func (t *Throttled) Error() string {
	return fmt.Sprintf("too many login attempts; try again in %d s", int(math.Ceil(t.RetryAfter.Seconds())))
}

// throttle limits login attempts with token buckets: every attempt per
// client address, failed attempts per user name (so guessing one user's
// password from many addresses is slow too).
type throttle struct {
	mu      sync.Mutex
	burst   int
	every   time.Duration
	now     func() time.Time
	clients map[string]*rate.Limiter
	names   map[string]*rate.Limiter
}

// maxBuckets bounds each map; past it, full buckets (idle callers) are dropped.
const maxBuckets = 10000

func newThrottle(burst int, every time.Duration, now func() time.Time) *throttle {
	return &throttle{burst: burst, every: every, now: now, clients: map[string]*rate.Limiter{}, names: map[string]*rate.Limiter{}}
}

func (t *throttle) bucket(m map[string]*rate.Limiter, k string) *rate.Limiter {
	l := m[k]
	if l == nil {
		if len(m) >= maxBuckets {
			now := t.now()
			for k, l := range m {
				if l.TokensAt(now) >= float64(t.burst) {
					delete(m, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Every(t.every), t.burst)
		m[k] = l
	}
	return l
}

// attempt takes a token from the client's bucket and checks that the
// name's bucket has one left.
func (t *throttle) attempt(client, name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	nl := t.bucket(t.names, name)
	if nl.TokensAt(now) < 1 {
		return &Throttled{RetryAfter: wait(nl, now)}
	}
	cl := t.bucket(t.clients, client)
	if !cl.AllowN(now, 1) {
		return &Throttled{RetryAfter: wait(cl, now)}
	}
	return nil
}

// failed takes a token from the name's bucket.
func (t *throttle) failed(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.bucket(t.names, name).AllowN(t.now(), 1)
}

// wait is how long until the bucket holds a token again.
func wait(l *rate.Limiter, now time.Time) time.Duration {
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return max(d, time.Second)
}
