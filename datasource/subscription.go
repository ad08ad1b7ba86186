package datasource

import (
	"context"
	"sync"
)

// Subscription is a bounded queue of published samples for one consumer.
// When the consumer falls behind by more than its size, the oldest samples
// are dropped and counted in Dropped.
//
// A consumer that only waits for samples calls Recv in a loop (history's
// Ingest). One that waits for other things too (the alarm engine's shelve
// timers, the Sparkplug edge node's broker) selects on Ready beside them
// and takes the samples with TryRecv, which never blocks: that pair is the
// whole of the non-blocking receive. Every sample received is stamped (see
// Table.Publish); the consumer owns the copies it is given.
//
// The queue holds references to the table's shared chunks, not copies: a
// subscription costs the publisher one pointer per batch, and the consumer
// copies the samples out when it takes them. Besides its size in samples, a
// lagging subscription may keep alive the rest of the one chunk it dropped
// samples from.
type Subscription struct {
	name  string
	table *Table
	size  int
	ready chan struct{} // one token: samples may be waiting

	mu      sync.Mutex // guards the fields below
	queue   []span     // queue[head:] waits, oldest first
	head    int
	spare   []span // an empty queue array to swap in by TryRecv
	n       int    // samples waiting
	dropped uint64
	total   uint64
	// historical: the consumer takes historical batches too
	// (ReceiveHistorical); hist holds them until TryRecvHistorical.
	historical bool
	hist       []Sample
}

// span is the samples of a chunk from off on.
type span struct {
	c   *chunk
	off int
}

// Name returns the name given to Subscribe, for the consumer's log lines
// (the alarm engine names its subscription when it reports drops).
func (s *Subscription) Name() string { return s.name }

// push queues c, which carries one reference for s, dropping the oldest
// samples beyond size.
func (s *Subscription) push(c *chunk) {
	n := len(c.samples)
	s.mu.Lock()
	s.total += uint64(n)
	off := 0
	if n > s.size { // only the newest size samples can be kept
		off = n - s.size
		s.dropped += uint64(off)
	}
	s.queue = append(s.queue, span{c: c, off: off})
	s.n += n - off
	for over := s.n - s.size; over > 0; {
		old := &s.queue[s.head]
		k := len(old.c.samples) - old.off
		if k > over { // drop the front of the oldest chunk
			old.off += over
			k = over
		} else { // drop the whole oldest chunk
			s.table.pool.release(old.c)
			*old = span{}
			s.head++
		}
		s.dropped += uint64(k)
		s.n -= k
		over -= k
	}
	if s.head > 32 && s.head*2 > len(s.queue) { // a consumer that does not drain: reclaim the front
		m := copy(s.queue, s.queue[s.head:])
		clear(s.queue[m:])
		s.queue, s.head = s.queue[:m], 0
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Ready returns a channel that receives when samples may be waiting: for a
// consumer that selects on other events too, which then takes the samples
// with TryRecv. A receive from Ready may find nothing waiting.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// TryRecv appends every waiting sample to dst, oldest first, without
// blocking: the receive of a consumer that waits on Ready.
// The samples are copied outside the subscription's lock, so a consumer
// taking a large backlog never holds up the publisher.
func (s *Subscription) TryRecv(dst []Sample) []Sample {
	s.mu.Lock()
	if s.n == 0 {
		s.mu.Unlock()
		return dst
	}
	all, waiting := s.queue, s.queue[s.head:]
	s.queue, s.spare, s.head, s.n = s.spare[:0], nil, 0, 0
	s.mu.Unlock()
	for _, sp := range waiting {
		dst = append(dst, sp.c.read()[sp.off:]...)
		s.table.pool.release(sp.c)
	}
	clear(waiting)
	s.mu.Lock()
	if s.spare == nil {
		s.spare = all[:0]
	}
	s.mu.Unlock()
	return dst
}

// TryRecvMax is TryRecv of at most limit (at least 1) samples, the oldest:
// the receive of a consumer that works through a backlog piece by piece in
// a buffer of bounded size, instead of one as large as the backlog. The
// rest keep waiting, and Ready is signalled again for them. The samples
// are copied under the subscription's lock, which is why limit bounds the
// copy: a piece of a few thousand samples holds up a publisher about as
// long as one of its own publishes.
func (s *Subscription) TryRecvMax(dst []Sample, limit int) []Sample {
	limit = max(limit, 1)
	s.mu.Lock()
	for limit > 0 && s.n > 0 {
		sp := &s.queue[s.head]
		samples := sp.c.read()[sp.off:]
		if len(samples) > limit { // the front of the oldest chunk
			dst = append(dst, samples[:limit]...)
			sp.off += limit
			s.n -= limit
			break
		}
		dst = append(dst, samples...)
		s.table.pool.release(sp.c)
		*sp = span{}
		s.head++
		s.n -= len(samples)
		limit -= len(samples)
	}
	if s.n == 0 {
		s.queue, s.head = s.queue[:0], 0
	}
	more := s.n > 0
	s.mu.Unlock()
	if more {
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
	return dst
}

// Recv waits until samples are waiting or ctx is done, then appends them to
// dst. With ReceiveHistorical it also returns, maybe with none, when
// historical samples wait. It returns ctx's error when ctx ends first.
func (s *Subscription) Recv(ctx context.Context, dst []Sample) ([]Sample, error) {
	for {
		if out := s.TryRecv(dst); len(out) > len(dst) || s.historicalWaiting() {
			return out, nil
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return dst, ctx.Err()
		}
	}
}

// Dropped returns how many samples were lost because the consumer was slow,
// for the consumer to log or show: the loss is otherwise silent.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// offered returns how many samples were offered to the subscription.
func (s *Subscription) offered() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Close stops delivery to the subscription.
func (s *Subscription) Close() { s.table.unsubscribe(s) }

// unsubscribe stops delivery to s: the table no longer queues for it.
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
