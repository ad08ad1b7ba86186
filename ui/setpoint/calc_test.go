package setpoint

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

func energyToday() *datasource.Tag {
	return &datasource.Tag{ID: 7, Name: "Meter1.EnergyToday", Type: datasource.TypeFloat64, Units: "kWh", Decimals: 1,
		Span: datasource.Range{Max: 500}, Calc: &datasource.CalcDef{Kind: datasource.CalcCounter, Input: "Meter1.Energy"}}
}

func TestACalcErrorIsExplainedOnTheFaceplate(t *testing.T) {
	test.NewTempApp(t)
	tag := &datasource.Tag{ID: 8, Name: "Pump1.SpecificEnergy", Type: datasource.TypeFloat64,
		Calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: "Pump1.Power / Tank1.Inflow"}}
	why := "Pump1.Power / Tank1.Inflow: division by zero, with Pump1.Power = 6.5, Tank1.Inflow = 0"
	f := New(tag, Deps{Explain: func() string { return why }})
	defer f.Close()
	f.Update(datasource.Sample{Tag: 8, Quality: datasource.BadQuality(datasource.CalcError)})
	if got := f.quality.Text; !strings.Contains(got, "CalcError") || !strings.Contains(got, why) {
		t.Fatalf("quality line %q, want the reason and %q", got, why)
	}
	if f.reset != nil {
		t.Error("an expression tag has a Reset button")
	}
}

func TestResetATotalizerFromItsFaceplate(t *testing.T) {
	test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(600, 500))
	calls := 0
	var refuse error
	f, closer := Show(win, energyToday(), Deps{Reset: func() error { calls++; return refuse }, Theme: theme.New(false)})
	t.Cleanup(closer)
	f.Update(datasource.Sample{Tag: 7, Value: datasource.Float(12.34), Quality: datasource.Quality{Status: datasource.Good}})
	if f.reset == nil {
		t.Fatal("a totalizer's faceplate has no Reset button")
	}
	// A tap asks first, as a write does; Cancel (or Return, Enter, Esc)
	// resets nothing.
	test.Tap(f.reset)
	if f.confirm == nil {
		t.Fatal("tapping Reset to 0 asks nothing")
	}
	if got, want := f.confirmQuestion.Text, "Meter1.EnergyToday: 12.3 kWh → 0.0 kWh"; got != want {
		t.Errorf("confirmation %q, want %q", got, want)
	}
	win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Tap(f.reset)
	test.Tap(f.confirmCancel)
	if calls != 0 || f.confirm != nil || f.result.Text != "" {
		t.Fatalf("after Return and Cancel: %d resets, confirmation open %v, result %q", calls, f.confirm != nil, f.result.Text)
	}
	test.Tap(f.reset)
	test.Tap(f.confirmAct)
	if calls != 1 || !strings.Contains(f.result.Text, "was reset to 0") {
		t.Fatalf("after Reset: %d calls, result %q", calls, f.result.Text)
	}
	refuse = errors.New("operator may not write group Energy; nothing was reset")
	test.Tap(f.reset)
	test.Tap(f.confirmAct)
	if f.result.Text != refuse.Error() {
		t.Fatalf("a refused reset shows %q, want the refusal verbatim", f.result.Text)
	}
}

// Without a window to ask in, a reset is not done, and the faceplate says
// so.
func TestAResetThatCannotBeConfirmedIsNotDone(t *testing.T) {
	test.NewTempApp(t)
	calls := 0
	f := New(energyToday(), Deps{Reset: func() error { calls++; return nil }})
	defer f.Close()
	test.Tap(f.reset)
	if calls != 0 || !strings.Contains(f.result.Text, "nothing was reset") {
		t.Fatalf("%d resets, result %q", calls, f.result.Text)
	}
}

func TestAFaceplateSaysHowACalculatedTagGetsItsValue(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		def  datasource.CalcDef
		want string
	}{
		{datasource.CalcDef{Kind: datasource.CalcExpr, Expr: "Pump1.Power / max(Tank1.Inflow, 0.1)"},
			"calculated (read-only): Pump1.Power / max(Tank1.Inflow, 0.1)"},
		{datasource.CalcDef{Kind: datasource.CalcCounter, Input: "Meter1.Energy", Reset: datasource.ResetDaily},
			"calculated (read-only): increase of Meter1.Energy, reset daily at midnight"},
		{datasource.CalcDef{Kind: datasource.CalcIntegrate, Input: "Tank1.Inflow", Per: time.Hour, Reset: datasource.ResetShift},
			"calculated (read-only): integral of Tank1.Inflow (a rate per 1 h), reset at each shift start"},
		{datasource.CalcDef{Kind: datasource.CalcRunHours, Input: "Pump1.Running"},
			"calculated (read-only): hours Pump1.Running was on"},
		{datasource.CalcDef{Kind: datasource.CalcStarts, Input: "Pump1.Running", Reset: datasource.ResetMonthly},
			"calculated (read-only): starts of Pump1.Running, reset on the first of each month"},
		{datasource.CalcDef{Kind: datasource.CalcRMS, Input: "Pump1.Vibration", Window: 10 * time.Minute},
			"calculated (read-only): RMS of Pump1.Vibration over the last 10 min"},
	} {
		def := tc.def
		f := New(&datasource.Tag{ID: 9, Name: "X", Type: datasource.TypeFloat64, Calc: &def}, Deps{})
		if f.source == nil || f.source.Text != tc.want {
			got := "<none>"
			if f.source != nil {
				got = f.source.Text
			}
			t.Errorf("%s: faceplate says %q, want %q", def.Kind, got, tc.want)
		}
		f.Close()
	}
	f := New(&datasource.Tag{ID: 1, Name: "Tank1.Level", Type: datasource.TypeFloat32, Device: "plant"}, Deps{})
	defer f.Close()
	if f.source != nil {
		t.Errorf("a device's tag says %q", f.source.Text)
	}
}
