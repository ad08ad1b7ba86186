package datasource

import (
	"context"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Table holds the current sample of every tag of a project. The poll engine is
// its only writer (Publish); the UI reads snapshots at its own pace; history
// and alarms receive every published sample through bounded Subscriptions.
//
// Publish never blocks on a consumer: a subscription that falls behind loses
// its oldest samples and counts them (Subscription.Dropped), because stalling
// the engine would stall every device.
//
// A published batch is stored once, in a chunk that every subscription
// shares read-only; consumers copy samples out of it in their own goroutine
// (TryRecv), and the chunk goes back to the table's buffer pool when the last
// subscription has taken it. So publishing costs the same with one
// subscriber as with three, and the engine, which reads into buffers lent by
// the table (Buffer, PublishBuffer), does not copy a batch for delivery at
// all. See docs/engine.md for the figures.
//
// A Feed (NewFeed) goes one step further for batches that carry the same
// tags in the same order every time, as the scans of a scan class do: the
// table does not even copy the batch into its current values, the latest
// batch itself is the current value of its tags (see held), so publishing
// through a feed costs nothing per sample.
//
// A Deriver (SetDeriver; the calculated tags of datasource/calc) sees every
// batch under the lock and its samples are published right behind it.
type Table struct {
	mu      sync.RWMutex // guards current, held, feeds, the feeds' state and subs; held while delivering, so every subscriber sees the order of current
	current []Sample     // the current sample of every tag not held by a feed
	// held says, per tag, which feed's latest batch holds its current
	// sample and where; the zero hold means current does. Read the current
	// sample of a tag with sample, never current directly.
	held  []hold
	feeds int             // feeds with a layout, which may hold tags: with none, current is the whole truth
	stale []time.Duration // per tag, from Tag.StaleAfter; immutable after NewTable
	// recv is, per tag held by current, when the table received its
	// sample (the publish time, else the sample's own time), or when
	// Confirm last said it is still current if that is later. Stale marking
	// measures from it, not from the sample's source time: a device that
	// reports an unchanged value with its old source time (an OPC UA
	// subscription's keep-alive) has not gone stale. Unix nanoseconds, 0
	// for none: 8 bytes a tag, written by every publish.
	recv []int64
	subs []*Subscription
	pool bufferPool
	// derive computes the calculated tags from each publish (SetDeriver);
	// nil without calculated tags.
	derive Deriver
	// deriveCap is the capacity deriveLocked asks of the pool: the largest
	// output of the recent derives, so that a scan's calculated samples fit
	// the array they are appended to, which is not grown (allocated) anew
	// at every publish.
	deriveCap int
}

// Deriver computes tags from other tags as they are published: the
// calculated tags of datasource/calc. The table calls Derive under its
// lock after storing each batch, from whichever goroutine published it, and
// publishes what it returns right behind that batch, before the lock is
// released: consumers see calculated values in the same publish as their
// inputs, never a scan late, and in the order the table holds them.
//
// Derive appends its samples to out and returns it. batch may be empty (a
// tick of the clock, for schedules); samples in it with no Time read as
// now. Derive must not call the table.
type Deriver interface {
	Derive(batch []Sample, now time.Time, out []Sample) []Sample
}

// SetDeriver installs d before anything is published.
func (t *Table) SetDeriver(d Deriver) {
	t.mu.Lock()
	t.derive = d
	t.mu.Unlock()
}

// Derive runs the deriver with no new samples at now, for what depends on
// time alone (a reset at midnight, a reset on demand), and publishes what it
// returns.
func (t *Table) Derive(now time.Time) {
	t.mu.Lock()
	t.deriveLocked(nil, now)
	t.mu.Unlock()
}

// deriveLocked publishes what the deriver makes of batch. The caller holds
// t.mu and has stored batch.
func (t *Table) deriveLocked(batch []Sample, now time.Time) {
	if t.derive == nil {
		return
	}
	c := t.pool.get(t.deriveCap)
	c.samples = t.derive.Derive(batch, now, c.samples)
	// A decaying maximum: after a scan's hundreds of samples, the clock's
	// ticks with a few do not keep asking for hundreds for long.
	t.deriveCap = max(len(c.samples), t.deriveCap-t.deriveCap/8)
	if len(c.samples) == 0 {
		t.pool.put(c)
		return
	}
	t.store(c.samples, now)
	t.deliver(c)
}

// hold places a tag's current sample in a feed's latest batch:
// f.cur.samples[pos]. f is nil when the table's own current holds it.
type hold struct {
	f   *Feed
	pos int32
}

// NewTable returns a table for tags, indexed by TagID, every tag starting Bad
// with WaitingForInitialData.
func NewTable(tags []*Tag) *Table {
	t := &Table{current: make([]Sample, len(tags)), held: make([]hold, len(tags)), stale: make([]time.Duration, len(tags)), recv: make([]int64, len(tags))}
	for i, tag := range tags {
		t.current[i] = Sample{Tag: TagID(i), Quality: BadQuality(WaitingForInitialData)}
		t.stale[i] = tag.StaleAfter
	}
	// Enough for a few full scans of every tag in flight (being read, queued
	// for subscribers) without allocating; more is left to the GC.
	t.pool.limit = 8*len(tags) + 1024
	return t
}

// Len returns the number of tags.
func (t *Table) Len() int { return len(t.current) }

// Publish stores a batch of samples as the current values and hands it to
// every subscription. Samples of unknown tags are not stored but are
// delivered. The table copies batch; the caller keeps it.
func (t *Table) Publish(batch []Sample) { t.PublishAt(batch, time.Time{}) }

// PublishAt is Publish for samples read at now: a sample whose Time is zero
// (the device gave no source time) is stored and delivered with now, in the
// same pass that stores it. batch itself is not changed. A zero now leaves
// times as they are.
func (t *Table) PublishAt(batch []Sample, now time.Time) {
	if len(batch) == 0 {
		return
	}
	c := t.pool.get(len(batch))
	c.samples = append(c.samples, batch...)
	t.publish(c, now)
}

// Buffer returns an empty slice with room for at least n samples, lent from
// the table's pool, to read a batch into and hand back with PublishBuffer.
// The poll engine uses it so that a scan's samples reach every subscriber
// without being copied.
func (t *Table) Buffer(n int) []Sample {
	c := t.pool.get(n)
	buf := c.samples
	t.pool.putHeader(c)
	return buf
}

// PublishBuffer is PublishAt that takes buf over instead of copying it: buf
// is stamped in place and shared read-only with the subscriptions, and its
// array returns to the pool once every subscription has taken it. The caller
// must not use buf, or any slice sharing its array, afterwards. buf need not
// come from Buffer. For batches with the same tags in the same order every
// time, a Feed does the same without storing, at no cost per sample.
func (t *Table) PublishBuffer(buf []Sample, now time.Time) {
	if len(buf) == 0 {
		if cap(buf) > 0 {
			t.pool.putArray(buf)
		}
		return
	}
	c := t.pool.header()
	c.samples = buf
	t.publish(c, now)
}

// publish stores the samples of c, stamped with now, as current and delivers
// c to every subscription, all under the lock: a subscriber never sees two
// publishes of a tag in the other order than the table holds them.
func (t *Table) publish(c *chunk, now time.Time) {
	t.mu.Lock()
	t.publishLocked(c, now)
	t.mu.Unlock()
}

// publishLocked is publish for a caller that holds t.mu. The samples are
// stamped here, in the pass that stores them, so c.now stays zero and
// consumers have nothing left to stamp.
func (t *Table) publishLocked(c *chunk, now time.Time) {
	c.now = time.Time{}
	t.store(c.samples, now)
	if t.derive == nil {
		t.deliver(c)
		return
	}
	t.share(c) // c may go back to the pool once delivered: derive reads it first
	t.deriveLocked(c.samples, now)
	t.pool.release(c)
}

// deliver hands c to every subscription. The caller holds t.mu and gives up
// its own reference to c.
func (t *Table) deliver(c *chunk) {
	t.share(c)
	t.pool.release(c)
}

// share hands c to every subscription and leaves the caller one reference
// of its own, which it must release some day: a feed keeps it as long as c
// is its latest batch. The caller holds t.mu.
func (t *Table) share(c *chunk) {
	c.refs.Store(int32(len(t.subs)) + 1) // one per subscription, one for the caller
	for _, s := range t.subs {
		s.push(c)
	}
}

// storeBlock is how many samples store stamps before copying them into
// current: 4 KiB, so the copy reads from L1 what the stamp just touched.
const storeBlock = 64

// store stamps samples without a time with now (unless now is zero) and
// copies them into current. Runs of consecutive tag IDs, which is how a scan
// class's tags come from the project, are copied with one copy per block.
// Samples of unknown tags are skipped. A tag a feed held goes back to
// current: this publish is now its latest. The caller holds t.mu.
func (t *Table) store(batch []Sample, now time.Time) {
	stamp := !now.IsZero()
	n := TagID(len(t.current))
	for i := 0; i < len(batch); {
		id := batch[i].Tag
		j := i + 1
		if id < n {
			for end := min(len(batch), i+storeBlock); j < end && batch[j].Tag == id+TagID(j-i); j++ {
			}
		}
		run := batch[i:j]
		if stamp {
			for k := range run {
				if run[k].Time.IsZero() {
					run[k].Time = now
				}
			}
		}
		switch {
		case id >= n:
		case len(run) == 1:
			if t.feeds > 0 {
				t.unhold(id)
			}
			t.current[id] = run[0]
			t.recv[id] = received(now, run[0].Time)
		default:
			// A run may go past the last tag; copy stops there, so must this.
			m := min(TagID(len(run)), n-id)
			if t.feeds > 0 {
				for k := range m {
					t.unhold(id + k)
				}
			}
			copy(t.current[id:], run)
			for k := range m {
				t.recv[id+k] = received(now, run[k].Time)
			}
		}
		i = j
	}
}

// received is when the table got a sample published at now with time tm:
// now, unless the publisher gave none; as Unix nanoseconds, 0 for none.
func received(now, tm time.Time) int64 {
	if now.IsZero() {
		now = tm
	}
	return unixNano(now)
}

// unixNano is t in Unix nanoseconds, 0 for the zero time. Times beyond
// what int64 nanoseconds hold (a device's clock reading 1601 or 2500) are
// clamped to its ends, so that they age as very old or very new.
func unixNano(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Year() < 1678:
		return 1
	case t.Year() > 2261:
		return math.MaxInt64 / 2
	}
	return t.UnixNano()
}

