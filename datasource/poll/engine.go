package poll

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
)

// Engine polls every device of a project and publishes the samples into the
// tag table. Build it with New, start it with Run; Status and Write may be
// called from any goroutine while it runs.
//
// Goroutines: Run owns one goroutine per enabled device and one for stale
// marking. A device goroutine starts one session goroutine at a time, which
// owns the driver and calls it directly under a watchdog (see device and
// host), and, for Subscriber drivers, one goroutine per scan class that the
// session goroutine starts and waits for.
type Engine struct {
	clock      clockwork.Clock
	log        *slog.Logger
	table      *datasource.Table
	tags       []*datasource.Tag
	rnd        *lockedRand
	staleCheck time.Duration

	devices []*device
	byName  map[string]*device
	tagDev  []*device // by TagID: the device the tag is read from

	started atomic.Bool
	// onIdle, when set (by tests only), is called whenever a device
	// goroutine is about to wait, so that a test advances the fake clock
	// only once the engine is parked.
	onIdle  func()
	workers sync.WaitGroup // session goroutines, including abandoned (hung) ones
}

// ErrAlreadyRunning is returned by a second call of Run.
var ErrAlreadyRunning = errors.New("poll: the engine is already running or has run")

// Run polls every enabled device until ctx is done, then stops the device
// goroutines, closes the drivers and returns nil. Tags of disabled devices
// are published Bad/OutOfService once. Run may be called only once.
func (e *Engine) Run(ctx context.Context) error {
	if !e.started.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	var wg sync.WaitGroup
	if e.staleCheck > 0 {
		// The ticker starts now, before the first sample can be published,
		// not whenever the goroutine gets to run.
		tick := e.clock.NewTicker(e.staleCheck)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tick.Stop()
			e.markStale(ctx, tick.Chan())
		}()
	}
	for _, d := range e.devices {
		if d.def.Disabled {
			d.publishDisabled()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.run(ctx)
		}()
	}
	<-ctx.Done()
	wg.Wait()
	e.waitWorkers()
	return nil
}

// markStale runs the table's MarkStale on every tick until ctx is done.
func (e *Engine) markStale(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			if n := e.table.Engine().MarkStale(e.clock.Now()); n > 0 {
				e.log.Debug("tags turned stale", "count", n)
			}
		}
	}
}

// waitWorkers waits for the session goroutines to close their drivers. A driver
// call that ignores its context and never returns would block shutdown
// forever, so the wait is bounded by twice the longest device timeout; such a
// goroutine is logged and left behind (the only goroutine the engine can leak,
// and only with a broken driver).
func (e *Engine) waitWorkers() {
	done := make(chan struct{})
	go func() {
		e.workers.Wait()
		close(done)
	}()
	var limit time.Duration
	for _, d := range e.devices {
		limit = max(limit, 2*deviceTimeout(d.def))
	}
	t := e.clock.NewTimer(limit)
	defer t.Stop()
	select {
	case <-done:
	case <-t.Chan():
		e.log.Error("a driver call did not return at shutdown; its goroutine is abandoned")
	}
}

func (e *Engine) idle() {
	if e.onIdle != nil {
		e.onIdle()
	}
}

// Status returns the status of every device, in project order.
func (e *Engine) Status() []DeviceStatus {
	out := make([]DeviceStatus, 0, len(e.devices))
	for _, d := range e.devices {
		out = append(out, d.status())
	}
	return out
}

// DeviceStatus returns the status of one device.
func (e *Engine) DeviceStatus(name string) (DeviceStatus, bool) {
	d := e.byName[name]
	if d == nil {
		return DeviceStatus{}, false
	}
	return d.status(), true
}
