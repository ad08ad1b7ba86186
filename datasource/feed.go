package datasource

import "time"

// Feed publishes batches that carry the same tags in the same order every
// time: the scans of one scan class, which the poll engine publishes
// through one feed each (TableEngine.NewFeed). It is the zero-copy path of
// the table: the engine reads a scan into a buffer the feed lends (Buffer)
// and hands it over (Publish), and the table neither copies the batch for
// its subscribers, which share it read-only, nor into its current values:
// the latest batch itself is the current value of its tags. So a publish
// through a feed costs one pass over the batch, the one that stamps it, and
// no copy.
//
// Everything a reader sees is exactly what Table.Publish of the same
// batches would have shown: the latest publish of a tag wins, whether it
// came through this feed, another feed, Publish or MarkStale, and every
// sample is stamped.
//
// The same-layout contract is what makes the publish cheap; breaking it is
// not fatal. Publish compares the batch's tags with the layout's, tag for
// tag, in the pass that stamps it, and lays the feed out anew from a batch
// that differs (another length, order or set of tags), so a reader never
// finds a tag's sample where the layout does not put it. A driver whose
// Read breaks the order fails polltest; the check here only keeps such a
// driver from showing one tag's value as another's.
//
// The batch is shared, not copied: a publisher that kept writing to it would
// corrupt the current values and what the subscribers receive.
//
// A feed belongs to its publisher: Buffer, Publish and Close must not be
// called concurrently with each other (the engine calls them from the
// device's goroutine). Readers of the table may run at any time.
type Feed struct {
	t *Table

	// ids is the layout of cur: the tag of every position, as it was when
	// the layout was made; nil before the first publish and after Close.
	// Written under t.mu by the publisher alone, so the publisher reads it
	// without the lock.
	ids []TagID

	// The fields below are guarded by t.mu.

	// cur is the latest batch, nil before the first publish and after
	// Close. The feed keeps one reference to it (see Table.share).
	cur *chunk
	// now is when cur was received (its publish time; zero: each sample
	// counts as received at its own time), for stale marking.
	now time.Time
	// detached lists the positions of cur whose tags someone else wrote
	// since cur was published: the next publish holds them again. A
	// position is listed only while its tag is held by this feed there, and
	// is then no longer held, so the list never outgrows the layout.
	detached []int32
	closed   bool
}

// Buffer returns an empty slice with room for at least n samples, lent from
// the table's pool, to read a batch into and hand to Publish. It never
// returns the array of the feed's latest batch, which the feed still holds.
func (f *Feed) Buffer(n int) []Sample {
	c := f.t.pool.get(n)
	buf := c.samples
	f.t.pool.putHeader(c)
	return buf
}

// Publish takes buf over (the caller must not use buf, or any slice sharing
// its array, afterwards), makes it the current value of its tags and shares
// it read-only with every subscription. Samples whose Time is zero are
// stamped with now (the table's clock when now is zero), in buf itself;
// stale marking counts the batch as received at now. Samples of unknown tags
// are not stored but are delivered.
//
// When buf has the feed's layout, tag for tag, Publish does no work per
// sample beyond the stamp, only per tag that someone else wrote since the
// previous publish. Otherwise it lays the feed out anew from buf. After
// Close, Publish stores a copy of the batch as Table.Publish does.
func (f *Feed) Publish(buf []Sample, now time.Time) {
	t := f.t
	if len(buf) == 0 { // as Publish: nothing changes
		if cap(buf) > 0 {
			t.pool.putArray(buf)
		}
		return
	}
	same := f.stamp(buf, now)
	c := t.pool.header()
	c.samples = buf
	t.mu.Lock()
	if f.closed {
		t.publishLocked(c, now)
		t.mu.Unlock()
		return
	}
	if same {
		// Every position not detached is still held by this feed: the new
		// batch takes its place by becoming cur.
		for _, pos := range f.detached {
			t.hold(f.ids[pos], f, pos)
		}
		f.detached = f.detached[:0]
	} else {
		f.layout(buf)
	}
	old := f.cur
	f.cur, f.now = c, now
	t.share(c) // the reference share leaves us is cur's
	t.deriveLocked(buf, now)
	t.mu.Unlock()
	if old != nil {
		t.pool.release(old)
	}
}

// stamp gives the samples of buf without a time the time now (the table's
// clock when now is zero) and reports whether buf has the layout of the
// feed's latest batch, tag for tag. One pass does both, while the driver's
// writes are still in the cache. It runs before the lock is taken: buf is
// still the publisher's, and so is ids.
func (f *Feed) stamp(buf []Sample, now time.Time) (same bool) {
	at := now
	if at.IsZero() {
		f.t.mu.RLock()
		at = f.t.clock()
		f.t.mu.RUnlock()
	}
	ids := f.ids
	if len(ids) != len(buf) {
		for i := len(buf) - 1; i >= 0; i-- {
			if buf[i].Time.IsZero() {
				buf[i].Time = at
			}
		}
		return false
	}
	ids = ids[:len(buf)]
	var diff TagID // the bits in which some tag differs from its layout's
	// Backwards: the driver wrote buf forwards, so its end is what the
	// cache still holds; a forward pass over a batch larger than the cache
	// would evict each line just before it is needed.
	for i := len(buf) - 1; i >= 0; i-- {
		s := &buf[i]
		if s.Time.IsZero() {
			s.Time = at
		}
		diff |= s.Tag ^ ids[i]
	}
	return diff == 0
}

// layout gives the tags of the old layout that the feed still holds back to
// current and lays the feed out anew from buf, holding every known tag of
// buf at its position (the later of duplicates). The caller holds t.mu and
// makes buf cur.
func (f *Feed) layout(buf []Sample) {
	t := f.t
	if f.cur == nil {
		t.feeds++
	} else {
		f.drop()
	}
	n := TagID(len(t.current))
	if cap(f.ids) < len(buf) {
		f.ids = make([]TagID, len(buf))
	}
	f.ids = f.ids[:len(buf)]
	for i := range buf {
		id := buf[i].Tag
		f.ids[i] = id
		if id < n {
			t.hold(id, f, int32(i))
		}
	}
	f.detached = f.detached[:0]
}

// drop copies the samples of the tags the feed holds into current and
// gives those tags back to current. The caller holds t.mu.
func (f *Feed) drop() {
	t := f.t
	n := TagID(len(t.current))
	for pos, id := range f.ids {
		// held names a position only with the tag the layout has there.
		if id < n && t.held[id] == (hold{f: f, pos: int32(pos)}) {
			t.current[id] = f.cur.samples[pos]
			t.recv[id] = received(f.now, t.current[id].Time)
			t.held[id] = hold{}
		}
	}
}

// Close gives the feed's tags back to the table's own storage, as they are,
// and releases its latest batch. Publish after Close stores a copy of each
// batch, as Table.Publish does. Close may be called more than once.
func (f *Feed) Close() {
	t := f.t
	t.mu.Lock()
	if f.closed {
		t.mu.Unlock()
		return
	}
	f.closed = true
	old := f.cur
	if old != nil {
		f.drop()
		t.feeds--
	}
	f.cur, f.ids, f.detached, f.now = nil, nil, nil, time.Time{}
	t.mu.Unlock()
	if old != nil {
		t.pool.release(old)
	}
}
