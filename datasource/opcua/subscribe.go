package opcua

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Subscription tuning. The keep-alive count is 1, so that a server sends a
// keep-alive after every publishing interval without data (gopcua's server
// after two): the keep-alives tell the engine that unchanged values are
// still current, and they must come well within a tag's stale time (3 scan
// intervals by default). A silent subscription is noticed within a few.
const (
	keepAliveCount   = 1                // publishing intervals without data before the server sends a keep-alive
	lifetimeFactor   = 10               // lifetime is at least lifetimeFactor x the keep-alive count intervals ...
	minLifetime      = 30 * time.Second // ... and at least this long, so a slow link does not lose the subscription
	watchdogFactor   = 3                // keep-alive periods the watchdog waits
	monitorBatch     = 500
	minPublishPeriod = 10 * time.Millisecond
)

// subChan receives the publish responses of one subscription.
type subChan struct {
	ch   chan *ua.PublishResponse
	done chan struct{}
}

// Subscribe creates a subscription with the plan's tags as monitored items
// (sampling interval and publishing interval rate, the device's queue size)
// and delivers their changes through publish until ctx ends (nil) or the
// subscription fails (an error; the tags are published Bad/CommFailure
// first). It runs its own publish loop rather than gopcua's, so that it sees
// keep-alives: the watchdog fails the subscription when neither data nor a
// keep-alive arrives for watchdogFactor keep-alive periods.
//
// A node the server refuses to monitor (e.g. BadNodeIdUnknown) is published
// Bad with the mapped reason once; the rest of the subscription goes on.
// With Settings.Poll, Subscribe reads the plan every rate instead.
func (d *Driver) Subscribe(ctx context.Context, pl poll.Plan, rate time.Duration, publish func([]datasource.Sample)) error {
	p, ok := pl.(*plan)
	if !ok {
		return fmt.Errorf("device %q: subscribe: plan of type %T was not made by this driver", d.dev.Name, pl)
	}
	if d.set.Poll {
		return d.pollLoop(ctx, p, rate, publish)
	}
	if len(p.tags) == 0 {
		<-ctx.Done()
		return nil
	}
	cn, err := d.current()
	if err != nil {
		return err
	}
	rate = max(rate, minPublishPeriod)
	subID, period, kac, err := d.createSubscription(ctx, cn, rate)
	if err != nil {
		return err
	}
	sc := &subChan{ch: make(chan *ua.PublishResponse, 16), done: make(chan struct{})}
	cn.mu.Lock()
	cn.subs[subID] = sc
	cn.mu.Unlock()
	defer func() {
		close(sc.done)
		cn.mu.Lock()
		delete(cn.subs, subID)
		cn.mu.Unlock()
		if !cn.broken.Load() {
			dctx, cancel := context.WithTimeout(context.Background(), d.timeout())
			// Best effort: a server whose session is gone deletes it anyway.
			_ = cn.c.Send(dctx, &ua.DeleteSubscriptionsRequest{SubscriptionIDs: []uint32{subID}}, func(ua.Response) error { return nil })
			cancel()
		}
	}()
	if err := d.monitor(ctx, cn, p, subID, rate, publish); err != nil {
		return err
	}

	keepAlive := period * time.Duration(kac+1)
	watchdog := watchdogFactor*keepAlive + d.timeout()
	if stale := minStale(p.tags); keepAlive >= stale {
		d.log.Warn("the server's keep-alive interval is not shorter than the tags' stale time; unchanged values will turn Uncertain/Stale between keep-alives (raise stale_factor)",
			"rate", rate, "keep_alive", keepAlive, "stale_after", stale)
	}
	pctx, pcancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errc <- d.publishLoop(pctx, cn, watchdog+d.timeout())
	}()
	defer func() {
		pcancel()
		wg.Wait()
	}()

	timer := d.clock.NewTimer(watchdog)
	defer timer.Stop()
	failAll := func(cause error) error {
		cn.broken.Store(true)
		bad := make([]datasource.Sample, len(p.tags))
		for i, t := range p.tags {
			bad[i] = datasource.Sample{Tag: t.ID, Quality: datasource.BadQuality(datasource.CommFailure), Time: d.clock.Now()}
		}
		publish(bad)
		return fmt.Errorf("device %q: subscription (%v): %w", d.dev.Name, rate, cause)
	}
	var batch []datasource.Sample
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return failAll(err)
		case <-timer.Chan():
			d.log.Warn("subscription watchdog: no data or keep-alive", "rate", rate, "waited", watchdog)
			return failAll(fmt.Errorf("no data or keep-alive from the server for %v: %w", watchdog, poll.ErrNotConnected))
		case res := <-sc.ch:
			timer.Reset(watchdog)
			batch = batch[:0]
			var err error
			batch, err = d.notifications(cn, p, res, batch)
			// Published even when empty: a keep-alive says that the
			// values not in batch are unchanged, so they stay Good.
			publish(batch)
			if err != nil {
				return failAll(err)
			}
		}
	}
}

