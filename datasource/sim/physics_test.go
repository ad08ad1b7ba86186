package sim

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestLevelControllerBringsTheLevelToItsSetpoint(t *testing.T) {
	for _, sp := range []float64{70, 30} {
		p, clk := newTestPlant(t, 1, 1)
		set(t, p, "tank1.level_sp", datasource.Float(sp))
		clk.Advance(35 * time.Minute)
		for range 60 { // the next 10 minutes stay within 1.5 %
			clk.Advance(10 * time.Second)
			if l := num(t, p, "tank1.level"); math.Abs(l-sp) > 1.5 {
				t.Fatalf("setpoint %g: level %.2f %% at %v, want within 1.5 %%", sp, l, p.SimTime().Sub(start))
			}
		}
	}
}

func TestManualOutletValveDrainsTheTankAndAutoTakesOverBumplessly(t *testing.T) {
	p, clk := newTestPlant(t, 2, 1)
	set(t, p, "tank1.auto", datasource.Bool(false))
	set(t, p, "tank1.outlet_valve", datasource.Float(100))
	if v := num(t, p, "tank1.outlet_valve"); v != 100 {
		t.Fatalf("outlet valve reads back %g, want 100", v)
	}
	clk.Advance(20 * time.Minute)
	if l := num(t, p, "tank1.level"); l > 30 {
		t.Fatalf("level %.1f %% after 20 min with the outlet fully open, want it drained below 30 %%", l)
	}
	set(t, p, "tank1.auto", datasource.Bool(true))
	clk.Advance(time.Second)
	if v := num(t, p, "tank1.outlet_valve"); v < 90 {
		t.Fatalf("outlet valve %.1f %% one second after switching to auto, want the move to start from 100 %% (bumpless)", v)
	}
	clk.Advance(45 * time.Minute)
	if l := num(t, p, "tank1.level"); math.Abs(l-50) > 2 {
		t.Fatalf("level %.1f %% 45 min after auto, want 50 ± 2", l)
	}
}

func TestLevelSwitchesFollowTheLevel(t *testing.T) {
	p, clk := newTestPlant(t, 3, 1)
	set(t, p, "tank1.level_sp", datasource.Float(97))
	clk.Advance(30 * time.Minute)
	if !flag(t, p, "tank1.high_switch") || flag(t, p, "tank1.low_switch") {
		t.Fatalf("level %.1f %%: high switch %v, low switch %v; want high only",
			num(t, p, "tank1.level"), flag(t, p, "tank1.high_switch"), flag(t, p, "tank1.low_switch"))
	}
	set(t, p, "pump1.running", datasource.Bool(false))
	set(t, p, "tank1.auto", datasource.Bool(false))
	set(t, p, "tank1.outlet_valve", datasource.Float(100))
	clk.Advance(60 * time.Minute)
	if flag(t, p, "tank1.high_switch") || !flag(t, p, "tank1.low_switch") {
		t.Fatalf("level %.1f %%: high switch %v, low switch %v; want low only",
			num(t, p, "tank1.level"), flag(t, p, "tank1.high_switch"), flag(t, p, "tank1.low_switch"))
	}
}

func TestEnergyCounterNeverDecreases(t *testing.T) {
	p, clk := newTestPlant(t, 4, 60) // a simulated day in 24 clock minutes
	first := num(t, p, "meter1.energy")
	prev := first
	for range 24 * 60 {
		clk.Advance(time.Second)
		e := num(t, p, "meter1.energy")
		if e < prev {
			t.Fatalf("energy fell from %.4f to %.4f kWh at %v", prev, e, p.SimTime().Sub(start))
		}
		prev = e
	}
	// About 10..25 kW for 24 h.
	if got := prev - first; got < 200 || got > 700 {
		t.Fatalf("a simulated day used %.0f kWh, want 200..700", got)
	}
}

func TestVibrationRisesOverEightHoursOfRunning(t *testing.T) {
	p, clk := newTestPlant(t, 5, 1)
	mean := func() float64 {
		var s float64
		for range 20 {
			clk.Advance(3 * time.Second)
			s += num(t, p, "pump1.vibration")
		}
		return s / 20
	}
	before := mean()
	clk.Advance(8 * time.Hour)
	after := mean()
	if after < before+2 {
		t.Fatalf("vibration %.2f mm/s at start, %.2f after 8 h running, want a rise of >= 2 mm/s (0.3 mm/s per hour)", before, after)
	}
	p.ReplaceBearing()
	if v := mean(); v > before+0.5 {
		t.Fatalf("vibration %.2f mm/s after replacing the bearing, want back near %.2f", v, before)
	}
}

