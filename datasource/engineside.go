package datasource

import "time"

// TableEngine is the poll engine's side of a Table: what the engine and the
// runtime's wiring need beyond Publish, and no consumer does. It publishes
// with the engine's clock and receipt time (SetClock, PublishAt), lends the
// zero-copy scan feeds (NewFeed), keeps tags fresh and marks them stale
// (Confirm, MarkStale), carries the calculated tags' hook (SetDeriver,
// Derive) and the side path of historical samples (PublishHistorical).
//
// It is a handle: a copy holds the same table, and it costs nothing to get
// one with Table.Engine.
type TableEngine struct{ t *Table }

// Engine returns the table's engine side. Only the poll engine and the
// runtime's wiring call it; consumers need Snapshot, Subscribe and Recv.
func (t *Table) Engine() TableEngine { return TableEngine{t: t} }

// SetClock makes now the clock that stamps samples published without a
// time and without a publish time (Table.Publish), instead of time.Now: the
// engine sets its own, so that a fake clock in a test stamps too. Call it
// before anything is published.
func (e TableEngine) SetClock(now func() time.Time) {
	e.t.mu.Lock()
	e.t.clock = now
	e.t.mu.Unlock()
}

// PublishAt is Table.Publish for samples received at now, the engine's poll
// time: a sample without a time is stamped with now, and stale marking
// counts every sample's age from now rather than from its source time. A
// zero now is Publish. batch itself is not changed.
func (e TableEngine) PublishAt(batch []Sample, now time.Time) { e.t.publishAt(batch, now) }

// NewFeed returns a feed publishing into the table, for the scans of one
// scan class. Close it when its publisher is done, to give its tags back to
// the table's own storage.
func (e TableEngine) NewFeed() *Feed { return &Feed{t: e.t} }

// SetDeriver installs d, the calculated tags, before anything is published.
func (e TableEngine) SetDeriver(d Deriver) { e.t.setDeriver(d) }

// Derive runs the deriver with no new samples at now, for what depends on
// time alone (a reset at midnight, a reset on demand), and publishes what it
// returns.
func (e TableEngine) Derive(now time.Time) { e.t.deriveAt(now) }

// Confirm records that the current samples of ids are still current at now,
// without publishing anything: an OPC UA subscription's keep-alive says that
// none of its values changed. Stale marking measures a tag's age from the
// later of its last publish and its last confirmation. Unknown IDs are
// ignored.
func (e TableEngine) Confirm(ids []TagID, now time.Time) {
	t := e.t
	n := TagID(t.n)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		if id >= n {
			continue
		}
		if t.held[id].f != nil {
			// A feed's batch says when it was received; a confirmed
			// sample moves to current, as MarkStale's do.
			s := *t.ref(id)
			t.unhold(id)
			t.set(id, s)
		}
		t.recv[id] = max(t.recv[id], unixNano(now))
	}
}

// MarkStale turns every Good tag that was neither published nor confirmed
// (Confirm) within its stale limit before now into Uncertain/Stale,
// publishes those changes to subscribers, and returns how many tags it
// marked. The age is measured from when the table received the sample, not
// from its source time, which for an unchanged value is when it last
// changed. The engine calls it periodically; it is also the calculated
// tags' clock (Derive at now).
func (e TableEngine) MarkStale(now time.Time) int {
	t := e.t
	t.mu.Lock()
	defer t.mu.Unlock()
	var c *chunk
	nowNano := unixNano(now)
	for i, lim := range t.stale {
		if lim <= 0 {
			continue
		}
		// A feed's batch was received when it was published (f.now), the
		// table's own samples at recv, which Confirm moves on.
		var s *Sample
		var tm int64
		if h := t.held[i]; h.f != nil {
			s = h.f.sample(TagID(i), h.pos)
			tm = received(h.f.now, s.Time)
		} else {
			s, tm = t.ref(TagID(i)), t.recv[i]
		}
		if !s.Quality.IsGood() || tm == 0 || nowNano-tm <= int64(lim) {
			continue
		}
		// A feed's batch is shared read-only with the subscribers, so the
		// stale sample is written to current, as a publish would.
		cur := *s
		cur.Quality = UncertainQuality(Stale)
		id := TagID(i)
		t.unhold(id)
		t.set(id, cur)
		if c == nil {
			c = t.pool.get(0)
		}
		c.samples = append(c.samples, cur)
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
