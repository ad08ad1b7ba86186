package calc

import (
	"math"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

func totalTag(name string, kind datasource.CalcKind, input string, reset datasource.ResetPeriod) tagSpec {
	return tagSpec{name: name, calc: &datasource.CalcDef{Kind: kind, Input: input, Reset: reset}}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

func numOf(t *testing.T, s datasource.Sample) float64 {
	t.Helper()
	f, ok := s.Value.AsFloat()
	if !ok {
		t.Fatalf("sample %v has no number", s)
	}
	return f
}

func TestIntegrateSkipsGaps(t *testing.T) {
	r := newRig(t, Options{}, dev("Flow", datasource.TypeFloat32), totalTag("Volume", datasource.CalcIntegrate, "Flow", datasource.ResetNever))
	// 6 m³/h sampled every minute for 30 minutes; Bad from minute 10 to 19.
	for m := 0; m <= 30; m++ {
		var v any = 6.0
		if m >= 10 && m < 20 {
			v = bad(datasource.CommFailure, 6)
		}
		r.pub(t0.Add(time.Duration(m)*time.Minute), "Flow", v)
	}
	// Intervals with Good samples at both ends: minutes 0-9 and 20-30, 19 in all.
	if got := numOf(t, r.get("Volume")); !near(got, 19*6.0/60) {
		t.Fatalf("volume %g m³, want %g (the Bad stretch and its edges not integrated)", got, 19*6.0/60)
	}
}

func TestIntegratePerMinute(t *testing.T) {
	tags := []tagSpec{dev("Flow", datasource.TypeFloat32),
		{name: "Litres", calc: &datasource.CalcDef{Kind: datasource.CalcIntegrate, Input: "Flow", Per: time.Minute}}}
	r := newRig(t, Options{}, tags...)
	r.pub(t0, "Flow", 10.0)
	r.pub(t0.Add(90*time.Second), "Flow", 10.0)
	if got := numOf(t, r.get("Litres")); !near(got, 15) {
		t.Fatalf("%g, want 15 (10 per minute for 1.5 minutes)", got)
	}
}

func TestCounterWrapResetAndGap(t *testing.T) {
	r := newRig(t, Options{}, dev("Meter", datasource.TypeUint16), totalTag("Used", datasource.CalcCounter, "Meter", datasource.ResetNever))
	steps := []struct {
		v    any
		want float64
		why  string
	}{
		{65500.0, 0, "the first sample is the baseline"},
		{65530.0, 30, "an increase counts"},
		{10.0, 46, "65530 -> 10 wraps at 2^16 and counted 16"},
		{bad(datasource.NotConnected, 0), 46, "a Bad sample counts nothing"},
		{60.0, 96, "after the gap, what the meter counted meanwhile counts"},
		{30000.0, 30036, "an increase"},
		{5.0, 30041, "30000 -> 5 is a reset to 0 (a new meter), which counted 5"},
	}
	for i, s := range steps {
		r.pub(t0.Add(time.Duration(i)*time.Minute), "Meter", s.v)
		if got := numOf(t, r.get("Used")); !near(got, s.want) {
			t.Fatalf("step %d (%s): %g, want %g", i, s.why, got, s.want)
		}
	}
}

func TestCounterDelta(t *testing.T) {
	tests := []struct {
		name          string
		last, v, wrap float64
		want          float64
	}{
		{"an increase", 10, 15, 65536, 5},
		{"a wrap of a 16-bit register", 65535, 0, 65536, 1},
		{"a reset of a 16-bit register", 30000, 3, 65536, 3},
		{"from the upper half, a drop near 0 is taken as a wrap", 40000, 3, 65536, 25539},
		{"a float meter reset to 0", 1234.5, 0.5, 0, 0.5},
		{"a float meter corrected down a little counts nothing", 1234.5, 1234.0, 0, 0},
		{"NaN counts nothing", 1, math.NaN(), 0, 0},
	}
	for _, tc := range tests {
		if got := counterDelta(tc.last, tc.v, tc.wrap); !near(got, tc.want) {
			t.Errorf("%s: %g, want %g", tc.name, got, tc.want)
		}
	}
}

func TestCounterWrapFollowsRegisterWidthAndScaling(t *testing.T) {
	tag := &datasource.Tag{Type: datasource.TypeUint32, Scaling: datasource.Scaling{RawLo: 0, RawHi: 10, EngLo: 0, EngHi: 1}}
	if got := counterWrap(tag); got != math.Exp2(32)/10 {
		t.Fatalf("wrap %g, want 2^32 / 10", got)
	}
}

func TestRunHoursAndStarts(t *testing.T) {
	r := newRig(t, Options{}, dev("Run", datasource.TypeBool),
		totalTag("Hours", datasource.CalcRunHours, "Run", datasource.ResetNever),
		totalTag("Starts", datasource.CalcStarts, "Run", datasource.ResetNever))
	pattern := []any{false, true, true, false, true, bad(datasource.CommFailure, 0), false, true, true}
	for i, v := range pattern {
		if b, ok := v.(bool); ok {
			v = b
		}
		r.pub(t0.Add(time.Duration(i)*30*time.Minute), "Run", v)
	}
	// Running over [30m,90m] and [120m,150m]: the interval into the Bad sample is
	// not counted; [210m,240m] counts. 1 + 0.5 = 1.5 h.
	if got := numOf(t, r.get("Hours")); !near(got, 1.5) {
		t.Errorf("run-hours %g, want 1.5", got)
	}
	// false->true at 30m, 120m and (false at 180m) -> true at 210m.
	if got := numOf(t, r.get("Starts")); got != 3 {
		t.Errorf("starts %g, want 3", got)
	}
}

// daily runs a pump that is always on from from to to, sampled every 10
// minutes, with a daily reset in Berlin, and returns the day totals that
// history receives (the samples 1 ms before each boundary).
func dailyTotals(t *testing.T, from, to time.Time, loc *time.Location) map[string]float64 {
	r := newRig(t, Options{Location: loc}, dev("Run", datasource.TypeBool), totalTag("Hours", datasource.CalcRunHours, "Run", datasource.ResetDaily))
	for at := from; !at.After(to); at = at.Add(10 * time.Minute) {
		r.pub(at, "Run", true)
	}
	out := map[string]float64{}
	for _, s := range r.history("Hours") {
		if l := s.Time.In(loc); l.Hour() == 23 && l.Minute() == 59 && l.Nanosecond() == int(999*time.Millisecond) {
			out[l.Format("2006-01-02")] = numOf(t, s)
		}
	}
	return out
}

func TestDailyResetAcrossDaylightSaving(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// Spring: 29 March 2026 has 23 hours; autumn: 25 October 2026 has 25.
	spring := dailyTotals(t, time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), time.Date(2026, 3, 30, 1, 0, 0, 0, berlin), berlin)
	if got := spring["2026-03-29"]; !near(got, 23) {
		t.Errorf("29 March: %g run-hours, want 23 (the day the clocks go forward): %v", got, spring)
	}
	autumn := dailyTotals(t, time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), time.Date(2026, 10, 26, 1, 0, 0, 0, berlin), berlin)
	if got := autumn["2026-10-25"]; !near(got, 25) {
		t.Errorf("25 October: %g run-hours, want 25 (the day the clocks go back): %v", got, autumn)
	}
}

