package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

// runAlarmsVerb runs `vigil alarms ARGS` with captured output.
func runAlarmsVerb(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = cmdAlarms(context.Background(), Env{Stdout: &out, Stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

// alarmHistoryFile writes a real history file whose journal the alarm
// engine filled: Tank1.Level/Hi chatters (3 activations in 30 s) and stays
// active, Tank1.Level/Lo activated once and cleared.
func alarmHistoryFile(t *testing.T) (path string, at time.Time) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "plant.db")
	store, err := history.Open(path, history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC))
	tags := []*datasource.Tag{{Name: "Tank1.Level", Type: datasource.TypeFloat32, Units: "%", Alarms: []datasource.AlarmDef{
		{Kind: datasource.AlarmHi, Limit: 80}, {Kind: datasource.AlarmLo, Limit: 20}}}}
	e, err := alarms.New(tags, alarms.Options{Clock: clk, Journal: store})
	if err != nil {
		t.Fatal(err)
	}
	feed := func(v float64) {
		e.Process([]datasource.Sample{{Tag: 0, Value: datasource.Float(v), Time: clk.Now()}})
		clk.Advance(5 * time.Second)
	}
	for _, v := range []float64{10, 50, 90, 50, 90, 50, 90} {
		feed(v)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	return path, clk.Now()
}

func TestAlarmsKPIReadsAHistoryFile(t *testing.T) {
	path, at := alarmHistoryFile(t)
	code, out, errOut := runAlarmsVerb("kpi", path, "--at", at.Format(time.RFC3339))
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"annunciated, last 10 min    4\n",
		"standing                    1\n",
		"stale (active > 24h0m0s)    0\n", // the counts in one column
		"chattering (>= 3 in 1m0s)   1\n",
		"Tank1.Level/Hi  3 activations within 1m0s",
		" 1. Tank1.Level/Hi  3\n",
		" 2. Tank1.Level/Lo  1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runAlarmsVerb("kpi", "--json", "--at", at.Format(time.RFC3339), path)
	var k alarms.KPI
	if err := json.Unmarshal([]byte(out), &k); code != ExitOK || err != nil {
		t.Fatalf("--json: exit %d, %v:\n%s", code, err, out)
	}
	if k.Last10Min != 4 || k.Flood || len(k.Chattering) != 1 || k.Top[0].Alarm != "Tank1.Level/Hi" {
		t.Fatalf("--json KPIs %+v", k)
	}

	// An hour later the annunciations have left the 10-minute window.
	code, out, _ = runAlarmsVerb("kpi", path, "--at", at.Add(time.Hour).Format(time.RFC3339))
	if code != ExitOK || !strings.Contains(out, "annunciated, last 10 min    0\n") {
		t.Fatalf("an hour later: exit %d\n%s", code, out)
	}
}

func TestAlarmsVerbUsageAndFailures(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing.db")
	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"--help lists the commands and exits 0", []string{"--help"}, ExitOK, "kpi FILE", ""},
		{"no command is a usage error", nil, ExitUsage, "", "Commands:"},
		{"an unknown command is a usage error", []string{"purge"}, ExitUsage, "", `unknown command "purge"`},
		{"kpi --help prints its flags and exits 0", []string{"kpi", "--help"}, ExitOK, "", "--window"},
		{"kpi without a file is a usage error", []string{"kpi"}, ExitUsage, "", "want 1 argument(s), got 0"},
		{"kpi with a malformed --at is a usage error", []string{"kpi", "x.db", "--at", "yesterday"}, ExitUsage, "", "RFC 3339"},
		{"kpi with a zero --window is a usage error", []string{"kpi", "x.db", "--window", "0s"}, ExitUsage, "", "must be > 0"},
		{"kpi on a missing file fails naming it", []string{"kpi", missing}, ExitFailure, "", "nothing.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAlarmsVerb(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.inStdout) || !strings.Contains(errOut, tc.inStderr) {
				t.Fatalf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tc.code, out, tc.inStdout, errOut, tc.inStderr)
			}
		})
	}
}
