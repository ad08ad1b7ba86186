package alarms

import (
	"context"
	"slices"
	"time"

	"github.com/vigil-hmi/vigil/history"
)

// restore rebuilds alarm state from the journal: the last event of each
// alarm carries its whole state, so acknowledgement, latching, shelving
// (with its original end: time shelved while Vigil was down counts) and
// out-of-service come back as the operators left them. Suppression is not
// restored: it follows its condition tag's next reading. Every restored
// alarm that is not Normal is journaled again ("restore"), which keeps its
// state inside the next restart's window however long it lasts.
func (e *Engine) restore(ctx context.Context, window time.Duration) error {
	now := e.clock.Now()
	events, err := e.jrn.Events(ctx, now.Add(-window), now, EventKind, 0)
	if err != nil {
		return err
	}
	last := make(map[ID]*history.Event)
	slices.SortStableFunc(events, func(a, b history.Event) int {
		if a.Seq != b.Seq && a.Seq != 0 && b.Seq != 0 {
			if a.Seq < b.Seq {
				return -1
			}
			return 1
		}
		return a.Time.Compare(b.Time)
	})
	for i := range events {
		ev := &events[i]
		if ev.Kind != EventKind {
			continue
		}
		if id, ok := e.lookup(ev.Source, ev.Name); ok {
			last[id] = ev
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.st {
		ev, ok := last[ID(i)]
		if !ok {
			continue
		}
		s := &e.st[i]
		restoreState(s, ev)
		if s.listed() {
			e.append(e.event(ID(i), TransRestore, "", now))
		}
	}
	return nil
}

// restoreState applies the state an event recorded. An active alarm comes
// back with its condition active since its activation: the first reading
// then decides whether it still is, journaling the clear if not.
func restoreState(s *state, ev *history.Event) {
	d := ev.Data
	s.active = d["active"] == "true"
	s.cond = s.active
	s.unacked = d["acked"] == "false"
	s.latched = d["latched"] == "true"
	s.lastChange = ev.Time
	if t, err := time.Parse(time.RFC3339Nano, d["since"]); err == nil {
		s.activeSince, s.condSince = t, t
	} else if s.active || s.latched {
		s.activeSince, s.condSince = ev.Time, ev.Time
	}
	switch d["shelved"] {
	case "timed":
		if t, err := time.Parse(time.RFC3339Nano, d["shelved_until"]); err == nil {
			s.shelve, s.shelvedUntil = shelvedTimed, t
		}
	case "oneshot":
		s.shelve = shelvedOneShot
	}
	if s.shelve != notShelved {
		s.shelvedBy, s.shelveReason = d["shelved_by"], d["shelve_reason"]
	}
	if d["oos"] == "true" {
		s.oos, s.oosBy, s.oosReason = true, d["oos_by"], d["oos_reason"]
	}
}
