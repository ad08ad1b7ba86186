package calc

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// periodEndOffset is how long before a reset the value of the ending period
// is stamped, so that it falls within that period (23:59:59.999 for a
// daily reset) while history, at millisecond resolution, keeps it apart
// from the reset's 0.
const periodEndOffset = time.Millisecond

// totalizer is the state of an integrate, counter, run_hours or starts tag.
//
// How gaps count (docs/calc.md): an interval is integrated (integrate,
// run_hours) only when the samples at both of its ends are Good, with the
// earlier sample's value held over it; a Bad or Uncertain stretch, and the
// time Vigil did not run, adds nothing. A counter and a start count compare
// the last Good sample with the next one: what the device counted while
// the link was down is counted when it comes back, because the device did
// count it, but nothing is invented for the time Vigil did not run.
type totalizer struct {
	kind  datasource.CalcKind
	per   float64 // seconds per unit of the integral: 3600 for m³/h and for run-hours
	wrap  float64 // counter: where it wraps to 0; 0: it does not wrap
	reset datasource.ResetPeriod
	opts  Options

	total   float64
	prev    datasource.Sample // the latest input sample, zero before the first
	from    time.Time         // start of the interval not yet integrated (prev's time, or a reset since)
	good    datasource.Sample // the latest Good input sample (counter, starts)
	next    time.Time         // the next scheduled reset; far future when none
	touched bool              // the period so far has data: its end is recorded
}

// never is the "next reset" of a totalizer that has no schedule.
var never = time.Unix(1<<62, 0)

func newTotalizer(c *datasource.CalcDef, opts Options) *totalizer {
	z := &totalizer{kind: c.Kind, wrap: c.Wrap, reset: c.Reset, opts: opts, next: never}
	switch c.Kind {
	case datasource.CalcIntegrate:
		z.per = c.Per.Seconds()
		if z.per <= 0 {
			z.per = 3600
		}
	case datasource.CalcRunHours:
		z.per = 3600
	}
	return z
}

// counterWrap is where a counter read from tag t wraps to 0, in
// engineering units: 2^bits of its register width, scaled; 0 for floats.
func counterWrap(t *datasource.Tag) float64 {
	var raw float64
	switch t.Type {
	case datasource.TypeInt16, datasource.TypeUint16:
		raw = 1 << 16
	case datasource.TypeInt32, datasource.TypeUint32:
		raw = 1 << 32
	case datasource.TypeInt64, datasource.TypeUint64:
		raw = math.Exp2(64)
	default:
		return 0
	}
	if s := t.Scaling; !s.IsIdentity() {
		raw *= math.Abs((s.EngHi - s.EngLo) / (s.RawHi - s.RawLo))
	}
	return raw
}

// NextReset returns the first reset of period p strictly after t, in loc
// (shifts: the shift start times as offsets from local midnight). Hours
// are counted in absolute time, so a day of 23 or 25 hours (a
// daylight-saving change) has 23 or 25 hourly resets; days and months
// start at local midnight. NextReset returns the zero time for ResetNever.
func NextReset(t time.Time, p datasource.ResetPeriod, loc *time.Location, shifts []time.Duration) time.Time {
	l := t.In(loc)
	y, m, d := l.Date()
	switch p {
	case datasource.ResetHourly:
		// Zone offsets are whole quarter hours, so the local hour starts at
		// the same instant as the minutes say.
		start := t.Add(-time.Duration(l.Minute())*time.Minute - time.Duration(l.Second())*time.Second - time.Duration(l.Nanosecond()))
		return start.Add(time.Hour)
	case datasource.ResetDaily:
		return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case datasource.ResetMonthly:
		return time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	case datasource.ResetShift:
		var best time.Time
		for day := 0; day <= 1; day++ {
			for _, s := range shifts {
				h, mi := int(s/time.Hour), int(s%time.Hour/time.Minute)
				c := time.Date(y, m, d+day, h, mi, 0, 0, loc)
				if c.After(t) && (best.IsZero() || c.Before(best)) {
					best = c
				}
			}
		}
		return best
	}
	return time.Time{}
}

// schedule sets next to the first scheduled reset after t.
func (z *totalizer) schedule(t time.Time) {
	z.next = never
	if n := NextReset(t, z.reset, z.opts.Location, z.opts.Shifts); !n.IsZero() {
		z.next = n
	}
}

// integrable reports whether the interval up to a sample of quality q is
// integrated: both of its ends are Good.
func (z *totalizer) integrable(q datasource.Quality) bool {
	return !z.prev.Time.IsZero() && z.prev.Quality.IsGood() && q.IsGood()
}

// integrate adds the held value of prev over [from, to].
func (z *totalizer) integrate(to time.Time) {
	if !to.After(z.from) {
		return
	}
	dt := to.Sub(z.from).Seconds()
	z.from = to
	switch z.kind {
	case datasource.CalcIntegrate:
		if f, ok := z.prev.Value.AsFloat(); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
			z.total += f * dt / z.per
			z.touched = true
		}
	case datasource.CalcRunHours:
		if z.prev.Value.AsBool() {
			z.total += dt / z.per
			z.touched = true
		}
	}
}

// count adds what a Good sample s counts since the latest Good sample.
func (z *totalizer) count(s datasource.Sample) {
	if !s.Quality.IsGood() {
		return
	}
	defer func() { z.good = s }()
	if z.good.Time.IsZero() {
		return // the first sample is the baseline
	}
	switch z.kind {
	case datasource.CalcStarts:
		if !z.good.Value.AsBool() && s.Value.AsBool() {
			z.total++
			z.touched = true
		}
	case datasource.CalcCounter:
		last, _ := z.good.Value.AsFloat()
		v, _ := s.Value.AsFloat()
		z.total += counterDelta(last, v, z.wrap)
		z.touched = true
	}
}

