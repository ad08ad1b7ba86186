package alarms

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// runPredictive feeds value(minutes) every 30 s for the given minutes to a
// predictive alarm and returns its final state.
func runPredictive(t *testing.T, a datasource.AlarmDef, minutes float64, value func(m float64) float64) (s *state, everActive bool) {
	t.Helper()
	d := compileOneDef(t, a, datasource.TypeFloat32)
	s = &state{series: newSeries(d.window, predictivePoints), ttl: math.NaN()}
	var scratch []float64
	for sec := 0.0; sec <= minutes*60; sec += 30 {
		now := t0.Add(time.Duration(sec) * time.Second)
		in := input{value: fl(value(sec / 60)), at: now}
		s.evaluate(d, &in, now, &scratch)
		everActive = everActive || s.active
	}
	return s, everActive
}

func TestPredictive(t *testing.T) {
	vib := func(horizon time.Duration) datasource.AlarmDef {
		return datasource.AlarmDef{Kind: datasource.AlarmPredictive, Limit: 100, Horizon: horizon, Window: 30 * time.Minute}
	}
	noise := func(seed uint64, amp float64) func() float64 {
		r := rand.New(rand.NewPCG(seed, 1))
		return func() float64 { return (r.Float64()*2 - 1) * amp }
	}
	// A drift of 0.2 per minute that is at 82 after 30 minutes reaches
	// the limit of 100 ninety minutes later.
	n := noise(1, 0.5)
	drift := func(m float64) float64 { return 76 + 0.2*m + n() }

	t.Run("a linear drift reaching the limit in 90 minutes raises with a 2 h horizon", func(t *testing.T) {
		s, _ := runPredictive(t, vib(2*time.Hour), 30, drift)
		if !s.active {
			t.Fatalf("not active; forecast %v", ttlText(s.ttl))
		}
		if got := s.ttl / 60; math.Abs(got-90) > 5 {
			t.Fatalf("forecast %.1f min to the limit, want about 90", got)
		}
	})
	t.Run("the same drift does not raise with a 1 h horizon", func(t *testing.T) {
		n = noise(1, 0.5)
		if s, ever := runPredictive(t, vib(time.Hour), 30, drift); ever {
			t.Fatalf("raised with forecast %v", ttlText(s.ttl))
		}
	})
	t.Run("noise alone around a steady value never raises", func(t *testing.T) {
		nz := noise(2, 5)
		if s, ever := runPredictive(t, vib(2*time.Hour), 180, func(float64) float64 { return 50 + nz() }); ever {
			t.Fatalf("noise raised a predictive alarm; forecast %v", ttlText(s.ttl))
		}
	})
	t.Run("a burst of spikes near the end of the window does not fool the robust fit", func(t *testing.T) {
		nz := noise(3, 0.5)
		spiky := func(m float64) float64 {
			if m > 25 && int(m*2)%2 == 0 { // every other sample of the last 5 minutes
				return 99
			}
			return 50 + nz()
		}
		s, ever := runPredictive(t, vib(2*time.Hour), 30, spiky)
		if ever {
			t.Fatalf("spikes raised a predictive alarm; forecast %v", ttlText(s.ttl))
		}
		// The test can fail: least squares through the same points
		// forecasts the limit within the horizon.
		if ttl := olsTimeToLimit(s.series, t0.Add(30*time.Minute), 100); ttl >= 2*3600 {
			t.Fatalf("least squares forecast %v; the spikes are too weak to test robustness", ttlText(ttl))
		}
	})
	t.Run("a falling level raises against a lower limit", func(t *testing.T) {
		a := datasource.AlarmDef{Kind: datasource.AlarmPredictive, Limit: 10, Horizon: time.Hour, Window: 20 * time.Minute}
		s, _ := runPredictive(t, a, 20, func(m float64) float64 { return 40 - 0.5*m }) // 30 at 20 min: 40 min to 10
		if !s.active || math.Abs(s.ttl/60-40) > 1 {
			t.Fatalf("active %v, forecast %v; want active, about 40m", s.active, ttlText(s.ttl))
		}
	})
}

// olsTimeToLimit is the least-squares forecast through a series' points.
func olsTimeToLimit(s *series, at time.Time, limit float64) float64 {
	var st, sv, stt, stv float64
	n := float64(s.n)
	for i := 0; i < s.n; i++ {
		ti, vi := s.at(i)
		st, sv, stt, stv = st+ti, sv+vi, stt+ti*ti, stv+ti*vi
	}
	slope := (n*stv - st*sv) / (n*stt - st*st)
	icept := (sv - slope*st) / n
	y := icept + slope*at.Sub(s.base).Seconds()
	if slope <= 0 {
		return math.Inf(1)
	}
	return (limit - y) / slope
}

func TestPredictiveAlarmSnapshotCarriesTheForecast(t *testing.T) {
	f := newFixture(t, plantTags(datasource.AlarmDef{Kind: datasource.AlarmPredictive, Name: "Trip",
		Limit: 100, Horizon: 2 * time.Hour, Window: 30 * time.Minute, Priority: datasource.PriorityHigh}))
	for m := 0.0; m <= 30; m += 0.5 {
		f.feed(0, fl(76+0.2*m))
		f.advance(30 * time.Second)
	}
	a := f.get("Tank1.Level", "Trip")
	if a.State != Unack || a.TimeToLimit < 85*time.Minute || a.TimeToLimit > 95*time.Minute {
		t.Fatalf("state %v, forecast %v; want Unack, about 90m", a.State, a.TimeToLimit)
	}
	if want := "Tank1.Level Trip 82.0 %, limit 100 in 1h"; !strings.HasPrefix(a.Message, want) {
		t.Fatalf("message %q, want it to start %q", a.Message, want)
	}
}
