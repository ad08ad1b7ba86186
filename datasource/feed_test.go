package datasource

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// modelTags returns n tags with stale limits of 0 (never stale), 2s and 3s,
// so that MarkStale has tags to skip and tags to mark.
func modelTags(n int) []*Tag {
	tags := make([]*Tag, n)
	for i := range tags {
		tags[i] = &Tag{ID: TagID(i), Name: fmt.Sprint("t", i), StaleAfter: time.Duration(i%3) * time.Second}
	}
	return tags
}

// sameSample compares two samples, times by Equal.
func sameSample(a, b Sample) bool {
	return a.Tag == b.Tag && a.Quality == b.Quality && a.Value == b.Value && a.Time.Equal(b.Time)
}

func sameSamples(a, b []Sample) bool {
	return slices.EqualFunc(a, b, sameSample)
}

// checkHeld verifies the bookkeeping behind feeds: every held entry names a
// live feed at a position whose layout has that tag; a feed's detached
// positions are distinct, within its layout and not held; feeds counts the
// feeds with a layout.
func checkHeld(t *testing.T, tb *Table, feeds []*Feed) {
	t.Helper()
	tb.mu.RLock()
	defer tb.mu.RUnlock()
	for id, h := range tb.held {
		if h.f == nil {
			continue
		}
		if h.f.closed || h.f.cur == nil || int(h.pos) >= len(h.f.ids) || h.f.ids[h.pos] != TagID(id) {
			t.Fatalf("tag %d held by a feed at %d, which does not lay it out there (closed %v, layout %v)", id, h.pos, h.f.closed, h.f.ids)
		}
	}
	live := 0
	for _, f := range feeds {
		if f.cur != nil {
			live++
		}
		if len(f.detached) > len(f.ids) {
			t.Fatalf("%d positions detached from a layout of %d", len(f.detached), len(f.ids))
		}
		seen := map[int32]bool{}
		for _, pos := range f.detached {
			if seen[pos] || int(pos) >= len(f.ids) || tb.held[f.ids[pos]] == (hold{f: f, pos: pos}) {
				t.Fatalf("detached position %d is a duplicate, out of the layout %v or held", pos, f.ids)
			}
			seen[pos] = true
		}
	}
	if live != tb.feeds {
		t.Fatalf("table counts %d feeds with a layout, there are %d", tb.feeds, live)
	}
	// current's pages: a page is let go exactly when a feed holds every
	// tag of it, and heldN counts them.
	for p := range tb.current {
		held := 0
		for id := p << pageShift; id < min(tb.n, (p+1)<<pageShift); id++ {
			if tb.held[id].f != nil {
				held++
			}
		}
		if int(tb.heldN[p]) != held {
			t.Fatalf("page %d counts %d held tags, there are %d", p, tb.heldN[p], held)
		}
		if (tb.current[p] == nil) != (held == tb.pageLen(p)) {
			t.Fatalf("page %d let go %v with %d of its %d tags held", p, tb.current[p] == nil, held, tb.pageLen(p))
		}
	}
}

// TestFeedMatchesPublishAt runs random sequences of operations against
// two tables: one publishing through feeds, the reference publishing the
// same batches with PublishAt, which copies and stores them. Every reader must see the same samples in
// both after every step: Get, Snapshot of some tags and of all, MarkStale's
// count and its marks, and what every subscription receives (one of them
// small, so that it drops part of batches). The sequences have feeds with
// overlapping layouts that change length, duplicate and unknown tags,
// samples with and without a time, zero and non-zero poll times, same-length
// reordered batches (a broken contract a feed must notice at publish),
// single-sample Publish and PublishAt, MarkStale, and feeds closed midway
// (then published to again, and replaced).
//
// With readEvery > 1 the tables are read only every few steps, so that
// several publishes (and relayouts) pile up between two reads.
func TestFeedMatchesPublishAt(t *testing.T) {
	for _, readEvery := range []int{1, 5} {
		for seed := range uint64(30) {
			t.Run(fmt.Sprintf("read%d/seed%d", readEvery, seed), func(t *testing.T) {
				runFeedModel(t, rand.New(rand.NewPCG(seed, uint64(readEvery))), readEvery)
			})
		}
	}
}

