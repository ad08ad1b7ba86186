package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource/access"
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
