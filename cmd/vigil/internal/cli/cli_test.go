package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
)

// operatorMemLimit says GOMEMLIMIT was set when the tests started: the
// scale benchmarks then keep it, as vigil run would (GOMEMLIMIT=236MiB to
// try a limit, GOMEMLIMIT=off to see the live heap in the RSS).
var operatorMemLimit bool

func TestMain(m *testing.M) {
	// History files of the verbs under test go to a throw-away data
	// directory, never the developer's own.
	dir, err := os.MkdirTemp("", "vigil-cli-test")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	// The verbs under test would set the soft memory limit of a small
	// project (setMemoryLimit) for the whole test process, whose heap is
	// the tests' and the race detector's: an operator's GOMEMLIMIT keeps
	// it as it is. The scale benchmarks set it as vigil run would.
	if os.Getenv("GOMEMLIMIT") == "" {
		os.Setenv("GOMEMLIMIT", "off")
	} else {
		operatorMemLimit = true
	}
	// gopcua's test server logs its node-set import to the standard logger.
	log.SetOutput(io.Discard)
	defer os.RemoveAll(dir)
	goleak.VerifyTestMain(m)
}

// runCLI runs the command line with captured output.
func runCLI(t *testing.T, ctx context.Context, env Env, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env.Stdout, env.Stderr = &out, &errOut
	code = Main(ctx, env, args)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerbsAndExitCodes(t *testing.T) {
	broken := writeFile(t, "broken.yaml", `project: Broken
devices:
  - name: plant
    driver: sim
    scan_classes: [{name: fast, rate: 0s}]
tags:
  - name: A
    device: nowhere
    address: tank1.level
  - name: A
    device: plant
    address: tank1.level
    type: float128
`)
	badAddress := writeFile(t, "badaddr.yaml", `project: Bad address
devices:
  - name: plant
    driver: sim
tags:
  - name: Level
    device: plant
    address: tank9.nothing
`)
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout bool
	}{
		{name: "version prints the stamped version", args: []string{"version"}, code: 0, stdout: []string{"vigil 1.2.3"}},
		{name: "help lists every verb", args: []string{"help"}, code: 0, stdout: []string{"vigil check", "vigil run", "vigil open", "vigil version"}},
		{name: "an unknown verb is a usage error", args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`}},
		{name: "check --help exits 0 with the synopsis", args: []string{"check", "--help"}, code: 0, stderr: []string{"Usage: vigil check FILE"}},
		{name: "check without a file is a usage error", args: []string{"check"}, code: 2, stderr: []string{"want 1 argument"}},
		{name: "check of the demo passes", args: []string{"check", "demo"}, code: 0, stdout: []string{"demo: ok: project \"Demo plant\", 1 device, "}},
		{name: "check lists every error of a broken file with file and line", args: []string{"check", broken}, code: 1, noStdout: true,
			stderr: []string{broken + ":5:", broken + ":8:", broken + ":10:", broken + ":13:"}},
		{name: "check reports a driver's address error with its line", args: []string{"check", badAddress}, code: 1,
			stderr: []string{badAddress + ":8: tag Level: address:"}},
		{name: "run of a broken file starts nothing and exits 1", args: []string{"run", broken, "--for", "1s"}, code: 1, noStdout: true},
		{name: "a missing file names the file", args: []string{"check", "/nonexistent/p.yaml"}, code: 1, stderr: []string{"/nonexistent/p.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, context.Background(), Env{Version: "1.2.3"}, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if tc.noStdout && out != "" {
				t.Errorf("stdout should be empty, got:\n%s", out)
			}
		})
	}
}

func TestRunDemoPrintsQualityCountsAndValues(t *testing.T) {
	code, out, errOut := runCLI(t, context.Background(), Env{}, "run", "demo", "--for", "2500ms", "--values")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var summaries, values int
	for _, l := range lines {
		switch {
		case strings.Contains(l, " tags ") && strings.Contains(l, "good"):
			summaries++
		case strings.HasSuffix(l, " Good"):
			values++
		}
	}
	if summaries < 2 {
		t.Errorf("got %d summary lines in 2.5 s, want one per second:\n%s", summaries, out)
	}
	if values < 10 {
		t.Errorf("got %d value lines, want live values of the demo tags:\n%s", values, out)
	}
	if !strings.Contains(out, "Tank1.Level ") {
		t.Errorf("no Tank1.Level value line:\n%s", out)
	}
}

func TestNoDisplayRunsTheDemoHeadless(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	opened := false
	env := Env{
		HasDisplay: func() bool { return false },
		OpenGUI:    func(context.Context, *Runtime, GUIOptions) error { opened = true; return nil },
	}
	code, out, errOut := runCLI(t, ctx, env)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if opened {
		t.Fatal("tried to open a window without a display")
	}
	if !strings.Contains(errOut, "no display found") || !strings.Contains(errOut, "headless") {
		t.Errorf("stderr does not say why no window opened:\n%s", errOut)
	}
	if !strings.Contains(out, "Tank1.Level ") {
		t.Errorf("no live values printed:\n%s", out)
	}
}

func TestOpenWithDisplayHandsTheRuntimeToTheGUI(t *testing.T) {
	var got *Runtime
	env := Env{
		HasDisplay: func() bool { return true },
		OpenGUI: func(ctx context.Context, rt *Runtime, o GUIOptions) error {
			got = rt
			if !o.Dark {
				t.Error("--dark was not passed to the GUI")
			}
			return nil
		},
	}
	code, _, errOut := runCLI(t, context.Background(), env, "open", "demo", "--dark")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if got == nil || got.Project.Name == "" || got.Table.Len() == 0 {
		t.Fatalf("GUI got runtime %+v", got)
	}
}

func TestHornTakesPrioritiesOrOff(t *testing.T) {
	for _, c := range []struct {
		arg  string
		want []datasource.Priority
		code int
	}{
		{"", nil, ExitOK},
		{"medium,critical", []datasource.Priority{datasource.PriorityMedium, datasource.PriorityCritical}, ExitOK},
		{"off", []datasource.Priority{}, ExitOK},
		{"loud", nil, ExitUsage},
	} {
		var got []datasource.Priority
		env := Env{
			HasDisplay: func() bool { return true },
			OpenGUI:    func(_ context.Context, _ *Runtime, o GUIOptions) error { got = o.Horn; return nil },
		}
		args := []string{"open", "demo"}
		if c.arg != "" {
			args = append(args, "--horn", c.arg)
		}
		code, _, errOut := runCLI(t, context.Background(), env, args...)
		if code != c.code {
			t.Errorf("--horn %q: exit %d, want %d\n%s", c.arg, code, c.code, errOut)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("--horn %q: the GUI got %v, want %v", c.arg, got, c.want)
		}
	}
}

func TestAnUnknownScreenIsAUsageErrorAndOtherGUIFailuresAreNot(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("--screen %q: this window has the screens Overview, Tags: %w", "Foo", ErrUsage), ExitUsage},
		{errors.New("no OpenGL"), ExitFailure},
	} {
		env := Env{
			HasDisplay: func() bool { return true },
			OpenGUI:    func(context.Context, *Runtime, GUIOptions) error { return c.err },
		}
		code, _, errOut := runCLI(t, context.Background(), env, "open", "demo", "--screen", "Foo")
		if code != c.want {
			t.Errorf("GUI error %q: exit %d, want %d\n%s", c.err, code, c.want, errOut)
		}
		if !strings.Contains(errOut, c.err.Error()) {
			t.Errorf("stderr %q does not say %q", errOut, c.err)
		}
	}
}

// TestAlarmJournalOfARunVerifiesAsOneAuditChain runs a project whose level
// alarm is active at once, then checks the history file's journal: the
// alarm transitions are there and `vigil audit verify` accepts the chain.
func TestAlarmJournalOfARunVerifiesAsOneAuditChain(t *testing.T) {
	proj := writeFile(t, "alarming.yaml", `project: Alarming
devices:
  - name: plant
    driver: sim
    scan_classes: [{name: fast, rate: 200ms}]
tags:
  - name: Level
    device: plant
    address: tank1.level
    units: "%"
    alarms: [{kind: hi, limit: 1, priority: high}]
`)
	hist := filepath.Join(t.TempDir(), "h.db")
	if code, _, errOut := runCLI(t, context.Background(), Env{}, "run", proj, "--for", "1500ms", "--history", hist); code != 0 {
		t.Fatalf("run exit %d\n%s", code, errOut)
	}
	code, out, errOut := runCLI(t, context.Background(), Env{}, "audit", "export", hist, "--all")
	if code != 0 || !strings.Contains(out, "Level") {
		t.Fatalf("audit export exit %d, no Level alarm event:\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, context.Background(), Env{}, "audit", "verify", hist); code != 0 {
		t.Fatalf("audit verify exit %d on an untampered run:\n%s\n%s", code, out, errOut)
	}
}
