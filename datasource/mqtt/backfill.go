package mqtt

import "github.com/vigil-hmi/vigil/datasource"

// maxWaitingHistorical bounds the historical samples kept while no
// subscription is there to map them to tags (between a reconnection and the
// engine's Subscribe, when a node forwards its backlog right after its
// birth); beyond it the oldest are dropped.
const maxWaitingHistorical = 100_000

// keyed is a historical sample of the metric at k, waiting for a
// subscription.
type keyed struct {
	k key
	s datasource.Sample
}

// SetBackfill implements poll.Backfiller: publish receives the samples a
// node sends with is_historical (what it stored and forwarded while the
// broker was away), for history only; they never become current values.
func (d *Driver) SetBackfill(publish func([]datasource.Sample)) {
	d.mu.Lock()
	d.backfill = publish
	d.mu.Unlock()
}

// historicalLocked appends s, a historical sample of the metric at k, once
// per subscribed tag on k; with no subscription it waits for one.
func (d *Driver) historicalLocked(dst []datasource.Sample, k key, s datasource.Sample) []datasource.Sample {
	if len(d.subs) == 0 || d.backfill == nil {
		if len(d.waiting) >= maxWaitingHistorical {
			d.waiting = d.waiting[1:]
		}
		d.waiting = append(d.waiting, keyed{k, s})
		return dst
	}
	for sub := range d.subs {
		for _, t := range sub.byKey[k] {
			s.Tag = t.ID
			dst = append(dst, s)
		}
	}
	return dst
}

// waitingLocked hands sub's share of the waiting historical samples to the
// backfill; the rest keep waiting for their own scan class.
func (d *Driver) waitingLocked(sub *subscription) {
	if len(d.waiting) == 0 || d.backfill == nil {
		return
	}
	var out []datasource.Sample
	rest := d.waiting[:0]
	for _, w := range d.waiting {
		tags := sub.byKey[w.k]
		if len(tags) == 0 {
			rest = append(rest, w)
			continue
		}
		for _, t := range tags {
			w.s.Tag = t.ID
			out = append(out, w.s)
		}
	}
	clear(d.waiting[len(rest):])
	d.waiting = rest
	d.backfillLocked(out)
}

// backfillLocked hands historical samples to the engine, in the order they
// came, under d.mu like the live deliveries.
func (d *Driver) backfillLocked(late []datasource.Sample) {
	if len(late) > 0 && d.backfill != nil {
		d.backfill(late)
	}
}