func runFeedModel(t *testing.T, r *rand.Rand, readEvery int) {
	const nTags, nFeeds, steps = 12, 3, 400
	tags := modelTags(nTags)
	got, want := NewTable(tags), NewTable(tags)
	type subPair struct{ got, want *Subscription }
	subscribe := func(name string, size int) subPair {
		return subPair{got.Subscribe(name, size), want.Subscribe(name, size)}
	}
	subs := []subPair{subscribe("history", 1<<12), subscribe("small", 7)}
	defer func() {
		for _, s := range subs {
			s.got.Close()
			s.want.Close()
		}
	}()

	feeds := make([]*Feed, nFeeds)
	layouts := make([][]TagID, nFeeds)
	var all []*Feed // every feed ever made, for checkHeld
	// newLayout returns a random layout of another length than old: a
	// feed's tags change with its length (a same-length change is a broken
	// contract, which only some tests below make on purpose).
	newLayout := func(old []TagID) []TagID {
		n := 1 + r.IntN(8)
		for n == len(old) {
			n = 1 + r.IntN(8)
		}
		ids := make([]TagID, n)
		for i := range ids {
			if r.IntN(12) == 0 {
				ids[i] = TagID(nTags + r.IntN(3)) // unknown
			} else {
				ids[i] = TagID(r.IntN(nTags)) // duplicates come by chance
			}
		}
		return ids
	}
	for k := range feeds {
		feeds[k] = got.Engine().NewFeed()
		all = append(all, feeds[k])
		layouts[k] = newLayout(nil)
	}
	base := time.Unix(1_000_000, 0)
	value := int64(0)
	sample := func(id TagID, step int) Sample {
		value++
		s := Sample{Tag: id, Value: Int(value)}
		if r.IntN(2) == 0 {
			s.Time = base.Add(time.Duration(step-r.IntN(5)) * time.Second)
		}
		if r.IntN(8) == 0 {
			s.Quality = BadQuality(CommFailure)
		}
		return s
	}
	pollTime := func(step int) time.Time {
		if r.IntN(5) == 0 {
			return time.Time{}
		}
		return base.Add(time.Duration(step) * time.Second)
	}

	// A publish without a poll time stamps with the tables' clock: the
	// same fake clock for both, a second a step.
	clock := base
	for _, tb := range []*Table{got, want} {
		tb.Engine().SetClock(func() time.Time { return clock })
	}

	var log []string // the operations so far, to make a failure readable
	var gotBuf, wantBuf []Sample
	for step := range steps {
		clock = base.Add(time.Duration(step) * time.Second)
		switch op := r.IntN(100); {
		case op < 55: // a feed's scan
			k := r.IntN(nFeeds)
			if r.IntN(8) == 0 {
				layouts[k] = newLayout(layouts[k])
			}
			ids := slices.Clone(layouts[k])
			if r.IntN(8) == 0 && len(ids) > 1 && !hasDuplicates(ids) {
				// Broken contract: same tags, another order, one the feed
				// sees (its first tag changes), so that it lays out anew;
				// TestFeedShowsABrokenOrderAsDriverError has one it does
				// not see.
				k := 1 + r.IntN(len(ids)-1)
				ids = append(ids[k:], ids[:k]...)
			}
			now := pollTime(step)
			g, w := feeds[k].Buffer(len(ids)), make([]Sample, 0, len(ids))
			for _, id := range ids {
				s := sample(id, step)
				g, w = append(g, s), append(w, s)
			}
			log = append(log, fmt.Sprintf("feed %d publishes %v at %v", k, ids, now.Unix()))
			feeds[k].Publish(g, now)
			want.Engine().PublishAt(w, now)
		case op < 65: // Publish of a single sample, unknown tags included
			s := sample(TagID(r.IntN(nTags+1)), step)
			log = append(log, fmt.Sprintf("Publish tag %d", s.Tag))
			got.Publish([]Sample{s})
			want.Publish([]Sample{s})
		case op < 75: // PublishAt of two samples
			now := pollTime(step)
			b := []Sample{sample(TagID(r.IntN(nTags)), step), sample(TagID(r.IntN(nTags)), step)}
			log = append(log, fmt.Sprintf("PublishAt tags %d %d at %v", b[0].Tag, b[1].Tag, now.Unix()))
			got.Engine().PublishAt(b, now)
			want.Engine().PublishAt(b, now)
		case op < 90:
			now := base.Add(time.Duration(step+r.IntN(8)) * time.Second)
			log = append(log, fmt.Sprintf("MarkStale at %v", now.Unix()))
			if g, w := got.Engine().MarkStale(now), want.Engine().MarkStale(now); g != w {
				t.Fatalf("step %d: MarkStale marked %d, reference %d\n%v", step, g, w, log)
			}
		case op < 95: // a feed closes; later it publishes as PublishAt
			k := r.IntN(nFeeds)
			log = append(log, fmt.Sprintf("feed %d closes", k))
			feeds[k].Close()
			if r.IntN(3) == 0 {
				feeds[k].Close() // idempotent
			}
			if r.IntN(2) == 0 {
				feeds[k] = got.Engine().NewFeed()
				all = append(all, feeds[k])
				layouts[k] = newLayout(nil)
			}
		default: // an empty batch changes nothing
			k := r.IntN(nFeeds)
			log = append(log, fmt.Sprintf("feed %d publishes nothing", k))
			feeds[k].Publish(feeds[k].Buffer(4), pollTime(step))
			want.Engine().PublishAt(nil, pollTime(step))
		}
		if step == steps/2 {
			subs = append(subs, subscribe("late", 1<<12))
		}

		checkHeld(t, got, all)
		for _, s := range subs {
			gotBuf, wantBuf = s.got.TryRecv(gotBuf[:0]), s.want.TryRecv(wantBuf[:0])
			if !sameSamples(gotBuf, wantBuf) {
				t.Fatalf("step %d: subscription %s received\n%+v\nreference\n%+v\n%v", step, s.got.Name(), gotBuf, wantBuf, log)
			}
			if s.got.Dropped() != s.want.Dropped() || s.got.offered() != s.want.offered() {
				t.Fatalf("step %d: subscription %s dropped %d of %d, reference %d of %d", step, s.got.Name(), s.got.Dropped(), s.got.offered(), s.want.Dropped(), s.want.offered())
			}
		}
		if step%readEvery != 0 {
			continue
		}
		gotBuf, wantBuf = got.Snapshot(nil, gotBuf[:0]), want.Snapshot(nil, wantBuf[:0])
		if !sameSamples(gotBuf, wantBuf) {
			t.Fatalf("step %d: Snapshot(nil)\n%+v\nreference\n%+v\n%v", step, gotBuf, wantBuf, log)
		}
		ids := []TagID{TagID(r.IntN(nTags + 2)), TagID(r.IntN(nTags)), TagID(r.IntN(nTags))}
		gotBuf, wantBuf = got.Snapshot(ids, gotBuf[:0]), want.Snapshot(ids, wantBuf[:0])
		if !sameSamples(gotBuf, wantBuf) {
			t.Fatalf("step %d: Snapshot(%v)\n%+v\nreference\n%+v\n%v", step, ids, gotBuf, wantBuf, log)
		}
		for id := range TagID(nTags + 2) {
			if g, w := got.Get(id), want.Get(id); !sameSample(g, w) {
				t.Fatalf("step %d: Get(%d) = %+v, reference %+v\n%v", step, id, g, w, log)
			}
		}
	}

	// Closing every feed gives every tag back to current, unchanged.
	for _, f := range feeds {
		f.Close()
	}
	checkHeld(t, got, all)
	for id, h := range got.held {
		if h.f != nil {
			t.Fatalf("tag %d still held after every feed closed", id)
		}
	}
	if g, w := got.Snapshot(nil, nil), want.Snapshot(nil, nil); !sameSamples(g, w) {
		t.Fatalf("after closing the feeds: Snapshot(nil)\n%+v\nreference\n%+v", g, w)
	}
}

