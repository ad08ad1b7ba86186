package datasource

import (
	"sync/atomic"
	"time"
)

// Feed publishes batches that carry the same tags in the same order every
// time: the scans of one scan class. It is PublishBuffer without the store:
// the table does not copy a feed's batch into its current values, the latest
// batch itself is the current value of its tags, and samples without a time
// are stamped by whoever reads them (Get, Snapshot, a subscription's
// TryRecv) instead of by the publisher. So a publish through a feed costs
// the same for ten tags as for ten thousand, which is what keeps the
// engine's overhead small next to a fast driver's: even one read-only pass
// over a large batch costs about a tenth of what the driver spends making it.
//
// For batches that keep to the contract, everything a reader sees is
// exactly what PublishBuffer would have shown: the latest publish of a tag
// wins, whether it came through this feed, another feed, Publish or
// MarkStale.
//
// The same-layout contract is what makes the publish free; breaking it is
// not fatal. A batch of another length, or of the same length with another
// first or last tag, is laid out anew (one pass, as PublishBuffer's).
// Publish checks no more than that, so a batch with the same length and
// ends but other tags in between is taken as laid out, and its readers
// check instead: a tag whose sample is not where the layout puts it is
// searched for, and the next publish lays the feed out anew. So tags
// reordered in between read right (but of a tag the batch carries twice,
// the earlier sample may be read); a tag of the layout that the batch lacks
// reads Bad/ConfigError, and a tag the batch carries outside the layout
// keeps its previous sample, until the first publish after a reader met the
// fault.
//
// As with PublishBuffer, the batch is shared, not copied, but a feed also
// reads it for Get and Snapshot until the next publish: a publisher that
// kept writing to it would corrupt the current values, not only what the
// subscribers receive.
//
// A Feed's methods may be called from any goroutine; a feed is meant for
// one publisher.
type Feed struct {
	t *Table

	// The fields below are guarded by t.mu.

	// ids is the layout of cur: the tag of every position, as it was when
	// the layout was made. Only positions that some held entry names are
	// read through it.
	ids []TagID
	// cur is the latest batch, nil before the first publish and after
	// Close. The feed keeps one reference to it (see Table.share).
	cur *chunk
	// now is the time for cur's samples whose Time is zero (zero: none).
	now time.Time
	// detached lists the positions of cur whose tags someone else wrote
	// since cur was published: the next publish holds them again. A
	// position is listed only while its tag is held by this feed there, and
	// is then no longer held, so the list never outgrows the layout.
	detached []int32
	// suspect is set by a reader that found a sample where the layout did
	// not put it: the next publish lays out anew. Readers hold only the
	// read lock, hence the atomic.
	suspect atomic.Bool
	closed  bool
}

// NewFeed returns a feed publishing into t. Close it when its publisher is
// done, to give its tags back to the table's own storage.
func (t *Table) NewFeed() *Feed { return &Feed{t: t} }

// Buffer is Table.Buffer: an empty slice with room for at least n samples,
// to read a batch into and hand to Publish. It never returns the array of
// the feed's latest batch, which the feed still holds.
func (f *Feed) Buffer(n int) []Sample { return f.t.Buffer(n) }

// Publish is PublishBuffer for the feed's batches: it takes buf over (the
// caller must not use buf, or any slice sharing its array, afterwards),
// makes it the current value of its tags and shares it read-only with every
// subscription. Samples whose Time is zero read as now (unless now is zero)
// wherever they are read; buf itself is not stamped. Samples of unknown tags
// are not stored but are delivered.
//
// When buf has the length, first and last tag of the feed's layout, Publish
// does no work per sample, only per tag that someone else wrote since the
// previous publish. Otherwise it lays the feed out anew from buf. After
// Close, Publish is PublishBuffer.
func (f *Feed) Publish(buf []Sample, now time.Time) {
	t := f.t
	if len(buf) == 0 { // as PublishBuffer: nothing changes
		if cap(buf) > 0 {
			t.pool.putArray(buf)
		}
		return
	}
	c := t.pool.header()
	c.samples = buf
	t.mu.Lock()
	if f.closed {
		t.publishLocked(c, now)
		t.mu.Unlock()
		return
	}
	if f.fits(buf) {
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
	f.cur, f.now, c.now = c, now, now
	t.share(c) // the reference share leaves us is cur's
	t.deriveLocked(buf, now)
	t.mu.Unlock()
	if old != nil {
		t.pool.release(old)
	}
}

// fits reports whether buf can take the place of cur without a new layout:
// same length and, as a cheap check of the contract, the same first and last
// tags. The caller holds t.mu.
func (f *Feed) fits(buf []Sample) bool {
	n := len(f.ids)
	return f.cur != nil && !f.suspect.Load() && len(buf) == n &&
		buf[0].Tag == f.ids[0] && buf[n-1].Tag == f.ids[n-1]
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
	f.suspect.Store(false)
}

// drop copies the samples of the tags the feed holds into current, stamped,
// and gives those tags back to current. The caller holds t.mu.
func (f *Feed) drop() {
	t := f.t
	n := TagID(len(t.current))
	for pos, id := range f.ids {
		// held names a position only with the tag the layout has there.
		if id < n && t.held[id] == (hold{f: f, pos: int32(pos)}) {
			t.current[id] = t.sample(id)
			t.recv[id] = received(f.now, t.current[id].Time)
			t.held[id] = hold{}
		}
	}
}

// search returns the latest sample of tag id in the feed's batch, nil if
// there is none: the layout said id was elsewhere, so the publisher broke
// the contract (see Table.ref). The caller holds t.mu, at least for
// reading.
func (f *Feed) search(id TagID) *Sample {
	samples := f.cur.samples
	for i := len(samples) - 1; i >= 0; i-- { // the latest, as store keeps
		if samples[i].Tag == id {
			return &samples[i]
		}
	}
	return nil
}

// Close gives the feed's tags back to the table's own storage, as they are
// (stamped), and releases its latest batch. Publish after Close is
// PublishBuffer. Close may be called more than once.
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
