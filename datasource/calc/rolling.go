package calc

import (
	"math"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// DefaultMinGood is the share of a rolling window that Good samples must
// cover for the statistic to be Good rather than Uncertain.
const DefaultMinGood = 0.8

// maxWindowSamples bounds the samples a rolling window keeps: a window of a
// day over a 10 ms subscription would otherwise grow without bound. The
// oldest go first; the coverage then shows the window as not full.
const maxWindowSamples = 100_000

// rolling is the state of an avg, min, max, stddev or rms tag: the input's
// samples over the window, each holding its value until the next one.
type rolling struct {
	kind    datasource.CalcKind
	window  time.Duration
	minGood float64
	buf     []point // oldest first; buf[0] may start before the window, covering its start
	prev    datasource.Sample
}

type point struct {
	t    time.Time
	v    float64
	good bool
}

func newRolling(c *datasource.CalcDef) *rolling {
	r := &rolling{kind: c.Kind, window: c.Window, minGood: c.MinGood}
	if r.minGood <= 0 {
		r.minGood = DefaultMinGood
	}
	return r
}

// add takes sample s and drops what left the window.
func (r *rolling) add(s datasource.Sample) {
	f, ok := s.Value.AsFloat()
	good := ok && s.Quality.IsGood() && !math.IsNaN(f) && !math.IsInf(f, 0)
	r.buf = append(r.buf, point{t: s.Time, v: f, good: good})
	start := s.Time.Add(-r.window)
	drop := 0
	for drop+1 < len(r.buf) && !r.buf[drop+1].t.After(start) {
		drop++
	}
	if over := len(r.buf) - maxWindowSamples; over > drop {
		drop = over
	}
	if drop > 0 {
		r.buf = append(r.buf[:0], r.buf[drop:]...)
	}
}

// stat computes the statistic at the time of the newest sample: time
// weighted (each Good sample weighs the time until the next sample, within
// the window), so irregular or on-change samples count for how long they
// held. coverage is the share of the window held by Good samples; any is
// false when no Good value is in the window.
func (r *rolling) stat() (v, coverage float64, any bool) {
	n := len(r.buf)
	end := r.buf[n-1].t
	start := end.Add(-r.window)
	var w, sum, sum2 float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range r.buf {
		if !p.good {
			continue
		}
		from := p.t
		if from.Before(start) {
			from = start
		}
		to := end
		if i+1 < n {
			to = r.buf[i+1].t
		}
		dt := to.Sub(from).Seconds()
		if dt <= 0 && i+1 < n {
			continue // held no time inside the window
		}
		any = true
		lo, hi = math.Min(lo, p.v), math.Max(hi, p.v)
		if dt > 0 {
			w += dt
			sum += p.v * dt
			sum2 += p.v * p.v * dt
		}
	}
	if !any {
		return 0, 0, false
	}
	coverage = w / r.window.Seconds()
	if w == 0 { // one sample so far: it is the statistic of itself
		last := r.buf[n-1].v
		w, sum, sum2 = 1, last, last*last
	}
	mean := sum / w
	switch r.kind {
	case datasource.CalcAvg:
		v = mean
	case datasource.CalcMin:
		v = lo
	case datasource.CalcMax:
		v = hi
	case datasource.CalcRMS:
		v = math.Sqrt(sum2 / w)
	case datasource.CalcStdDev:
		v = math.Sqrt(math.Max(sum2/w-mean*mean, 0))
	}
	return v, coverage, true
}

// stepRolling adds the input's new sample and publishes the statistic:
// Good when Good samples cover at least minGood of the window and the
// input is Good now; Uncertain otherwise (with the input's reason, or
// SubNormal when the window is just not covered enough); Bad, keeping the
// last value, when no Good sample is in the window.
func (e *Engine) stepRolling(n *node, i int32, now time.Time, out []datasource.Sample) []datasource.Sample {
	r := n.roll
	s := e.cur[n.ins[0]]
	if s.Time.IsZero() || (s == r.prev) {
		return out
	}
	r.prev = s
	r.add(s)
	v, cov, any := r.stat()
	o := datasource.Sample{Tag: n.d.tag.ID, Time: s.Time}
	switch {
	case !any:
		o.Value = e.last[i].Value
		o.Quality = s.Quality
		if !o.Quality.IsBad() {
			o.Quality = datasource.BadQuality(s.Quality.Reason)
		}
	case !s.Quality.IsGood():
		o.Value, o.Quality = datasource.Float(v), datasource.UncertainQuality(s.Quality.Reason)
	case cov < r.minGood:
		o.Value, o.Quality = datasource.Float(v), datasource.UncertainQuality(datasource.SubNormal)
	default:
		o.Value = datasource.Float(v)
	}
	return append(out, o)
}
