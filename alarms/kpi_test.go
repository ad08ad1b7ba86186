package alarms

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

// activation is a journaled, annunciated activation of tag/Hi at time at.
func activation(tag string, at time.Time) history.Event {
	return history.Event{Time: at, Kind: EventKind, Source: tag, Name: "Hi", State: "Unack",
		Data: map[string]string{"transition": TransActivate, "annunciate": "true", "active": "true",
			"since": at.Format(time.RFC3339Nano)}}
}

func clearing(tag string, at time.Time) history.Event {
	return history.Event{Time: at, Kind: EventKind, Source: tag, Name: "Hi", State: "RTNUnack",
		Data: map[string]string{"transition": TransClear, "active": "false"}}
}

func TestComputeKPI(t *testing.T) {
	now := t0.Add(48 * time.Hour)
	tests := []struct {
		name   string
		events func() []history.Event
		check  func(k KPI) error
	}{
		{"eleven annunciations in ten minutes are a flood", func() []history.Event {
			var evs []history.Event
			for i := range 11 {
				at := now.Add(-9*time.Minute + time.Duration(i)*30*time.Second)
				evs = append(evs, activation(fmt.Sprintf("T%d", i), at), clearing(fmt.Sprintf("T%d", i), at.Add(time.Second)))
			}
			return evs
		}, func(k KPI) error {
			if !k.Flood || k.Last10Min != 11 || k.LastHour != 11 || k.Standing != 0 {
				return fmt.Errorf("flood %v, %d in 10 min, %d in 1 h, %d standing; want flood, 11, 11, 0", k.Flood, k.Last10Min, k.LastHour, k.Standing)
			}
			return nil
		}},
		{"ten annunciations in ten minutes are not yet a flood and older ones count only per hour", func() []history.Event {
			var evs []history.Event
			for i := range 10 {
				evs = append(evs, activation(fmt.Sprintf("T%d", i), now.Add(-time.Duration(i)*time.Minute)))
			}
			return append(evs, activation("Old", now.Add(-30*time.Minute)), activation("Older", now.Add(-2*time.Hour)))
		}, func(k KPI) error {
			if k.Flood || k.Last10Min != 10 || k.LastHour != 11 || k.Standing != 12 {
				return fmt.Errorf("flood %v, %d in 10 min, %d in 1 h, %d standing; want no flood, 10, 11, 12", k.Flood, k.Last10Min, k.LastHour, k.Standing)
			}
			return nil
		}},
		{"three activations within a minute are chattering, three within seventy seconds are not", func() []history.Event {
			var evs []history.Event
			for _, s := range []int{0, 20, 50} {
				at := now.Add(-time.Hour + time.Duration(s)*time.Second)
				evs = append(evs, activation("Chatty", at), clearing("Chatty", at.Add(5*time.Second)))
			}
			for _, s := range []int{0, 35, 70} {
				at := now.Add(-time.Hour + time.Duration(s)*time.Second)
				evs = append(evs, activation("Slow", at), clearing("Slow", at.Add(5*time.Second)))
			}
			return evs
		}, func(k KPI) error {
			if len(k.Chattering) != 1 || k.Chattering[0] != (AlarmCount{"Chatty/Hi", 3}) {
				return fmt.Errorf("chattering %v, want only Chatty/Hi with 3", k.Chattering)
			}
			return nil
		}},
		{"an alarm active for more than 24 hours is stale", func() []history.Event {
			return []history.Event{activation("Stuck", now.Add(-25*time.Hour)), activation("Fresh", now.Add(-23*time.Hour))}
		}, func(k KPI) error {
			if len(k.Stale) != 1 || k.Stale[0].Alarm != "Stuck/Hi" || k.Standing != 2 {
				return fmt.Errorf("stale %v standing %d, want only Stuck/Hi and 2 standing", k.Stale, k.Standing)
			}
			return nil
		}},
		{"the top ten are the ten most frequent alarms, most frequent first", func() []history.Event {
			var evs []history.Event
			for i := range 12 { // T0 activates once ... T11 twelve times
				for n := 0; n <= i; n++ {
					at := now.Add(-time.Duration(20*n+i) * time.Minute)
					evs = append(evs, activation(fmt.Sprintf("T%02d", i), at))
				}
			}
			return evs
		}, func(k KPI) error {
			if len(k.Top) != 10 || k.Top[0] != (AlarmCount{"T11/Hi", 12}) || k.Top[9] != (AlarmCount{"T02/Hi", 3}) {
				return fmt.Errorf("top %v, want T11 (12) down to T02 (3)", k.Top)
			}
			return nil
		}},
		{"events after the KPI time and events of other kinds are ignored", func() []history.Event {
			return []history.Event{activation("Future", now.Add(time.Minute)), {Time: now, Kind: "audit", Source: "x", Data: map[string]string{"annunciate": "true"}}}
		}, func(k KPI) error {
			if k.Events != 0 || k.LastHour != 0 || k.Standing != 0 {
				return fmt.Errorf("%+v, want nothing counted", k)
			}
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.check(ComputeKPI(tc.events(), now)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEngineKPIFromItsJournal(t *testing.T) {
	for _, withJournal := range []bool{true, false} {
		t.Run(fmt.Sprintf("with journal %v", withJournal), func(t *testing.T) {
			clk := newClock()
			opts := Options{Clock: clk}
			if withJournal {
				opts.Journal = &memJournal{}
			}
			e, err := New(plantTags(hiAlarm, datasource.AlarmDef{Kind: datasource.AlarmLo, Limit: 20}), opts)
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, clk: clk, e: e}
			for range 3 { // Hi chatters: three activations in 30 s
				f.feed(0, fl(90))
				f.advance(5 * time.Second)
				f.feed(0, fl(50))
				f.advance(5 * time.Second)
			}
			if err := e.Shelve("op1", f.id("Tank1.Level", "Lo"), time.Hour, "maintenance"); err != nil {
				t.Fatal(err)
			}
			f.feed(0, fl(10)) // a shelved activation: evaluated, not annunciated
			k, err := e.KPI(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if k.Last10Min != 3 || k.Standing != 1 || len(k.Chattering) != 1 || k.Chattering[0].Alarm != "Tank1.Level/Hi" ||
				len(k.Top) != 2 || k.Top[0] != (AlarmCount{"Tank1.Level/Hi", 3}) {
				t.Fatalf("KPI %+v", k)
			}
		})
	}
}
