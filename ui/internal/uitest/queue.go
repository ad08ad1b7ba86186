// Package uitest helps the UI packages' tests stand in for the UI goroutine.
package uitest

import (
	"sync"
	"testing"
	"time"
)

// Queue stands in for the UI goroutine in tests: a widget's fyne.Do
// callbacks (its Deps.Do) queue here, and the test goroutine runs them,
// because Fyne's test driver would run them on the background goroutine.
type Queue struct {
	mu   sync.Mutex
	fns  []func()
	wake chan struct{}
}

// NewQueue returns an empty Queue.
func NewQueue() *Queue { return &Queue{wake: make(chan struct{}, 1)} }

// Do queues f; it is the Deps.Do of the widget under test.
func (q *Queue) Do(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Drain runs the queued callbacks, and those they queue, on the calling
// goroutine until none is left.
func (q *Queue) Drain() {
	for {
		q.mu.Lock()
		fns := q.fns
		q.fns = nil
		q.mu.Unlock()
		if len(fns) == 0 {
			return
		}
		for _, f := range fns {
			f()
		}
	}
}

// Settle drains the queue until cond holds, waiting for background work
// to queue more, and fails the test after timeout.
func (q *Queue) Settle(tb testing.TB, what string, timeout time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		q.Drain()
		if cond() {
			return
		}
		select {
		case <-q.wake:
		case <-deadline:
			tb.Fatalf("%s: not within %s", what, timeout)
		}
	}
}