func TestIrrigationValveCyclesWithHysteresis(t *testing.T) {
	p, clk := newTestPlant(t, 6, 60)
	sp := num(t, p, "field1.moisture_sp")
	open := flag(t, p, "field1.valve")
	var opens, closes int
	for range 2 * 24 * 60 { // two simulated days, one reading per simulated minute
		clk.Advance(time.Second)
		m, now := num(t, p, "field1.moisture"), flag(t, p, "field1.valve")
		switch {
		case now && !open:
			opens++
			if m > sp-moistHyst+0.3 {
				t.Fatalf("valve opened at %.2f %%, want below %g - %g", m, sp, moistHyst)
			}
		case !now && open:
			closes++
			if m < sp+moistHyst-0.3 {
				t.Fatalf("valve closed at %.2f %%, want above %g + %g", m, sp, moistHyst)
			}
		}
		if f := num(t, p, "field1.flow"); !now && f > 0.1 && !open {
			t.Fatalf("flow %.2f m³/h with the valve closed", f)
		}
		open = now
	}
	if opens < 2 || closes < 2 {
		t.Fatalf("in two days the valve opened %d and closed %d times, want >= 2 each", opens, closes)
	}
}

func TestStoppingThePumpTakesItsCurrentAndLoadAway(t *testing.T) {
	p, clk := newTestPlant(t, 7, 1)
	powerRunning := num(t, p, "meter1.power")
	hours := num(t, p, "pump1.run_hours")
	set(t, p, "pump1.running", datasource.Bool(false))
	clk.Advance(10 * time.Second)
	if c := num(t, p, "pump1.current"); c > 0.1 {
		t.Fatalf("current %.2f A after stopping, want ~0", c)
	}
	if !flag(t, p, "pump1.stopped") {
		t.Fatal("pump1.stopped is false after stopping")
	}
	if pw := num(t, p, "meter1.power"); pw > powerRunning-4 {
		t.Fatalf("site power %.1f kW after stopping the pump, was %.1f; want about 7 kW less", pw, powerRunning)
	}
	temp := num(t, p, "pump1.temperature")
	clk.Advance(time.Hour)
	if tt := num(t, p, "pump1.temperature"); tt > temp-10 {
		t.Fatalf("winding %.1f °C an hour after stopping, was %.1f; want it cooling", tt, temp)
	}
	if h := num(t, p, "pump1.run_hours"); h > hours+0.01 {
		t.Fatalf("run hours went from %.3f to %.3f while stopped", hours, h)
	}
	set(t, p, "pump1.running", datasource.Bool(true))
	clk.Advance(30 * time.Second)
	if c := num(t, p, "pump1.current"); c < 8 || c > 14 {
		t.Fatalf("current %.2f A 30 s after a start, want 8..14 A", c)
	}
}

func TestATrippedPumpRestartsOnlyWhenTheCauseIsGone(t *testing.T) {
	p, clk := newTestPlant(t, 8, 1)
	p.TripPump()
	clk.Advance(time.Second)
	if !flag(t, p, "pump1.fault") || flag(t, p, "pump1.running") {
		t.Fatal("after TripPump: want fault on and the pump stopped")
	}
	set(t, p, "pump1.running", datasource.Bool(true))
	if flag(t, p, "pump1.fault") || !flag(t, p, "pump1.running") {
		t.Fatal("a start after an injected trip: want the fault reset and the pump running")
	}

	p.mu.Lock()
	p.proc.wear = 20 // a destroyed bearing trips on vibration at once
	p.mu.Unlock()
	clk.Advance(time.Second)
	if !flag(t, p, "pump1.fault") {
		t.Fatal("vibration above the trip level did not trip the pump")
	}
	err := p.Set("pump1.running", datasource.Bool(true))
	if !errors.Is(err, ErrInterlock) {
		t.Fatalf("start with a worn bearing: err %v, want ErrInterlock", err)
	}
	p.ReplaceBearing()
	set(t, p, "pump1.running", datasource.Bool(true))
}