func hasDuplicates(ids []TagID) bool {
	s := slices.Clone(ids)
	slices.Sort(s)
	return len(slices.Compact(s)) != len(ids)
}

// TestFeedShowsABrokenOrderAsDriverError publishes batches of the same
// length, first and last tag as the layout but the middle reordered or a
// tag replaced by a duplicate (a driver that broke its contract, which
// polltest fails): the publish checks only the ends, so it does not notice,
// and nothing repairs it; a reader of a tag whose position now holds
// another tag must read it Bad/DriverError, never the other tag's value,
// and stale marking must leave it so. Subscribers get the batch as it came,
// each sample with its own tag. The next batch in order reads right again.
func TestFeedShowsABrokenOrderAsDriverError(t *testing.T) {
	tb := NewTable(tagsN(4)) // stale after 3 s
	sub := tb.Subscribe("history", 100)
	defer sub.Close()
	f := tb.Engine().NewFeed()
	defer f.Close()
	publish := func(ids []TagID, v int64) {
		buf := f.Buffer(len(ids))
		for _, id := range ids {
			buf = append(buf, Sample{Tag: id, Value: Int(v*10 + int64(id))})
		}
		f.Publish(buf, time.Unix(v, 0))
	}
	// check wants every tag at v's value, except those in broken, which
	// must read Bad/DriverError at v's time, through Get, Snapshot and
	// Snapshot of some.
	check := func(v int64, broken ...TagID) {
		t.Helper()
		want := make([]Sample, 4)
		for id := range TagID(4) {
			want[id] = Sample{Tag: id, Value: Int(v*10 + int64(id)), Time: time.Unix(v, 0)}
			if slices.Contains(broken, id) {
				want[id] = Sample{Tag: id, Quality: BadQuality(DriverError), Time: time.Unix(v, 0)}
			}
			if s := tb.Get(id); !sameSample(s, want[id]) {
				t.Fatalf("Get(%d) = %+v, want %+v", id, s, want[id])
			}
		}
		if all := tb.Snapshot(nil, nil); !sameSamples(all, want) {
			t.Fatalf("Snapshot =\n%+v\nwant\n%+v", all, want)
		}
		if some := tb.Snapshot([]TagID{2, 1}, nil); !sameSamples(some, []Sample{want[2], want[1]}) {
			t.Fatalf("Snapshot(2, 1) = %+v, want %+v", some, []Sample{want[2], want[1]})
		}
	}
	publish([]TagID{0, 1, 2, 3}, 1)
	check(1)
	publish([]TagID{0, 2, 1, 3}, 2) // same length and ends, middle swapped
	if !slices.Equal(f.ids, []TagID{0, 1, 2, 3}) {
		t.Fatalf("layout %v, want 0 1 2 3 kept: the feed checks only the ends", f.ids)
	}
	check(2, 1, 2)
	if n := tb.Engine().MarkStale(time.Unix(10, 0)); n != 2 { // tags 0 and 3; 1 and 2 are Bad
		t.Fatalf("MarkStale marked %d, want 2 (tags 0 and 3)", n)
	}
	got := sub.TryRecv(nil)
	wantRecv := []Sample{{Tag: 0, Value: Int(10), Time: time.Unix(1, 0)}, {Tag: 1, Value: Int(11), Time: time.Unix(1, 0)},
		{Tag: 2, Value: Int(12), Time: time.Unix(1, 0)}, {Tag: 3, Value: Int(13), Time: time.Unix(1, 0)},
		{Tag: 0, Value: Int(20), Time: time.Unix(2, 0)}, {Tag: 2, Value: Int(22), Time: time.Unix(2, 0)},
		{Tag: 1, Value: Int(21), Time: time.Unix(2, 0)}, {Tag: 3, Value: Int(23), Time: time.Unix(2, 0)},
		{Tag: 0, Value: Int(20), Time: time.Unix(2, 0), Quality: UncertainQuality(Stale)},
		{Tag: 3, Value: Int(23), Time: time.Unix(2, 0), Quality: UncertainQuality(Stale)}}
	if !sameSamples(got, wantRecv) {
		t.Fatalf("subscription got\n%+v\nwant\n%+v", got, wantRecv)
	}
	publish([]TagID{0, 1, 2, 3}, 3)
	check(3)
	publish([]TagID{0, 0, 2, 3}, 4) // tag 1's place taken by a duplicate of 0
	check(4, 1)
	publish([]TagID{0, 1, 2, 3}, 5)
	check(5)
}

