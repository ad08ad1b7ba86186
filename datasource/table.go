package datasource

import (
	"context"
	"sync"
	"time"
)

// Table holds the current sample of every tag of a project. The poll engine is
// its only writer (Publish); the UI reads snapshots at its own pace; history
// and alarms receive every published sample through bounded Subscriptions.
//
// Publish never blocks on a consumer: a subscription that falls behind loses
// its oldest samples and counts them (Subscription.Dropped), because stalling
// the engine would stall every device.
type Table struct {
	mu      sync.RWMutex // guards current and subs
	current []Sample
	stale   []time.Duration // per tag, from Tag.StaleAfter; immutable after NewTable
	subs    []*Subscription
}

// NewTable returns a table for tags, indexed by TagID, every tag starting Bad
// with WaitingForInitialData.
func NewTable(tags []*Tag) *Table {
	t := &Table{current: make([]Sample, len(tags)), stale: make([]time.Duration, len(tags))}
	for i, tag := range tags {
		t.current[i] = Sample{Tag: TagID(i), Quality: BadQuality(WaitingForInitialData)}
		t.stale[i] = tag.StaleAfter
	}
	return t
}

// Len returns the number of tags.
func (t *Table) Len() int { return len(t.current) }

// Publish stores a batch of samples as the current values and hands it to
// every subscription. Samples of unknown tags are ignored.
func (t *Table) Publish(batch []Sample) {
	if len(batch) == 0 {
		return
	}
	t.mu.Lock()
	n := TagID(len(t.current))
	for i := range batch {
		if batch[i].Tag < n {
			t.current[batch[i].Tag] = batch[i]
		}
	}
	subs := t.subs
	t.mu.Unlock()
	for _, s := range subs {
		s.push(batch)
	}
}

// Get returns the current sample of one tag (the zero Sample for an unknown ID).
func (t *Table) Get(id TagID) Sample {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if int(id) >= len(t.current) {
		return Sample{}
	}
	return t.current[id]
}

// Snapshot appends the current samples of ids (every tag when ids is nil) to
// dst and returns it. Reuse dst between calls to avoid allocating.
func (t *Table) Snapshot(ids []TagID, dst []Sample) []Sample {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if ids == nil {
		return append(dst, t.current...)
	}
	for _, id := range ids {
		if int(id) < len(t.current) {
			dst = append(dst, t.current[id])
		} else {
			dst = append(dst, Sample{Tag: id, Quality: BadQuality(ConfigError)})
		}
	}
	return dst
}

// MarkStale turns every Good tag whose sample is older than its stale limit
// at now into Uncertain/Stale, publishes those changes to subscribers, and
// returns how many tags it marked. The engine calls it periodically.
func (t *Table) MarkStale(now time.Time) int {
	var marked []Sample
	t.mu.Lock()
	for i := range t.current {
		cur := &t.current[i]
		if lim := t.stale[i]; lim > 0 && cur.Quality.IsGood() && !cur.Time.IsZero() && now.Sub(cur.Time) > lim {
			cur.Quality = UncertainQuality(Stale)
			marked = append(marked, *cur)
		}
	}
	subs := t.subs
	t.mu.Unlock()
	for _, s := range subs {
		s.push(marked)
	}
	return len(marked)
}

// Subscribe returns a subscription that receives every sample published from
// now on, buffering at most size samples (at least 1). Close it when done.
func (t *Table) Subscribe(name string, size int) *Subscription {
	if size < 1 {
		size = 1
	}
	s := &Subscription{name: name, table: t, buf: make([]Sample, size), ready: make(chan struct{}, 1)}
	t.mu.Lock()
	// Copy on write: Publish iterates a snapshot of subs without the lock.
	subs := make([]*Subscription, len(t.subs), len(t.subs)+1)
	copy(subs, t.subs)
	t.subs = append(subs, s)
	t.mu.Unlock()
	return s
}

func (t *Table) unsubscribe(s *Subscription) {
	t.mu.Lock()
	defer t.mu.Unlock()
	subs := make([]*Subscription, 0, len(t.subs))
	for _, x := range t.subs {
		if x != s {
			subs = append(subs, x)
		}
	}
	t.subs = subs
}

// Subscription is a bounded queue of published samples for one consumer.
// When the consumer falls behind by more than the buffer, the oldest samples
// are overwritten and counted in Dropped.
type Subscription struct {
	name  string
	table *Table
	ready chan struct{} // one token: samples may be waiting

	mu      sync.Mutex // guards the ring and counters
	buf     []Sample
	head    int // index of the oldest sample
	n       int // samples waiting
	dropped uint64
	total   uint64
}

// Name returns the name given to Subscribe, for status displays.
func (s *Subscription) Name() string { return s.name }

func (s *Subscription) push(batch []Sample) {
	if len(batch) == 0 {
		return
	}
	s.mu.Lock()
	size := len(s.buf)
	s.total += uint64(len(batch))
	if len(batch) > size { // only the newest size samples can be kept
		s.dropped += uint64(len(batch) - size)
		batch = batch[len(batch)-size:]
	}
	if over := s.n + len(batch) - size; over > 0 {
		s.dropped += uint64(over)
		s.head = (s.head + over) % size
		s.n -= over
	}
	tail := (s.head + s.n) % size
	k := copy(s.buf[tail:], batch)
	copy(s.buf, batch[k:])
	s.n += len(batch)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Ready returns a channel that receives when samples may be waiting; use it
// with TryRecv in a select loop.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// TryRecv appends every waiting sample to dst, oldest first, without blocking.
func (s *Subscription) TryRecv(dst []Sample) []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return dst
	}
	end := s.head + s.n
	if end <= len(s.buf) {
		dst = append(dst, s.buf[s.head:end]...)
	} else {
		dst = append(dst, s.buf[s.head:]...)
		dst = append(dst, s.buf[:end-len(s.buf)]...)
	}
	s.head, s.n = 0, 0
	return dst
}

// Recv waits until samples are waiting or ctx is done, then appends them to
// dst. It returns ctx's error when ctx ends first.
func (s *Subscription) Recv(ctx context.Context, dst []Sample) ([]Sample, error) {
	for {
		if out := s.TryRecv(dst); len(out) > len(dst) {
			return out, nil
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return dst, ctx.Err()
		}
	}
}

// Dropped returns how many samples were lost because the consumer was slow.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Total returns how many samples were offered to the subscription.
func (s *Subscription) Total() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Close stops delivery to the subscription.
func (s *Subscription) Close() { s.table.unsubscribe(s) }
