package history

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestRetentionTellsItsHookWhatItRemovesAndAFailingHookStopsIt: the hook
// gets the count and the newest doomed event; when it fails, no event is
// removed and Prune says why.
func TestRetentionTellsItsHookWhatItRemovesAndAFailingHookStopsIt(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	s, _ := openTest(t, Options{Clock: clock, Retention: Retention{EventMaxAge: time.Hour, Every: 1000 * time.Hour}}) // Every: no background prune races the test's own
	var evs []Event
	for i := range 4 {
		evs = append(evs, Event{Time: t0.Add(time.Duration(i) * time.Minute), Kind: "audit", Name: "write", User: "alice"})
	}
	if err := s.AppendEvents(evs); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour + 150*time.Second) // the first three are older than an hour
	refuse := errors.New("the marker could not be written")
	var got []PrunedEvents
	s.OnPruneEvents(func(_ context.Context, p PrunedEvents) error {
		got = append(got, p)
		if len(got) == 1 {
			return refuse
		}
		return nil
	})
	count := func() int {
		all, err := s.Events(context.Background(), time.Time{}, t0.Add(2*time.Hour), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	if err := s.Prune(context.Background()); !errors.Is(err, refuse) {
		t.Fatalf("prune with a failing hook: %v", err)
	}
	if n := count(); n != 4 {
		t.Fatalf("%d events after a refused prune, want all 4", n)
	}
	if err := s.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d events after the prune, want 1", n)
	}
	if len(got) != 2 || got[1].Count != 3 || got[1].Last.Seq != evs[2].Seq || !got[1].Before.Equal(clock.Now().Add(-time.Hour)) {
		t.Errorf("the hook got %+v", got)
	}
}
