package alarms

import (
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/history"
)

// FuzzRestoreEvent feeds journal events with arbitrary fields — the journal
// is a file, outside bytes — to restore and to the KPIs: neither may panic,
// and a restored alarm must be in a consistent state.
func FuzzRestoreEvent(f *testing.F) {
	f.Add("Hi", "activate", "true", "false", "true", "timed", "2026-11-28T08:30:00Z", "2026-11-28T08:00:00Z", "true")
	f.Add("Hi", "shelve", "false", "true", "false", "oneshot", "", "garbage", "false")
	f.Add("Lo", "", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, name, trans, active, acked, latched, shelved, until, since, oos string) {
		ev := history.Event{Seq: 1, Time: t0, Kind: EventKind, Source: "Tank1.Level", Name: name, Data: map[string]string{
			"transition": trans, "active": active, "acked": acked, "latched": latched, "shelved": shelved,
			"shelved_until": until, "since": since, "oos": oos, "annunciate": active}}
		j := &memJournal{events: []history.Event{ev}}
		e, err := New(plantTags(hiAlarm, loAlarm), Options{Clock: newClock(), Journal: j})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range e.Active() {
			if a.Shelved && !a.OneShot && a.ShelvedUntil.IsZero() {
				t.Fatalf("timed shelving without an end: %+v", a)
			}
			if (a.State == Unack || a.State == Acked) != a.Active {
				t.Fatalf("state %v with active %v", a.State, a.Active)
			}
		}
		e.Tick(t0.Add(time.Hour))
		ComputeKPI(j.all(), t0.Add(time.Minute))
	})
}
