package alarms

import (
	"math"
	"slices"
	"time"
)

// seriesCap bounds the points a series keeps: the Theil–Sen fit is
// O(n² log n) in them, and it runs only when a point is stored.
const seriesCap = 64

// The points a series stores per window, which sets the spacing between
// stored points: enough for a fit, few enough to be cheap.
const (
	ratePoints       = 16
	predictivePoints = 60
)

// series is a short, decimated history of one tag's values over a window,
// for the rate-of-change and predictive alarms. Times are seconds since the
// first point (float64 keeps microseconds for centuries).
type series struct {
	t, v    [seriesCap]float64 // ring
	head, n int
	base    time.Time
	window  float64 // seconds
	spacing float64 // seconds between stored points

	fitted       bool    // slope and intercept are valid
	slope, icept float64 // Theil–Sen line v = icept + slope*t
	slopeSE      float64 // robust standard error of slope
}

func newSeries(window time.Duration, points int) *series {
	w := window.Seconds()
	return &series{window: w, spacing: w / float64(points)}
}

func (s *series) at(i int) (t, v float64) {
	k := (s.head + i) % seriesCap
	return s.t[k], s.v[k]
}

// x converts a time to the series' seconds, starting the series at the
// first call.
func (s *series) x(at time.Time) float64 {
	if s.base.IsZero() {
		s.base = at
	}
	return at.Sub(s.base).Seconds()
}

// add stores a point when it is at least the spacing after the newest one,
// drops points older than the window, and reports whether it stored. A
// point earlier than the newest (a clock step back) restarts the series.
func (s *series) add(at time.Time, v float64) bool {
	x := s.x(at)
	if s.n > 0 {
		last, _ := s.at(s.n - 1)
		if x < last {
			*s = series{window: s.window, spacing: s.spacing, base: at}
			x = 0
		} else if x-last < s.spacing {
			return false
		}
	}
	for s.n > 0 {
		t0, _ := s.at(0)
		if x-t0 <= s.window {
			break
		}
		s.head, s.n = (s.head+1)%seriesCap, s.n-1
	}
	if s.n == seriesCap {
		s.head, s.n = (s.head+1)%seriesCap, s.n-1
	}
	k := (s.head + s.n) % seriesCap
	s.t[k], s.v[k] = x, v
	s.n++
	s.fitted = false
	return true
}

// rate returns the average rate of change (units per second) from the
// oldest stored point within the window to the reading (at, v). ok is false
// until the points span at least half the window, so that start-up noise
// over a tiny interval does not look like a steep rate.
func (s *series) rate(at time.Time, v float64) (r float64, ok bool) {
	x := s.x(at)
	for i := 0; i < s.n; i++ {
		t0, v0 := s.at(i)
		dt := x - t0
		if dt > s.window {
			continue
		}
		if dt < s.window/2 || dt <= 0 {
			return 0, false
		}
		return (v - v0) / dt, true
	}
	return 0, false
}

// fit computes the Theil–Sen line through the stored points: the slope is
// the median of the slopes of all pairs, the intercept the median of
// v - slope*t. It tolerates up to ~29% outliers, where a least-squares fit
// is dragged by a single spike. scratch is reused between calls and
// returned (possibly grown).
func (s *series) fit(scratch []float64) []float64 {
	scratch = scratch[:0]
	for i := 0; i < s.n; i++ {
		ti, vi := s.at(i)
		for j := i + 1; j < s.n; j++ {
			tj, vj := s.at(j)
			if tj > ti {
				scratch = append(scratch, (vj-vi)/(tj-ti))
			}
		}
	}
	if len(scratch) == 0 {
		s.fitted = false
		return scratch
	}
	s.slope = median(scratch)
	scratch = scratch[:0]
	for i := 0; i < s.n; i++ {
		ti, vi := s.at(i)
		scratch = append(scratch, vi-s.slope*ti)
	}
	s.icept = median(scratch)
	// The slope's standard error, from the residuals' median absolute
	// deviation (a robust sigma) and the spread of the times, as for a
	// least-squares slope: sigma / sqrt(sum (t - mean t)^2).
	var tmean float64
	scratch = scratch[:0]
	for i := 0; i < s.n; i++ {
		ti, vi := s.at(i)
		tmean += ti
		scratch = append(scratch, math.Abs(vi-s.icept-s.slope*ti))
	}
	tmean /= float64(s.n)
	var sxx float64
	for i := 0; i < s.n; i++ {
		ti, _ := s.at(i)
		sxx += (ti - tmean) * (ti - tmean)
	}
	sigma := 1.4826 * median(scratch)
	s.slopeSE = sigma / math.Sqrt(sxx)
	s.fitted = true
	return scratch
}

// minTrendT is how many standard errors a slope must be away from zero to
// count as a trend: noise alone must not forecast a crossing.
const minTrendT = 4

// median sorts xs in place and returns its median.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// minFitPoints is the fewest points a forecast is made from.
const minFitPoints = 10

// timeToLimit forecasts from the fitted line how long until the value
// crosses limit (rising when upper, else falling), at time at. It returns
// 0 when the fitted value is already past the limit, +Inf when the trend
// moves away from it, and ok false while the points are too few or span
// less than half the window. A slope within minTrendT standard
// errors of zero is no trend (+Inf): noise does not forecast.
func (s *series) timeToLimit(at time.Time, limit float64, upper bool) (ttl float64, ok bool) {
	if !s.fitted || s.n < minFitPoints {
		return 0, false
	}
	t0, _ := s.at(0)
	tn, _ := s.at(s.n - 1)
	if tn-t0 < s.window/2 {
		return 0, false
	}
	x := s.x(at)
	y := s.icept + s.slope*x
	if !upper {
		y, limit = -y, -limit
	}
	slope := s.slope
	if !upper {
		slope = -slope
	}
	switch {
	case y >= limit:
		return 0, true
	case slope <= 0 || slope < minTrendT*s.slopeSE:
		return math.Inf(1), true
	}
	return (limit - y) / slope, true
}
