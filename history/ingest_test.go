package history

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

func TestIngestAppliesHistorySettings(t *testing.T) {
	tags := []*datasource.Tag{
		{ID: 0, Name: "every", History: datasource.HistorySettings{Enabled: true}},
		{ID: 1, Name: "deadband", History: datasource.HistorySettings{Enabled: true, Deadband: 0.5}},
		{ID: 2, Name: "maxinterval", History: datasource.HistorySettings{Enabled: true, Deadband: 100, MaxInterval: 10 * time.Second}},
		{ID: 3, Name: "off"},
		{ID: 4, Name: "text", History: datasource.HistorySettings{Enabled: true}},
	}
	table := datasource.NewTable(tags)
	sub := table.Subscribe("history", 1024)
	defer sub.Close()
	s, _ := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Ingest(ctx, sub, tags, s) }()

	// One sample per tag per second for 20 s.
	values := map[datasource.TagID]func(i int) datasource.Value{
		0: func(i int) datasource.Value { return datasource.Float(float64(i / 5)) }, // steps every 5 s
		1: func(i int) datasource.Value { return datasource.Float(float64(i) * 0.2) },
		2: func(i int) datasource.Value { return datasource.Float(1) },
		3: func(i int) datasource.Value { return datasource.Float(float64(i)) },
		4: func(i int) datasource.Value { return datasource.String("hello") },
	}
	for i := range 20 {
		var batch []datasource.Sample
		for id := range datasource.TagID(5) {
			q := datasource.QualityGood
			if id == 1 && i == 7 {
				q = datasource.UncertainQuality(datasource.Stale)
			}
			batch = append(batch, datasource.Sample{Tag: id, Value: values[id](i), Quality: q, Time: t0.Add(time.Duration(i) * time.Second)})
		}
		table.Publish(batch)
	}
	// A last step of "every" marks the end: batches are consumed in order.
	table.Publish([]datasource.Sample{{Tag: 0, Value: datasource.Float(100), Time: t0.Add(20 * time.Second)}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p, err := s.ValueAt(context.Background(), "every", t0.Add(time.Hour)); err == nil && p.Value == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ingest did not store the samples")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	secs := func(tag string) []int {
		var out []int
		for _, x := range stored(t, s, tag) {
			out = append(out, int((x.T-t0.UnixNano())/int64(time.Second)))
		}
		return out
	}
	tests := []struct {
		name string
		tag  string
		want []int
	}{
		{"a step after a flat stretch also stores the last flat sample, so the trend steps", "every", []int{0, 4, 5, 9, 10, 14, 15, 19, 20}},
		{"a deadband of 0.5 stores every third 0.2 step, and the quality change at 7 s and back", "deadband", []int{0, 3, 6, 7, 8, 11, 14, 17}},
		{"a flat tag is stored every MaxInterval", "maxinterval", []int{0, 10}},
		{"a tag with history disabled is not stored", "off", nil},
		{"string values are not stored", "text", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := secs(tt.tag)
			if len(got) != len(tt.want) {
				t.Fatalf("stored at %v s, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("stored at %v s, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestChangedIsExactAboutNaN(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name     string
		v, last  float64
		deadband float64
		want     bool
	}{
		{"NaN after NaN is no change", nan, nan, 0, false},
		{"NaN after a number is a change", nan, 1, 5, true},
		{"a move equal to the deadband is no change", 1.5, 1, 0.5, false},
		{"any move counts without a deadband", 1.0000001, 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := changed(tt.v, tt.last, tt.deadband); got != tt.want {
				t.Fatalf("changed = %v", got)
			}
		})
	}
}

// A subscription hands over everything that waits at once: after a stall
// of a large project, more samples than Ingest filters into one Append.
// Every one of them is stored, in order, and the historical ones after.
func TestIngestStoresABatchLargerThanOneAppend(t *testing.T) {
	const n = 3*ingestAppend + 17
	tags := make([]*datasource.Tag, n)
	for i := range tags {
		tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: fmt.Sprintf("t%05d", i), History: datasource.HistorySettings{Enabled: true}}
	}
	table := datasource.NewTable(tags)
	sub := table.Subscribe("history", 4*n)
	defer sub.Close()
	s, _ := openTest(t, Options{})
	// Three seconds of every tag are waiting before Ingest takes any.
	for sec := range 3 {
		batch := make([]datasource.Sample, n)
		for i := range batch {
			batch[i] = datasource.Sample{Tag: datasource.TagID(i), Value: datasource.Float(float64(i + sec)), Time: t0.Add(time.Duration(sec) * time.Second)}
		}
		table.Publish(batch)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Ingest(ctx, sub, tags, s) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Appended < 3*n {
		if time.Now().After(deadline) {
			t.Fatalf("ingest stored %d samples of %d", s.Stats().Appended, 3*n)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, ingestAppend - 1, ingestAppend, n - 1} {
		got := stored(t, s, tags[i].Name)
		if len(got) != 3 {
			t.Fatalf("%s: stored %d samples, want 3", tags[i].Name, len(got))
		}
		for sec, x := range got {
			if x.V != float64(i+sec) || x.T != t0.Add(time.Duration(sec)*time.Second).UnixNano() {
				t.Fatalf("%s: sample %d is %v at %v", tags[i].Name, sec, x.V, x.T)
			}
		}
	}
	if st := s.Stats(); st.OutOfOrder != 0 || st.Appended != 3*n {
		t.Fatalf("stats %+v: every sample once, none out of order", st)
	}
}

// A station stopped and started again: each tag's line breaks where the
// first recording ended, even a flat tag whose last stored sample is far
// older, and goes on with the next live sample. Before, the trend drew
// each tag's last value across the time nothing was recorded.
func TestARestartBreaksEachLineWhereRecordingEnded(t *testing.T) {
	tags := []*datasource.Tag{
		{ID: 0, Name: "level", History: datasource.HistorySettings{Enabled: true}},
		{ID: 1, Name: "flat", History: datasource.HistorySettings{Enabled: true, Deadband: 100}},
		{ID: 2, Name: "off"},
	}
	s, _ := openTest(t, Options{TimeResolution: time.Millisecond})
	// record publishes a sample of every tag each second from..to-1 and
	// waits until Ingest has stored the last.
	record := func(s *Store, from, to int) {
		t.Helper()
		table := datasource.NewTable(tags)
		sub := table.Subscribe("history", 1024)
		defer sub.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Ingest(ctx, sub, tags, s) }()
		for i := from; i < to; i++ {
			at := t0.Add(time.Duration(i) * time.Second)
			table.Publish([]datasource.Sample{
				{Tag: 0, Value: datasource.Float(float64(i)), Time: at},
				{Tag: 1, Value: datasource.Float(1), Time: at},
				{Tag: 2, Value: datasource.Float(float64(i)), Time: at},
			})
		}
		last := t0.Add(time.Duration(to-1) * time.Second)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if p, err := s.ValueAt(context.Background(), "level", last); err == nil && p.Time.Equal(last) && s.RecordedUntil().Equal(last) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("ingest did not store the samples")
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	record(s, 0, 10)
	s = reopen(t, s, Options{TimeResolution: time.Millisecond})
	if got, want := s.RecordedUntil(), t0.Add(9*time.Second); !got.Equal(want) {
		t.Fatalf("the reopened file says it recorded until %v, want %v", got, want)
	}
	record(s, 100, 103)

	mark := t0.Add(9*time.Second + time.Millisecond).UnixNano()
	ms := func(x chunk.Sample) int64 { return (x.T - t0.UnixNano()) / int64(time.Millisecond) }
	for _, tt := range []struct {
		tag  string
		want []int64 // ms after t0; the mark is 9001
	}{
		{"level", []int64{0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 9001, 100000, 101000, 102000}},
		{"flat", []int64{0, 9001, 100000}},
	} {
		got := stored(t, s, tt.tag)
		var at []int64
		for _, x := range got {
			at = append(at, ms(x))
			gap := x.T == mark
			if q := unpackQuality(x.Q); gap != (q == datasource.BadQuality(datasource.NoData)) || gap != math.IsNaN(x.V) {
				t.Fatalf("%s: sample at %d ms is %v %v: only the mark is Bad/NoData without a value", tt.tag, ms(x), x.V, q)
			}
		}
		if fmt.Sprint(at) != fmt.Sprint(tt.want) {
			t.Fatalf("%s stored at %v ms, want %v", tt.tag, at, tt.want)
		}
	}
	// The trend's view: the line is broken from the mark to the restart.
	p, err := s.ValueAt(context.Background(), "flat", t0.Add(50*time.Second))
	if err != nil || !p.IsGap() || p.Quality != datasource.BadQuality(datasource.NoData) {
		t.Fatalf("flat at 50 s is %+v (%v), want a gap: nothing was recorded then", p, err)
	}
	if got := stored(t, s, "off"); len(got) != 0 {
		t.Fatalf("a tag without history got %d samples", len(got))
	}
}

// A clock behind where the file's recording ended (set back, or wrong at
// boot) leaves the end unmarked: a mark in the clock's future would make
// every tag drop its live samples until the clock caught up with it.
func TestAClockBehindTheFileLeavesTheStopUnmarked(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0) // an hour behind what the file recorded
	s, _ := openTest(t, Options{Clock: clock})
	if err := s.Append([]Sample{{Tag: "a", Time: t0.Add(time.Hour), Value: 1}}); err != nil {
		t.Fatal(err)
	}
	s.Recording(t0.Add(time.Hour))
	if n, err := s.MarkDowntime([]string{"a"}); n != 0 || err != nil {
		t.Fatalf("marked %d (%v) with the clock an hour behind the file", n, err)
	}
	clock.Advance(2 * time.Hour)
	if n, err := s.MarkDowntime([]string{"a"}); n != 1 || err != nil {
		t.Fatalf("marked %d (%v) with the clock past the file again, want 1", n, err)
	}
}
