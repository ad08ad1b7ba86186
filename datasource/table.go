package datasource

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Table holds the current sample of every tag of a project and hands every
// published sample to its subscriptions. It is the one place a reading
// goes through on its way from the poll engine to history, alarms, the
// Sparkplug edge node and the screens.
//
// A consumer needs four calls: Snapshot (or Get) for the current values,
// Subscribe for every sample as it is published, and on the Subscription
// Recv. Publish stores a batch; the poll engine is the production writer,
// and its own calls (zero-copy scan feeds, stale marking, the calculated
// tags, historical backfill) sit apart, behind Engine.
//
// Every sample a reader gets has its time: a sample published without one
// (a device that gives no source time) is stamped once, with the publish
// time, which the publish decides. A scan class's batch (Feed) is stamped
// in place by its first reader, whichever it is; no reader stamps a copy
// of its own, and every reader sees the same time.
//
// Publish never blocks on a consumer: a subscription that falls behind loses
// its oldest samples and counts them (Subscription.Dropped), because stalling
// the engine would stall every device. One lock is held while a batch is
// stored and delivered, so every subscriber sees publishes in the order the
// table holds them.
//
// Behind the API, a published batch is stored once and shared read-only by
// every subscription, which copies it out in the consumer's goroutine; a
// scan class's batch (Feed) is not even copied into the current values: the
// latest batch itself is the current value of its tags. docs/engine.md has
// the design and its figures.
type Table struct {
	mu sync.RWMutex // guards current, held, feeds, the feeds' state, subs, derive and clock; held while delivering, so every subscriber sees the order of current
	n  int          // tags
	// current is the current sample of every tag not held by a feed, in
	// pages of pageSize tags. A feed's latest batch is the current value
	// of the tags it holds, so their slots here are never read: a page is
	// let go (nil) while a feed holds every tag of it, and made again at
	// the first write after one of them is given back (set). With every
	// tag read by a scan class, that is all of them: 6.4 MB at 100,000
	// tags. Read it with ref, write it with set and copyIn.
	current [][]Sample
	heldN   []int32 // per page of current, how many of its tags a feed holds
	// held says, per tag, which feed's latest batch holds its current
	// sample and where; the zero hold means current does. Read the current
	// sample of a tag with ref, never current directly.
	held  []hold
	feeds int             // feeds with a layout, which may hold tags: with none, current is the whole truth
	stale []time.Duration // per tag, from Tag.StaleAfter; immutable after NewTable
	// recv is, per tag held by current, when the table received its
	// sample (the publish time the publisher gave, else the sample's own
	// time), or when Confirm last said it is still current if that is
	// later. Stale marking measures from it, not from the sample's source
	// time: a device that reports an unchanged value with its old source
	// time (an OPC UA subscription's keep-alive) has not gone stale. Unix
	// nanoseconds, 0 for none: 8 bytes a tag, written by every publish.
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
	// clock stamps the samples of a publish that gives neither them nor
	// itself a time: time.Now until the engine sets its own clock
	// (TableEngine.SetClock).
	clock func() time.Time
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

// setDeriver installs d before anything is published (TableEngine.SetDeriver).
func (t *Table) setDeriver(d Deriver) {
	t.mu.Lock()
	t.derive = d
	t.mu.Unlock()
}

// deriveAt runs the deriver with no new samples at now, for what depends on
// time alone (a reset at midnight, a reset on demand), and publishes what it
// returns.
func (t *Table) deriveAt(now time.Time) {
	t.mu.Lock()
	t.deriveLocked(nil, now)
	t.mu.Unlock()
}

// deriveLocked publishes what the deriver makes of batch. The caller holds
// t.mu and has stored batch.
func (t *Table) deriveLocked(batch []Sample, now time.Time) {
	t.publishDerived(t.deriveChunk(batch, now), now)
}

// deriveChunk returns what the deriver makes of batch, nil when that is
// nothing (or there is no deriver). The caller holds t.mu.
func (t *Table) deriveChunk(batch []Sample, now time.Time) *chunk {
	if t.derive == nil {
		return nil
	}
	c := t.pool.get(t.deriveCap)
	c.samples = t.derive.Derive(batch, now, c.samples)
	// A decaying maximum: after a scan's hundreds of samples, the clock's
	// ticks with a few do not keep asking for hundreds for long.
	t.deriveCap = max(len(c.samples), t.deriveCap-t.deriveCap/8)
	if len(c.samples) == 0 {
		t.pool.put(c)
		return nil
	}
	return c
}

// publishDerived stores and delivers c, the deriver's samples of a publish
// at now, if there are any. The caller holds t.mu.
func (t *Table) publishDerived(c *chunk, now time.Time) {
	if c == nil {
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

// pageShift sizes the pages of Table.current: 1,024 samples, 64 KiB.
const (
	pageShift = 10
	pageSize  = 1 << pageShift
)

// NewTable returns a table for tags, indexed by TagID, every tag starting Bad
// with WaitingForInitialData.
func NewTable(tags []*Tag) *Table {
	n := len(tags)
	pages := (n + pageSize - 1) >> pageShift
	t := &Table{n: n, current: make([][]Sample, pages), heldN: make([]int32, pages), held: make([]hold, n), stale: make([]time.Duration, n), recv: make([]int64, n), clock: time.Now}
	for i, tag := range tags {
		t.set(TagID(i), Sample{Tag: TagID(i), Quality: BadQuality(WaitingForInitialData)})
		t.stale[i] = tag.StaleAfter
	}
	// Enough for a few full scans of every tag in flight (being read, queued
	// for subscribers) without allocating; more is left to the GC.
	t.pool.limit = 8*len(tags) + 1024
	return t
}

// Len returns the number of tags.
func (t *Table) Len() int { return t.n }

// page returns page p of current, made if it was let go. The caller holds
// t.mu.
func (t *Table) page(p int) []Sample {
	if t.current[p] == nil {
		t.current[p] = make([]Sample, t.pageLen(p))
	}
	return t.current[p]
}

// pageLen is how many tags page p of current has: pageSize but for the
// last.
func (t *Table) pageLen(p int) int { return min(pageSize, t.n-p<<pageShift) }

// set makes s the current sample of tag id (known), which no feed holds.
// The caller holds t.mu.
func (t *Table) set(id TagID, s Sample) {
	t.page(int(id >> pageShift))[id&(pageSize-1)] = s
}

// copyIn copies run into current from tag id on; the tags (known) are not
// held by a feed. The caller holds t.mu.
func (t *Table) copyIn(id TagID, run []Sample) {
	for len(run) > 0 {
		k := copy(t.page(int(id >> pageShift))[id&(pageSize-1):], run)
		run, id = run[k:], id+TagID(k)
	}
}

// appendCurrent appends the current samples of tags [i, j) (known, held by
// no feed) to dst. The caller holds t.mu, at least for reading.
func (t *Table) appendCurrent(dst []Sample, i, j int) []Sample {
	for i < j {
		pg := t.current[i>>pageShift][i&(pageSize-1):]
		pg = pg[:min(len(pg), j-i)]
		dst = append(dst, pg...)
		i += len(pg)
	}
	return dst
}

// Publish stores a batch of samples as the current values of their tags and
// hands it to every subscription, in one step. A sample without a time
// (zero Time: the source gave none) is stamped here with the time of the
// publish, the only place a time is filled in. Samples of unknown tags are
// not stored but are delivered. The table copies batch; the caller keeps
// it, unchanged.
func (t *Table) Publish(batch []Sample) { t.publishAt(batch, time.Time{}) }

// publishAt is Publish for samples received at now (zero: the table's
// clock stamps, and each sample counts as received at its own time).
func (t *Table) publishAt(batch []Sample, now time.Time) {
	if len(batch) == 0 {
		return
	}
	c := t.pool.get(len(batch))
	c.samples = append(c.samples, batch...)
	t.mu.Lock()
	t.publishLocked(c, now)
	t.mu.Unlock()
}

// publishLocked stamps and stores the samples of c as current and delivers
// c to every subscription. The caller holds t.mu, so a subscriber never
// sees two publishes of a tag in the other order than the table holds
// them, and gives up its reference to c.
func (t *Table) publishLocked(c *chunk, now time.Time) {
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

// store stamps the samples of batch that have no time with now (with the
// table's clock when now is zero) and copies them into current. Runs of
// consecutive tag IDs, which is how a scan class's tags come from the
// project, are copied with one copy per block. Samples of unknown tags are
// stamped but not stored. A tag a feed held goes back to current: this
// publish is now its latest. The caller holds t.mu.
func (t *Table) store(batch []Sample, now time.Time) {
	at := now // the stamp; read from the clock only if a sample needs it
	n := TagID(t.n)
	for i := 0; i < len(batch); {
		id := batch[i].Tag
		j := i + 1
		if id < n {
			for end := min(len(batch), i+storeBlock); j < end && batch[j].Tag == id+TagID(j-i); j++ {
			}
		}
		run := batch[i:j]
		for k := range run {
			if run[k].Time.IsZero() {
				if at.IsZero() {
					at = t.clock()
				}
				run[k].Time = at
			}
		}
		switch {
		case id >= n:
		case len(run) == 1:
			if t.feeds > 0 {
				t.unhold(id)
			}
			t.set(id, run[0])
			t.recv[id] = received(now, run[0].Time)
		default:
			// A run may go past the last tag; copy stops there, so must this.
			m := min(TagID(len(run)), n-id)
			if t.feeds > 0 {
				for k := range m {
					t.unhold(id + k)
				}
			}
			t.copyIn(id, run[:m])
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
// what int64 nanoseconds hold (a device's clock reading 1601 or 2500: before
// 1678 or after 2261, UTC) are clamped to its ends, so that they age as very
// old or very new. It runs for every tag a stale check reads from a feed's
// batch, so the range is checked in Unix seconds: Time.Year costs more than
// the rest of that check.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	switch sec := t.Unix(); {
	case sec < minUnixSec:
		return 1
	case sec >= maxUnixSec:
		return math.MaxInt64 / 2
	}
	return t.UnixNano()
}

// The first second of 1678 and of 2262, UTC, in Unix seconds: unixNano's
// range (TestUnixNanoClampsTimesBeyondInt64 checks them against time.Date).
const (
	minUnixSec = -9_214_560_000
	maxUnixSec = 9_214_646_400
)

// ref returns where the current sample of tag id (known) is, to be read
// only. It copies nothing, so that readers of every tag (MarkStale) copy
// only what they keep: a Sample copied for each of many tags costs more
// than the rest of the read. A tag held by a feed is read with Feed.sample,
// which stamps the batch on its first read and reads id Bad/DriverError
// when the driver put another tag at id's position. The caller holds t.mu,
// at least for reading.
func (t *Table) ref(id TagID) *Sample {
	if h := t.held[id]; h.f != nil {
		return h.f.sample(id, h.pos)
	}
	return &t.current[id>>pageShift][id&(pageSize-1)] // not held: its page is there
}

// hold makes f.cur.samples[pos] the current sample of tag id (known). A
// feed that held id before loses it: its position is detached, so that its
// next publish takes the tag back. A duplicate of id within f's own layout
// is just overwritten: the later position wins, as in store. The caller
// holds t.mu.
func (t *Table) hold(id TagID, f *Feed, pos int32) {
	switch h := t.held[id]; {
	case h.f == nil:
		p := int(id >> pageShift)
		t.heldN[p]++
		if int(t.heldN[p]) == t.pageLen(p) {
			t.current[p] = nil // every tag of the page is held: none of its slots is read
		}
	case h.f != f:
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
		t.release(id)
	}
}

// release gives tag id, held by a feed, back to current without a word to
// the feed; the caller writes its sample next (set), which makes its page
// again if it was let go. The caller holds t.mu.
func (t *Table) release(id TagID) {
	t.held[id] = hold{}
	t.heldN[id>>pageShift]--
}

// Get returns the current sample of one tag (the zero Sample for an unknown
// ID). The write path uses it for the old value of an audit record.
func (t *Table) Get(id TagID) Sample {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if int(id) >= t.n {
		return Sample{}
	}
	return *t.ref(id)
}

// Snapshot appends the current samples of ids (every tag when ids is nil) to
// dst and returns it; an unknown ID reads Bad/ConfigError. Reuse dst between
// calls to avoid allocating.
func (t *Table) Snapshot(ids []TagID, dst []Sample) []Sample {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if ids == nil {
		return t.appendAll(dst)
	}
	for _, id := range ids {
		if int(id) < t.n {
			dst = append(dst, *t.ref(id))
		} else {
			dst = append(dst, Sample{Tag: id, Quality: BadQuality(ConfigError)})
		}
	}
	return dst
}

// appendAll appends the current sample of every tag to dst. It goes by
// runs, as store does: tags held by the table are copied from current, and
// tags a feed holds at consecutive positions (a scan class's tags come so)
// from its batch, one copy per block of a run, whose tags are then checked
// while the block is still in the cache (see Feed.sample). The caller holds
// t.mu, at least for reading.
func (t *Table) appendAll(dst []Sample) []Sample {
	n := t.n
	if t.feeds == 0 { // no tag is held
		return t.appendCurrent(dst, 0, n)
	}
	dst = slices.Grow(dst, n)
	for i := 0; i < n; {
		h := t.held[i]
		j := i + 1
		if h.f == nil {
			for j < n && t.held[j].f == nil {
				j++
			}
			dst = t.appendCurrent(dst, i, j)
			i = j
			continue
		}
		for j < n && j-i < storeBlock && t.held[j] == (hold{f: h.f, pos: h.pos + int32(j-i)}) {
			j++
		}
		from := len(dst)
		dst = append(dst, h.f.cur.read()[h.pos:int(h.pos)+j-i]...)
		for k := range dst[from:] {
			if s := &dst[from+k]; s.Tag != TagID(i+k) {
				*s = *outOfOrder(TagID(i+k), s)
			}
		}
		i = j
	}
	return dst
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