// Confirm records that the current samples of ids are still current at now,
// without publishing anything: an OPC UA subscription's keep-alive says that
// none of its values changed. Stale marking measures a tag's age from the
// later of its last publish and its last confirmation. Unknown IDs are
// ignored.
func (t *Table) Confirm(ids []TagID, now time.Time) {
	n := TagID(len(t.current))
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		if id >= n {
			continue
		}
		if t.held[id].f != nil {
			// A feed's batch says when it was received; a confirmed
			// sample moves to current, as MarkStale's do.
			t.current[id] = t.sample(id)
			t.unhold(id)
		}
		t.recv[id] = max(t.recv[id], unixNano(now))
	}
}

// sample returns the current sample of tag id, which must be known, from
// wherever it is held, stamped. The caller holds t.mu, at least for reading.
func (t *Table) sample(id TagID) Sample {
	s, now := t.ref(id)
	if s.Time.IsZero() && !now.IsZero() {
		r := *s
		r.Time = now
		return r
	}
	return *s
}

// ref returns where the current sample of tag id (known) is, to be read
// only, and the time for it if its Time is zero (zero: leave it). It copies
// nothing, so that readers of every tag (MarkStale) copy only what they keep:
// a Sample copied for each of many tags costs more than the rest of the
// read.
//
// A feed's sample is checked to be of id: a publisher that broke the
// contract may have put another tag there. Then the feed's batch is
// searched for id's latest sample, a Bad/ConfigError sample stands for it
// when there is none, and the feed's layout is marked suspect so that its
// next publish lays it out anew. The caller holds t.mu, at least for
// reading.
func (t *Table) ref(id TagID) (*Sample, time.Time) {
	h := t.held[id]
	if h.f == nil {
		return &t.current[id], time.Time{}
	}
	if s := &h.f.cur.samples[h.pos]; s.Tag == id {
		return s, h.f.now
	}
	h.f.suspect.Store(true)
	if s := h.f.search(id); s != nil {
		return s, h.f.now
	}
	return &Sample{Tag: id, Quality: BadQuality(ConfigError)}, time.Time{}
}