// TestFeedTakesTheLaterOfADuplicatedTag lays a feed out from a batch with
// a duplicated tag: as with Publish, the later of the two samples must be
// the one read, in that batch and the next of the same layout.
func TestFeedTakesTheLaterOfADuplicatedTag(t *testing.T) {
	tb := NewTable(tagsN(4))
	f := tb.Engine().NewFeed()
	defer f.Close()
	batch := func(v int64, ids ...TagID) []Sample {
		buf := f.Buffer(len(ids))
		for i, id := range ids {
			buf = append(buf, Sample{Tag: id, Value: Int(v + int64(i))})
		}
		return buf
	}
	for _, v := range []int64{10, 20} {
		f.Publish(batch(v, 0, 1, 2, 1, 3), time.Unix(v, 0)) // tag 1 at 3, the later
		if s := tb.Get(1); s.Value != Int(v+3) {
			t.Fatalf("Get(1) = %+v, want the later duplicate (value %d)", s, v+3)
		}
		if s := tb.Get(2); s.Value != Int(v+2) {
			t.Fatalf("Get(2) = %+v, want value %d", s, v+2)
		}
	}
}

// TestFeedLaysOutAgainWhenTheEndsChange publishes a batch of the same length
// as the layout whose tags shifted (a broken contract a feed notices at
// once, by the first and last tag): it must be laid out anew, so that the
// tag that came in is updated and the one that left keeps its last sample.
func TestFeedLaysOutAgainWhenTheEndsChange(t *testing.T) {
	tb := NewTable(tagsN(5))
	f := tb.Engine().NewFeed()
	defer f.Close()
	now := time.Unix(10, 0)
	f.Publish([]Sample{{Tag: 0, Value: Int(1)}, {Tag: 1, Value: Int(1)}, {Tag: 2, Value: Int(1)}}, now)
	f.Publish([]Sample{{Tag: 1, Value: Int(2)}, {Tag: 2, Value: Int(2)}, {Tag: 3, Value: Int(2)}}, now)
	want := []Sample{{Tag: 0, Value: Int(1), Time: now}, {Tag: 1, Value: Int(2), Time: now}, {Tag: 2, Value: Int(2), Time: now},
		{Tag: 3, Value: Int(2), Time: now}, {Tag: 4, Quality: BadQuality(WaitingForInitialData)}}
	if got := tb.Snapshot(nil, nil); !sameSamples(got, want) {
		t.Fatalf("Snapshot =\n%+v\nwant\n%+v", got, want)
	}
	if !slices.Equal(f.ids, []TagID{1, 2, 3}) {
		t.Fatalf("layout %v, want 1 2 3", f.ids)
	}
}