// minStale returns the shortest stale time of tags that have one, or the
// longest duration when none has.
func minStale(tags []*datasource.Tag) time.Duration {
	out := time.Duration(math.MaxInt64)
	for _, t := range tags {
		if t.StaleAfter > 0 {
			out = min(out, t.StaleAfter)
		}
	}
	return out
}

// createSubscription creates a subscription publishing every rate and
// returns its ID, revised period and keep-alive count.
func (d *Driver) createSubscription(ctx context.Context, cn *conn, rate time.Duration) (uint32, time.Duration, uint32, error) {
	req := &ua.CreateSubscriptionRequest{
		RequestedPublishingInterval: float64(rate) / float64(time.Millisecond),
		RequestedLifetimeCount:      max(keepAliveCount*lifetimeFactor, uint32(minLifetime/rate)+1),
		RequestedMaxKeepAliveCount:  keepAliveCount,
		PublishingEnabled:           true,
	}
	var res *ua.CreateSubscriptionResponse
	cctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	err := cn.c.Send(cctx, req, func(r ua.Response) error {
		var ok bool
		if res, ok = r.(*ua.CreateSubscriptionResponse); !ok {
			return fmt.Errorf("create subscription: unexpected answer %T", r)
		}
		return nil
	})
	if err == nil && res.ResponseHeader != nil && res.ResponseHeader.ServiceResult != ua.StatusOK {
		err = res.ResponseHeader.ServiceResult
	}
	if err != nil {
		return 0, 0, 0, d.fail(cn, "create subscription", err)
	}
	period := time.Duration(res.RevisedPublishingInterval * float64(time.Millisecond))
	if period <= 0 {
		period = rate
	}
	kac := res.RevisedMaxKeepAliveCount
	if kac == 0 {
		kac = keepAliveCount
	}
	return res.SubscriptionID, period, kac, nil
}

// monitor creates the monitored items, ClientHandle = index in the plan.
func (d *Driver) monitor(ctx context.Context, cn *conn, p *plan, subID uint32, rate time.Duration, publish func([]datasource.Sample)) error {
	queue := d.set.QueueSize
	if queue == 0 {
		queue = 10
	}
	for lo := 0; lo < len(p.ids); lo += monitorBatch {
		hi := min(lo+monitorBatch, len(p.ids))
		req := &ua.CreateMonitoredItemsRequest{SubscriptionID: subID, TimestampsToReturn: ua.TimestampsToReturnBoth}
		for i := lo; i < hi; i++ {
			req.ItemsToCreate = append(req.ItemsToCreate, &ua.MonitoredItemCreateRequest{
				ItemToMonitor:  &ua.ReadValueID{NodeID: p.ids[i], AttributeID: ua.AttributeIDValue, DataEncoding: &ua.QualifiedName{}},
				MonitoringMode: ua.MonitoringModeReporting,
				RequestedParameters: &ua.MonitoringParameters{
					ClientHandle:     uint32(i),
					SamplingInterval: float64(rate) / float64(time.Millisecond),
					QueueSize:        queue,
					DiscardOldest:    true,
					Filter:           ua.NewExtensionObject(nil),
				},
			})
		}
		var res *ua.CreateMonitoredItemsResponse
		mctx, cancel := context.WithTimeout(ctx, d.timeout())
		err := cn.c.Send(mctx, req, func(r ua.Response) error {
			var ok bool
			if res, ok = r.(*ua.CreateMonitoredItemsResponse); !ok {
				return fmt.Errorf("create monitored items: unexpected answer %T", r)
			}
			return nil
		})
		cancel()
		if err == nil && res.ResponseHeader != nil && res.ResponseHeader.ServiceResult != ua.StatusOK {
			err = res.ResponseHeader.ServiceResult
		}
		if err == nil && len(res.Results) != hi-lo {
			err = fmt.Errorf("server answered %d results for %d monitored items", len(res.Results), hi-lo)
		}
		if err != nil {
			return d.fail(cn, "create monitored items", err)
		}
		var bad []datasource.Sample
		for i, r := range res.Results {
			if r != nil && r.StatusCode&0x80000000 != 0 {
				bad = append(bad, d.bad(cn, p.tags[lo+i], r.StatusCode))
			}
		}
		if len(bad) > 0 {
			publish(bad)
		}
	}
	return nil
}

