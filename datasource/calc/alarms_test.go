package calc

import (
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
)

// TestAnAlarmOnACalculatedTagFiresInTheSamePublish feeds the alarm engine
// what a subscriber of the table receives: the calculated sample arrives
// with its input's batch, and its Hi alarm is active after that one
// publish.
func TestAnAlarmOnACalculatedTagFiresInTheSamePublish(t *testing.T) {
	specs := []tagSpec{dev("Pump1.Power", datasource.TypeFloat32), dev("Tank1.Inflow", datasource.TypeFloat32),
		exprTag("Pump1.SpecificEnergy", "Pump1.Power / max(Tank1.Inflow, 0.1)")}
	tags := project(specs...)
	tags[2].Alarms = []datasource.AlarmDef{{Name: "Hi", Kind: datasource.AlarmHi, Limit: 1.5, Priority: datasource.PriorityLow}}
	set, errs := Compile(tags, Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	eng, err := NewEngine(set, len(tags))
	if err != nil {
		t.Fatal(err)
	}
	table := datasource.NewTable(tags)
	table.Engine().SetDeriver(eng)
	sub := table.Subscribe("alarms", 1024)
	defer sub.Close()
	clk := clockwork.NewFakeClockAt(t0)
	al, err := alarms.New(tags, alarms.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	table.Publish([]datasource.Sample{{Tag: 0, Value: datasource.Float(6), Time: t0}, {Tag: 1, Value: datasource.Float(3), Time: t0}})
	al.Process(sub.TryRecv(nil))
	if a := al.TagAlarms(2); len(a) != 1 || !a[0].Active || a[0].Value != datasource.Float(2) {
		t.Fatalf("6 kW / 3 m³/h = 2 kWh/m³ is above the Hi limit 1.5 after one publish: %+v", a)
	}
}