// hold makes f.cur.samples[pos] the current sample of tag id (known). A
// feed that held id before loses it: its position is detached, so that its
// next publish takes the tag back. A duplicate of id within f's own layout
// is just overwritten: the later position wins, as in store. The caller
// holds t.mu.
func (t *Table) hold(id TagID, f *Feed, pos int32) {
	if h := t.held[id]; h.f != nil && h.f != f {
		h.f.detached = append(h.f.detached, h.pos)
	}
	t.held[id] = hold{f: f, pos: pos}
}

// unhold gives tag id (known) back to current, which the caller is about to
// write: a feed that held it detaches its position until its next publish.
// The feed's sample is not copied, since the caller overwrites it. The caller
// holds t.mu.
func (t *Table) unhold(id TagID) {
	if h := t.held[id]; h.f != nil {
		h.f.detached = append(h.f.detached, h.pos)
		t.held[id] = hold{}
	}
}

// Get returns the current sample of one tag (the zero Sample for an unknown ID).
func (t *Table) Get(id TagID) Sample {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if int(id) >= len(t.current) {
		return Sample{}
	}
	return t.sample(id)
}

// Snapshot appends the current samples of ids (every tag when ids is nil) to
// dst and returns it. Reuse dst between calls to avoid allocating.
func (t *Table) Snapshot(ids []TagID, dst []Sample) []Sample {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if ids == nil {
		return t.appendAll(dst)
	}
	for _, id := range ids {
		if int(id) < len(t.current) {
			dst = append(dst, t.sample(id))
		} else {
			dst = append(dst, Sample{Tag: id, Quality: BadQuality(ConfigError)})
		}
	}
	return dst
}

