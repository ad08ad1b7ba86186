package poll

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/jonboulle/clockwork"
)

// host runs every call of one driver instance on a worker goroutine of its
// own, so that the device goroutine can give up on a call that hangs and on a
// driver that panics without being taken down with it.
//
// The worker is the only goroutine that touches the driver, so the driver
// still sees its calls one at a time. When the host is discarded (after a
// panic, a hang, or at shutdown) the worker closes the driver after its
// current call returns and exits; Engine.workers counts it until then.
type host struct {
	dev     string
	drv     Driver
	clock   clockwork.Clock
	jobs    chan func()
	quit    chan struct{}
	stopped bool // quit is closed
	broken  bool // a call panicked or was abandoned: the instance must not be used again
}

// startHost starts the worker of drv for device dev.
func (e *Engine) startHost(dev string, drv Driver) *host {
	h := &host{dev: dev, drv: drv, clock: e.clock, jobs: make(chan func()), quit: make(chan struct{})}
	jobs, quit := h.jobs, h.quit
	e.workers.Add(1)
	go func() {
		defer e.workers.Done()
		work(e, dev, drv, jobs, quit)
	}()
	return h
}

// work is the worker goroutine. It gets copies of the host's fields: the
// host itself belongs to the device goroutine.
func work(e *Engine, dev string, drv Driver, jobs <-chan func(), quit <-chan struct{}) {
	for {
		select {
		case job := <-jobs:
			job()
		case <-quit:
			if err := protect(dev, "Close", drv.Close); err != nil {
				e.log.Warn("driver close failed", "device", dev, "err", err)
			}
			return
		}
	}
}

// stop asks the worker to close the driver and exit once its current call,
// if any, has returned. It does not wait.
func (h *host) stop() {
	if !h.stopped {
		h.stopped = true
		close(h.quit)
	}
}

// errBrokenHost guards against using a discarded driver instance.
var errBrokenHost = errors.New("driver instance discarded")

// call runs fn on the worker with a context that ends after timeout on the
// engine's clock. A driver that has not returned by then gets a grace period
// of hangGrace(timeout) to return its own timeout error; after that the call
// is abandoned, the host marked broken and a *HangError returned. A panic in
// fn is returned as a *PanicError and also breaks the host.
func (h *host) call(ctx context.Context, op string, timeout time.Duration, fn func(ctx context.Context, drv Driver) error) error {
	if h.broken || h.stopped {
		return errBrokenHost
	}
	cctx, cancel := withClockTimeout(ctx, h.clock, timeout)
	defer cancel()
	res := make(chan error, 1) // buffered: an abandoned worker must not block on it
	drv := h.drv               // the worker must not read h, which the device goroutine owns
	h.jobs <- func() { res <- protect(h.dev, op, func() error { return fn(cctx, drv) }) }
	select {
	case err := <-res:
		return h.check(err)
	case <-cctx.Done():
	}
	grace := h.clock.NewTimer(hangGrace(timeout))
	defer grace.Stop()
	// Also when ctx itself ended (a cancelled write, engine shutdown): a
	// driver that honours its context returns now, and only one that does
	// not is abandoned.
	select {
	case err := <-res:
		return h.check(err)
	case <-grace.Chan():
	}
	h.broken = true
	h.stop()
	return &HangError{Device: h.dev, Op: op, After: timeout}
}

func (h *host) check(err error) error {
	var pe *PanicError
	if errors.As(err, &pe) {
		h.broken = true
		h.stop()
	}
	return err
}

// hangGrace is how long past its deadline a driver call may take to return
// before it is abandoned: half the timeout, at least 100ms.
func hangGrace(timeout time.Duration) time.Duration {
	return max(timeout/2, 100*time.Millisecond)
}

// protect calls fn and turns a panic into a *PanicError carrying the stack.
func protect(dev, op string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Device: dev, Op: op, Value: r, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// PanicError reports a driver that panicked. The engine recovers, logs the
// stack, treats it as a device failure and makes a new driver instance.
type PanicError struct {
	Device string
	Op     string // the driver method: Prepare, Connect, Read, Write, Close
	Value  any    // what the driver panicked with
	Stack  []byte
}

// Error implements error.
func (e *PanicError) Error() string {
	return fmt.Sprintf("device %s: driver panicked in %s: %v", e.Device, e.Op, e.Value)
}

// HangError reports a driver call that did not return within its timeout
// plus a grace period. The engine abandons the call, discards the driver
// instance and makes a new one.
type HangError struct {
	Device string
	Op     string
	After  time.Duration // the request timeout that was exceeded
}

// Error implements error.
func (e *HangError) Error() string {
	return fmt.Sprintf("device %s: driver did not return from %s within its %v timeout; the driver instance is discarded", e.Device, e.Op, e.After)
}

// Unwrap makes errors.Is(err, context.DeadlineExceeded) true.
func (e *HangError) Unwrap() error { return context.DeadlineExceeded }

// withClockTimeout returns a context that ends after d on clock. With the
// real clock that is context.WithTimeout; with a fake clock the deadline
// follows the fake time, so tests drive timeouts by advancing the clock.
func withClockTimeout(parent context.Context, clock clockwork.Clock, d time.Duration) (context.Context, context.CancelFunc) {
	if _, fake := clock.(*clockwork.FakeClock); !fake {
		return context.WithTimeout(parent, d)
	}
	deadline := clock.Now().Add(d)
	ctx, cancel := context.WithCancelCause(parent)
	t := clock.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return &clockCtx{Context: ctx, deadline: deadline}, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

// clockCtx is a cancel context that reports a deadline on a fake clock.
type clockCtx struct {
	context.Context
	deadline time.Time
}

// Deadline reports the deadline on the fake clock (or the parent's, if earlier).
func (c *clockCtx) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// Err returns context.DeadlineExceeded when the fake deadline passed.
func (c *clockCtx) Err() error {
	err := c.Context.Err()
	if err != nil && errors.Is(context.Cause(c.Context), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}