// TestFeedDeliversStampedAndRecyclesItsBatches checks what a feed does with
// its arrays: subscribers get the samples stamped (even from the span of a
// batch a small subscription kept), the feed's latest batch is never lent
// out again, and once replaced (or the feed closed) and taken by every
// subscriber it is, so that a feed's scans double-buffer without
// allocating.
func TestFeedDeliversStampedAndRecyclesItsBatches(t *testing.T) {
	tb := NewTable(tagsN(4))
	small := tb.Subscribe("small", 2)
	defer small.Close()
	f := tb.Engine().NewFeed()
	src, now := time.Unix(50, 0), time.Unix(100, 0)

	first := f.Buffer(4)
	a := &first[:1][0]
	first = append(first, Sample{Tag: 0}, Sample{Tag: 1}, Sample{Tag: 2, Time: src}, Sample{Tag: 3})
	f.Publish(first, now)
	got := small.TryRecv(nil)
	if len(got) != 2 || got[0].Tag != 2 || !got[0].Time.Equal(src) || got[1].Tag != 3 || !got[1].Time.Equal(now) {
		t.Fatalf("small subscription got %+v, want tags 2 (source time) and 3 (poll time)", got)
	}
	if s := tb.Get(0); !s.Time.Equal(now) {
		t.Fatalf("Get(0) = %+v, want stamped with the poll time", s)
	}

	second := f.Buffer(4)
	if &second[:1][0] == a {
		t.Fatal("Buffer lent the array of the feed's latest batch")
	}
	second = append(second, Sample{Tag: 0}, Sample{Tag: 1}, Sample{Tag: 2}, Sample{Tag: 3})
	f.Publish(second, now.Add(time.Second))
	small.TryRecv(nil)
	if third := f.Buffer(4); &third[:1][0] != a {
		t.Fatal("the replaced batch was not recycled")
	} else {
		tb.pool.putArray(third)
	}

	b := &second[:1][0]
	f.Close()
	f.Close()
	if s := tb.Get(0); !s.Time.Equal(now.Add(time.Second)) {
		t.Fatalf("after Close, Get(0) = %+v, want the stamped sample kept", s)
	}
	if again := f.Buffer(4); &again[:1][0] != b && &again[:1][0] != a {
		t.Fatal("Close did not release the feed's latest batch")
	}
}

