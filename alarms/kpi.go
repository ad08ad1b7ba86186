package alarms

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/history"
)

// The alarm-management KPI thresholds (ISA-18.2 / EEMUA 191 practice).
const (
	KPIWindow      = 24 * time.Hour   // how much journal Engine.KPI reads
	FloodLimit     = 10               // more than this many annunciations in 10 min is a flood
	StaleAfter     = 24 * time.Hour   // an alarm active longer than this is stale
	ChatterCount   = 3                // this many activations ...
	ChatterWindow  = time.Minute      // ... within this window is chattering
	TopAlarmsCount = 10               // how many most frequent alarms KPI.Top lists
	rate10Min      = 10 * time.Minute // the short annunciation-rate window
)

// AlarmCount is an alarm ("Tank1.Level/HiHi") with a count.
type AlarmCount struct {
	Alarm string
	Count int
}

// StaleAlarm is an alarm active for longer than StaleAfter.
type StaleAlarm struct {
	Alarm string
	Since time.Time
}

// KPI is the alarm-management performance of a plant at a time, computed
// from the event journal.
type KPI struct {
	At        time.Time
	Events    int // alarm events considered
	Last10Min int // annunciated alarms in the 10 minutes up to At
	LastHour  int // annunciated alarms in the hour up to At
	Flood     bool
	Standing  int          // alarms active at At
	Stale     []StaleAlarm // active for more than StaleAfter, oldest first
	// Chattering lists the alarms with at least ChatterCount activations
	// within ChatterWindow; Count is their most activations in one window.
	Chattering []AlarmCount
	// Top lists the TopAlarmsCount alarms with the most activations.
	Top []AlarmCount
}

// ComputeKPI computes the KPIs at now from journal events (any order;
// events of other kinds and after now are ignored). Rates count
// annunciations (activations and re-annunciations the operator saw, not
// hidden ones); chattering and Top count every activation in events, so
// the caller's choice of events is their window. Standing and Stale come
// from each alarm's last event.
func ComputeKPI(events []history.Event, now time.Time) KPI {
	k := KPI{At: now}
	evs := make([]*history.Event, 0, len(events))
	for i := range events {
		if ev := &events[i]; ev.Kind == EventKind && !ev.Time.After(now) {
			evs = append(evs, ev)
		}
	}
	slices.SortStableFunc(evs, func(a, b *history.Event) int { return a.Time.Compare(b.Time) })
	k.Events = len(evs)
	acts := make(map[string][]time.Time)
	last := make(map[string]*history.Event)
	for _, ev := range evs {
		key := ev.Source + "/" + ev.Name
		last[key] = ev
		if ev.Data["annunciate"] == "true" {
			age := now.Sub(ev.Time)
			if age < rate10Min {
				k.Last10Min++
			}
			if age < time.Hour {
				k.LastHour++
			}
		}
		if ev.Data["transition"] == TransActivate {
			acts[key] = append(acts[key], ev.Time)
		}
	}
	k.Flood = k.Last10Min > FloodLimit
	for key, ev := range last {
		if ev.Data["active"] != "true" {
			continue
		}
		k.Standing++
		since, err := time.Parse(time.RFC3339Nano, ev.Data["since"])
		if err != nil {
			since = ev.Time
		}
		if now.Sub(since) > StaleAfter {
			k.Stale = append(k.Stale, StaleAlarm{Alarm: key, Since: since})
		}
	}
	sortStale(k.Stale)
	for key, ts := range acts {
		k.Top = append(k.Top, AlarmCount{Alarm: key, Count: len(ts)})
		if n := maxInWindow(ts, ChatterWindow); n >= ChatterCount {
			k.Chattering = append(k.Chattering, AlarmCount{Alarm: key, Count: n})
		}
	}
	sortCounts(k.Top)
	sortCounts(k.Chattering)
	if len(k.Top) > TopAlarmsCount {
		k.Top = k.Top[:TopAlarmsCount]
	}
	return k
}

// maxInWindow returns the most times (sorted) within any span of w.
func maxInWindow(ts []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) > w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func sortCounts(cs []AlarmCount) {
	slices.SortFunc(cs, func(a, b AlarmCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Alarm, b.Alarm)
	})
}

func sortStale(ss []StaleAlarm) {
	slices.SortFunc(ss, func(a, b StaleAlarm) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.Alarm, b.Alarm)
	})
}

// KPI computes the KPIs now for the alarm summary screen: rates,
// chattering and Top from the last KPIWindow of the journal (or, without
// one, of the engine's memory), Standing and Stale from the live state.
func (e *Engine) KPI(ctx context.Context) (KPI, error) {
	now := e.clock.Now()
	var events []history.Event
	if e.jrn != nil {
		if err := e.Flush(); err != nil {
			return KPI{}, err
		}
		var err error
		if events, err = e.jrn.Events(ctx, now.Add(-KPIWindow), now, EventKind, 0); err != nil {
			return KPI{}, err
		}
	} else {
		e.mu.Lock()
		events = slices.Clone(e.recent)
		e.mu.Unlock()
	}
	k := ComputeKPI(events, now)
	k.Standing, k.Stale = 0, nil
	e.mu.Lock()
	for i := range e.st {
		s := &e.st[i]
		if !s.active {
			continue
		}
		k.Standing++
		if now.Sub(s.activeSince) > StaleAfter {
			k.Stale = append(k.Stale, StaleAlarm{Alarm: e.key(ID(i)), Since: s.activeSince})
		}
	}
	e.mu.Unlock()
	sortStale(k.Stale)
	return k, nil
}
