package trend

import (
	"math"
	"time"
)

// niceTicks returns about n round values (1, 2, 5 × 10^k apart) in [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 1 || math.IsInf(hi-lo, 0) {
		return nil
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi && len(out) < 4*n; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, v)
	}
	return out
}

var timeSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// timeTicks returns round times in [from, from+span], at least minPx pixels
// apart on a plot w pixels wide, aligned in loc (hours and days are local).
func timeTicks(from time.Time, span time.Duration, w, minPx int, loc *time.Location) []time.Time {
	if w < 1 || span <= 0 {
		return nil
	}
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if float64(s)/float64(span)*float64(w) >= float64(minPx) {
			step = s
			break
		}
	}
	_, off := from.In(loc).Zone()
	o := time.Duration(off) * time.Second
	first := from.Add(o).Truncate(step).Add(-o)
	if first.Before(from) {
		first = first.Add(step)
	}
	var out []time.Time
	for t := first; !t.After(from.Add(span)); t = t.Add(step) {
		out = append(out, t)
	}
	return out
}

// timeLabel formats a tick for a span: seconds when short, the date when long.
func timeLabel(t time.Time, span time.Duration, loc *time.Location) string {
	t = t.In(loc)
	switch {
	case span <= 10*time.Minute:
		return t.Format("15:04:05")
	case span <= 24*time.Hour:
		return t.Format("15:04")
	}
	return t.Format("01-02 15:04")
}
