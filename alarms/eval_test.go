package alarms

import (
	"math"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// step is one reading (or, with tick, only the passing of time) and the
// active state expected after it.
type step struct {
	after time.Duration // time since the previous step
	tick  bool          // no reading: settle delays only
	v     datasource.Value
	q     datasource.Quality
	sp    float64 // deviation: the setpoint's value
	noSP  bool    // deviation: no setpoint reading yet
	want  bool
}

// compileOneDef compiles a single alarm on the plant's level tag.
func compileOneDef(t *testing.T, a datasource.AlarmDef, tagType datasource.DataType) *def {
	t.Helper()
	tags := plantTags(a)
	tags[0].Type = tagType
	defs, err := compile(tags)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return &defs[0]
}

func TestEvaluateByKind(t *testing.T) {
	bad := datasource.BadQuality(datasource.CommFailure)
	tests := []struct {
		name  string
		def   datasource.AlarmDef
		typ   datasource.DataType
		steps []step
	}{
		{"hi activates at its limit and clears just below it without deadband",
			datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80}, datasource.TypeFloat32,
			[]step{{v: fl(79.9)}, {v: fl(80), want: true}, {v: fl(95), want: true}, {v: fl(79.99)}}},
		{"hi with deadband 2 stays active until the value falls below limit minus deadband",
			datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, Deadband: 2}, datasource.TypeFloat32,
			[]step{{v: fl(81), want: true}, {v: fl(78.5), want: true}, {v: fl(78), want: true}, {v: fl(77.9)}, {v: fl(79)}}},
		{"hihi activates at its limit",
			datasource.AlarmDef{Kind: datasource.AlarmHiHi, Limit: 95, Deadband: 1}, datasource.TypeFloat32,
			[]step{{v: fl(94.9)}, {v: fl(95.1), want: true}, {v: fl(94.2), want: true}, {v: fl(93.9)}}},
		{"lo with deadband 1 activates at its limit and clears above limit plus deadband",
			datasource.AlarmDef{Kind: datasource.AlarmLo, Limit: 20, Deadband: 1}, datasource.TypeFloat32,
			[]step{{v: fl(21)}, {v: fl(20), want: true}, {v: fl(20.9), want: true}, {v: fl(21.1)}}},
		{"lolo activates at its limit and works on integer readings",
			datasource.AlarmDef{Kind: datasource.AlarmLoLo, Limit: 5}, datasource.TypeInt16,
			[]step{{v: datasource.Int(6)}, {v: datasource.Int(5), want: true}, {v: datasource.Int(6)}}},
		{"an on-delay of 5s ignores a 3s excursion and raises a lasting one when the delay ends",
			datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, OnDelay: 5 * time.Second}, datasource.TypeFloat32,
			[]step{{v: fl(85)}, {after: 3 * time.Second, v: fl(85)}, {after: time.Second, v: fl(70)},
				{after: time.Second, v: fl(85)}, {after: 4 * time.Second, tick: true},
				{after: time.Second, tick: true, want: true}}},
		{"an off-delay of 10s keeps the alarm active until the value has been normal that long",
			datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, OffDelay: 10 * time.Second}, datasource.TypeFloat32,
			[]step{{v: fl(85), want: true}, {after: time.Second, v: fl(70), want: true},
				{after: 5 * time.Second, v: fl(85), want: true}, {after: time.Second, v: fl(70), want: true},
				{after: 9 * time.Second, tick: true, want: true}, {after: time.Second, tick: true}}},
		{"bad quality holds a limit alarm's condition instead of clearing it",
			datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80}, datasource.TypeFloat32,
			[]step{{v: fl(85), want: true}, {v: fl(10), q: bad, want: true}, {v: fl(10)}}},
		{"a NaN reading holds the condition",
			datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80}, datasource.TypeFloat32,
			[]step{{v: fl(85), want: true}, {v: fl(math.NaN()), want: true}, {v: fl(79)}}},
		{"a discrete alarm on a bool raises while the value equals the alarm state",
			datasource.AlarmDef{Kind: datasource.AlarmDiscrete, State: datasource.Bool(true)}, datasource.TypeBool,
			[]step{{v: datasource.Bool(false)}, {v: datasource.Bool(true), want: true}, {v: datasource.Bool(false)}}},
		{"a not-equal discrete alarm on a string raises while the value differs from RUNNING",
			datasource.AlarmDef{Kind: datasource.AlarmDiscrete, State: datasource.String("RUNNING"), NotEqual: true}, datasource.TypeString,
			[]step{{v: datasource.String("RUNNING")}, {v: datasource.String("FAULT"), want: true}, {v: datasource.String("RUNNING")}}},
		{"a discrete alarm on state 3 compares numbers across int and float readings",
			datasource.AlarmDef{Kind: datasource.AlarmDiscrete, State: datasource.Int(3)}, datasource.TypeUint16,
			[]step{{v: datasource.Uint(2)}, {v: datasource.Uint(3), want: true}, {v: fl(3), want: true}, {v: datasource.Int(4)}}},
		{"a deviation alarm raises when the value is the allowed deviation away from its setpoint either way",
			datasource.AlarmDef{Kind: datasource.AlarmDeviation, Limit: 5, Deadband: 1, Setpoint: "Tank1.LevelSP"}, datasource.TypeFloat32,
			[]step{{v: fl(54), sp: 50}, {v: fl(55), sp: 50, want: true}, {v: fl(54.5), sp: 50, want: true},
				{v: fl(53.9), sp: 50}, {v: fl(44.9), sp: 50, want: true}, {v: fl(50), sp: 40, want: true}, {v: fl(50), sp: 49}}},
		{"a deviation alarm holds until its setpoint has a reading",
			datasource.AlarmDef{Kind: datasource.AlarmDeviation, Limit: 5, Setpoint: "Tank1.LevelSP"}, datasource.TypeFloat32,
			[]step{{v: fl(90), noSP: true}, {v: fl(90), sp: 50, want: true}, {v: fl(10), noSP: true, want: true}}},
		{"a rate-of-change alarm ignores a slow ramp and raises on a fast one",
			datasource.AlarmDef{Kind: datasource.AlarmRateOfChange, Limit: 1, Window: 10 * time.Second}, datasource.TypeFloat32,
			[]step{{v: fl(0)}, {after: 2 * time.Second, v: fl(1)}, {after: 2 * time.Second, v: fl(2)},
				{after: 2 * time.Second, v: fl(3)}, {after: 2 * time.Second, v: fl(4)},
				{after: 2 * time.Second, v: fl(20), want: true}, {after: 2 * time.Second, v: fl(40), want: true},
				{after: 10 * time.Second, v: fl(40)}}},
		{"a rate-of-change alarm does not judge a step over less than half its window",
			datasource.AlarmDef{Kind: datasource.AlarmRateOfChange, Limit: 1, Window: 10 * time.Second}, datasource.TypeFloat32,
			[]step{{v: fl(0)}, {after: time.Second, v: fl(50)}, {after: 4 * time.Second, v: fl(50), want: true}}},
		{"a bad-quality alarm raises after its on-delay and clears on a good reading",
			datasource.AlarmDef{Kind: datasource.AlarmBadQuality, OnDelay: 2 * time.Second}, datasource.TypeFloat32,
			[]step{{v: fl(1)}, {v: fl(1), q: bad}, {after: 2 * time.Second, tick: true, want: true}, {v: fl(1)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := compileOneDef(t, tc.def, tc.typ)
			var s state
			if d.kind == datasource.AlarmRateOfChange {
				s.series = newSeries(d.window, ratePoints)
			}
			now := t0
			var scratch []float64
			for i, st := range tc.steps {
				now = now.Add(st.after)
				if st.tick {
					s.settle(d, now)
				} else {
					in := input{value: st.v, quality: st.q, at: now, setpoint: st.sp, setpointOK: !st.noSP}
					s.evaluate(d, &in, now, &scratch)
				}
				if s.active != st.want {
					t.Fatalf("step %d (%+v): active = %v, want %v", i, st, s.active, st.want)
				}
			}
		})
	}
}

