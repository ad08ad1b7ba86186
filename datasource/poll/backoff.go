package poll

import (
	"math/rand/v2"
	"sync"
)

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
