package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// rateLimiter holds a token bucket per caller: per user or key when
// authenticated, per client address otherwise.
type rateLimiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &rateLimiter{every: rate.Limit(perSecond), burst: max(burst, 1), buckets: map[string]*rate.Limiter{}}
}

// take returns 0 when the caller may go on, else how long to wait.
func (rl *rateLimiter) take(key string, now time.Time) time.Duration {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	b := rl.buckets[key]
	if b == nil {
		if len(rl.buckets) >= 100000 { // drop idle callers (full buckets)
			for k, l := range rl.buckets {
				if l.TokensAt(now) >= float64(rl.burst) {
					delete(rl.buckets, k)
				}
			}
		}
		b = rate.NewLimiter(rl.every, rl.burst)
		rl.buckets[key] = b
	}
	if b.AllowN(now, 1) {
		return 0
	}
	r := b.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d
}

func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// limitRate answers 429 with Retry-After when the caller exceeds its rate.
func (s *server) limitRate(c *gin.Context) {
	if s.rates == nil {
		return
	}
	p := principal(c)
	key := "ip:" + s.clientAddr(c.Request)
	if p.Authenticated() {
		key = string(p.Via) + ":" + p.Name
	}
	if d := s.rates.take(key, time.Now()); d > 0 {
		writeError(c, v1Errors, &apiError{status: http.StatusTooManyRequests, code: "rate_limited",
			message: fmt.Sprintf("more than %g requests per second (burst %d); slow down", float64(s.rates.every), s.rates.burst),
			header:  map[string]string{"Retry-After": retryAfter(d)}})
	}
}

// limitAnalyses lets at most MaxAnalyses queries and analyses run at once;
// a request waits up to AnalysisQueueWait for a slot, then gets 429 with
// Retry-After (the machine is busy, not broken).
func (s *server) limitAnalyses(c *gin.Context) {
	t := time.NewTimer(s.AnalysisQueueWait)
	defer t.Stop()
	select {
	case s.analyses <- struct{}{}:
	case <-t.C:
		writeError(c, v1Errors, &apiError{status: http.StatusTooManyRequests, code: "busy",
			message: fmt.Sprintf("%d analyses are running, the most this server runs at once; try again shortly", cap(s.analyses)),
			header:  map[string]string{"Retry-After": "1"}})
		return
	case <-c.Request.Context().Done():
		writeError(c, v1Errors, c.Request.Context().Err()) // 503 past the deadline, 499 gone
		return
	}
	defer func() { <-s.analyses }()
	c.Next()
}

// deadline bounds every data request by RequestTimeout: a handler that
// runs out answers 503 (the error mapping's "timeout").
func (s *server) deadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.RequestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}