// publishLoop sends publish requests, one at a time, each carrying the
// acknowledgements due, and hands every response to its subscription. It
// returns when ctx ends or a publish fails.
func (d *Driver) publishLoop(ctx context.Context, cn *conn, timeout time.Duration) error {
	for {
		cn.mu.Lock()
		acks := cn.acks
		cn.acks = nil
		cn.mu.Unlock()
		if acks == nil {
			acks = []*ua.SubscriptionAcknowledgement{}
		}
		var res *ua.PublishResponse
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := cn.c.Send(pctx, &ua.PublishRequest{SubscriptionAcknowledgements: acks}, func(r ua.Response) error {
			var ok bool
			if res, ok = r.(*ua.PublishResponse); !ok {
				return fmt.Errorf("publish: unexpected answer %T", r)
			}
			return nil
		})
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && res.ResponseHeader != nil && res.ResponseHeader.ServiceResult != ua.StatusOK {
			err = res.ResponseHeader.ServiceResult
		}
		switch {
		case errors.Is(err, ua.StatusBadTooManyPublishRequests):
			// Another subscription's loop has one outstanding; wait a little.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-d.clock.After(minPublishPeriod):
			}
			continue
		case err != nil:
			return fmt.Errorf("publish: %w", err)
		}
		if msg := res.NotificationMessage; msg != nil && len(msg.NotificationData) > 0 {
			cn.mu.Lock()
			cn.acks = append(cn.acks, &ua.SubscriptionAcknowledgement{SubscriptionID: res.SubscriptionID, SequenceNumber: msg.SequenceNumber})
			cn.mu.Unlock()
		}
		cn.mu.Lock()
		sc := cn.subs[res.SubscriptionID]
		cn.mu.Unlock()
		if sc == nil {
			continue // a subscription that has just ended
		}
		select {
		case sc.ch <- res:
		case <-sc.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notifications appends the samples of a publish response to dst. A status
// change notification with a bad status ends the subscription.
func (d *Driver) notifications(cn *conn, p *plan, res *ua.PublishResponse, dst []datasource.Sample) ([]datasource.Sample, error) {
	msg := res.NotificationMessage
	if msg == nil {
		return dst, nil
	}
	now := d.clock.Now()
	for _, eo := range msg.NotificationData {
		if eo == nil {
			continue
		}
		switch n := eo.Value.(type) {
		case *ua.DataChangeNotification:
			for _, mi := range n.MonitoredItems {
				if mi == nil || int(mi.ClientHandle) >= len(p.tags) {
					continue
				}
				dst = append(dst, d.sample(cn, p.tags[mi.ClientHandle], mi.Value, now))
			}
		case *ua.StatusChangeNotification:
			if n.Status&0x80000000 != 0 {
				return dst, fmt.Errorf("server ended the subscription: %w", n.Status)
			}
		}
	}
	return dst, nil
}

// pollLoop reads the plan every rate and publishes the samples, for servers
// whose subscriptions cannot be trusted.
func (d *Driver) pollLoop(ctx context.Context, p *plan, rate time.Duration, publish func([]datasource.Sample)) error {
	t := d.clock.NewTicker(max(rate, minPublishPeriod))
	defer t.Stop()
	var buf []datasource.Sample
	for {
		var err error
		buf, err = d.Read(ctx, p, buf[:0])
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		now := d.clock.Now()
		for i := range buf {
			if buf[i].Time.IsZero() {
				buf[i].Time = now
			}
		}
		publish(buf)
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
		}
	}
}
