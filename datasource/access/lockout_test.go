package access

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTheLockoutHoldsAcrossDirectoriesOfOneUsersFile loads the users file
// twice, as two processes do: failures in one lock the name in the other
// until the lockout expires, and a good login in either clears the count.
func TestTheLockoutHoldsAcrossDirectoriesOfOneUsersFile(t *testing.T) {
	d1, clk := newDir(t)
	d2, err := Load(d1.Path(), Options{Clock: clk, Hash: cheap})
	if err != nil {
		t.Fatal(err)
	}
	p := d1.Policy() // the default: 5 in a row, 15 min
	for i := range p.LockoutAfter - 1 {
		d := []*Directory{d1, d2}[i%2]
		var le *LoginError
		if _, err := d.Authenticate("alice", "wrong horse"); !errors.As(err, &le) || le.Remaining != p.LockoutAfter-1-i {
			t.Fatalf("failure %d: %v, want %d attempts left", i+1, err, p.LockoutAfter-1-i)
		}
	}
	if _, err := d1.Authenticate("alice", "wrong horse"); !errors.Is(err, ErrLocked) {
		t.Fatalf("failure %d: %v, want the lockout", p.LockoutAfter, err)
	}
	fresh, err := Load(d1.Path(), Options{Clock: clk, Hash: cheap}) // a process started afterwards
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Directory{d2, fresh} {
		if _, err := d.Authenticate("alice", "correct horse"); !errors.Is(err, ErrLocked) {
			t.Fatalf("the right password in another process during the lockout: %v", err)
		}
	}
	clk.Advance(p.LockoutFor)
	if _, err := fresh.Authenticate("alice", "correct horse"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	if _, err := d2.Authenticate("alice", "wrong horse"); err == nil {
		t.Fatal("a wrong password passed")
	} else if le := new(LoginError); !errors.As(err, &le) || le.Remaining != p.LockoutAfter-1 {
		t.Errorf("after a good login the count starts again: %v", err)
	}
	fi, err := os.Stat(LockoutPath(d1.Path()))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("lockout file mode %v: others may read or change it", fi.Mode().Perm())
	}
}

// TestADamagedLockoutFileKeepsLoginsGoing overwrites the lockout file with
// text: logins still work, the failures count in the process, and a
// warning says so.
func TestADamagedLockoutFileKeepsLoginsGoing(t *testing.T) {
	d, clk := newDir(t)
	if err := os.WriteFile(LockoutPath(d.Path()), bytes.Repeat([]byte("not a bbolt file\n"), 400), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	d, err := Load(d.Path(), Options{Clock: clk, Hash: cheap, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for range d.Policy().LockoutAfter {
		_, err = d.Authenticate("vic", "wrong horse")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("the count in the process did not lock: %v", err)
	}
	if _, err := d.Authenticate("eng", "correct horse"); err != nil {
		t.Errorf("a good login with a damaged lockout file: %v", err)
	}
	if !strings.Contains(log.String(), "failed logins count in this process only") {
		t.Errorf("no warning:\n%s", log.String())
	}
}

func TestLockoutPathIsBesideTheUsersFile(t *testing.T) {
	if got := LockoutPath("/srv/plant.users.yaml"); got != "/srv/plant.users.logins.db" {
		t.Errorf("LockoutPath = %s", got)
	}
}

// BenchmarkFailedLogin measures what the shared count costs a failed
// login (open, update and close the lockout file), against the count in
// memory of a Directory without a users file path.
func BenchmarkFailedLogin(b *testing.B) {
	for _, shared := range []bool{false, true} {
		name := "memory"
		if shared {
			name = "lockout file"
		}
		b.Run(name, func(b *testing.B) {
			d := New("", Options{})
			if shared {
				d = New(filepath.Join(b.TempDir(), "p.users.yaml"), Options{})
			}
			d.SetPolicy(Policy{}) // never locks, so every call counts
			start := time.Now()
			for i := 0; i < b.N; i++ {
				_ = d.failed("alice", false)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/login")
		})
	}
}