// appendAll appends the current sample of every tag to dst. It goes by
// runs, as store does: tags held by the table are copied from current, and
// tags a feed holds at consecutive positions (a scan class's tags come so)
// from its batch, in blocks of storeBlock that are then checked and stamped
// while in L1. The caller holds t.mu, at least for reading.
func (t *Table) appendAll(dst []Sample) []Sample {
	if t.feeds == 0 {
		return append(dst, t.current...)
	}
	n := len(t.current)
	dst = slices.Grow(dst, n)
	for i := 0; i < n; {
		h := t.held[i]
		j, end := i+1, min(n, i+storeBlock)
		if h.f == nil {
			for j < end && t.held[j].f == nil {
				j++
			}
			dst = append(dst, t.current[i:j]...)
			i = j
			continue
		}
		for j < end && t.held[j] == (hold{f: h.f, pos: h.pos + int32(j-i)}) {
			j++
		}
		k := len(dst)
		dst = append(dst, h.f.cur.samples[h.pos:int(h.pos)+j-i]...)
		for x, id := k, TagID(i); id < TagID(j); x, id = x+1, id+1 {
			if s := &dst[x]; s.Tag != id {
				*s = t.sample(id) // a broken contract: search
			} else if s.Time.IsZero() && !h.f.now.IsZero() {
				s.Time = h.f.now
			}
		}
		i = j
	}
	return dst
}

