package alarms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestNewRejectsBadDefinitions(t *testing.T) {
	pos := datasource.Pos{File: "plant.vigil.yaml", Line: 42}
	tests := []struct {
		name   string
		alarms []datasource.AlarmDef
		want   string // in the error text
	}{
		{"hi above hihi is an inverted limit",
			[]datasource.AlarmDef{{Kind: datasource.AlarmHiHi, Limit: 90, Pos: pos}, {Kind: datasource.AlarmHi, Limit: 95}},
			"plant.vigil.yaml:42: tags[Tank1.Level].alarms[HiHi].limit: HiHi limit 90 is not above Hi limit 95"},
		{"lo equal to hi is an inverted limit",
			[]datasource.AlarmDef{{Kind: datasource.AlarmHi, Limit: 50}, {Kind: datasource.AlarmLo, Limit: 50}},
			"Hi limit 50 is not above Lo limit 50"},
		{"lolo above lo is an inverted limit",
			[]datasource.AlarmDef{{Kind: datasource.AlarmLo, Limit: 10}, {Kind: datasource.AlarmLoLo, Limit: 15}},
			"Lo limit 10 is not above LoLo limit 15"},
		{"a hi deadband reaching into the lo band overlaps",
			[]datasource.AlarmDef{{Kind: datasource.AlarmHi, Limit: 50, Deadband: 10}, {Kind: datasource.AlarmLo, Limit: 40}},
			"alarms[Hi].deadband: Hi band (clears below 40) overlaps Lo band"},
		{"a negative deadband is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmHi, Limit: 50, Deadband: -1}},
			"alarms[Hi].deadband: deadband -1 must be a finite number >= 0"},
		{"a negative on-delay is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmHi, Limit: 50, OnDelay: -time.Second}},
			"alarms[Hi].on_delay: on_delay -1s must be >= 0"},
		{"a negative off-delay is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmLo, Limit: 5, OffDelay: -time.Second}},
			"alarms[Lo].off_delay: off_delay -1s must be >= 0"},
		{"a deviation alarm whose setpoint tag does not exist is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmDeviation, Limit: 5, Setpoint: "Tank9.SP"}},
			`alarms[Deviation].setpoint: setpoint tag "Tank9.SP" does not exist`},
		{"a deviation alarm without a setpoint is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmDeviation, Limit: 5}},
			"a deviation alarm needs a setpoint tag"},
		{"a predictive alarm without a horizon is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmPredictive, Limit: 90}},
			"alarms[Predictive].horizon: a predictive alarm needs a horizon > 0"},
		{"suppression by a tag that is not bool is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmHi, Limit: 90, SuppressBy: "Tank1.LevelSP"}},
			`suppress_by tag "Tank1.LevelSP" is float32, not bool`},
		{"two alarms of one tag with the same name are refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmHi, Limit: 90}, {Kind: datasource.AlarmHiHi, Name: "Hi", Limit: 95}},
			`duplicate alarm name "Hi"`},
		{"an unknown priority is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmHi, Limit: 90, Priority: 9}},
			"priority 9 is not low, medium, high or critical"},
		{"a negative shelve maximum is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmHi, Limit: 90, ShelveMax: -time.Minute}},
			"shelve_max -1m0s must be >= 0"},
		{"a rate deadband as large as the rate never clears and is refused",
			[]datasource.AlarmDef{{Kind: datasource.AlarmRateOfChange, Limit: 1, Deadband: 1}},
			"or the alarm never clears"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(plantTags(tc.alarms...), Options{})
			if err == nil {
				t.Fatalf("New accepted %+v", tc.alarms)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\ndoes not contain %q", err, tc.want)
			}
			var de *DefError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DefError", err)
			}
		})
	}
}

func TestNewReportsEveryProblemAtOnce(t *testing.T) {
	_, err := New(plantTags(
		datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 50, Deadband: -1},
		datasource.AlarmDef{Kind: datasource.AlarmDeviation, Limit: 5, Setpoint: "nope"},
	), Options{})
	if err == nil || !strings.Contains(err.Error(), "deadband") || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("error %v does not report both problems", err)
	}
}

func TestNewRejectsTagsOutOfIDOrder(t *testing.T) {
	tags := plantTags()
	tags[0].ID = 7
	if _, err := New(tags, Options{}); err == nil || !strings.Contains(err.Error(), "TagID order") {
		t.Fatalf("New = %v, want a TagID order error", err)
	}
}

func TestDefaultsAreApplied(t *testing.T) {
	d := compileOneDef(t, datasource.AlarmDef{Kind: datasource.AlarmPredictive, Limit: 90, Horizon: time.Hour}, datasource.TypeFloat32)
	if d.name != "Predictive" || d.priority != datasource.PriorityMedium || d.shelveMax != DefaultShelveMax ||
		d.window != DefaultPredictiveWindow || !d.upper {
		t.Fatalf("defaults not applied: %+v", d)
	}
	lo := compileOneDef(t, datasource.AlarmDef{Kind: datasource.AlarmPredictive, Limit: 10, Horizon: time.Hour}, datasource.TypeFloat32)
	if lo.upper {
		t.Fatal("a predictive limit of 10 in span 0..100 should be a lower limit")
	}
}

func TestSeverityBands(t *testing.T) {
	// Each priority's severity is the top of its band, so sorting by
	// severity sorts by priority.
	want := map[datasource.Priority]uint16{datasource.PriorityLow: SeverityLowMax, datasource.PriorityMedium: SeverityMediumMax,
		datasource.PriorityHigh: SeverityHighMax, datasource.PriorityCritical: SeverityCriticalMax}
	for p, sev := range want {
		if got := Severity(p); got != sev {
			t.Fatalf("priority %v -> severity %d, want %d", p, got, sev)
		}
	}
	if got := Severity(datasource.Priority(99)); got != 0 {
		t.Fatalf("invalid priority -> severity %d, want 0", got)
	}
}
