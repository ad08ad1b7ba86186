package alarms

import (
	"math"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// shelveMode says whether and how an alarm is shelved.
type shelveMode uint8

const (
	notShelved shelveMode = iota
	shelvedTimed
	shelvedOneShot
)

var shelveModeNames = [...]string{"", "timed", "oneshot"}

// state is the evaluation state of one alarm. The zero state is Normal with
// no reading yet. Everything the engine knows about an alarm lives here, so
// evaluation is a function of (state, reading, now).
type state struct {
	value    datasource.Value
	quality  datasource.Quality
	hasValue bool

	// the flags, together after quality: 224 bytes, not 240
	// (TestStateAndDefSizes)
	cond       bool // the condition, with deadband, before delays
	active     bool // the condition after on/off delays
	unacked    bool
	latched    bool
	shelve     shelveMode
	suppressed bool
	oos        bool

	condSince   time.Time // when cond last changed
	activeSince time.Time
	lastChange  time.Time
	ttl         float64 // predictive: last forecast in seconds; NaN when none

	shelvedUntil time.Time
	shelvedBy    string
	shelveReason string
	oosBy        string
	oosReason    string

	series *series // rate of change and predictive only
}

// input is one reading for an alarm: its tag's sample and, for deviation
// alarms, the setpoint tag's current value.
type input struct {
	value      datasource.Value
	quality    datasource.Quality
	at         time.Time // the sample's time, for fits
	setpoint   float64
	setpointOK bool
}

// change is a set of transitions one evaluation or action caused.
type change uint16

const (
	chActivated    change = 1 << iota // the alarm became active
	chCleared                         // the alarm's condition cleared (after off-delay)
	chOneShotEnded                    // one-shot shelving ended because the alarm cleared
	chUnshelved                       // timed shelving expired
	chSuppressed                      // suppression by design began
	chUnsuppressed                    // suppression by design ended
)

// isa returns the ISA-18.2 state. A latched alarm counts as active until
// it is reset.
func (s *state) isa() State {
	act := s.active || s.latched
	switch {
	case act && s.unacked:
		return Unack
	case act:
		return Acked
	case s.unacked:
		return RTNUnack
	}
	return Normal
}

// hidden reports whether annunciation is stopped by shelving, suppression
// or out-of-service.
func (s *state) hidden() bool { return s.shelve != notShelved || s.suppressed || s.oos }

// annunciated reports whether the operator should see the alarm.
func (s *state) annunciated() bool { return !s.hidden() && s.isa() != Normal }

// evaluate folds one reading into the state at now and returns the
// transitions it caused. scratch is the fit buffer, reused across calls.
// It never allocates unless the series fit grows scratch.
func (s *state) evaluate(d *def, in *input, now time.Time, scratch *[]float64) change {
	s.value, s.quality, s.hasValue = in.value, in.quality, true
	if cond, ok := s.condition(d, in, scratch); ok && cond != s.cond {
		s.cond, s.condSince = cond, now
	}
	return s.settle(d, now)
}

// condition evaluates the alarm's condition for a reading, applying the
// deadband against the current condition. ok is false when the reading
// cannot decide it (Bad quality, no value, no setpoint yet, too short a
// fit): the condition then holds, because a missing reading is neither an
// alarm nor its end — the bad-quality and comm alarms report that.
func (s *state) condition(d *def, in *input, scratch *[]float64) (cond, ok bool) {
	switch d.kind {
	case datasource.AlarmBadQuality:
		return in.quality.IsBad(), true
	case datasource.AlarmComm:
		if in.value.IsNone() {
			return false, false
		}
		return !in.value.AsBool(), true
	}
	if in.quality.IsBad() || in.value.IsNone() {
		return false, false
	}
	if d.kind == datasource.AlarmDiscrete {
		return equal(in.value, d.state) != d.notEqual, true
	}
	v, ok := in.value.AsFloat()
	if !ok || math.IsNaN(v) {
		return false, false
	}
	switch d.kind {
	case datasource.AlarmHiHi, datasource.AlarmHi:
		return above(v, d.limit, d.deadband, s.cond), true
	case datasource.AlarmLo, datasource.AlarmLoLo:
		return above(-v, -d.limit, d.deadband, s.cond), true
	case datasource.AlarmDeviation:
		if !in.setpointOK {
			return false, false
		}
		return above(math.Abs(v-in.setpoint), d.limit, d.deadband, s.cond), true
	case datasource.AlarmRateOfChange:
		r, ok := s.series.rate(in.at, v)
		s.series.add(in.at, v)
		if !ok {
			return false, false
		}
		return above(math.Abs(r), d.limit, d.deadband, s.cond), true
	case datasource.AlarmPredictive:
		if s.series.add(in.at, v) {
			*scratch = s.series.fit(*scratch)
		}
		ttl, ok := s.series.timeToLimit(in.at, d.limit, d.upper)
		if !ok {
			s.ttl = math.NaN()
			return false, false
		}
		s.ttl = ttl
		return ttl < d.horizon.Seconds(), true
	}
	return false, false
}

// above is a high-limit condition with hysteresis: it activates at
// v >= limit and, once active, clears only when v < limit - deadband.
func above(v, limit, deadband float64, active bool) bool {
	if active {
		return v >= limit-deadband
	}
	return v >= limit
}

// equal compares a reading with a discrete alarm state in the state's
// kind: strings as strings, bools as truth, numbers as numbers.
func equal(v, want datasource.Value) bool {
	switch want.Kind() {
	case datasource.KindString:
		return v.AsString() == want.AsString()
	case datasource.KindBool:
		return v.AsBool() == want.AsBool()
	}
	a, ok1 := v.AsFloat()
	b, ok2 := want.AsFloat()
	return ok1 && ok2 && a == b
}

// settle applies the on- and off-delays at now: the alarm activates once
// its condition has been true for OnDelay and clears once it has been
// false for OffDelay. Tick calls it too, so delays end without a reading.
func (s *state) settle(d *def, now time.Time) change {
	switch {
	case s.cond && !s.active && now.Sub(s.condSince) >= d.onDelay:
		s.active, s.unacked, s.activeSince, s.lastChange = true, true, now, now
		if d.latching {
			s.latched = true
		}
		return chActivated
	case !s.cond && s.active && now.Sub(s.condSince) >= d.offDelay:
		s.active, s.lastChange = false, now
		c := chCleared
		if s.shelve == shelvedOneShot && !s.latched {
			s.endShelve()
			c |= chOneShotEnded
		}
		return c
	}
	return 0
}

// expire ends timed shelving at its time. A still active alarm is
// re-annunciated (unacknowledged again): the operator shelved it for a
// while, not for good.
func (s *state) expire(now time.Time) change {
	if s.shelve != shelvedTimed || now.Before(s.shelvedUntil) {
		return 0
	}
	s.endShelve()
	s.lastChange = now
	if s.active || s.latched {
		s.unacked = true
	}
	return chUnshelved
}

func (s *state) endShelve() {
	s.shelve, s.shelvedUntil, s.shelvedBy, s.shelveReason = notShelved, time.Time{}, "", ""
	s.quietIfUnhidden()
}

// quietIfUnhidden acknowledges an alarm that activated and returned to
// normal while hidden, once nothing hides it any more: there is nothing
// left for the operator to act on, and flashing it would be noise.
func (s *state) quietIfUnhidden() {
	if !s.hidden() && !s.active && !s.latched {
		s.unacked = false
	}
}

// suppress sets suppression by design from the condition tag's value.
func (s *state) suppress(on bool, now time.Time) change {
	if s.suppressed == on {
		return 0
	}
	s.suppressed, s.lastChange = on, now
	if on {
		return chSuppressed
	}
	s.quietIfUnhidden()
	return chUnsuppressed
}