func TestSetRefusesWhatThePlantCannotTake(t *testing.T) {
	tests := []struct {
		name   string
		signal string
		value  datasource.Value
		want   error
	}{
		{"a measured signal is read-only", "tank1.level", datasource.Float(40), ErrReadOnly},
		{"a counter is read-only", "meter1.energy", datasource.Float(0), ErrReadOnly},
		{"a setpoint above its range is refused", "tank1.level_sp", datasource.Float(120), ErrOutOfRange},
		{"a moisture setpoint below its range is refused", "field1.moisture_sp", datasource.Float(5), ErrOutOfRange},
		{"NaN is not a setpoint", "tank1.level_sp", datasource.Float(math.NaN()), ErrBadValue},
		{"a string is not a command", "pump1.running", datasource.String("yes"), ErrBadValue},
		{"2 is not a bool", "tank1.auto", datasource.Int(2), ErrBadValue},
		{"the outlet valve is the controller's in auto", "tank1.outlet_valve", datasource.Float(10), ErrInAuto},
		{"the irrigation valve is the controller's in auto", "field1.valve", datasource.Bool(true), ErrInAuto},
		{"an unknown signal is refused", "tank2.level", datasource.Float(1), ErrUnknownSignal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newTestPlant(t, 1, 1)
			if err := p.Set(tt.signal, tt.value); !errors.Is(err, tt.want) {
				t.Fatalf("Set(%s, %v) = %v, want %v", tt.signal, tt.value, err, tt.want)
			}
		})
	}
}

func TestSetAcceptsSetpointsModesAndCommands(t *testing.T) {
	p, _ := newTestPlant(t, 1, 1)
	set(t, p, "tank1.level_sp", datasource.Float(62.5))
	set(t, p, "field1.moisture_sp", datasource.Int(28))
	set(t, p, "field1.auto", datasource.Int(0))
	set(t, p, "field1.valve", datasource.Bool(true))
	set(t, p, "TANK1.AUTO", datasource.Bool(false)) // names ignore case
	if got := num(t, p, "tank1.level_sp"); got != 62.5 {
		t.Errorf("tank1.level_sp reads back %g, want 62.5", got)
	}
	if got := num(t, p, "field1.moisture_sp"); got != 28 {
		t.Errorf("field1.moisture_sp reads back %g, want 28", got)
	}
	if flag(t, p, "field1.auto") || !flag(t, p, "field1.valve") || flag(t, p, "tank1.auto") {
		t.Error("modes and the manual valve do not read back as written")
	}
}

func TestTheSameSeedGivesTheSameRunHoweverOftenItIsRead(t *testing.T) {
	a, clkA := newTestPlant(t, 42, 1)
	b, clkB := newTestPlant(t, 42, 1)
	c, clkC := newTestPlant(t, 43, 1)
	for range 600 { // a is read every second, b only at the end
		clkA.Advance(time.Second)
		a.ReadAll(nil)
	}
	clkB.Advance(10 * time.Minute)
	clkC.Advance(10 * time.Minute)
	ra, rb, rc := a.ReadAll(nil), b.ReadAll(nil), c.ReadAll(nil)
	differ := 0
	for i := range ra {
		if ra[i] != rb[i] {
			t.Errorf("%s: %v read often, %v read once; want equal", ra[i].Signal, ra[i].Value, rb[i].Value)
		}
		if ra[i] != rc[i] {
			differ++
		}
	}
	if differ < 10 {
		t.Errorf("seeds 42 and 43 differ in %d signals, want most", differ)
	}
}

func TestSpeedAcceleratesSimulatedTime(t *testing.T) {
	p, clk := newTestPlant(t, 1, 60)
	clk.Advance(time.Minute)
	if got := p.SimTime().Sub(start); got != time.Hour {
		t.Fatalf("simulated %v after one clock minute at speed 60, want 1h", got)
	}
	if _, err := NewPlant(clk, 1, -1); err == nil {
		t.Fatal("speed -1 accepted")
	}
	if _, err := NewPlant(clk, 1, math.NaN()); err == nil {
		t.Fatal("speed NaN accepted")
	}
}

func TestSignalsHaveUniqueLowerCaseNamesAndSaneRanges(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Signals() {
		if seen[s.Name] || s.Name != toLower(s.Name) || s.Min >= s.Max || s.Description == "" {
			t.Errorf("signal %+v: want a unique lower-case name, Min < Max and a description", s)
		}
		seen[s.Name] = true
	}
	p, clk := newTestPlant(t, 9, 60)
	for range 24 { // a simulated day, hourly: every value within its range
		clk.Advance(time.Minute)
		for _, r := range p.ReadAll(nil) {
			s := catalogue[bySignalName[r.Signal]]
			if f, _ := r.Value.AsFloat(); f < s.Min || f > s.Max || math.IsNaN(f) {
				t.Fatalf("%s = %v at %v, outside %g..%g", r.Signal, r.Value, p.SimTime().Sub(start), s.Min, s.Max)
			}
		}
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
