package history

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// series of samples at t0 + sec seconds.
func at(tag string, secs ...int) []Sample {
	out := make([]Sample, len(secs))
	for i, s := range secs {
		q := datasource.QualityGood
		if s%7 == 0 {
			q = datasource.BadQuality(datasource.NotConnected)
		}
		out[i] = Sample{Tag: tag, Time: t0.Add(time.Duration(s) * time.Second), Value: float64(s) / 10, Quality: q}
	}
	return out
}

func secs(from, to, step int) []int {
	var out []int
	for s := from; s <= to; s += step {
		out = append(out, s)
	}
	return out
}

// sameReads fails unless every read of tag gives the same in got as in want:
// the stored samples, raw and decimated queries, ValueAt and Aggregate.
func sameReads(t *testing.T, got, want *Store, tag string) {
	t.Helper()
	ctx := context.Background()
	if g, w := stored(t, got, tag), stored(t, want, tag); !reflect.DeepEqual(g, w) {
		t.Fatalf("stored samples:\n got %v\nwant %v", g, w)
	}
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	for _, maxPoints := range []int{0, 40, 8} {
		g, err := got.Query(ctx, tag, from, to, maxPoints)
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.Query(ctx, tag, from, to, maxPoints)
		if err != nil {
			t.Fatal(err)
		}
		if !equalPoints(g, w) {
			t.Fatalf("Query maxPoints %d:\n got %v\nwant %v", maxPoints, g, w)
		}
	}
	for s := -5; s < 260; s += 3 {
		tm := t0.Add(time.Duration(s) * time.Second)
		g, gerr := got.ValueAt(ctx, tag, tm)
		w, werr := want.ValueAt(ctx, tag, tm)
		if (gerr == nil) != (werr == nil) || !equalPoints([]Point{g}, []Point{w}) {
			t.Fatalf("ValueAt %v: got %v %v, want %v %v", tm, g, gerr, w, werr)
		}
	}
	g, err := got.Aggregate(ctx, tag, t0, t0.Add(250*time.Second), 7)
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.Aggregate(ctx, tag, t0, t0.Add(250*time.Second), 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != len(w) {
		t.Fatalf("Aggregate: %d buckets, want %d", len(g), len(w))
	}
	for i := range g {
		if g[i].Count != w[i].Count || !sameFloat(g[i].Min, w[i].Min) || !sameFloat(g[i].Max, w[i].Max) || !sameFloat(g[i].TimeWeightedMean, w[i].TimeWeightedMean) {
			t.Fatalf("Aggregate bucket %d: got %+v, want %+v", i, g[i], w[i])
		}
	}
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func equalPoints(a, b []Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Time.Equal(b[i].Time) || !sameFloat(a[i].Value, b[i].Value) || a[i].Quality != b[i].Quality {
			return false
		}
	}
	return true
}

// TestBackfilledSamplesReadAsIfAppendedInOrder stores the same samples in
// two files, one in time order, the other with a third of them backfilled
// after the rest: before the first chunk, inside sealed chunks, between
// them, inside the open chunk and around a seal. Every read must agree,
// before a flush, after it and after a restart.
func TestBackfilledSamplesReadAsIfAppendedInOrder(t *testing.T) {
	opts := Options{ChunkSamples: 8, Clock: clockwork.NewFakeClockAt(t0)}
	want, _ := openTest(t, opts)
	got, _ := openTest(t, opts)
	all := secs(0, 240, 1)
	if err := want.Append(at("x", all...)); err != nil {
		t.Fatal(err)
	}
	// got: the live samples are every even second from 40 on (chunks of
	// 8 samples: 40..54, 56..70, ...); the rest comes late.
	if err := got.Append(at("x", secs(40, 200, 2)...)); err != nil {
		t.Fatal(err)
	}
	late := [][]int{
		secs(0, 39, 1),    // before every chunk
		secs(41, 53, 2),   // inside the first sealed chunk
		{55},              // between two chunks
		secs(57, 199, 2),  // inside the others and the open chunk
		{40, 100, 150},    // repeats of stored times with other values: the stored ones stay
		secs(201, 240, 1), // newer than everything: appended as usual
	}
	for i, l := range late {
		b := at("x", l...)
		if i == 4 {
			for j := range b {
				b[j].Value = -1
			}
		}
		if err := got.Backfill(b); err != nil {
			t.Fatal(err)
		}
	}
	if st := got.Stats(); st.Backfilled != 40+7+1+72+3 || st.OutOfOrder != 0 {
		t.Fatalf("stats %+v: want 123 backfilled, none out of order", st)
	}
	sameReads(t, got, want, "x") // not flushed: from memory
	if err := got.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := want.Flush(); err != nil {
		t.Fatal(err)
	}
	sameReads(t, got, want, "x")
	// More late samples after the first backfill was written: a second
	// backfill chunk overlapping the first, and repeats of backfilled times.
	if err := got.Backfill(at("x", 3, 5, 41)); err != nil {
		t.Fatal(err)
	}
	sameReads(t, got, want, "x")
	got = reopen(t, got, opts)
	want = reopen(t, want, opts)
	sameReads(t, got, want, "x")
	if err := got.Check(); err != nil {
		t.Fatal(err)
	}
	// After the restart: a late sample between sealed chunks, then live
	// ones that seal the open chunk.
	if err := got.Backfill(at("x", 241, 243)); err != nil { // newer: appended
		t.Fatal(err)
	}
	if err := want.Append(at("x", 241, 243)); err != nil {
		t.Fatal(err)
	}
	sameReads(t, got, want, "x")
	more := secs(244, 259, 1)
	if err := got.Append(at("x", more...)); err != nil {
		t.Fatal(err)
	}
	if err := want.Append(at("x", more...)); err != nil {
		t.Fatal(err)
	}
	if err := got.Backfill(at("x", 242)); err != nil { // inside the chunk just sealed
		t.Fatal(err)
	}
	if err := want.Close(); err != nil {
		t.Fatal(err)
	}
	want = reopen(t, want, opts)
	if err := want.Backfill(at("x", 242)); err != nil {
		t.Fatal(err)
	}
	sameReads(t, got, want, "x")
	got = reopen(t, got, opts)
	sameReads(t, got, want, "x")
}

// TestAppendStillDropsSamplesGoingBackInTime: live samples keep their
// rule; only Backfill stores older samples.
func TestAppendStillDropsSamplesGoingBackInTime(t *testing.T) {
	s, _ := openTest(t, Options{})
	if err := s.Append(at("x", 10, 20, 15)); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.OutOfOrder != 1 || st.Backfilled != 0 {
		t.Fatalf("stats %+v", st)
	}
	if got := stored(t, s, "x"); len(got) != 2 {
		t.Fatalf("stored %v", got)
	}
}

// TestBackfillOfAFileWithoutTheTag starts the tag's history.
func TestBackfillOfAFileWithoutTheTag(t *testing.T) {
	s, _ := openTest(t, Options{})
	if err := s.Backfill(at("y", 5, 3, 4)); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, Options{})
	want := []chunk.Sample{}
	for _, x := range at("y", 3, 4, 5) {
		want = append(want, chunk.Sample{T: x.Time.UnixNano(), V: x.Value, Q: packQuality(x.Quality)})
	}
	if got := stored(t, s, "y"); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestRetentionPrunesBackfillChunksByAge: a backfill chunk older than
// MaxAge goes like any other.
func TestRetentionPrunesBackfillChunksByAge(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0.Add(10 * time.Hour))
	s, _ := openTest(t, Options{Clock: clock, Retention: Retention{MaxAge: 5 * time.Hour}})
	now := int(10 * time.Hour / time.Second)
	if err := s.Append(at("x", now-10, now)); err != nil {
		t.Fatal(err)
	}
	for _, late := range []int{100, now - 5} { // a chunk 10 h old, a recent one
		if err := s.Backfill(at("x", late)); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := stored(t, s, "x")
	if len(got) != 3 || got[0].T != t0.Add(time.Duration(now-10)*time.Second).UnixNano() {
		t.Fatalf("after retention: %v", got)
	}
}

// TestIngestBackfillsHistoricalSamplesApartFromTheLiveOnes: historical
// samples from the table go to Backfill through the tag's rules with a
// state of their own, so they are not dropped for being older than the
// live samples and do not move the live stream's deadband state.
func TestIngestBackfillsHistoricalSamplesApartFromTheLiveOnes(t *testing.T) {
	tags := []*datasource.Tag{
		{ID: 0, Name: "level", History: datasource.HistorySettings{Enabled: true}},
		{ID: 1, Name: "marker", History: datasource.HistorySettings{Enabled: true}},
	}
	table := datasource.NewTable(tags)
	sub := table.Subscribe("history", 1024)
	defer sub.Close()
	sub.ReceiveHistorical() // Ingest does too, maybe after the first PublishHistorical
	s, _ := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Ingest(ctx, sub, tags, s) }()
	smp := func(id datasource.TagID, sec int, v float64) datasource.Sample {
		return datasource.Sample{Tag: id, Value: datasource.Float(v), Quality: datasource.QualityGood, Time: t0.Add(time.Duration(sec) * time.Second)}
	}
	table.Publish([]datasource.Sample{smp(0, 10, 1), smp(0, 20, 2)})
	table.Engine().PublishHistorical([]datasource.Sample{smp(0, 12, 5), smp(0, 16, 6)}) // forwarded after the live values
	// Unchanged from the last live value (2): not stored, although the
	// last historical value (6) differs.
	table.Publish([]datasource.Sample{smp(0, 30, 2)})
	table.Publish([]datasource.Sample{smp(1, 40, 1)}) // batches are consumed in order: the end
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if len(stored(t, s, "marker")) == 1 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("ingest did not store the marker")
		}
	}
	var want []chunk.Sample
	for _, x := range []datasource.Sample{smp(0, 10, 1), smp(0, 12, 5), smp(0, 16, 6), smp(0, 20, 2)} {
		f, _ := x.Value.AsFloat()
		want = append(want, chunk.Sample{T: x.Time.UnixNano(), V: f})
	}
	if got := stored(t, s, "level"); !reflect.DeepEqual(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
