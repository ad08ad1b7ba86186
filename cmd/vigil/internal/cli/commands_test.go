package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/history/audit"
	"github.com/vigil-hmi/vigil/history/audit/audittest"
)

// TestRunCommandsWriteThroughTheAuditedWritePath runs the demo headless
// with --commands: a valid write lands and is read back, one outside the
// limits, an unknown tag and a malformed line are refused with a message,
// and the audit trail verifies with the writes in it.
func TestRunCommandsWriteThroughTheAuditedWritePath(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "h.db")
	commandInput = strings.NewReader("# a comment\nwrite Tank1.LevelSP 42 new recipe\nwrite Tank1.LevelSP 99\nwrite Nope 1\nset Tank1.LevelSP 1\nwrite Tank1.Auto maybe\n")
	t.Cleanup(func() { commandInput = passwordInput })
	code, out, errOut := runVerb(t, cmdRun, "demo", "--for", "4s", "--history", hist, "--commands")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"write Tank1.LevelSP: wrote 42.0, read back 42.0 Good",
		"write Tank1.LevelSP: Tank1.LevelSP: 99 % is outside the write limits 10 .. 90 %",
		`write Nope: tag "Nope" does not exist; nothing was written`,
		`command "set Tank1.LevelSP 1": want: write TAG VALUE [REASON...]`,
		`write Tank1.Auto: Tank1.Auto: "maybe": not a state`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := runVerb(t, cmdAudit, "verify", hist); code != ExitOK {
		t.Fatalf("audit verify: exit %d %s", code, errOut)
	}
	code, csv, _ := runVerb(t, cmdAudit, "export", hist)
	if code != ExitOK || !strings.Contains(csv, "new recipe") {
		t.Errorf("the audit trail lacks the write's reason:\n%s", csv)
	}
}

func TestRunCommandsNeedHistoryAndAUserWhereThereAreUsers(t *testing.T) {
	commandInput = strings.NewReader("write Tank1.LevelSP 42\n")
	t.Cleanup(func() { commandInput = passwordInput })
	code, _, errOut := runVerb(t, cmdRun, "demo", "--for", "1s", "--no-history", "--commands")
	if code != ExitFailure || !strings.Contains(errOut, "writes need the audit trail") {
		t.Errorf("without history: exit %d %q", code, errOut)
	}

	dir := t.TempDir()
	proj := filepath.Join(dir, "plant.yaml")
	if err := os.WriteFile(proj, assets.Demo, 0o600); err != nil {
		t.Fatal(err)
	}
	users := access.New(access.UsersPath(proj), access.Options{Hash: access.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err := users.Add("alice", access.Operator, nil, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if err := users.Save(); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(dir, "h.db")
	code, _, errOut = runVerb(t, cmdRun, proj, "--for", "1s", "--history", hist, "--commands")
	if code != ExitFailure || !strings.Contains(errOut, "give --user NAME") {
		t.Errorf("users but no --user: exit %d %q", code, errOut)
	}
	commandInput = strings.NewReader("wrong horse\nwrite Tank1.LevelSP 42\n")
	code, _, errOut = runVerb(t, cmdRun, proj, "--for", "1s", "--history", hist, "--commands", "--user", "alice")
	if code != ExitFailure || !strings.Contains(errOut, "wrong user name or password") {
		t.Errorf("a wrong password: exit %d %q", code, errOut)
	}
	commandInput = strings.NewReader("correct horse\nwrite Tank1.LevelSP 42\n")
	code, out, errOut := runVerb(t, cmdRun, proj, "--for", "3s", "--history", hist, "--commands", "--user", "alice")
	if code != ExitOK || !strings.Contains(out, "write Tank1.LevelSP: wrote 42.0, read back 42.0 Good") {
		t.Errorf("alice's write: exit %d %q\n%s", code, errOut, out)
	}
}

// TestALongCommandLineIsRefusedByNumberAndTheSessionGoesOn feeds the
// console a line over the limit between two writes: it is refused with
// its line number, and the write after it is still made.
func TestALongCommandLineIsRefusedByNumberAndTheSessionGoesOn(t *testing.T) {
	b := audittest.New(t)
	var out bytes.Buffer
	con := &console{rt: benchRuntime(b), out: &out, session: b.Login(t, "alice")}
	long := "write Tank1.LevelSP " + strings.Repeat("9", 70000)
	in := "write Tank1.LevelSP 20\n" + long + "\nwrite Tank1.LevelSP 42 after the long line\n"
	con.run(writeCtx(t), newLineReader(strings.NewReader(in)))
	for _, want := range []string{
		"write Tank1.LevelSP: wrote 20",
		fmt.Sprintf("line 2: %d bytes, longer than the 65536 a command may have; ignored", len(long)),
		"write Tank1.LevelSP: wrote 42",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%.300s", want, out.String())
		}
	}
	// The refused write is in the audit trail, between the two others.
	recs := b.Records(t)
	if len(recs) != 3 {
		t.Fatalf("%d write records, want 3", len(recs))
	}
	if r := recs[1]; r.State != audit.StateRefused || r.Source != "Tank1.LevelSP" || r.Data["old"] != "20" ||
		r.Data["new"] != fmt.Sprintf("(a line of %d bytes)", len(long)) || !strings.Contains(r.Message, "line 2:") {
		t.Errorf("record of the long line: %s %q %v", r.State, r.Message, r.Data)
	}
}

func TestTheLineReaderNumbersLinesAndSkipsLongOnes(t *testing.T) {
	l := newLineReader(strings.NewReader("12345678\r\n123456789\nabc\n\nlast"))
	l.max = 8
	type got struct {
		line string
		err  string
	}
	want := []got{{"12345678", ""}, {"", "line 2: 9 bytes, longer than the 8 a command may have; ignored"}, {"abc", ""}, {"", ""}, {"last", ""}}
	for i, w := range want {
		line, err := l.next()
		g := got{line: line}
		if err != nil {
			g.err = err.Error()
		}
		if g != w {
			t.Errorf("line %d: got %+v, want %+v", i+1, g, w)
		}
	}
	if _, err := l.next(); err != io.EOF {
		t.Errorf("after the last line: %v, want EOF", err)
	}
}
