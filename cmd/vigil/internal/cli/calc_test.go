package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/history"
)

// TestRunDemoCalculatedTags runs the demo headless, its energy meter failing
// from 4 s to 8 s, with --values and a totalizer reset on --commands: the
// calculated tags move, the meter's totalizer follows its quality (Bad while
// the meter is, counting again after), the 10-minute RMS is honestly
// Uncertain with a window not yet covered, a division by zero is
// Bad/CalcError with its explanation, and the reset is audited.
func TestRunDemoCalculatedTags(t *testing.T) {
	dir := t.TempDir()
	const fault = "{kind: bad, tag: Meter1.Energy, at: 30m, for: 20s}"
	demo := strings.Replace(string(assets.Demo), fault, "{kind: bad, tag: Meter1.Energy, at: 4s, for: 4s}", 1)
	if demo == string(assets.Demo) {
		t.Fatalf("the demo has no %s to move", fault)
	}
	// A formula that always divides by zero, to see its explanation.
	// It goes at the end of the tags: list, which the displays: section follows.
	ratio := "\n  - {name: Test.Ratio, calc: \"Tank1.Level / (Field1.Flow * 0)\"}\n"
	if i := strings.Index(demo, "\ndisplays:"); i >= 0 {
		demo = demo[:i] + ratio + demo[i:]
	} else {
		demo += ratio
	}
	proj := filepath.Join(dir, "demo.yaml")
	if err := os.WriteFile(proj, []byte(demo), 0o600); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(dir, "h.db")
	commandInput = strings.NewReader("reset Pump1.StartsToday shift change\nreset Pump1.Power\n")
	t.Cleanup(func() { commandInput = passwordInput })
	code, out, errOut := runVerb(t, cmdRun, proj, "--for", "14s", "--values", "--history", hist, "--commands")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	series := map[string][]string{} // tag -> "value quality" lines in order
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 4 && strings.Contains(f[1], ".") && !strings.HasPrefix(f[0], "reset") {
			series[f[1]] = append(series[f[1]], f[2]+" "+f[3])
		}
	}
	moving := func(tag string) {
		t.Helper()
		vals := map[string]bool{}
		for _, s := range series[tag] {
			if strings.HasSuffix(s, " Good") {
				vals[strings.Fields(s)[0]] = true
			}
		}
		if len(vals) < 2 {
			t.Errorf("%s does not move with Good quality: %v", tag, series[tag])
		}
	}
	moving("Pump1.Power")
	moving("Pump1.SpecificEnergy")
	moving("Pump1.RunHoursToday")

	// The meter's totalizer: Good, then Bad/DeviceFailure with the meter, then
	// Good and larger than before the fault.
	var phase int
	var before, after float64
	for _, s := range series["Meter1.EnergyToday"] {
		v, q, _ := strings.Cut(s, " ")
		f, _ := strconv.ParseFloat(v, 64)
		switch {
		case phase == 0 && q == "Good":
			before = f
		case phase <= 1 && q == "Bad/DeviceFailure":
			phase = 1
		case phase == 1 && q == "Good":
			phase, after = 2, f
		}
	}
	if phase != 2 || after <= before {
		t.Errorf("Meter1.EnergyToday did not go Good -> Bad/DeviceFailure -> Good and on counting (%g -> %g): %v",
			before, after, series["Meter1.EnergyToday"])
	}
	if rms := series["Pump1.VibrationRMS10m"]; len(rms) == 0 || !strings.HasSuffix(rms[0], " Uncertain/SubNormal") {
		t.Errorf("the 10-minute RMS after 14 s should be Uncertain/SubNormal: %v", rms)
	}
	// The reset may run before the first scan reached the totalizer ("was -").
	if !regexp.MustCompile(`reset Pump1.StartsToday: was (0|-), now 0`).MatchString(out) {
		t.Errorf("output lacks the reset of Pump1.StartsToday:\n%s", out)
	}
	if want := "reset Pump1.Power: refused or failed: Pump1.Power is not a totalizer; nothing was reset"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	if want := "Test.Ratio - Bad/CalcError (Tank1.Level / (Field1.Flow * 0): division by zero, with Tank1.Level = "; !strings.Contains(out, want) {
		t.Errorf("--values lacks the explanation %q:\n%s", want, out)
	}
	if code, _, errOut := runVerb(t, cmdAudit, "verify", hist); code != ExitOK {
		t.Fatalf("audit verify: exit %d %s", code, errOut)
	}
	if code, csv, _ := runVerb(t, cmdAudit, "export", hist); code != ExitOK || !strings.Contains(csv, "reset_total") || !strings.Contains(csv, "shift change") {
		t.Errorf("the audit trail lacks the reset and its reason:\n%s", csv)
	}
}

// TestTotalizersContinueAfterARestart runs the demo three times on one
// history file: each run's energy today starts from where the run before
// stopped, not from 0 (the downtime itself adds nothing), also when the
// newest sample is the mark of where recording ended.
func TestTotalizersContinueAfterARestart(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "h.db")
	// run runs the demo for d and returns its Good values of energy today.
	run := func(d string) []float64 {
		t.Helper()
		code, out, errOut := runVerb(t, cmdRun, "demo", "--for", d, "--values", "--history", hist)
		var vals []float64
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 4 && f[1] == "Meter1.EnergyToday" && f[3] == "Good" {
				v, _ := strconv.ParseFloat(f[2], 64)
				vals = append(vals, v)
			}
		}
		if code != ExitOK || len(vals) == 0 || vals[len(vals)-1] <= 0 {
			t.Fatalf("run for %s: exit %d, energy today %v: %s", d, code, vals, errOut)
		}
		return vals
	}
	// goesOn fails unless after starts where before ended.
	goesOn := func(why string, before, after []float64) {
		t.Helper()
		if last := before[len(before)-1]; after[0] < last {
			t.Fatalf("%s energy today starts at %g, below the %g it had: %v then %v", why, after[0], last, before, after)
		}
	}
	first := run("7s")
	second := run("3s")
	goesOn("after the restart", first, second)
	// Each start marks where the recording before it ended, so a start
	// that recorded nothing leaves that mark as the total's newest sample:
	// the next start goes on from the value before it.
	s, err := history.Open(hist, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.MarkDowntime([]string{"Meter1.EnergyToday"}); n != 1 || err != nil {
		t.Fatalf("marking the stop: %d, %v", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	goesOn("after a stop marked last,", second, run("3s"))
	if _, out, _ := runVerb(t, cmdHistory, "info", hist); !regexp.MustCompile(`recorded until 20\d\d-`).MatchString(out) {
		t.Errorf("history info does not say where the recording ended:\n%s", out)
	}
}
