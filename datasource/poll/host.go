package poll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// host is one driver instance and the watchdog over its calls.
//
// Driver calls run on the goroutine that makes them: the device's session
// goroutine (device.session), which is the only one that touches the
// driver, so the driver still sees its calls one at a time. There is no hop
// to a worker goroutine per call: on a 10,000-tag scan of the simulated
// plant that hop cost 2 ns per tag, as much as everything else the engine
// does (docs/engine.md).
//
// Instead every call is watched. A call that has not returned by its
// timeout plus a grace period of hangGrace(timeout) is abandoned: the
// watchdog reports it on the device's hung channel, and the device
// goroutine fails the device and carries on with a new driver instance and
// a new session goroutine. The goroutine stuck in the call is left to it:
// when (if ever) the call returns, it closes its driver and exits with
// runtime.Goexit, without returning into the engine, so that nothing the
// device goroutine has taken over is touched twice. Engine.workers counts
// session goroutines until then.
type host struct {
	dev   string
	drv   Driver
	clock clockwork.Clock
	log   *slog.Logger
	hung  chan<- hangReport // the device's; buffered 1

	// Owned by the session goroutine.
	broken    bool // a call panicked or a subscription would not end: make a new instance
	discarded bool // discard has closed the driver

	mu        sync.Mutex // guards the fields below, shared with the watchdogs
	calls     uint64     // calls made so far, to number them
	inFlight  uint64     // the number of the call running; 0 between calls
	abandoned bool       // the watchdog gave up on a call: the session goroutine is lost
}

// hangReport is the watchdog's report of an abandoned call.
type hangReport struct {
	op  string // the driver method that hung
	err *HangError
}

// newHost wraps the driver instance drv of device d.
func (d *device) newHost(drv Driver) *host {
	return &host{dev: d.def.Name, drv: drv, clock: d.e.clock, log: d.log, hung: d.hung}
}

// errBrokenHost guards against using a discarded driver instance.
var errBrokenHost = errors.New("driver instance discarded")

// call runs fn on the calling goroutine with a context that ends after
// timeout on the engine's clock. A panic in fn is returned as a
// *PanicError and breaks the host. A call still running timeout plus
// hangGrace(timeout) after it started is abandoned by the watchdog (see
// host): it never returns to its caller.
func (h *host) call(ctx context.Context, op string, timeout time.Duration, fn func(ctx context.Context, drv Driver) error) error {
	if h.broken {
		return errBrokenHost
	}
	return h.watch(ctx, op, timeout, fn)
}

// watch is call without the broken check, for discard's Close.
func (h *host) watch(ctx context.Context, op string, timeout time.Duration, fn func(ctx context.Context, drv Driver) error) error {
	cctx, cancel := withClockTimeout(ctx, h.clock, timeout)
	defer cancel()
	h.mu.Lock()
	if h.abandoned { // only while the abandoned goroutine runs its defers
		h.mu.Unlock()
		return errBrokenHost
	}
	h.calls++
	n := h.calls
	h.inFlight = n
	h.mu.Unlock()
	dog := h.clock.AfterFunc(timeout+hangGrace(timeout), func() { h.abandon(n, op, timeout) })
	err := protect(h.dev, op, func() error { return fn(cctx, h.drv) })
	dog.Stop()
	h.mu.Lock()
	lost := h.abandoned
	h.inFlight = 0
	h.mu.Unlock()
	if lost {
		// The device goroutine has taken over: close the instance nobody
		// uses any more and leave without returning into the engine.
		if err := protect(h.dev, "Close", h.drv.Close); err != nil {
			h.log.Warn("driver close after an abandoned call failed", "err", err)
		}
		runtime.Goexit()
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		h.broken = true
	}
	return err
}

// abandon is the watchdog of call number n, to op: it gives up on the call
// unless it has returned meanwhile, and reports the hang to the device
// goroutine. The number, not op, tells the calls apart: a watchdog whose
// call returned just as it fired must not take the next call, perhaps to
// the same method, for its own.
func (h *host) abandon(n uint64, op string, timeout time.Duration) {
	h.mu.Lock()
	if h.inFlight != n || h.abandoned {
		h.mu.Unlock()
		return
	}
	h.abandoned = true
	h.mu.Unlock()
	h.hung <- hangReport{op: op, err: &HangError{Device: h.dev, Op: op, After: timeout}}
}

// discard closes the driver for good: the instance is not used again.
// A Close that hangs is abandoned like any other call.
func (h *host) discard(timeout time.Duration) error {
	if h.discarded {
		return nil
	}
	h.broken, h.discarded = true, true
	return h.watch(context.Background(), "Close", timeout, func(_ context.Context, drv Driver) error { return drv.Close() })
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
