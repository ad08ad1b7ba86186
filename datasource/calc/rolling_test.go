package calc

import (
	"math"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

func rollTag(name string, kind datasource.CalcKind, window time.Duration) tagSpec {
	return tagSpec{name: name, calc: &datasource.CalcDef{Kind: kind, Input: "V", Window: window}}
}

func TestRollingStatistics(t *testing.T) {
	r := newRig(t, Options{}, dev("V", datasource.TypeFloat32),
		rollTag("Avg", datasource.CalcAvg, 10*time.Second), rollTag("Min", datasource.CalcMin, 10*time.Second),
		rollTag("Max", datasource.CalcMax, 10*time.Second), rollTag("Std", datasource.CalcStdDev, 10*time.Second),
		rollTag("RMS", datasource.CalcRMS, 10*time.Second))
	// 3 and 5 alternate every second for 20 s: over the last 10 s each held 5 s.
	for s := 0; s <= 20; s++ {
		v := 3.0
		if s%2 == 1 {
			v = 5
		}
		r.pub(t0.Add(time.Duration(s)*time.Second), "V", v)
	}
	want := map[string]float64{"Avg": 4, "Min": 3, "Max": 5, "Std": 1, "RMS": math.Sqrt((9 + 25) / 2.0)}
	for name, w := range want {
		got := r.get(name)
		if !near(numOf(t, got), w) || !got.Quality.IsGood() {
			t.Errorf("%s = %v %v, want %g Good", name, got.Value, got.Quality, w)
		}
	}
}

func TestRollingWindowWithAGap(t *testing.T) {
	r := newRig(t, Options{}, dev("V", datasource.TypeFloat32), rollTag("Avg", datasource.CalcAvg, 100*time.Second))
	// Good 2.0 every second for 100 s fills the window: Good.
	for s := 0; s <= 100; s++ {
		r.pub(t0.Add(time.Duration(s)*time.Second), "V", 2.0)
	}
	if q := r.get("Avg").Quality; !q.IsGood() {
		t.Fatalf("a full window is %v, want Good", q)
	}
	// The transmitter fails for 30 s: while it is Bad the statistic of the
	// data before is Uncertain with the input's reason.
	for s := 101; s <= 130; s++ {
		r.pub(t0.Add(time.Duration(s)*time.Second), "V", bad(datasource.SensorFailure, 99))
	}
	got := r.get("Avg")
	if got.Quality != datasource.UncertainQuality(datasource.SensorFailure) || !near(numOf(t, got), 2) {
		t.Fatalf("during the gap %v %v, want 2 Uncertain/SensorFailure (the Bad values left out)", got.Value, got.Quality)
	}
	// Back at 4.0: the window [t-100, t] at t = 140 has 2.0 for 70 s... of
	// which 30 s are the gap: Good covers 70 % < 80 %, so Uncertain/SubNormal.
	for s := 131; s <= 140; s++ {
		r.pub(t0.Add(time.Duration(s)*time.Second), "V", 4.0)
	}
	got = r.get("Avg")
	// Good time: 2.0 over [40, 101) = 61 s (the sample at 100 holds until the
	// Bad one at 101), 4.0 over [131, 140] = 9 s: 70 s of 100.
	wantAvg := (2*61 + 4*9) / 70.0
	if got.Quality != datasource.UncertainQuality(datasource.SubNormal) || !near(numOf(t, got), wantAvg) {
		t.Fatalf("after the gap %v %v, want %g Uncertain/SubNormal", got.Value, got.Quality, wantAvg)
	}
	// Once the gap has left the window, Good again.
	for s := 141; s <= 240; s++ {
		r.pub(t0.Add(time.Duration(s)*time.Second), "V", 4.0)
	}
	if got := r.get("Avg"); !got.Quality.IsGood() || !near(numOf(t, got), 4) {
		t.Fatalf("after the window passed the gap: %v %v, want 4 Good", got.Value, got.Quality)
	}
}

func TestRollingStartsUncertainUntilTheWindowIsCovered(t *testing.T) {
	r := newRig(t, Options{}, dev("V", datasource.TypeFloat32), rollTag("Max", datasource.CalcMax, time.Minute))
	r.pub(t0, "V", 1.0)
	if got := r.get("Max"); got.Quality != datasource.UncertainQuality(datasource.SubNormal) || numOf(t, got) != 1 {
		t.Fatalf("first sample: %v %v, want 1 Uncertain/SubNormal", got.Value, got.Quality)
	}
	r.pub(t0.Add(50*time.Second), "V", 0.5)
	if got := r.get("Max"); !got.Quality.IsGood() || numOf(t, got) != 1 {
		t.Fatalf("50 s of 60 covered: %v %v, want 1 Good", got.Value, got.Quality)
	}
}

func TestRollingWithNoGoodSampleIsBad(t *testing.T) {
	r := newRig(t, Options{}, dev("V", datasource.TypeFloat32), rollTag("RMS", datasource.CalcRMS, time.Minute))
	r.pub(t0, "V", bad(datasource.NotConnected, 0))
	if q := r.get("RMS").Quality; q != datasource.BadQuality(datasource.NotConnected) {
		t.Fatalf("%v, want Bad/NotConnected", q)
	}
}
