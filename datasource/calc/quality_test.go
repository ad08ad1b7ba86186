package calc

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

func bad(r datasource.Reason, v float64) datasource.Sample {
	return datasource.Sample{Value: datasource.Float(v), Quality: datasource.BadQuality(r)}
}

func uncertain(r datasource.Reason, v float64) datasource.Sample {
	return datasource.Sample{Value: datasource.Float(v), Quality: datasource.UncertainQuality(r)}
}

func TestQualityPropagates(t *testing.T) {
	inputs := []tagSpec{dev("A", datasource.TypeFloat32), dev("B", datasource.TypeFloat32), dev("R", datasource.TypeBool)}
	tests := []struct {
		name    string
		src     string
		publish []any // name, value or Sample
		want    datasource.Quality
		value   datasource.Value // checked when not none
		explain string           // a substring of Explain, "" for none
	}{
		{"all inputs Good give Good", "A + B", []any{"A", 1.0, "B", 2.0},
			datasource.QualityGood, datasource.Float(3), ""},
		{"one Bad input makes the result Bad with its reason, computed from the last values", "A + B", []any{"A", 1.0, "B", bad(datasource.NotConnected, 2)},
			datasource.BadQuality(datasource.NotConnected), datasource.Float(3), ""},
		{"an Uncertain input makes the result Uncertain with its reason", "A + B", []any{"A", uncertain(datasource.Stale, 1), "B", 2.0},
			datasource.UncertainQuality(datasource.Stale), datasource.Float(3), ""},
		{"Bad wins over Uncertain", "A + B", []any{"A", uncertain(datasource.Stale, 1), "B", bad(datasource.CommFailure, 2)},
			datasource.BadQuality(datasource.CommFailure), datasource.Value{}, ""},
		{"an input never published is Bad/WaitingForInitialData", "A + B", []any{"A", 1.0},
			datasource.BadQuality(datasource.WaitingForInitialData), datasource.Value{}, ""},
		{"a Bad input in the branch not taken is not needed", "R ? A : B", []any{"R", true, "A", 5.0, "B", bad(datasource.NotConnected, 0)},
			datasource.QualityGood, datasource.Float(5), ""},
		{"a Bad input in the branch taken is needed", "R ? A : B", []any{"R", false, "A", 5.0, "B", bad(datasource.NotConnected, 0)},
			datasource.BadQuality(datasource.NotConnected), datasource.Value{}, ""},
		{"the right side of a short-circuited || is not needed", "R || A > 1", []any{"R", true, "A", bad(datasource.SensorFailure, 0)},
			datasource.QualityGood, datasource.Bool(true), ""},
		{"division by zero is Bad/CalcError with the expression and values", "A / B", []any{"A", 3.0, "B", 0.0},
			datasource.BadQuality(datasource.CalcError), datasource.Value{}, "A / B: division by zero, with A = 3, B = 0"},
		{"the values are shown at their tag's precision, not its decimals nor as float64s", "A / B", []any{"A", float64(float32(17.447784)), "B", 0.0},
			datasource.BadQuality(datasource.CalcError), datasource.Value{}, "with A = 17.447784, B = 0"},
		{"a division by zero behind a conditional of an int and a float says so on the VM too (an input not Good)", "A / (R ? B : 0)", []any{"A", uncertain(datasource.Stale, 3), "B", 0.0, "R", true},
			datasource.BadQuality(datasource.CalcError), datasource.Value{}, "A / (R ? B : 0): division by zero, with A = 3, R = true, B = 0"},
		{"a NaN result is Bad/CalcError, never a silent 0", "sqrt(A)", []any{"A", -1.0},
			datasource.BadQuality(datasource.CalcError), datasource.Value{}, "sqrt(A): the result is not a number (NaN), with A = -1"},
		{"the logarithm of 0 is Bad/CalcError", "log(A)", []any{"A", 0.0},
			datasource.BadQuality(datasource.CalcError), datasource.Value{}, "-Inf"},
		{"modulo by zero is Bad/CalcError, a division by zero", "int(A) % int(B)", []any{"A", 3.0, "B", 0.0},
			datasource.BadQuality(datasource.CalcError), datasource.Value{}, "int(A) % int(B): division by zero, with A = 3, B = 0"},
		{"a division by a Bad zero is the input's fault, not the arithmetic's", "A / B", []any{"A", 3.0, "B", bad(datasource.NotConnected, 0)},
			datasource.BadQuality(datasource.NotConnected), datasource.Value{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Options{}, append(append([]tagSpec{}, inputs...), exprTag("X", tc.src))...)
			r.pub(t0, tc.publish...)
			got := r.get("X")
			if got.Quality != tc.want {
				t.Errorf("%s: quality %v, want %v", tc.src, got.Quality, tc.want)
			}
			if !tc.value.IsNone() && got.Value != tc.value {
				t.Errorf("%s: value %v, want %v", tc.src, got.Value, tc.value)
			}
			ex := r.eng.Explain(r.id("X"))
			if (tc.explain == "") != (ex == "") || !strings.Contains(ex, tc.explain) {
				t.Errorf("%s: Explain %q, want it to contain %q", tc.src, ex, tc.explain)
			}
		})
	}
}

func TestQualityRecovers(t *testing.T) {
	r := newRig(t, Options{}, dev("A", datasource.TypeFloat32), dev("B", datasource.TypeFloat32), exprTag("X", "A / B"))
	r.pub(t0, "A", 3.0, "B", 0.0)
	if q := r.get("X").Quality; q != datasource.BadQuality(datasource.CalcError) {
		t.Fatalf("quality %v, want Bad/CalcError", q)
	}
	r.pub(t0.Add(time.Second), "B", 2.0)
	if got := r.get("X"); got.Quality != datasource.QualityGood || got.Value != datasource.Float(1.5) {
		t.Fatalf("after B recovered: %v %v, want 1.5 Good", got.Value, got.Quality)
	}
	if ex := r.eng.Explain(r.id("X")); ex != "" {
		t.Fatalf("Explain %q after recovery, want none", ex)
	}
}

func TestStaleInputMakesTheResultUncertainAtTheStaleCheck(t *testing.T) {
	tags := project(dev("A", datasource.TypeFloat32), exprTag("X", "A * 2"))
	tags[0].StaleAfter = 3 * time.Second
	set, errs := Compile(tags, Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	eng, _ := NewEngine(set, len(tags))
	table := datasource.NewTable(tags)
	table.Engine().SetDeriver(eng)
	table.Publish([]datasource.Sample{{Tag: 0, Value: datasource.Float(2), Time: t0}})
	table.Engine().MarkStale(t0.Add(5 * time.Second))
	if got := table.Get(1); got.Quality != datasource.UncertainQuality(datasource.Stale) || got.Value != datasource.Float(4) {
		t.Fatalf("X = %v %v after A turned stale, want 4 Uncertain/Stale", got.Value, got.Quality)
	}
}

func TestCalcOfABadCalcIsBadWithTheSameReason(t *testing.T) {
	r := newRig(t, Options{}, dev("A", datasource.TypeFloat32), exprTag("X", "A + 1"), exprTag("Y", "X * 2"))
	r.pub(t0, "A", bad(datasource.DeviceFailure, 1))
	if q := r.get("Y").Quality; q != datasource.BadQuality(datasource.DeviceFailure) {
		t.Fatalf("Y quality %v, want Bad/DeviceFailure from A through X", q)
	}
}
