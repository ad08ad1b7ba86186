package poll

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// backoffDelay returns the wait before reconnect attempt number attempt
// (0 for the first retry after a failure) within b.Min .. b.Max.
//
// It uses "equal jitter": the ceiling c = min(Max, Min*2^attempt) grows
// exponentially and the delay is drawn uniformly from [c/2, c], never below
// Min. Full jitter (uniform in [0, c]) spreads retries a little more but can
// retry a just-failed PLC almost immediately, again and again; on a serial
// line or a small PLC with few TCP connection slots that hammering is worse
// than the slightly stronger correlation of equal jitter. Half of every delay
// still being random is enough to de-synchronise many devices that lost a
// shared switch at the same instant.
func backoffDelay(b datasource.Backoff, attempt int, rnd func(n int64) int64) time.Duration {
	c := b.Min
	for i := 0; i < attempt && c < b.Max; i++ {
		c *= 2
	}
	if c > b.Max || c <= 0 { // c <= 0: overflow on absurd bounds
		c = b.Max
	}
	half := c / 2
	d := half
	if span := c - half; span > 0 {
		d += time.Duration(rnd(int64(span) + 1))
	}
	if d < b.Min {
		d = b.Min
	}
	return d
}

// lockedRand serialises a *rand.Rand shared by the device goroutines.
type lockedRand struct {
	mu sync.Mutex // guards r, which is not safe for concurrent use
	r  *rand.Rand
}

// Int64N returns a uniform value in [0, n).
func (l *lockedRand) Int64N(n int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Int64N(n)
}
