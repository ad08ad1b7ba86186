package datasource

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

func tagsN(n int) []*Tag {
	tags := make([]*Tag, n)
	for i := range tags {
		tags[i] = &Tag{ID: TagID(i), Name: "t" + string(rune('a'+i%26)), StaleAfter: 3 * time.Second}
	}
	return tags
}

func TestTableStartsWaitingForInitialData(t *testing.T) {
	tb := NewTable(tagsN(3))
	for id := TagID(0); id < 3; id++ {
		if q := tb.Get(id).Quality; q != BadQuality(WaitingForInitialData) {
			t.Fatalf("tag %d starts %v, want Bad/WaitingForInitialData", id, q)
		}
	}
}

func TestPublishUpdatesCurrentAndSnapshot(t *testing.T) {
	tb := NewTable(tagsN(3))
	now := time.Unix(1000, 0)
	tb.Publish([]Sample{{Tag: 1, Value: Float(2.5), Time: now}, {Tag: 7, Value: Int(1)}})
	got := tb.Snapshot([]TagID{1, 0, 9}, nil)
	if got[0].Value != Float(2.5) || !got[0].Quality.IsGood() {
		t.Fatalf("tag 1 = %+v, want 2.5 Good", got[0])
	}
	if got[1].Quality != BadQuality(WaitingForInitialData) {
		t.Fatalf("tag 0 = %+v, want untouched", got[1])
	}
	if got[2].Quality != BadQuality(ConfigError) {
		t.Fatalf("unknown tag 9 = %+v, want Bad/ConfigError", got[2])
	}
	if all := tb.Snapshot(nil, nil); len(all) != 3 {
		t.Fatalf("snapshot of all has %d samples, want 3", len(all))
	}
}