// MarkStale turns every Good tag that was neither published nor confirmed
// (Confirm) within its stale limit before now into Uncertain/Stale,
// publishes those changes to subscribers, and returns how many tags it
// marked. The age is measured from when the table received the sample, not
// from its source time, which for an unchanged value is when it last
// changed. The engine calls it periodically.
func (t *Table) MarkStale(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var c *chunk
	nowNano := unixNano(now)
	for i, lim := range t.stale {
		if lim <= 0 {
			continue
		}
		id := TagID(i)
		// ref, with its common cases inline: this pass reads every tag.
		s, stamp := &t.current[i], time.Time{}
		if t.feeds > 0 {
			if h := t.held[i]; h.f == nil {
			} else if p := &h.f.cur.samples[h.pos]; p.Tag == id {
				s, stamp = p, h.f.now
			} else {
				s, stamp = t.ref(id)
			}
		}
		if !s.Quality.IsGood() {
			continue
		}
		// A feed's batch was received at its publish time (stamp), the
		// table's own samples at recv, which Confirm moves on.
		tm := t.recv[i]
		if t.held[i].f != nil {
			tm = received(stamp, s.Time)
		}
		if tm != 0 && nowNano-tm > int64(lim) {
			// A feed's batch is shared read-only with the subscribers, so
			// the stale sample is written to current, as a publish would.
			cur := *s
			if cur.Time.IsZero() {
				cur.Time = stamp
			}
			cur.Quality = UncertainQuality(Stale)
			t.unhold(id)
			t.current[id] = cur
			if c == nil {
				c = t.pool.get(0)
			}
			c.samples = append(c.samples, cur)
		}
	}
	if c == nil {
		t.deriveLocked(nil, now) // the stale check is also the calculated tags' clock
		return 0
	}
	n := len(c.samples) // c belongs to the consumers once delivered
	t.share(c)
	t.deriveLocked(c.samples, now)
	t.pool.release(c)
	return n
}

