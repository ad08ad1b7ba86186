package datasource

import "slices"

// Historical samples are stored values that arrive late: a Sparkplug node
// forwards what it kept while the broker was away with is_historical set,
// after its current values. They belong in history (a viewing station's
// trend over the outage) but are not current values: the engine's
// PublishHistorical hands them only to subscriptions that asked for them
// (history's Ingest, through ReceiveHistorical), without storing them as
// current, running the calculated tags or reaching alarms and the UI, which
// do not ask.

// PublishHistorical hands batch, samples older than the current values, to
// every subscription that called ReceiveHistorical. The current values are
// not changed. A sample without a time is stamped with the table's clock,
// as Table.Publish does, so that history never has to. The table copies
// batch; the caller keeps it.
func (e TableEngine) PublishHistorical(batch []Sample) {
	if len(batch) == 0 {
		return
	}
	t := e.t
	if i := slices.IndexFunc(batch, func(s Sample) bool { return s.Time.IsZero() }); i >= 0 {
		t.mu.RLock()
		now := t.clock()
		t.mu.RUnlock()
		batch = slices.Clone(batch)
		for j := i; j < len(batch); j++ {
			if batch[j].Time.IsZero() {
				batch[j].Time = now
			}
		}
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, s := range t.subs {
		s.pushHistorical(batch)
	}
}

// ReceiveHistorical makes the subscription also receive the historical
// batches published from now on (TableEngine.PublishHistorical), kept apart
// from the live samples and taken with TryRecvHistorical. Recv then also
// returns when only historical samples wait. History's Ingest is the one
// consumer that asks: a late sample belongs in a trend, not in an alarm or
// on a screen.
func (s *Subscription) ReceiveHistorical() {
	s.mu.Lock()
	s.historical = true
	s.mu.Unlock()
}

// pushHistorical copies batch into the historical queue when s asked for
// it, dropping the oldest samples beyond the subscription's size.
func (s *Subscription) pushHistorical(batch []Sample) {
	s.mu.Lock()
	if !s.historical {
		s.mu.Unlock()
		return
	}
	s.total += uint64(len(batch))
	s.hist = append(s.hist, batch...)
	if over := len(s.hist) - s.size; over > 0 {
		s.dropped += uint64(over)
		s.hist = slices.Delete(s.hist, 0, over)
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// TryRecvHistorical appends the waiting historical samples to dst, oldest
// first, without blocking: history takes them after each Recv, which
// returns when either queue has samples.
func (s *Subscription) TryRecvHistorical(dst []Sample) []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.hist...)
	clear(s.hist)
	s.hist = s.hist[:0]
	return dst
}

// historicalWaiting reports whether historical samples wait.
func (s *Subscription) historicalWaiting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hist) > 0
}