func TestNextReset(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	shifts := []time.Duration{6 * time.Hour, 14 * time.Hour, 22 * time.Hour}
	tests := []struct {
		name string
		from time.Time
		p    datasource.ResetPeriod
		want time.Time
	}{
		{"hourly: the next full hour", at("2026-06-03 14:20"), datasource.ResetHourly, at("2026-06-03 15:00")},
		{"hourly across spring forward: 01:00 CET is followed by 03:00 CEST, one hour later", at("2026-03-29 01:30"), datasource.ResetHourly, at("2026-03-29 03:00")},
		{"daily: local midnight", at("2026-06-03 14:20"), datasource.ResetDaily, at("2026-06-04 00:00")},
		{"daily on the long autumn day is 25 hours after its midnight", at("2026-10-25 00:00"), datasource.ResetDaily, at("2026-10-26 00:00")},
		{"monthly: the first of the next month", at("2026-12-31 23:59"), datasource.ResetMonthly, at("2027-01-01 00:00")},
		{"shift: the next shift start today", at("2026-06-03 07:00"), datasource.ResetShift, at("2026-06-03 14:00")},
		{"shift: after the last, the first of tomorrow", at("2026-06-03 22:00"), datasource.ResetShift, at("2026-06-04 06:00")},
	}
	for _, tc := range tests {
		if got := NextReset(tc.from, tc.p, berlin, shifts); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if d := at("2026-10-26 00:00").Sub(at("2026-10-25 00:00")); d != 25*time.Hour {
		t.Fatalf("the autumn day lasts %v", d)
	}
}

func TestResetOnScheduleWithoutInput(t *testing.T) {
	r := newRig(t, Options{Location: time.UTC}, dev("Run", datasource.TypeBool), totalTag("Hours", datasource.CalcRunHours, "Run", datasource.ResetHourly))
	r.pub(time.Date(2026, 6, 3, 10, 0, 0, 0, time.UTC), "Run", true)
	r.pub(time.Date(2026, 6, 3, 10, 30, 0, 0, time.UTC), "Run", true)
	// No input for a while: the clock (the stale check's Derive) resets on time.
	r.table.Engine().Derive(time.Date(2026, 6, 3, 11, 0, 0, 1, time.UTC))
	h := r.history("Hours")
	if len(h) < 2 {
		t.Fatalf("history %v", h)
	}
	end, zero := h[len(h)-2], h[len(h)-1]
	if !end.Time.Equal(time.Date(2026, 6, 3, 10, 59, 59, 999e6, time.UTC)) || !near(numOf(t, end), 1) {
		t.Errorf("period end %v %v, want 1 h at 10:59:59.999 (the held value integrated to the boundary)", end.Value, end.Time)
	}
	if !zero.Time.Equal(time.Date(2026, 6, 3, 11, 0, 0, 0, time.UTC)) || numOf(t, zero) != 0 {
		t.Errorf("reset %v %v, want 0 at 11:00", zero.Value, zero.Time)
	}
	r.pub(time.Date(2026, 6, 3, 11, 15, 0, 0, time.UTC), "Run", true)
	if got := numOf(t, r.get("Hours")); !near(got, 0.25) {
		t.Errorf("after the reset %g, want 0.25 (11:00 to 11:15)", got)
	}
}

func TestResetOnDemand(t *testing.T) {
	r := newRig(t, Options{}, dev("Run", datasource.TypeBool), totalTag("Starts", datasource.CalcStarts, "Run", datasource.ResetNever), exprTag("X", "Run"))
	for i, v := range []bool{false, true, false, true} {
		r.pub(t0.Add(time.Duration(i)*time.Minute), "Run", v)
	}
	if err := r.eng.Reset(r.id("X")); err == nil {
		t.Fatal("an expression tag was reset")
	}
	if err := r.eng.Reset(r.id("Starts")); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(10 * time.Minute)
	r.table.Engine().Derive(now)
	h := r.history("Starts")
	end, zero := h[len(h)-2], h[len(h)-1]
	if numOf(t, end) != 2 || !end.Time.Equal(now.Add(-time.Millisecond)) {
		t.Errorf("before the reset %v at %v, want 2 just before %v", end.Value, end.Time, now)
	}
	if numOf(t, zero) != 0 || !zero.Time.Equal(now) {
		t.Errorf("reset %v at %v, want 0 at %v", zero.Value, zero.Time, now)
	}
	r.pub(now.Add(time.Minute), "Run", false)
	r.pub(now.Add(2*time.Minute), "Run", true)
	if got := numOf(t, r.get("Starts")); got != 1 {
		t.Errorf("after the reset %g starts, want 1", got)
	}
}

func TestRestartContinuesFromHistoryInTheSamePeriod(t *testing.T) {
	specs := []tagSpec{dev("Flow", datasource.TypeFloat32), totalTag("Today", datasource.CalcIntegrate, "Flow", datasource.ResetDaily)}
	day := time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)
	r := newRig(t, Options{Location: time.UTC}, specs...)
	// Stored at 10:00 with 42 m³; Vigil starts again at 10:30.
	if !r.eng.Restore(r.id("Today"), 42, day.Add(10*time.Hour), day.Add(10*time.Hour+30*time.Minute)) {
		t.Fatal("a value of today was not restored")
	}
	r.pub(day.Add(10*time.Hour+30*time.Minute), "Flow", 60.0)
	if got := numOf(t, r.get("Today")); got != 42 {
		t.Fatalf("%g after the restart, want 42: the downtime is not integrated", got)
	}
	r.pub(day.Add(11*time.Hour), "Flow", 60.0)
	if got := numOf(t, r.get("Today")); !near(got, 72) {
		t.Fatalf("%g, want 72", got)
	}
	// Stopped yesterday: today starts at 0.
	r2 := newRig(t, Options{Location: time.UTC}, specs...)
	if r2.eng.Restore(r2.id("Today"), 42, day.Add(-time.Hour), day.Add(time.Hour)) {
		t.Fatal("yesterday's total was restored into today")
	}
}