func TestSubscriptionReceivesInOrder(t *testing.T) {
	tb := NewTable(tagsN(2))
	sub := tb.Subscribe("history", 10)
	defer sub.Close()
	tb.Publish([]Sample{{Tag: 0, Value: Int(1)}})
	tb.Publish([]Sample{{Tag: 1, Value: Int(2)}, {Tag: 0, Value: Int(3)}})
	got, err := sub.Recv(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{1, 2, 3}
	if len(got) != len(want) {
		t.Fatalf("received %d samples, want %d", len(got), len(want))
	}
	for i, s := range got {
		if v, _ := s.Value.AsInt(); v != want[i] {
			t.Fatalf("sample %d = %d, want %d", i, v, want[i])
		}
	}
}

func TestSlowSubscriberLosesOldestAndCountsThem(t *testing.T) {
	tb := NewTable(tagsN(1))
	sub := tb.Subscribe("slow", 4)
	defer sub.Close()
	for i := 0; i < 6; i++ {
		tb.Publish([]Sample{{Tag: 0, Value: Int(int64(i))}})
	}
	tb.Publish([]Sample{{Tag: 0, Value: Int(6)}, {Tag: 0, Value: Int(7)}, {Tag: 0, Value: Int(8)}, {Tag: 0, Value: Int(9)}, {Tag: 0, Value: Int(10)}})
	got := sub.TryRecv(nil)
	if len(got) != 4 {
		t.Fatalf("kept %d samples, want 4", len(got))
	}
	for i, s := range got {
		if v, _ := s.Value.AsInt(); v != int64(7+i) {
			t.Fatalf("kept sample %d = %d, want %d (the newest)", i, v, 7+i)
		}
	}
	if d, tot := sub.Dropped(), sub.offered(); d != 7 || tot != 11 {
		t.Fatalf("dropped %d of %d, want 7 of 11", d, tot)
	}
}

func TestRecvReturnsWhenContextEnds(t *testing.T) {
	tb := NewTable(tagsN(1))
	sub := tb.Subscribe("x", 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sub.Recv(ctx, nil); err != context.Canceled {
		t.Fatalf("Recv on a cancelled context = %v, want context.Canceled", err)
	}
	sub.Close()
	tb.Publish([]Sample{{Tag: 0}})
	if got := sub.TryRecv(nil); len(got) != 0 {
		t.Fatalf("closed subscription received %d samples", len(got))
	}
}

func TestMarkStaleTurnsOldGoodTagsUncertain(t *testing.T) {
	tb := NewTable(tagsN(3))
	sub := tb.Subscribe("alarms", 10)
	defer sub.Close()
	t0 := time.Unix(1000, 0)
	tb.Publish([]Sample{
		{Tag: 0, Value: Float(1), Time: t0},
		{Tag: 1, Value: Float(1), Time: t0.Add(2 * time.Second)},
		{Tag: 2, Value: Float(1), Time: t0, Quality: BadQuality(CommFailure)},
	})
	sub.TryRecv(nil)
	if n := tb.Engine().MarkStale(t0.Add(4 * time.Second)); n != 1 {
		t.Fatalf("marked %d tags stale, want 1", n)
	}
	if q := tb.Get(0).Quality; q != UncertainQuality(Stale) {
		t.Fatalf("tag 0 quality %v, want Uncertain/Stale", q)
	}
	if q := tb.Get(2).Quality; q != BadQuality(CommFailure) {
		t.Fatalf("bad tag 2 became %v; stale must not hide Bad", q)
	}
	if got := sub.TryRecv(nil); len(got) != 1 || got[0].Tag != 0 {
		t.Fatalf("subscribers got %+v, want the one stale sample", got)
	}
	if n := tb.Engine().MarkStale(t0.Add(10 * time.Second)); n != 1 {
		t.Fatalf("second pass marked %d, want only tag 1 (tag 0 already stale)", n)
	}
}

// TestStaleAgeIsCountedFromReceiptAndConfirmation publishes a value whose
// source time is a year old, as an OPC UA server reports a value that has
// not changed since, and confirms it as a subscription's keep-alive does:
// it stays Good while confirmed and turns stale only when the confirmations
// stop for longer than the limit. Both through the table's own storage and
// through a feed.
func TestStaleAgeIsCountedFromReceiptAndConfirmation(t *testing.T) {
	for _, viaFeed := range []bool{false, true} {
		tb := NewTable(tagsN(2)) // stale after 3s
		now := time.Unix(1_000_000, 0)
		old := Sample{Tag: 0, Value: Float(1), Time: now.AddDate(-1, 0, 0)}
		if viaFeed {
			f := tb.Engine().NewFeed()
			f.Publish(append(f.Buffer(1), old), now)
		} else {
			tb.Engine().PublishAt([]Sample{old}, now)
		}
		for range 10 {
			now = now.Add(time.Second)
			tb.Engine().Confirm([]TagID{0, 7}, now) // 7 is unknown: ignored
			if n := tb.Engine().MarkStale(now.Add(2 * time.Second)); n != 0 {
				t.Fatalf("feed %v: a confirmed tag turned stale at %v: %+v", viaFeed, now, tb.Get(0))
			}
		}
		if got := tb.Get(0); got.Time != old.Time || got.Value != old.Value || !got.Quality.IsGood() {
			t.Fatalf("feed %v: Confirm changed the sample: %+v", viaFeed, got)
		}
		if n := tb.Engine().MarkStale(now.Add(4 * time.Second)); n != 1 || tb.Get(0).Quality != UncertainQuality(Stale) {
			t.Fatalf("feed %v: 4s after the last confirmation: marked %d, tag %+v; want Uncertain/Stale", viaFeed, n, tb.Get(0))
		}
	}
}

func TestPublishStoresRunsScatteredAndUnknownTags(t *testing.T) {
	tb := NewTable(tagsN(8))
	sub := tb.Subscribe("history", 100)
	defer sub.Close()
	ids := []TagID{5, 6, 7, 2, 9, 3, 0, 1, 4}
	batch := make([]Sample, len(ids))
	for i, id := range ids {
		batch[i] = Sample{Tag: id, Value: Int(int64(id) * 10)}
	}
	tb.Publish(batch)
	for id := TagID(0); id < 8; id++ {
		if v, _ := tb.Get(id).Value.AsInt(); v != int64(id)*10 {
			t.Fatalf("tag %d = %d, want %d", id, v, id*10)
		}
	}
	got := sub.TryRecv(nil)
	if len(got) != len(ids) || got[4].Tag != 9 {
		t.Fatalf("subscriber got %d samples (%+v), want all %d including unknown tag 9", len(got), got, len(ids))
	}
}

func TestPublishAtStampsSamplesWithoutTimeAndLeavesTheBatchAlone(t *testing.T) {
	tb := NewTable(tagsN(2))
	sub := tb.Subscribe("alarms", 10)
	defer sub.Close()
	src, poll := time.Unix(500, 0), time.Unix(1000, 0)
	batch := []Sample{{Tag: 0, Value: Int(1)}, {Tag: 1, Value: Int(2), Time: src}}
	tb.Engine().PublishAt(batch, poll)
	if !batch[0].Time.IsZero() {
		t.Fatalf("PublishAt changed the caller's batch: %v", batch[0].Time)
	}
	for _, s := range [][]Sample{tb.Snapshot(nil, nil), sub.TryRecv(nil)} {
		if !s[0].Time.Equal(poll) || !s[1].Time.Equal(src) {
			t.Fatalf("times %v, %v; want the poll time for the sample without one and the source time kept", s[0].Time, s[1].Time)
		}
	}
}

func TestSlowSubscriberLosesTheOldestPartOfABatch(t *testing.T) {
	tb := NewTable(tagsN(1))
	sub := tb.Subscribe("slow", 4)
	defer sub.Close()
	for _, vals := range [][]int64{{0, 1, 2}, {3, 4, 5}} {
		batch := make([]Sample, len(vals))
		for i, v := range vals {
			batch[i] = Sample{Value: Int(v)}
		}
		tb.Publish(batch)
	}
	got := sub.TryRecv(nil)
	if len(got) != 4 {
		t.Fatalf("kept %d samples, want 4", len(got))
	}
	for i, s := range got {
		if v, _ := s.Value.AsInt(); v != int64(2+i) {
			t.Fatalf("kept sample %d = %d, want %d", i, v, 2+i)
		}
	}
	if d := sub.Dropped(); d != 2 {
		t.Fatalf("dropped %d, want 2", d)
	}
}

// TestConcurrentPublishAndReceiveNeverCorruptSamples publishes a feed's lent buffers
// while two consumers drain at their own pace: every sample a consumer gets
// must be one that was published, in order, and received plus dropped must
// be what was offered. A buffer recycled too early shows up here as values
// out of order (and as a race under -race).
func TestConcurrentPublishAndReceiveNeverCorruptSamples(t *testing.T) {
	const batches, per = 2000, 16
	tb := NewTable(tagsN(per))
	subs := []*Subscription{tb.Subscribe("fast", 1<<16), tb.Subscribe("small", 40)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, len(subs))
	for _, sub := range subs {
		go func() {
			var buf []Sample
			var got, last int64 = 0, -1
			for last != batches*per-1 { // the newest sample is never dropped
				var err error
				if buf, err = sub.Recv(ctx, buf[:0]); err != nil {
					errs <- err
					return
				}
				for _, s := range buf {
					v, _ := s.Value.AsInt()
					if v <= last || s.Tag != TagID(v%per) {
						errs <- fmt.Errorf("%s: sample %+v after value %d", sub.Name(), s, last)
						return
					}
					last = v
				}
				got += int64(len(buf))
			}
			if got+int64(sub.Dropped()) != int64(sub.offered()) || sub.offered() != batches*per {
				errs <- fmt.Errorf("%s: received %d + dropped %d, offered %d, want %d", sub.Name(), got, sub.Dropped(), sub.offered(), batches*per)
				return
			}
			errs <- nil
		}()
	}
	f := tb.Engine().NewFeed()
	defer f.Close()
	for b := range batches {
		buf := f.Buffer(per)
		for i := range per {
			buf = append(buf, Sample{Tag: TagID(i), Value: Int(int64(b*per + i))})
		}
		f.Publish(buf, time.Unix(int64(b), 0))
	}
	for range subs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range subs {
		sub.Close()
	}
}

// BenchmarkTablePublish measures samples/s through the table with three
// subscribers (history, alarms, a slow UI-like consumer), in batches of 500.
func BenchmarkTablePublish(b *testing.B) {
	const nTags, batchSize = 10000, 500
	tb := NewTable(tagsN(nTags))
	subs := []*Subscription{tb.Subscribe("history", 1<<16), tb.Subscribe("alarms", 1<<16), tb.Subscribe("ui", 1<<16)}
	batch := make([]Sample, batchSize)
	now := time.Now()
	for i := range batch {
		batch[i] = Sample{Tag: TagID(i * 7 % nTags), Value: Float(float64(i)), Time: now}
	}
	var drain []Sample
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb.Publish(batch)
		if i%64 == 63 {
			for _, s := range subs {
				drain = s.TryRecv(drain[:0])
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkPublishFloor measures, for scans of 10,000 samples (640 KB,
// more than a core's L2 cache), what storing a scan costs at the least and
// what the table's copying path costs: "copy" is one copy of the scan
// (memmove, the floor for keeping the current value of every tag),
// "stamp+store" is PublishAt with no subscriber (copying the batch,
// poll-time stamping and storing the current values), reported in ns per
// sample.
func BenchmarkPublishFloor(b *testing.B) {
	const n = 10000
	fill := func(buf []Sample) []Sample {
		for i := range n {
			buf = append(buf, Sample{Tag: TagID(i), Value: Float(float64(i))})
		}
		return buf
	}
	b.Run("copy", func(b *testing.B) {
		src, dst := fill(nil), make([]Sample, n)
		for b.Loop() {
			copy(dst, src)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/sample")
	})
	b.Run("stamp+store", func(b *testing.B) {
		tb := NewTable(tagsN(n))
		now := time.Now()
		src := fill(nil)
		for b.Loop() {
			tb.Engine().PublishAt(src, now)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/sample")
	})
}

// BenchmarkFeedPublish measures publishing scans of 10,000 samples through
// a Feed, as the engine does, with no subscriber and with one draining in
// its own goroutine. A trivial driver fills each buffer, timed apart:
// "publish-ns/sample" is what Publish costs per sample of the scan (one
// pass that stamps it and checks its layout, while the driver's writes are
// still in the cache), "fill-ns/sample" the driver, and "samples/s" the
// throughput of the two together.
func BenchmarkFeedPublish(b *testing.B) {
	const n = 10000
	for _, nsubs := range []int{0, 1} {
		b.Run(fmt.Sprintf("subs=%d", nsubs), func(b *testing.B) {
			tb := NewTable(tagsN(n))
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for range nsubs {
				sub := tb.Subscribe("history", 1<<16)
				wg.Go(func() {
					defer sub.Close()
					var buf []Sample
					for ctx.Err() == nil {
						buf, _ = sub.Recv(ctx, buf[:0])
					}
				})
			}
			f := tb.Engine().NewFeed()
			now := time.Now()
			var filling, total time.Duration
			for b.Loop() {
				t0 := time.Now()
				buf := f.Buffer(n)
				for i := range n {
					buf = append(buf, Sample{Tag: TagID(i), Value: Float(float64(i))})
				}
				t1 := time.Now()
				f.Publish(buf, now)
				t2 := time.Now()
				filling += t1.Sub(t0)
				total += t2.Sub(t0)
			}
			b.StopTimer()
			cancel()
			wg.Wait()
			f.Close()
			samples := float64(b.N * n)
			b.ReportMetric(samples/total.Seconds(), "samples/s")
			b.ReportMetric(float64((total-filling).Nanoseconds())/samples, "publish-ns/sample")
			b.ReportMetric(float64(filling.Nanoseconds())/samples, "fill-ns/sample")
		})
	}
}

// TestMarkStaleWhileAConsumerDrainsCountsWhatItMarked runs stale marking
// against a consumer that takes and recycles every chunk at once: the count
// MarkStale returns must be of its own marks, never read from a chunk the
// consumer has already handed back (a race under -race, a wrong count
// without it).
func TestMarkStaleWhileAConsumerDrainsCountsWhatItMarked(t *testing.T) {
	const n, rounds = 8, 500
	tb := NewTable(tagsN(n))
	sub := tb.Subscribe("alarms", 1<<12)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf []Sample
		for ctx.Err() == nil {
			buf, _ = sub.Recv(ctx, buf[:0])
		}
	}()
	t0 := time.Unix(1000, 0)
	for r := range rounds {
		now := t0.Add(time.Duration(r) * time.Minute)
		batch := make([]Sample, n)
		for i := range batch {
			batch[i] = Sample{Tag: TagID(i), Value: Float(float64(r)), Time: now}
		}
		tb.Publish(batch)
		// Fresh for three seconds, stale after: every tag, once.
		if got := tb.Engine().MarkStale(now.Add(2 * time.Second)); got != 0 {
			t.Fatalf("round %d: %d tags marked stale before their limit", r, got)
		}
		if got := tb.Engine().MarkStale(now.Add(4 * time.Second)); got != n {
			t.Fatalf("round %d: MarkStale says %d, want %d", r, got, n)
		}
	}
	cancel()
	<-done
	sub.Close()
}

// TestEveryReaderGetsStampedSamples publishes samples without a time by
// every path (Publish with the table's clock, a feed with a poll time and
// without one, a historical batch): Get, Snapshot, a subscription and its
// historical queue must all get them stamped, each with the time of its
// publish, and MarkStale's own samples too.
func TestEveryReaderGetsStampedSamples(t *testing.T) {
	tb := NewTable(modelTags(6)) // tag 1 goes stale after 1 s
	clock := time.Unix(100, 0)
	tb.Engine().SetClock(func() time.Time { return clock })
	sub := tb.Subscribe("history", 100)
	defer sub.Close()
	sub.ReceiveHistorical()
	f := tb.Engine().NewFeed()
	defer f.Close()

	batch := []Sample{{Tag: 0, Value: Int(1)}}
	tb.Publish(batch) // at 100, the table's clock
	if !batch[0].Time.IsZero() {
		t.Fatalf("Publish changed the caller's batch: %v", batch[0].Time)
	}
	poll := time.Unix(200, 0)
	f.Publish(append(f.Buffer(2), Sample{Tag: 1, Value: Int(2)}, Sample{Tag: 2, Value: Int(3)}), poll)
	clock = time.Unix(300, 0)
	f2 := tb.Engine().NewFeed()
	defer f2.Close()
	f2.Publish(append(f2.Buffer(1), Sample{Tag: 3, Value: Int(4)}), time.Time{}) // at 300, the clock
	tb.Engine().PublishHistorical([]Sample{{Tag: 4, Value: Int(5)}})             // at 300, the clock
	if n := tb.Engine().MarkStale(time.Unix(202, 0)); n != 1 {                   // tag 1, published at 200
		t.Fatalf("MarkStale marked %d, want 1", n)
	}

	want := map[TagID]time.Time{0: time.Unix(100, 0), 1: poll, 2: poll, 3: time.Unix(300, 0)}
	check := func(what string, samples []Sample) {
		t.Helper()
		for _, s := range samples {
			if w, ok := want[s.Tag]; ok && !s.Time.Equal(w) {
				t.Errorf("%s: tag %d at %v, want %v", what, s.Tag, s.Time, w)
			}
		}
	}
	check("Snapshot", tb.Snapshot(nil, nil))
	check("Snapshot of some", tb.Snapshot([]TagID{3, 1}, nil))
	for id := range TagID(4) {
		check("Get", []Sample{tb.Get(id)})
	}
	got := sub.TryRecv(nil)
	if len(got) != 5 { // 0, 1, 2, 3 and the stale mark of 1
		t.Fatalf("subscription got %+v, want 5 samples", got)
	}
	check("subscription", got)
	if hist := sub.TryRecvHistorical(nil); len(hist) != 1 || !hist[0].Time.Equal(time.Unix(300, 0)) {
		t.Fatalf("historical samples %+v, want tag 4 stamped at 300", hist)
	}
}

// TestUnixNanoClampsTimesBeyondInt64 checks the receipt times stale marking
// counts from: the zero time is none, times int64 nanoseconds cannot hold
// are clamped to very old and very new, and the years at both ends of the
// range are kept exactly.
func TestUnixNanoClampsTimesBeyondInt64(t *testing.T) {
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		t    time.Time
		want int64
	}{
		{time.Time{}, 0},
		{date(1601, 1, 1), 1},
		{date(1677, 12, 31), 1},
		{date(1678, 1, 1), date(1678, 1, 1).UnixNano()},
		{time.Unix(1_700_000_000, 5), 1_700_000_000_000_000_005},
		{date(2261, 12, 31), date(2261, 12, 31).UnixNano()},
		{date(2262, 1, 1), math.MaxInt64 / 2},
		{date(2500, 1, 1), math.MaxInt64 / 2},
	} {
		if got := unixNano(c.t); got != c.want {
			t.Errorf("unixNano(%v) = %d, want %d", c.t, got, c.want)
		}
	}
	if minUnixSec != date(1678, 1, 1).Unix() || maxUnixSec != date(2262, 1, 1).Unix() {
		t.Errorf("unixNano's range %d..%d, want the first seconds of 1678 and 2262", minUnixSec, maxUnixSec)
	}
}

// TryRecvMax takes the backlog in pieces, across the chunks' boundaries,
// oldest first; the rest waits, Ready says so, and a drop by the publisher
// meanwhile still drops the oldest of what waits.
func TestTryRecvMaxTakesTheBacklogInPieces(t *testing.T) {
	tb := NewTable(tagsN(1))
	sub := tb.Subscribe("alarms", 10)
	defer sub.Close()
	next := int64(0)
	publish := func(n int) {
		batch := make([]Sample, n)
		for i := range batch {
			batch[i] = Sample{Value: Int(next)}
			next++
		}
		tb.Publish(batch)
	}
	want := int64(0)
	take := func(limit, n int) {
		t.Helper()
		<-sub.Ready()
		got := sub.TryRecvMax(nil, limit)
		if len(got) != n {
			t.Fatalf("TryRecvMax(%d) took %d samples, want %d", limit, len(got), n)
		}
		for _, s := range got {
			if v, _ := s.Value.AsInt(); v != want {
				t.Fatalf("took %d, want %d (in order)", v, want)
			}
			want++
		}
	}
	publish(5)
	publish(3)
	take(4, 4) // the front of the first chunk
	take(2, 2) // its last and the front of the second
	publish(6) // 2 + 6 = 8 wait: nothing dropped
	take(7, 7)
	take(7, 1)
	select {
	case <-sub.Ready():
		if got := sub.TryRecvMax(nil, 7); len(got) != 0 {
			t.Fatalf("took %d samples of an empty queue", len(got))
		}
	default:
	}
	publish(8)
	take(3, 3)
	publish(7) // 5 + 7 = 12 wait: the oldest 2 are dropped
	want += 2
	take(0, 1) // a limit below 1 takes 1
	take(100, 9)
	if d := sub.Dropped(); d != 2 {
		t.Fatalf("dropped %d, want 2", d)
	}
	if tb.pool.kept == 0 {
		t.Fatal("no chunk went back to the pool after its samples were taken")
	}
}
