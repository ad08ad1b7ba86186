package datasource

import "time"

// Feed publishes batches that carry the same tags in the same order every
// time: the scans of one scan class, which the poll engine publishes
// through one feed each (TableEngine.NewFeed). It is the zero-copy path of
// the table: the engine reads a scan into a buffer the feed lends (Buffer)
// and hands it over (Publish), and the table neither copies the batch for
// its subscribers, which share it read-only, nor into its current values:
// the latest batch itself is the current value of its tags. So a publish
// through a feed does no work per sample at all: the batch's samples
// without a time are stamped with the publish time by its first reader,
// once, in place (see chunk.read).
//
// Everything a reader sees is exactly what Table.Publish of the same
// batches would have shown: the latest publish of a tag wins, whether it
// came through this feed, another feed, Publish or MarkStale, and every
// sample is stamped, with the time of its publish.
//
// The same-layout contract is what makes the publish cheap. Publish checks
// it in constant time, by the batch's length and its first and last tags,
// and lays the feed out anew from a batch that differs there. Order is the
// driver's job, and polltest fails a driver that breaks it; a driver that
// reorders the middle of a batch anyway is not repaired: a reader of a
// tag's current value checks that the sample at the tag's position has its
// tag, and reads the tag Bad/DriverError when it does not.
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
// stamped with now (the table's clock when now is zero), in buf itself, by
// the first reader of the batch; stale marking counts the batch as received
// at now. Samples of unknown tags are not stored but are delivered.
//
// When buf has the feed's layout (the same length, first and last tag)
// Publish does no work per sample, only per tag that someone else wrote
// since the previous publish. Otherwise it lays the feed out anew from buf.
// With calculated tags (a Deriver) the deriver reads the batch at once,
// before it is shared, and with a publish time it does not need it stamped.
// After Close, Publish stores a copy of the batch as
// Table.Publish does.
func (f *Feed) Publish(buf []Sample, now time.Time) {
	t := f.t
	if len(buf) == 0 { // as Publish: nothing changes
		if cap(buf) > 0 {
			t.pool.putArray(buf)
		}
		return
	}
	// The layout is the publisher's (written under t.mu by it alone), so it
	// is compared before the lock is taken.
	same := len(buf) == len(f.ids) && buf[0].Tag == f.ids[0] && buf[len(buf)-1].Tag == f.ids[len(buf)-1]
	c := t.pool.header()
	c.samples = buf
	t.mu.Lock()
	if f.closed {
		t.publishLocked(c, now)
		t.mu.Unlock()
		return
	}
	at := now
	if at.IsZero() {
		at = t.clock()
	}
	c.stampLater(at)
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
	// The deriver reads the batch before anyone else can: with a publish
	// time it needs no stamp (a sample without a time reads as now, as the
	// stamp would make it), so the batch is not written to here, and a
	// sample nobody reads is never stamped (a scan of 10,000 tags is 10,000
	// cache lines). Without one, the times are the samples' own.
	var derived *chunk
	if t.derive != nil {
		if now.IsZero() {
			derived = t.deriveChunk(c.read(), now)
		} else {
			derived = t.deriveChunk(buf, now)
		}
	}
	t.share(c) // the reference share leaves us is cur's
	t.publishDerived(derived, now)
	t.mu.Unlock()
	if old != nil {
		t.pool.release(old)
	}
}

// sample returns the current sample of tag id (known), which f holds at
// position pos of its latest batch, to be read only. The position is id's
// by the layout; a driver that broke its order since (with the same length
// and ends, which Publish checks) put another tag's sample there, and then
// id reads Bad/DriverError rather than another tag's value. The caller
// holds t.mu, at least for reading.
func (f *Feed) sample(id TagID, pos int32) *Sample {
	s := &f.cur.read()[pos]
	if s.Tag != id {
		return outOfOrder(id, s)
	}
	return s
}

// outOfOrder is what tag id reads when its position in a feed's batch holds
// the sample s of another tag: Bad/DriverError at s's time.
func outOfOrder(id TagID, s *Sample) *Sample {
	return &Sample{Tag: id, Quality: BadQuality(DriverError), Time: s.Time}
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
	n := TagID(t.n)
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
	n := TagID(t.n)
	for pos, id := range f.ids {
		// held names a position only with the tag the layout has there.
		if id < n && t.held[id] == (hold{f: f, pos: int32(pos)}) {
			s := *f.sample(id, int32(pos))
			t.release(id)
			t.set(id, s)
			t.recv[id] = received(f.now, s.Time)
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