// Subscribe returns a subscription that receives every sample published from
// now on, buffering at most size samples (at least 1). Close it when done.
func (t *Table) Subscribe(name string, size int) *Subscription {
	if size < 1 {
		size = 1
	}
	s := &Subscription{name: name, table: t, size: size, ready: make(chan struct{}, 1)}
	t.mu.Lock()
	t.subs = append(t.subs, s)
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
// When the consumer falls behind by more than its size, the oldest samples
// are dropped and counted in Dropped.
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

// Name returns the name given to Subscribe, for status displays.
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

// Ready returns a channel that receives when samples may be waiting; use it
// with TryRecv in a select loop.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// TryRecv appends every waiting sample to dst, oldest first, without blocking.
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
		// A feed's batch is delivered unstamped (chunk.now): stamping here,
		// on the consumer's goroutine, in the copy the consumer makes
		// anyway, keeps the publisher free of any per-sample work.
		// Read c.now before the release: the chunk may be reused after it.
		dst = appendStamped(dst, sp.c.samples[sp.off:], sp.c.now)
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

// Dropped returns how many samples were lost because the consumer was slow.
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

// chunk is one published batch, shared read-only by the subscriptions it
// was delivered to. refs counts the holders; the last one to let go
// returns the array to the pool.
type chunk struct {
	samples []Sample
	// now is the time for samples whose Time is zero, which readers stamp
	// as they copy samples out (a feed's batch, see Feed.Publish); zero when
	// the samples are already stamped or are not to be.
	now  time.Time
	refs atomic.Int32
}

// appendStamped appends samples to dst, with now as the Time of those that
// have none (unless now is zero). It stamps by blocks of storeBlock as it
// copies, so that the stamp finds in L1 what the copy just wrote: a second
// pass over a large batch would read it back from memory.
func appendStamped(dst, samples []Sample, now time.Time) []Sample {
	if now.IsZero() {
		return append(dst, samples...)
	}
	dst = slices.Grow(dst, len(samples))
	for len(samples) > 0 {
		k := len(dst)
		block := samples[:min(len(samples), storeBlock)]
		dst = append(dst, block...)
		for i := k; i < len(dst); i++ {
			if dst[i].Time.IsZero() {
				dst[i].Time = now
			}
		}
		samples = samples[len(block):]
	}
	return dst
}

// bufferPool recycles the sample arrays of chunks, so that publishing a scan
// allocates nothing in the steady state. Arrays are kept by capacity class
// (powers of two) up to limit samples in all; beyond that they are left to
// the GC. Recycled arrays are not cleared: their strings stay reachable until
// overwritten, which bounded memory makes acceptable.
type bufferPool struct {
	mu      sync.Mutex
	limit   int          // samples kept at most
	kept    int          // samples in free
	free    [64][]*chunk // by bits.Len(cap)
	headers []*chunk     // chunks without an array
}

// maxHeaders bounds the spare chunk headers; minBuffer is the smallest
// array the pool makes, so that single-sample publishes share one class.
const (
	maxHeaders = 64
	minBuffer  = 16
)

// get returns a chunk whose array is empty with capacity for n samples.
func (p *bufferPool) get(n int) *chunk {
	n = max(n, minBuffer)
	p.mu.Lock()
	defer p.mu.Unlock()
	k := capClass(n)
	// Class k holds capacities in [2^(k-1), 2^k): some fit n; class k+1 all do
	// and wastes at most 4x.
	for cl := k; cl <= k+1 && cl < len(p.free); cl++ {
		free := p.free[cl]
		for i := len(free) - 1; i >= 0; i-- {
			if c := free[i]; cap(c.samples) >= n {
				free[i] = free[len(free)-1]
				free[len(free)-1] = nil
				p.free[cl] = free[:len(free)-1]
				p.kept -= cap(c.samples)
				return c
			}
		}
	}
	c := p.headerLocked()
	c.samples = make([]Sample, 0, n)
	return c
}

// capClass is the class of capacity n: its bit length.
func capClass(n int) int { return bits.Len(uint(n)) }

// header returns a chunk without an array.
func (p *bufferPool) header() *chunk {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.headerLocked()
}

func (p *bufferPool) headerLocked() *chunk {
	if n := len(p.headers); n > 0 {
		c := p.headers[n-1]
		p.headers[n-1] = nil
		p.headers = p.headers[:n-1]
		return c
	}
	return new(chunk)
}

// putHeader keeps c's header and forgets its array (lent out by Buffer).
func (p *bufferPool) putHeader(c *chunk) {
	c.samples, c.now = nil, time.Time{}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.headers) < maxHeaders {
		p.headers = append(p.headers, c)
	}
}

// putArray keeps an array given back without being published.
func (p *bufferPool) putArray(buf []Sample) {
	c := p.header()
	c.samples = buf
	p.put(c)
}

// release drops one reference to c and recycles it after the last.
func (p *bufferPool) release(c *chunk) {
	if c.refs.Add(-1) == 0 {
		p.put(c)
	}
}

// put keeps c's array (and header) for reuse when there is room.
func (p *bufferPool) put(c *chunk) {
	c.samples, c.now = c.samples[:0], time.Time{}
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := capClass(cap(c.samples)); p.kept+cap(c.samples) <= p.limit && k < len(p.free) {
		p.free[k] = append(p.free[k], c)
		p.kept += cap(c.samples)
		return
	}
	c.samples = nil
	if len(p.headers) < maxHeaders {
		p.headers = append(p.headers, c)
	}
}
