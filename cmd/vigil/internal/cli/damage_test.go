package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/historytest"
)

// noCrash fails when a command's output shows a panic or a Go stack trace.
func noCrash(t *testing.T, what, stderr string) {
	t.Helper()
	for _, bad := range []string{"panic", "goroutine ", ".go:", "bad file descriptor"} {
		if strings.Contains(stderr, bad) {
			t.Fatalf("%s: stderr shows %q:\n%s", what, bad, stderr)
		}
	}
}

// TestEveryHistoryCommandReportsADamagedFile runs every command that opens
// a history file on each damaged file of historytest.Damaged: a file
// damaged where it is in use gives exit 1 and a message naming the file
// and saying it is damaged, and nothing ever panics.
func TestEveryHistoryCommandReportsADamagedFile(t *testing.T) {
	cases := historytest.Damaged(t, t.TempDir())
	commands := []struct {
		name string
		verb func(context.Context, Env, []string) int
		args []string // the file is appended
	}{
		{"history check", cmdHistory, []string{"check"}},
		{"history info", cmdHistory, []string{"info"}},
		{"export", cmdExport, []string{"--tags", strings.Join(historytest.Tags, ",")}},
		{"audit verify", cmdAudit, []string{"verify"}},
		{"alarms kpi", cmdAlarms, []string{"kpi", "--at", "2026-11-28T01:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, cmd := range commands {
				args := append(append([]string(nil), cmd.args...), c.Path)
				if cmd.name == "export" {
					args = append([]string{c.Path}, cmd.args...)
				}
				code, _, stderr := runVerb(t, cmd.verb, args...)
				noCrash(t, cmd.name, stderr)
				if !c.InUse {
					continue
				}
				if code != ExitFailure || !strings.Contains(stderr, c.Path) || !strings.Contains(stderr, "damaged") {
					t.Errorf("%s: exit %d, stderr %q; want exit 1 naming the file and saying it is damaged", cmd.name, code, stderr)
				}
			}
		})
	}
}

// TestRunMovesADamagedHistoryAsideAndStartsANewOne: vigil run with a
// damaged history file keeps running the plant on a new file, says so on
// stderr, and keeps the damaged one for salvage.
func TestRunMovesADamagedHistoryAsideAndStartsANewOne(t *testing.T) {
	want := map[string]bool{"truncated to 1/2": true, "a page in use zeroed": true, "0 bytes": true, "a text file": true, "both meta pages zeroed": true}
	for _, c := range historytest.Damaged(t, t.TempDir()) {
		if c.InUse && strings.HasSuffix(c.Name, " zeroed") && strings.HasPrefix(c.Name, "page ") && want["a page in use zeroed"] {
			delete(want, "a page in use zeroed")
		} else if !want[c.Name] {
			continue
		}
		delete(want, c.Name)
		t.Run(c.Name, func(t *testing.T) {
			damaged, err := os.ReadFile(c.Path)
			if err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runVerb(t, cmdRun, "demo", "--for", "1500ms", "--history", c.Path)
			noCrash(t, "run", stderr)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "was damaged") || !strings.Contains(stderr, "started a new history file") || !strings.Contains(stderr, "salvage") {
				t.Errorf("stderr does not say the history was set aside:\n%s", stderr)
			}
			if !strings.Contains(out, ": good ") || !strings.Contains(out, "bad 0;") {
				t.Errorf("the plant was not watched:\n%s", out)
			}
			aside, _ := filepath.Glob(strings.TrimSuffix(c.Path, ".db") + ".damaged-*.db")
			if len(aside) != 1 {
				t.Fatalf("damaged files set aside: %v", aside)
			}
			if b, _ := os.ReadFile(aside[0]); string(b) != string(damaged) {
				t.Fatal("the file set aside is not the damaged file")
			}
			s, err := history.Open(c.Path, history.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			if err := s.Check(); err != nil || len(s.Tags()) == 0 {
				t.Fatalf("the new history file: %v, %d tags", err, len(s.Tags()))
			}
		})
	}
	if len(want) > 0 {
		t.Fatalf("no cases %v", want)
	}
}

func TestHistorySalvageSaysWhatWasLost(t *testing.T) {
	tried := 0
	for _, c := range historytest.Damaged(t, t.TempDir()) {
		if !c.InUse || c.Name == "0 bytes" || c.Name == "a text file" || tried == 4 {
			continue
		}
		tried++
		dst := c.Path + ".new"
		code, out, stderr := runVerb(t, cmdHistory, "salvage", c.Path, dst)
		noCrash(t, "salvage", stderr)
		if code != ExitOK || !strings.Contains(out, "lost:") {
			t.Errorf("%s: exit %d\n%s%s", c.Name, code, out, stderr)
		}
		if code, out, _ := runVerb(t, cmdHistory, "check", dst); code != ExitOK {
			t.Errorf("%s: the salvaged file fails its check:\n%s", c.Name, out)
		}
		if code, _, stderr := runVerb(t, cmdHistory, "salvage", c.Path, dst); code != ExitFailure || !strings.Contains(stderr, "exists") {
			t.Errorf("salvage over an existing file: exit %d %s", code, stderr)
		}
	}
}
