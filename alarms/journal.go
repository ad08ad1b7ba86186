package alarms

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

// Journal is the event journal the engine writes its transitions and the
// operators' actions to, and restores its state from after a restart.
// *history.Store implements it.
type Journal interface {
	// AppendEvents stores events in order; the store assigns Seq.
	AppendEvents(events []history.Event) error
	// Events returns the events from..to (inclusive), oldest first, that
	// contain filter in some field (case-insensitive; "" matches all); limit
	// 0 means no limit. The engine filters by EventKind ("alarm") to read
	// less, and checks Kind itself, so a looser filter is harmless.
	Events(ctx context.Context, from, to time.Time, filter string, limit int) ([]history.Event, error)
}

// EventKind is the history.Event Kind of every event the engine writes.
const EventKind = "alarm"

// The transitions, in an event's Data["transition"].
const (
	TransActivate     = "activate"       // the alarm became active
	TransClear        = "clear"          // its condition cleared
	TransAck          = "ack"            // an operator acknowledged it
	TransReset        = "reset"          // an operator reset a latched alarm
	TransShelve       = "shelve"         // an operator shelved it
	TransUnshelve     = "unshelve"       // shelving ended: by an operator, or expired (no user)
	TransOneShotEnd   = "oneshot_end"    // one-shot shelving ended as the alarm cleared
	TransSuppress     = "suppress"       // suppression by design began
	TransUnsuppress   = "unsuppress"     // suppression by design ended
	TransOutOfService = "out_of_service" // an operator took it out of service
	TransInService    = "in_service"     // an operator returned it to service
	TransRestore      = "restore"        // restored from the journal at start-up
)

// event builds the journal record of one transition or action, carrying
// the alarm's whole state so that the last event of an alarm is enough to
// restore it and to compute KPIs.
func (e *Engine) event(id ID, trans, user string, now time.Time, extra ...string) history.Event {
	d, s := &e.defs[id], &e.st[id]
	data := map[string]string{
		"transition": trans,
		"kind":       d.kind.String(),
		"priority":   d.priority.String(),
		"severity":   strconv.Itoa(int(Severity(d.priority))),
		"value":      formatValue(d.tag, s.value),
		"units":      d.tag.Units,
		"quality":    s.quality.String(),
		"active":     strconv.FormatBool(s.active),
		"acked":      strconv.FormatBool(!s.unacked),
		"latched":    strconv.FormatBool(s.latched),
		"suppressed": strconv.FormatBool(s.suppressed),
		"oos":        strconv.FormatBool(s.oos),
		"shelved":    shelveModeNames[s.shelve],
	}
	if !s.hasValue {
		data["value"] = ""
	}
	if s.active || s.latched {
		data["since"] = s.activeSince.UTC().Format(time.RFC3339Nano)
	}
	if s.shelve == shelvedTimed {
		data["shelved_until"] = s.shelvedUntil.UTC().Format(time.RFC3339Nano)
	}
	if s.shelve != notShelved {
		data["shelved_by"], data["shelve_reason"] = s.shelvedBy, s.shelveReason
	}
	if s.oos {
		data["oos_by"], data["oos_reason"] = s.oosBy, s.oosReason
	}
	if d.kind == datasource.AlarmPredictive && !math.IsNaN(s.ttl) && !math.IsInf(s.ttl, 0) {
		data["ttl"] = strconv.FormatFloat(s.ttl, 'f', 0, 64)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] != "" {
			data[extra[i]] = extra[i+1]
		}
	}
	return history.Event{
		Time: now, Kind: EventKind, Source: d.tag.Name, Name: d.name,
		State: s.isa().String(), User: user, Message: message(d, s), Data: data,
	}
}

// record journals the transitions c of alarm id. mu is held.
func (e *Engine) record(id ID, c change, now time.Time) {
	s := &e.st[id]
	annunciate := func(cond bool) string {
		if cond && s.annunciated() {
			return "true"
		}
		return ""
	}
	if c&chActivated != 0 {
		e.append(e.event(id, TransActivate, "", now, "annunciate", annunciate(true)))
	}
	if c&chCleared != 0 {
		e.append(e.event(id, TransClear, "", now))
	}
	if c&chOneShotEnded != 0 {
		e.append(e.event(id, TransOneShotEnd, "", now))
	}
	if c&chUnshelved != 0 {
		e.append(e.event(id, TransUnshelve, "", now, "reason", "shelving expired",
			"annunciate", annunciate(s.active && s.unacked)))
	}
	if c&chSuppressed != 0 {
		e.append(e.event(id, TransSuppress, "", now))
	}
	if c&chUnsuppressed != 0 {
		e.append(e.event(id, TransUnsuppress, "", now, "annunciate", annunciate(s.active && s.unacked)))
	}
}

// append queues an event for the journal. mu is held. Beyond MaxPending
// the oldest event is dropped and counted: evaluation never waits for the
// disk.
func (e *Engine) append(ev history.Event) {
	if e.jrn == nil {
		e.keepRecent(ev)
		return
	}
	if len(e.pending) >= e.maxPnd {
		// Drop a tenth at once so that a stalled journal costs O(1) per
		// event, not a copy of the whole queue.
		n := len(e.pending) - e.maxPnd + 1 + e.maxPnd/10
		n = min(n, len(e.pending))
		e.pending = append(e.pending[:0], e.pending[n:]...)
		e.dropped += uint64(n)
		e.log.Warn("alarms: the event journal is behind; dropped the oldest events", "dropped", n)
	}
	e.pending = append(e.pending, ev)
	select {
	case e.flush <- struct{}{}:
	default:
	}
}

// keepRecent keeps the last KPIWindow of events in memory when there is no
// journal, so the KPIs still work. mu is held.
func (e *Engine) keepRecent(ev history.Event) {
	cut := ev.Time.Add(-KPIWindow)
	drop := 0
	for drop < len(e.recent) && e.recent[drop].Time.Before(cut) {
		drop++
	}
	if drop > 0 && drop >= len(e.recent)/2 {
		e.recent = append(e.recent[:0], e.recent[drop:]...)
	}
	if len(e.recent) >= e.maxPnd {
		n := min(len(e.recent), len(e.recent)-e.maxPnd+1+e.maxPnd/10)
		e.recent = append(e.recent[:0], e.recent[n:]...)
	}
	e.recent = append(e.recent, ev)
}

// Dropped returns how many events were lost because the journal fell
// more than MaxPending events behind.
func (e *Engine) Dropped() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

// Flush writes the pending events to the journal now. Run flushes on its
// own; call Flush when driving the engine with Process and Tick directly.
// On failure the events stay pending for the next attempt.
func (e *Engine) Flush() error {
	if e.jrn == nil {
		return nil
	}
	e.flushing.Lock()
	defer e.flushing.Unlock()
	e.mu.Lock()
	batch := e.pending
	e.pending = nil
	e.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := e.jrn.AppendEvents(batch); err != nil {
		e.mu.Lock()
		e.pending = append(batch, e.pending...)
		if over := len(e.pending) - e.maxPnd; over > 0 {
			e.pending = e.pending[over:]
			e.dropped += uint64(over)
		}
		e.mu.Unlock()
		return err
	}
	return nil
}

// writeJournal flushes whenever events are pending, retrying every second
// after a failure, until ctx ends.
func (e *Engine) writeJournal(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.flush:
		}
		for {
			err := e.Flush()
			if err == nil {
				break
			}
			e.log.Error("alarms: writing the event journal failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-e.clock.After(time.Second):
			}
		}
	}
}