// counterDelta is what a counter counted from last to v. A decrease is a
// wrap-around when going round the wrap is the shorter way (less than half
// of it), otherwise the counter was reset to 0 (a meter replaced) and
// counted v since. A float counter (no wrap) that drops to less than half
// its value was reset; a smaller drop is a correction and counts nothing.
func counterDelta(last, v, wrap float64) float64 {
	if math.IsNaN(v) || math.IsNaN(last) {
		return 0
	}
	if v >= last {
		return v - last
	}
	if wrap > 0 {
		if d := wrap - last + v; d < wrap/2 {
			return d
		}
		return math.Max(v, 0)
	}
	if v < last/2 {
		return math.Max(v, 0)
	}
	return 0
}

// endPeriod records the total of the period ending at b (stamped just
// before b, if the period had data) and a 0 at b, and starts a new period.
func (z *totalizer) endPeriod(id datasource.TagID, b time.Time, q datasource.Quality, last time.Time, out []datasource.Sample) []datasource.Sample {
	if z.touched {
		at := b.Add(-periodEndOffset)
		if at.Before(last) {
			at = last
		}
		out = append(out, datasource.Sample{Tag: id, Value: datasource.Float(z.total), Quality: q, Time: at})
	}
	z.total, z.touched = 0, false
	return append(out, datasource.Sample{Tag: id, Value: datasource.Float(0), Quality: q, Time: b})
}

// stepTotal brings a totalizer up to date: resets due (scheduled or on
// demand), then the input's latest sample if it is new. It appends the
// samples to publish.
func (e *Engine) stepTotal(n *node, i int32, now time.Time, out []datasource.Sample) []datasource.Sample {
	z := n.total
	id := n.d.tag.ID
	s := e.cur[n.ins[0]]
	fresh := !s.Time.IsZero() && (z.prev.Time.IsZero() || s.Time.After(z.prev.Time) || s != z.prev)
	until := now
	if fresh {
		until = s.Time
	}
	if z.next == never && z.reset != datasource.ResetNever {
		z.schedule(until)
	}
	q := z.prev.Quality
	if z.prev.Time.IsZero() {
		q = s.Quality
	}
	for !until.Before(z.next) {
		b := z.next
		if z.prev.Quality.IsGood() && !z.prev.Time.IsZero() && (!fresh || s.Quality.IsGood()) {
			z.integrate(b)
		} else if z.from.Before(b) {
			z.from = b
		}
		out = z.endPeriod(id, b, q, e.last[i].Time, out)
		z.schedule(b)
	}
	if p := indexOf(e.pending, i); p >= 0 {
		e.pending = append(e.pending[:p], e.pending[p+1:]...)
		at := now
		if fresh && s.Time.After(at) {
			at = s.Time
		}
		if z.prev.Quality.IsGood() && !z.prev.Time.IsZero() && (!fresh || s.Quality.IsGood()) {
			z.integrate(at)
		}
		z.from = at
		z.touched = true // a reset on demand always records what it cleared
		out = z.endPeriod(id, at, q, e.last[i].Time, out)
	}
	if !fresh {
		return out
	}
	if z.integrable(s.Quality) {
		z.integrate(s.Time)
	}
	z.from = s.Time
	z.prev = s
	z.count(s)
	return append(out, datasource.Sample{Tag: id, Value: datasource.Float(z.total), Quality: s.Quality, Time: s.Time})
}

func indexOf(list []int32, v int32) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// ErrNotTotalizer is returned by Reset for a tag that is no totalizer.
var ErrNotTotalizer = errors.New("not a totalizer")

// Reset asks for totalizer id to be reset to 0 at the next Derive; the
// value it had is published just before the 0, so history keeps it. The
// caller (the audited operator action) then calls TableEngine.Derive.
func (e *Engine) Reset(id datasource.TagID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.nodes {
		n := &e.nodes[i]
		if n.id != id {
			continue
		}
		if n.total == nil {
			return fmt.Errorf("%s is a %s tag: %w", n.d.tag.Name, n.d.calc.Kind, ErrNotTotalizer)
		}
		if indexOf(e.pending, int32(i)) < 0 {
			e.pending = append(e.pending, int32(i))
		}
		return nil
	}
	return fmt.Errorf("tag #%d is not a calculated tag: %w", id, ErrNotTotalizer)
}

// Restore continues totalizer id from value, its last sample in history at
// time at, when at is in the current period at now; a period that ended
// while Vigil was stopped starts again from 0. It returns whether the value
// was taken. Call it before the first publish.
func (e *Engine) Restore(id datasource.TagID, value float64, at, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.nodes {
		n := &e.nodes[i]
		z := n.total
		if n.d.tag.ID != id || z == nil || math.IsNaN(value) || math.IsInf(value, 0) {
			continue
		}
		if z.reset != datasource.ResetNever {
			if next := NextReset(at, z.reset, z.opts.Location, z.opts.Shifts); !now.Before(next) {
				return false
			}
		}
		z.total, z.touched = value, true
		return true
	}
	return false
}

// Totalizers returns the IDs of the totalizer tags, for Restore.
func (s *Set) Totalizers() []datasource.TagID {
	var out []datasource.TagID
	for _, d := range s.defs {
		if d.calc.Kind.Totalizer() {
			out = append(out, d.tag.ID)
		}
	}
	return out
}
