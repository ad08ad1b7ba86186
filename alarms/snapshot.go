package alarms

import (
	"math"
	"slices"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// alarm builds the UI snapshot of alarm id. mu is held.
func (e *Engine) alarm(id ID) Alarm {
	d, s := &e.defs[id], &e.st[id]
	a := Alarm{
		ID: id, Tag: d.tag.Name, Group: d.tag.Group, Name: d.name, Kind: d.kind,
		Priority: d.priority, Severity: Severity(d.priority), Limit: d.limit,
		State: s.isa(), Active: s.active || s.latched, Acked: !s.unacked, Latched: s.latched,
		Annunciated: s.annunciated(),
		Shelved:     s.shelve != notShelved, OneShot: s.shelve == shelvedOneShot,
		ShelvedUntil: s.shelvedUntil, ShelvedBy: s.shelvedBy, ShelveReason: s.shelveReason,
		ShelveMax:  d.shelveMax,
		Suppressed: s.suppressed, OutOfService: s.oos, OOSBy: s.oosBy, OOSReason: s.oosReason,
		Value: s.value, Quality: s.quality, Units: d.tag.Units, Message: message(d, s),
		TimeToLimit: -1, Since: s.lastChange, LastChange: s.lastChange,
	}
	if a.Active {
		a.Since = s.activeSince
	}
	if d.kind == datasource.AlarmPredictive && !math.IsNaN(s.ttl) && s.ttl < math.MaxInt64/float64(time.Second) {
		a.TimeToLimit = time.Duration(s.ttl * float64(time.Second))
	}
	return a
}

// listed reports whether an alarm belongs in the alarm list: it is not
// Normal (suppressed active alarms included, flagged), or it is shelved or
// out of service, so the operator can find and undo that.
func (s *state) listed() bool {
	return s.isa() != Normal || s.shelve != notShelved || s.oos
}

// Active returns the alarms of the alarm list — every alarm not Normal,
// shelved or out of service, hidden ones included with their flags set —
// sorted by priority (most urgent first), then newest first.
func (e *Engine) Active() []Alarm {
	e.mu.Lock()
	var out []Alarm
	for i := range e.st {
		if e.st[i].listed() {
			out = append(out, e.alarm(ID(i)))
		}
	}
	e.mu.Unlock()
	slices.SortStableFunc(out, func(a, b Alarm) int {
		if a.Priority != b.Priority {
			return int(b.Priority) - int(a.Priority)
		}
		return b.Since.Compare(a.Since)
	})
	return out
}

// Get returns the snapshot of one alarm.
func (e *Engine) Get(id ID) (Alarm, bool) {
	if int(id) >= len(e.defs) {
		return Alarm{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.alarm(id), true
}

// TagAlarms returns the snapshots of every alarm of one tag, in definition
// order, for its faceplate.
func (e *Engine) TagAlarms(tag datasource.TagID) []Alarm {
	if int(tag) >= len(e.tags) {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Alarm
	for k := e.off[tag]; k < e.off[tag+1]; k++ {
		out = append(out, e.alarm(ID(k)))
	}
	return out
}

// Summary counts the alarms for the banner: annunciated per priority,
// unacknowledged, active, shelved, suppressed, out of service, latched.
func (e *Engine) Summary() Summary {
	e.mu.Lock()
	defer e.mu.Unlock()
	sum := Summary{Version: e.version.Load()}
	for i := range e.st {
		s := &e.st[i]
		if s.annunciated() {
			sum.Annunciated[e.defs[i].priority]++
			if s.unacked {
				sum.Unacked++
			}
		}
		if s.active {
			sum.Active++
		}
		if s.shelve != notShelved {
			sum.Shelved++
		}
		if s.suppressed {
			sum.Suppressed++
		}
		if s.oos {
			sum.OutOfService++
		}
		if s.latched {
			sum.Latched++
		}
	}
	return sum
}
