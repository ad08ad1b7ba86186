package datasource

import (
	"context"
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
	if d, tot := sub.Dropped(), sub.Total(); d != 7 || tot != 11 {
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
	if n := tb.MarkStale(t0.Add(4 * time.Second)); n != 1 {
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
	if n := tb.MarkStale(t0.Add(10 * time.Second)); n != 1 {
		t.Fatalf("second pass marked %d, want only tag 1 (tag 0 already stale)", n)
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
