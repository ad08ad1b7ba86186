package poll

import (
	"context"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
)

// WatchedCaller returns a function that calls fn as the engine calls a
// driver: on the caller's goroutine, with a request timeout on the real
// clock and the watchdog armed (host.call). For benchmarks in poll_test.
func WatchedCaller(dev string, drv Driver) func(ctx context.Context, timeout time.Duration, fn func(context.Context) error) error {
	h := &host{dev: dev, drv: drv, clock: clockwork.NewRealClock(), log: slog.Default(), hung: make(chan hangReport, 1)}
	return func(ctx context.Context, timeout time.Duration, fn func(context.Context) error) error {
		return h.call(ctx, "Read", timeout, func(ctx context.Context, _ Driver) error { return fn(ctx) })
	}
}
