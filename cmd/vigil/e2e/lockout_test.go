package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource/access"
)

// TestTheLockoutHoldsAcrossProcesses runs the real binary once per login
// attempt, as a script or a patient attacker would: `vigil run --commands
// --user alice` with a wrong password until the lockout, then with the
// right one, which must still be refused because the count is in the
// lockout file beside the users file, not in the memory of one process.
func TestTheLockoutHoldsAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	bin := buildVigil(t, dir)
	proj := filepath.Join(dir, "plant.yaml")
	if err := os.WriteFile(proj, assets.Demo, 0o600); err != nil {
		t.Fatal(err)
	}
	users := access.New(access.UsersPath(proj), access.Options{Hash: access.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err := users.Add("alice", access.Operator, nil, "correct horse"); err != nil {
		t.Fatal(err)
	}
	users.SetPolicy(access.Policy{LockoutAfter: 3, LockoutFor: 10 * time.Minute, IdleLogoff: 15 * time.Minute})
	if err := users.Save(); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(dir, "h.db")
	login := func(password string) (code int, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, "run", proj, "--for", "3s", "--history", hist, "--commands", "--user", "alice")
		cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"))
		cmd.Stdin = strings.NewReader(password + "\nwrite Tank1.LevelSP 42\n")
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, errOut.String()
		case errors.As(err, &ee):
			return ee.ExitCode(), errOut.String()
		}
		t.Fatalf("vigil run: %v", err)
		return 0, ""
	}
	for i, want := range []string{"wrong user name or password", "wrong user name or password", "locked after too many failed logins"} {
		if code, stderr := login("wrong horse"); code != 1 || !strings.Contains(stderr, want) {
			t.Fatalf("process %d, wrong password: exit %d, stderr %q, want %q", i+1, code, stderr, want)
		}
	}
	if code, stderr := login("correct horse"); code != 1 || !strings.Contains(stderr, "locked after too many failed logins") {
		t.Fatalf("process 4, the right password during the lockout: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(access.LockoutPath(access.UsersPath(proj))); err != nil {
		t.Errorf("no lockout file beside the users file: %v", err)
	}
	out, err := exec.Command(bin, "audit", "export", hist).Output()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), "login_failed"); n != 4 {
		t.Errorf("%d failed logins in the audit trail, want 4:\n%s", n, out)
	}
}
