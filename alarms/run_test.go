package alarms

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// waitFor polls cond until it holds; the deadline only bounds a failing
// test, it asserts nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunEvaluatesTheSubscriptionTicksDelaysAndStopsCleanly(t *testing.T) {
	tags := plantTags(datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, OnDelay: 5 * time.Second})
	j := &memJournal{}
	clk := newClock()
	e, err := New(tags, Options{Clock: clk, Journal: j, TickInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	table := datasource.NewTable(tags)
	sub := table.Subscribe("alarms", 1024)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	if err := clk.BlockUntilContext(ctx, 1); err != nil { // Run's ticker
		t.Fatal(err)
	}
	table.Publish([]datasource.Sample{{Tag: 0, Value: fl(90), Time: clk.Now()}})
	id, _ := e.Lookup("Tank1.Level", "Hi")
	waitFor(t, "the reading to reach the engine", func() bool { a, _ := e.Get(id); return a.Value == fl(90) })
	if a, _ := e.Get(id); a.Active {
		t.Fatal("active before its on-delay")
	}
	for range 5 {
		clk.Advance(time.Second)
	}
	waitFor(t, "the on-delay to end on a tick", func() bool { a, _ := e.Get(id); return a.Active })
	waitFor(t, "the writer to journal the activation", func() bool {
		return slices.Contains(j.transitions("Tank1.Level", "Hi"), TransActivate)
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}
}

func TestRunFlushesPendingEventsWhenItStops(t *testing.T) {
	tags := plantTags(hiAlarm)
	j := &memJournal{failing: true}
	clk := newClock()
	e, err := New(tags, Options{Clock: clk, Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	table := datasource.NewTable(tags)
	sub := table.Subscribe("alarms", 16)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	table.Publish([]datasource.Sample{{Tag: 0, Value: fl(90), Time: clk.Now()}})
	id, _ := e.Lookup("Tank1.Level", "Hi")
	waitFor(t, "the activation", func() bool { a, _ := e.Get(id); return a.Active })
	j.mu.Lock()
	j.failing = false // the disk is back just as Vigil stops
	j.mu.Unlock()
	cancel()
	<-done
	if got := j.transitions("Tank1.Level", "Hi"); !slices.Equal(got, []string{TransActivate}) {
		t.Fatalf("journal after stop %v, want the activation", got)
	}
}

// A backlog larger than Run's piece (recvPiece) is evaluated to its last
// sample, in order: the reading that raises the alarm comes after more than
// two pieces of readings below the limit, and the one that clears it
// (Normal again) last of all but one.
func TestRunEvaluatesABacklogOfManyPieces(t *testing.T) {
	tags := plantTags(hiAlarm)
	clk := newClock()
	e, err := New(tags, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	table := datasource.NewTable(tags)
	sub := table.Subscribe("alarms", 1<<16)
	defer sub.Close()
	n := 2*recvPiece + 100
	batch := make([]datasource.Sample, n)
	for i := range batch {
		batch[i] = datasource.Sample{Tag: 0, Value: fl(50), Time: clk.Now()}
	}
	batch[n-3].Value = fl(90) // raises it
	batch[n-2].Value = fl(10) // clears it: unacknowledged, no longer active
	table.Publish(batch)
	table.Publish([]datasource.Sample{{Tag: 0, Value: fl(11), Time: clk.Now()}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	id, _ := e.Lookup("Tank1.Level", "Hi")
	waitFor(t, "the last reading", func() bool { a, _ := e.Get(id); return a.Value == fl(11) })
	if a, _ := e.Get(id); a.State != RTNUnack {
		t.Fatalf("after the backlog: state %v, want RTNUnack (raised, then cleared)", a.State)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
