package project

import (
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestCalculatedTagsCompile(t *testing.T) {
	p, err := Load("testdata/valid-calc/project.yaml")
	if err != nil {
		t.Fatal(err)
	}
	se := mustTag(t, p, "Pump1.SpecificEnergy")
	eff := mustTag(t, p, "Pump1.Efficient")
	vol := mustTag(t, p, "Pump1.VolumeShift")
	avg := mustTag(t, p, "Pump1.FlowAvg")
	checks := []struct {
		name string
		ok   bool
	}{
		{"the project's time zone is loaded", p.Location != nil && p.Location.String() == "Europe/Berlin"},
		{"shifts are offsets from midnight", len(p.Shifts) == 3 && p.Shifts[0] == 6*time.Hour && p.Shifts[2] == 22*time.Hour},
		{"the calculated tags are compiled into one set", p.Calc != nil && p.Calc.Len() == 7},
		{"an expression tag has no device and is read-only", se.Device == "" && !se.Writable && se.Calc.Kind == datasource.CalcExpr},
		{"a numeric expression is float64", se.Type == datasource.TypeFloat64},
		{"a comparison is a bool tag", eff.Type == datasource.TypeBool},
		{"a calculated tag keeps its alarms", len(se.Alarms) == 1},
		{"an integrate reads its input, unit and reset", vol.Calc.Kind == datasource.CalcIntegrate && vol.Calc.Input == "Pump1.Flow" && vol.Calc.Per == time.Hour && vol.Calc.Reset == datasource.ResetShift},
		{"a rolling statistic reads its window and share", avg.Calc.Window == 10*time.Minute && avg.Calc.MinGood == 0.5},
		{"a calculated tag never turns stale by itself", se.StaleAfter == 0},
		{"the calc field's line is kept", se.Calc.Pos.Line == 14},
	}
	for _, c := range checks {
		if !c.ok {
			t.Error(c.name)
		}
	}
}