func TestCommAlarmFollowsTheConnectedTag(t *testing.T) {
	defs, err := compile(plantTags())
	if err != nil {
		t.Fatal(err)
	}
	d := &defs[0]
	var s state
	steps := []struct {
		v    datasource.Value
		want bool
	}{{datasource.Bool(true), false}, {datasource.Bool(false), true}, {datasource.Value{}, true}, {datasource.Bool(true), false}}
	for i, st := range steps {
		in := input{value: st.v, at: t0}
		s.evaluate(d, &in, t0, nil)
		if s.active != st.want {
			t.Fatalf("step %d: connected=%v gives active %v, want %v", i, st.v, s.active, st.want)
		}
	}
}

func TestISAStateTransitions(t *testing.T) {
	d := compileOneDef(t, datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80}, datasource.TypeFloat32)
	latching := compileOneDef(t, datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, Latching: true}, datasource.TypeFloat32)
	// ops: "hi" / "lo" readings, "ack", "reset".
	tests := []struct {
		name string
		d    *def
		ops  []string
		want []State
	}{
		{"an alarm acknowledged while active returns to Normal when it clears", d,
			[]string{"hi", "ack", "lo"}, []State{Unack, Acked, Normal}},
		{"an alarm that clears unacknowledged waits in RTNUnack for its acknowledgement", d,
			[]string{"hi", "lo", "ack"}, []State{Unack, RTNUnack, Normal}},
		{"an alarm that returns while in RTNUnack is Unack again", d,
			[]string{"hi", "lo", "hi"}, []State{Unack, RTNUnack, Unack}},
		{"a latched alarm stays Acked after it clears until it is reset", latching,
			[]string{"hi", "ack", "lo", "reset"}, []State{Unack, Acked, Acked, Normal}},
		{"a latched alarm that clears unacknowledged stays Unack", latching,
			[]string{"hi", "lo"}, []State{Unack, Unack}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s state
			for i, op := range tc.ops {
				switch op {
				case "hi", "lo":
					v := 90.0
					if op == "lo" {
						v = 10
					}
					in := input{value: fl(v), at: t0}
					s.evaluate(tc.d, &in, t0, nil)
				case "ack":
					s.unacked = false
				case "reset":
					s.latched, s.unacked = false, false
				}
				if got := s.isa(); got != tc.want[i] {
					t.Fatalf("after %v: state %v, want %v", tc.ops[:i+1], got, tc.want[i])
				}
			}
		})
	}
}

func TestProcessAllocatesNothingWhenNothingChanges(t *testing.T) {
	f := newFixture(t, plantTags(
		datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80},
		datasource.AlarmDef{Kind: datasource.AlarmLo, Limit: 20},
		datasource.AlarmDef{Kind: datasource.AlarmDeviation, Limit: 30, Setpoint: "Tank1.LevelSP"},
		datasource.AlarmDef{Kind: datasource.AlarmRateOfChange, Limit: 100},
	))
	batch := []datasource.Sample{{Tag: 0, Value: fl(50), Time: t0}, {Tag: 1, Value: fl(50), Time: t0}, {Tag: 3, Value: datasource.Bool(true), Time: t0}}
	f.e.Process(batch)
	allocs := testing.AllocsPerRun(100, func() {
		batch[0].Value = fl(51)
		f.e.Process(batch)
		batch[0].Value = fl(50)
		f.e.Process(batch)
	})
	if allocs != 0 {
		t.Fatalf("Process allocated %v times per run for unchanged alarms, want 0", allocs)
	}
}
