package alarms

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// TestHistoricalSamplesRaiseNoAlarm: a forwarded (historical) value above
// the limit, published between two live values below it, reaches neither
// the engine's view of the tag nor its alarm state or journal.
func TestHistoricalSamplesRaiseNoAlarm(t *testing.T) {
	tags := plantTags(hiAlarm)
	j := &memJournal{}
	clk := newClock()
	e, err := New(tags, Options{Clock: clk, Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	table := datasource.NewTable(tags)
	sub := table.Subscribe("alarms", 1024)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	now := clk.Now()
	table.Publish([]datasource.Sample{{Tag: 0, Value: fl(50), Time: now}})
	table.Engine().PublishHistorical([]datasource.Sample{{Tag: 0, Value: fl(90), Time: now.Add(-time.Second)}})
	table.Publish([]datasource.Sample{{Tag: 0, Value: fl(60), Time: now.Add(time.Millisecond)}})
	id, _ := e.Lookup("Tank1.Level", "Hi")
	waitFor(t, "the last live reading", func() bool { a, _ := e.Get(id); return a.Value == fl(60) })
	if a, _ := e.Get(id); a.Active {
		t.Errorf("alarm %+v active after a historical value above its limit", a)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if slices.Contains(j.transitions("Tank1.Level", "Hi"), TransActivate) {
		t.Error("a historical value was journaled as an activation")
	}
	if got := table.Get(0); got.Value != fl(60) {
		t.Errorf("current value %v, want the live 60", got.Value)
	}
}