// TestFeedConcurrentReaders publishes through a feed (changing its layout
// now and then) while other goroutines Get, Snapshot, MarkStale and drain a
// subscription; under -race this checks the locking, and every sample read
// must be a whole one: its time is the poll time of the batch its value
// came from, and a tag's value never goes back.
func TestFeedConcurrentReaders(t *testing.T) {
	const per, batches = 64, 3000
	tb := NewTable(tagsN(per))
	sub := tb.Subscribe("history", 256)
	f := tb.Engine().NewFeed()
	poll := func(v int64) time.Time { return time.Unix(v+1, 0) }
	check := func(s Sample, last []int64) error {
		v, _ := s.Value.AsInt()
		if s.Tag >= per || !s.Time.Equal(poll(v)) || v < last[s.Tag] {
			return fmt.Errorf("sample %+v after value %d", s, last[s.Tag])
		}
		last[s.Tag] = v
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	reader := func(read func(last []int64, buf []Sample) ([]Sample, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := make([]int64, per)
			var buf []Sample
			for ctx.Err() == nil {
				var err error
				if buf, err = read(last, buf[:0]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	reader(func(last []int64, buf []Sample) ([]Sample, error) {
		for id := range TagID(per) {
			if s := tb.Get(id); s.Tag != id || (s.Value != Value{} && check(s, last) != nil) {
				return buf, fmt.Errorf("Get(%d) = %+v after value %d", id, s, last[id])
			}
		}
		return buf, nil
	})
	reader(func(last []int64, buf []Sample) ([]Sample, error) {
		buf = tb.Snapshot(nil, buf)
		for i, s := range buf {
			if s.Tag != TagID(i) || (s.Value != Value{} && check(s, last) != nil) {
				return buf, fmt.Errorf("Snapshot[%d] = %+v after value %d", i, s, last[i])
			}
		}
		return buf, nil
	})
	reader(func(last []int64, buf []Sample) ([]Sample, error) {
		tb.Engine().MarkStale(time.Unix(1<<40, 0))
		return buf, nil
	})
	reader(func(last []int64, buf []Sample) ([]Sample, error) {
		buf, err := sub.Recv(ctx, buf)
		if err != nil {
			return buf, nil // the test is over
		}
		for _, s := range buf {
			if err := check(s, last); err != nil {
				return buf, fmt.Errorf("subscription: %w", err)
			}
		}
		return buf, nil
	})
	for v := range int64(batches) {
		n := per
		if v%100 >= 90 { // a shorter layout now and then
			n = per / 2
		}
		buf := f.Buffer(n)
		for i := range n {
			buf = append(buf, Sample{Tag: TagID(i), Value: Int(v)})
		}
		f.Publish(buf, poll(v))
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	f.Close()
	sub.Close()
}

// BenchmarkFeedRecv measures what a subscriber pays to take a scan of
// 10,000 samples published through a feed: one copy, the samples being
// stamped at publish.
func BenchmarkFeedRecv(b *testing.B) {
	const n = 10000
	tb := NewTable(tagsN(n))
	sub := tb.Subscribe("history", n)
	defer sub.Close()
	f := tb.Engine().NewFeed()
	defer f.Close()
	now := time.Now()
	dst := make([]Sample, 0, n)
	var recv time.Duration
	for b.Loop() {
		buf := f.Buffer(n)
		for i := range n {
			buf = append(buf, Sample{Tag: TagID(i), Value: Float(float64(i))})
		}
		f.Publish(buf, now)
		t0 := time.Now()
		dst = sub.TryRecv(dst[:0])
		recv += time.Since(t0)
	}
	b.ReportMetric(float64(recv.Nanoseconds())/float64(b.N*n), "recv-ns/sample")
}

// BenchmarkReadAll measures the readers that take every tag of 10,000: the
// UI's Snapshot(nil), and MarkStale when nothing is stale (its usual pass),
// when the table holds the tags ("table") and when a feed's latest batch
// does ("feed": each run of tags copied from where the feed holds it).
func BenchmarkReadAll(b *testing.B) {
	const n = 10000
	for _, read := range []string{"snapshot", "markstale"} {
		for _, feed := range []bool{false, true} {
			b.Run(read+"/"+map[bool]string{false: "table", true: "feed"}[feed], func(b *testing.B) {
				tb := NewTable(tagsN(n))
				f := tb.Engine().NewFeed()
				defer f.Close()
				buf := f.Buffer(n)
				for i := range n {
					buf = append(buf, Sample{Tag: TagID(i), Value: Float(float64(i))})
				}
				now := time.Now()
				if feed {
					f.Publish(buf, now)
				} else {
					tb.Engine().PublishAt(buf, now)
				}
				dst := make([]Sample, 0, n)
				for b.Loop() {
					if read == "snapshot" {
						dst = tb.Snapshot(nil, dst[:0])
					} else if tb.Engine().MarkStale(now.Add(time.Second)) != 0 {
						b.Fatal("marked fresh tags stale")
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/tag")
			})
		}
	}
}

// TestAFeedStampsEachBatchOnceOnItsFirstRead publishes through a feed
// samples without a time and checks where the stamp happens: not at
// publish (the batch is left as the driver wrote it, which is what keeps
// the engine's cost per tag at nothing), but on the first read, whichever
// reader it is, once, with the publish time, so that every later reader
// sees the same time; and at publish after all when a deriver (the
// calculated tags) reads the batch there.
func TestAFeedStampsEachBatchOnceOnItsFirstRead(t *testing.T) {
	poll := time.Unix(200, 0)
	publish := func(tb *Table, f *Feed) *chunk {
		f.Publish(append(f.Buffer(2), Sample{Tag: 0, Value: Int(1)}, Sample{Tag: 1, Value: Int(2), Time: time.Unix(150, 0)}), poll)
		return f.cur
	}
	unstamped := func(c *chunk) bool { return c.samples[0].Time.IsZero() && c.pending.Load() }
	readers := map[string]func(tb *Table, sub *Subscription) Sample{
		"Get":      func(tb *Table, _ *Subscription) Sample { return tb.Get(0) },
		"Snapshot": func(tb *Table, _ *Subscription) Sample { return tb.Snapshot(nil, nil)[0] },
		"TryRecv":  func(_ *Table, sub *Subscription) Sample { return sub.TryRecv(nil)[0] },
		"MarkStale": func(tb *Table, _ *Subscription) Sample {
			tb.Engine().MarkStale(time.Unix(1000, 0))
			return tb.Get(0) // stale now, with the time it was stamped with
		},
	}
	for name, read := range readers {
		t.Run(name, func(t *testing.T) {
			tb := NewTable(tagsN(2))
			tb.Engine().SetClock(func() time.Time { return time.Unix(999, 0) }) // must not stamp a feed's batch with a poll time
			sub := tb.Subscribe("history", 10)
			defer sub.Close()
			f := tb.Engine().NewFeed()
			defer f.Close()
			c := publish(tb, f)
			if !unstamped(c) {
				t.Fatalf("the publish stamped the batch: %+v", c.samples)
			}
			if s := read(tb, sub); !s.Time.Equal(poll) {
				t.Fatalf("%s read %+v, want stamped with the poll time %v", name, s, poll)
			}
			if c.pending.Load() || !c.samples[0].Time.Equal(poll) || !c.samples[1].Time.Equal(time.Unix(150, 0)) {
				t.Fatalf("after the first read the batch is %+v (pending %v), want stamped in place, source times kept", c.samples, c.pending.Load())
			}
			for _, s := range append(sub.TryRecv(nil), tb.Snapshot(nil, nil)...) {
				if s.Time.IsZero() {
					t.Fatalf("a later reader got %+v, unstamped", s)
				}
			}
		})
	}
	t.Run("Deriver", func(t *testing.T) {
		tb := NewTable(tagsN(2))
		d := &timesDeriver{}
		tb.Engine().SetDeriver(d)
		f := tb.Engine().NewFeed()
		defer f.Close()
		c := publish(tb, f)
		// The deriver reads the batch as it came, before it is shared,
		// with the poll time as now: what a sample without a time reads as
		// (the Deriver's contract), so nothing needs the batch stamped.
		if len(d.times) != 2 || !d.times[0].IsZero() || !d.times[1].Equal(time.Unix(150, 0)) || !d.now.Equal(poll) {
			t.Fatalf("the deriver saw times %v at %v, want none and the source time at the poll time %v", d.times, d.now, poll)
		}
		if !unstamped(c) {
			t.Fatal("a deriver stamped the batch at publish, which no reader needed")
		}
		if s := tb.Get(0); !s.Time.Equal(poll) {
			t.Fatalf("a reader after the deriver read %+v, want stamped with the poll time", s)
		}
	})
}

// timesDeriver records the times of the samples it is given and the now
// it is given them at, and derives nothing.
type timesDeriver struct {
	times []time.Time
	now   time.Time
}

func (d *timesDeriver) Derive(batch []Sample, now time.Time, out []Sample) []Sample {
	for _, s := range batch {
		d.times = append(d.times, s.Time)
	}
	d.now = now
	return out
}

// The pages of current whose tags a feed holds are let go, and made again
// when a tag comes back: by a Publish of it, by MarkStale, by the feed's
// Close. What every reader sees is as if they had never gone (the
// reference table publishes the same batches by copy, and keeps its pages).
func TestCurrentPagesOfHeldTagsAreLetGo(t *testing.T) {
	n := 2*pageSize + 10 // two full pages and a partial one
	tags := make([]*Tag, n)
	for i := range tags {
		tags[i] = &Tag{ID: TagID(i), StaleAfter: time.Second}
	}
	got, want := NewTable(tags), NewTable(tags)
	at := time.Unix(1_700_000_000, 0)
	f := got.Engine().NewFeed()
	scan := func(v int64) {
		buf := f.Buffer(n - 5) // the last 5 tags are not the feed's
		ref := make([]Sample, 0, n-5)
		for i := range n - 5 {
			buf = append(buf, Sample{Tag: TagID(i), Value: Int(v + int64(i))})
			ref = append(ref, Sample{Tag: TagID(i), Value: Int(v + int64(i))})
		}
		f.Publish(buf, at)
		want.Engine().PublishAt(ref, at)
	}
	same := func(step string) {
		t.Helper()
		checkHeld(t, got, []*Feed{f})
		if g, w := got.Snapshot(nil, nil), want.Snapshot(nil, nil); !sameSamples(g, w) {
			t.Fatalf("%s: the snapshots differ", step)
		}
		for _, id := range []TagID{0, pageSize - 1, pageSize, TagID(n - 6), TagID(n - 1)} {
			if g, w := got.Get(id), want.Get(id); !sameSample(g, w) {
				t.Fatalf("%s: tag %d is %+v, want %+v", step, id, g, w)
			}
		}
	}
	scan(0)
	same("first scan")
	if got.current[0] != nil || got.current[1] != nil || got.current[2] == nil {
		t.Fatalf("pages let go: %v %v %v; want the two full pages, not the last (5 of its tags are not held)",
			got.current[0] == nil, got.current[1] == nil, got.current[2] == nil)
	}
	one := []Sample{{Tag: pageSize + 3, Value: Int(-1), Time: at}}
	got.Publish(one)
	want.Publish(one)
	same("a publish of a held tag")
	if got.current[1] == nil {
		t.Fatal("page 1 not made again for the tag published")
	}
	scan(100)
	same("the next scan")
	if got.current[1] != nil {
		t.Fatal("page 1 kept after the feed held all its tags again")
	}
	at = at.Add(time.Minute)
	if g, w := got.Engine().MarkStale(at), want.Engine().MarkStale(at); g != w || g == 0 {
		t.Fatalf("MarkStale marked %d, the reference %d", g, w)
	}
	same("stale marking")
	scan(200)
	f.Close()
	same("the feed closed")
}
