package poll

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/vigil-hmi/vigil/datasource"
)

// subscribe runs Subscribe for every scan class of a Subscriber driver, each
// in a goroutine the session goroutine starts here and waits for before it
// returns. It serves writes meanwhile and returns when ctx is done or the
// first subscription fails.
func (d *device) subscribe(ctx context.Context, sub Subscriber) (healthy bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var got atomic.Bool
	errc := make(chan error, len(d.classes)) // buffered: every goroutine sends at most once
	defer d.endSubscriptions(d.h, cancel, &wg)
	if b, ok := sub.(Backfiller); ok {
		b.SetBackfill(d.e.table.Engine().PublishHistorical)
	}
	for _, c := range d.classes {
		if len(c.good) == 0 {
			continue
		}
		ids := make([]datasource.TagID, len(c.good))
		for i, t := range c.good {
			ids[i] = t.ID
		}
		publish := d.publisher(&got, ids)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := protect(d.def.Name, "Subscribe", func() error {
				return sub.Subscribe(sctx, c.plan, c.rate, publish)
			})
			if sctx.Err() != nil {
				return // stopped by us: not a failure
			}
			if err == nil {
				err = errors.New("the subscription ended")
			}
			errc <- fmt.Errorf("scan class %s: %w", c.name, err)
		}()
	}
	for {
		d.e.idle()
		select {
		case <-ctx.Done():
			return got.Load(), nil
		case err := <-errc:
			d.count(err, 0, false)
			var pe *PanicError
			if errors.As(err, &pe) {
				d.h.broken = true
			}
			return got.Load(), wrapDevice(d.def.Name, "subscription", err)
		case op := <-d.writes:
			if err := d.serve(ctx, op); err != nil {
				return got.Load(), err
			}
		case op := <-d.raws:
			if err := d.readRaw(ctx, op); err != nil {
				return got.Load(), err
			}
		}
	}
}

// endSubscriptions cancels the subscriptions and waits for them, at most
// the device timeout plus grace on the clock; a Subscribe that does not
// return by then is abandoned with h, its driver instance. h is passed in
// rather than read from d: this also runs when the session goroutine exits
// after the watchdog abandoned a write, and d belongs to the device
// goroutine by then.
func (d *device) endSubscriptions(h *host, cancel context.CancelFunc, wg *sync.WaitGroup) {
	cancel()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := d.e.clock.NewTimer(d.timeout + hangGrace(d.timeout))
	defer t.Stop()
	select {
	case <-done:
	case <-t.Chan():
		d.log.Error("driver did not end its subscription; the driver instance is discarded")
		if err := h.discard(d.timeout); err != nil {
			d.log.Debug("closing the discarded driver instance", "err", err)
		}
	}
}

// publisher returns the publish function for one subscription: it
// publishes the samples as one batch, stamping those without a source time
// with now, and confirms every tag of the subscription (ids) as current at
// now. A subscription sends nothing while its values stay the same; each
// publish, and the empty one of a keep-alive, proves the others unchanged,
// so they are not stale however old their source time is. The driver's
// slice is copied by the table, never changed.
func (d *device) publisher(got *atomic.Bool, ids []datasource.TagID) func([]datasource.Sample) {
	return func(batch []datasource.Sample) {
		now := d.e.clock.Now()
		d.e.table.Engine().PublishAt(batch, now)
		d.e.table.Engine().Confirm(ids, now)
		got.Store(true)
		d.count(nil, 0, false)
	}
}
