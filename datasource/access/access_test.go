package access

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// cheap keeps the tests fast; real files use DefaultHashParams.
var cheap = HashParams{Memory: 64, Time: 1, Threads: 1}

var t0 = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)

// newDir makes a saved users file with alice (operator, area Tanks), vic
// (viewer), eng (engineer) and root (administrator), all with password
// "correct horse".
func newDir(t *testing.T) (*Directory, *clockwork.FakeClock) {
	t.Helper()
	clk := clockwork.NewFakeClockAt(t0)
	path := filepath.Join(t.TempDir(), "plant.users.yaml")
	d := New(path, Options{Clock: clk, Hash: cheap})
	for _, u := range []struct {
		name  string
		role  Role
		areas []string
	}{{"alice", Operator, []string{"Tanks"}}, {"vic", Viewer, nil}, {"eng", Engineer, nil}, {"root", Administrator, nil}} {
		if err := d.Add(u.name, u.role, u.areas, "correct horse"); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	d, err := Load(path, Options{Clock: clk, Hash: cheap})
	if err != nil {
		t.Fatal(err)
	}
	return d, clk
}

func TestSaveWritesAPrivateFileThatLoadsBack(t *testing.T) {
	d, _ := newDir(t)
	fi, err := os.Stat(d.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	users := d.Users()
	if len(users) != 4 || users[0].Name != "alice" || users[0].Role != Operator || users[0].Areas[0] != "Tanks" || users[3].Role != Administrator {
		t.Errorf("users %+v", users)
	}
	if !strings.HasPrefix(users[0].Hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q", users[0].Hash)
	}
	if d.Policy() != DefaultPolicy {
		t.Errorf("policy %+v", d.Policy())
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	good, err := HashPassword("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body string
		mode os.FileMode
		want []string
	}{
		{"a group-readable file is refused with the chmod that fixes it", "users: []\n", 0o640,
			[]string{"plant.users.yaml has mode 0640", "chmod 600 ", "plant.users.yaml"}},
		{"a world-writable file is refused", "users: []\n", 0o602, []string{"mode 0602", "chmod 600"}},
		{"a broken YAML line is refused with its line", "users:\n  - name: alice\n    role: [operator\n", 0o600,
			[]string{"plant.users.yaml", "line"}},
		{"an unknown role names file, line and field", "users:\n  - name: alice\n    role: boss\n    hash: " + good + "\n", 0o600,
			[]string{"plant.users.yaml:3: users[0].role: unknown role \"boss\""}},
		{"a missing hash is required", "users:\n  - name: alice\n    role: operator\n", 0o600,
			[]string{":2: users[0].hash: required"}},
		{"a mangled hash is refused without echoing it", "users:\n  - {name: alice, role: operator, hash: \"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$c2VjcmV0\"}\n", 0o600,
			[]string{":2: users[0].hash: not an argon2id", "vigil user passwd"}},
		{"an unknown field is an error", "users: []\nadmins: [x]\n", 0o600, []string{":2: unknown field \"admins\""}},
		{"a user listed twice is an error", "users:\n  - {name: a, role: viewer, hash: \"" + good + "\"}\n  - {name: a, role: viewer, hash: \"" + good + "\"}\n", 0o600,
			[]string{":3: users[1].name: user \"a\" is listed twice"}},
		{"a bad duration is an error", "idle_logoff: soon\n", 0o600, []string{":1: idle_logoff: want a duration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plant.users.yaml")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, Options{Hash: cheap})
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "c2VjcmV0") {
				t.Errorf("error %q shows the hash", err)
			}
		})
	}
}

func TestOpenWithoutUsersFileIsSingleOperator(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "none.users.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !d.SingleOperator() {
		t.Fatal("not single-operator")
	}
	s, err := d.Authenticate("anyone", "")
	if err != nil {
		t.Fatal(err)
	}
	critical := &datasource.Tag{Name: "Valve.Open", Critical: true}
	if s.User() != SingleOperatorUser || s.Role() != Operator || s.AuthorizeWrite(critical, "") != nil {
		t.Errorf("session %s/%s", s.User(), s.Role())
	}
	if err := s.Can(PermOutOfService, critical); !errors.Is(err, ErrPermission) {
		t.Errorf("out of service in single-operator mode: %v", err)
	}
	if err := d.Authorize(SingleOperatorUser, PermAcknowledge, critical); err != nil {
		t.Errorf("ack: %v", err)
	}
}

func TestLoginLockoutAndUnlock(t *testing.T) {
	d, clk := newDir(t)
	if _, err := d.Authenticate("alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	var le *LoginError
	_, err := d.Authenticate("alice", "hunter22")
	if !errors.As(err, &le) || le.UnknownUser || le.Remaining != 4 || !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "hunter22") {
		t.Errorf("the password is in the message %q", err)
	}
	_, err = d.Authenticate("mallory", "x")
	if !errors.As(err, &le) || !le.UnknownUser || err.Error() != `login as "mallory" refused: wrong user name or password` {
		t.Errorf("unknown user: %v", err)
	}
	for range 3 {
		if _, err := d.Authenticate("alice", "nope"); !errors.Is(err, ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	_, err = d.Authenticate("alice", "nope")
	var lk *LockedError
	if !errors.As(err, &lk) || !lk.Until.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("fifth failure: %v", err)
	}
	if _, err := d.Authenticate("alice", "correct horse"); !errors.Is(err, ErrLocked) {
		t.Errorf("the right password while locked: %v", err)
	}
	clk.Advance(15 * time.Minute)
	if _, err := d.Authenticate("alice", "correct horse"); err != nil {
		t.Errorf("after the lockout: %v", err)
	}
}

func TestPermissions(t *testing.T) {
	d, _ := newDir(t)
	tank := &datasource.Tag{Name: "Tank1.LevelSP", Group: "Tanks"}
	pump := &datasource.Tag{Name: "Pump1.SpeedSP", Group: "Pumps"}
	tests := []struct {
		name string
		user string
		perm Permission
		tag  *datasource.Tag
		want string // "" allowed
	}{
		{"an operator writes a setpoint in her area", "alice", PermWrite, tank, ""},
		{"an operator may not write outside her areas", "alice", PermWrite, pump, `user "alice" (operator) may not write setpoint on Pump1.SpeedSP: area "Pumps" is not one of the user's areas`},
		{"a viewer may not write", "vic", PermWrite, tank, `user "vic" (viewer) may not write setpoint on Tank1.LevelSP; nothing was done`},
		{"a viewer may not acknowledge", "vic", PermAcknowledge, tank, `user "vic" (viewer) may not acknowledge on Tank1.LevelSP`},
		{"an operator may not take an alarm out of service", "alice", PermOutOfService, tank, `(operator) may not set out of service`},
		{"an engineer takes an alarm out of service anywhere", "eng", PermOutOfService, pump, ""},
		{"an engineer may not manage users", "eng", PermManageUsers, nil, `user "eng" (engineer) may not manage users; nothing was done`},
		{"an administrator manages users", "root", PermManageUsers, nil, ""},
		{"an operator exports whatever her areas", "alice", PermExport, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := d.Authenticate(tt.user, "correct horse")
			if err != nil {
				t.Fatal(err)
			}
			err = s.Can(tt.perm, tt.tag)
			if tt.want == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			var pe *PermissionError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCriticalWriteNeedsThePasswordAgain(t *testing.T) {
	d, _ := newDir(t)
	s, err := d.Authenticate("alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	valve := &datasource.Tag{Name: "Tank1.DrainValve", Group: "Tanks", Critical: true}
	if err := s.AuthorizeWrite(valve, ""); !errors.Is(err, ErrReauthRequired) {
		t.Errorf("no password: %v", err)
	}
	if err := s.AuthorizeWrite(valve, "wrong one"); !errors.Is(err, ErrBadCredentials) || strings.Contains(err.Error(), "wrong one") {
		t.Errorf("wrong password: %v", err)
	}
	if err := s.AuthorizeWrite(valve, "correct horse"); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := s.AuthorizeWrite(&datasource.Tag{Name: "Tank1.LevelSP", Group: "Tanks"}, ""); err != nil {
		t.Errorf("a plain tag: %v", err)
	}
	// Failed signatures count towards the lockout, which ends the session.
	for range 5 {
		_ = s.AuthorizeWrite(valve, "wrong one")
	}
	if err := s.AuthorizeWrite(valve, "correct horse"); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("after five wrong signatures: %v", err)
	}
}

func TestIdleLogoff(t *testing.T) {
	d, clk := newDir(t)
	s, err := d.Authenticate("eng", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(14 * time.Minute)
	if err := s.Touch(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(14 * time.Minute)
	if err := s.Can(PermWrite, nil); err != nil {
		t.Errorf("14 min after activity: %v", err)
	}
	if !s.IdleDeadline().Equal(clk.Now().Add(15 * time.Minute)) {
		t.Errorf("deadline %v", s.IdleDeadline())
	}
	clk.Advance(15 * time.Minute)
	if ended, why := s.Ended(); !ended || why != "idle" {
		t.Errorf("ended %v %q", ended, why)
	}
	if err := s.Can(PermWrite, nil); !errors.Is(err, ErrSessionEnded) || !strings.Contains(err.Error(), "logged off after 15m0s") {
		t.Errorf("after idling: %v", err)
	}
	if _, ok := d.Session("eng"); ok {
		t.Error("an idle session is still listed")
	}
}

func TestAuthorizeFollowsSessions(t *testing.T) {
	d, _ := newDir(t)
	a := d
	tank := &datasource.Tag{Name: "Tank1.Level", Group: "Tanks"}
	if err := a.Authorize("alice", PermAcknowledge, tank); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("not logged in: %v", err)
	}
	s, err := d.Authenticate("alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize("alice", PermShelve, tank); err != nil {
		t.Errorf("shelve: %v", err)
	}
	if err := a.Authorize("alice", PermOutOfService, tank); !errors.Is(err, ErrPermission) {
		t.Errorf("out of service: %v", err)
	}
	if _, err := d.Authenticate("vic", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize("vic", PermAcknowledge, tank); !errors.Is(err, ErrPermission) {
		t.Errorf("viewer ack: %v", err)
	}
	s.Logout()
	if err := a.Authorize("alice", PermAcknowledge, tank); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("after logout: %v", err)
	}
}

func TestAUserAtAnotherStationIsCheckedByRoleAndAreasWithoutASession(t *testing.T) {
	d, _ := newDir(t)
	a := d
	tank := &datasource.Tag{Name: "Tank1.Level", Group: "Tanks"}
	pump := &datasource.Tag{Name: "Pump1.Current", Group: "Pumps"}
	for _, c := range []struct {
		user string
		tag  *datasource.Tag
		ok   bool
	}{
		{RemoteUser("alice", "viewer1"), tank, true},  // an operator in her area
		{RemoteUser("alice", "viewer1"), pump, false}, // outside her areas
		{RemoteUser("vic", "viewer1"), tank, false},   // a viewer
		{RemoteUser("mallory", "viewer1"), tank, false},
	} {
		err := a.Authorize(c.user, PermAcknowledge, c.tag)
		if (err == nil) != c.ok {
			t.Errorf("%s acknowledging on %s: %v, want allowed %v", c.user, c.tag.Name, err, c.ok)
		}
	}
	if _, ok := d.Session("alice"); ok {
		t.Error("a remote check opened a local session")
	}
	if err := d.Add(RemoteUser("bob", "x"), Operator, nil, "long enough"); err == nil {
		t.Error("a local user name may contain the remote separator")
	}
}

func TestUserChanges(t *testing.T) {
	d, _ := newDir(t)
	if err := d.Add("alice", Viewer, nil, "long enough"); err == nil {
		t.Error("added alice twice")
	}
	if err := d.Add("bob", Viewer, nil, "short"); err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Errorf("short password: %v", err)
	}
	if err := d.Add("bad name", Viewer, nil, "long enough"); err == nil {
		t.Error("added a name with a space")
	}
	s, _ := d.Authenticate("vic", "correct horse")
	if err := d.SetPassword("vic", "new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate("vic", "correct horse"); err == nil {
		t.Error("the old password still works")
	}
	if err := d.Remove("vic"); err != nil {
		t.Fatal(err)
	}
	if ended, why := s.Ended(); !ended || why != "replaced" && why != "removed" {
		t.Errorf("session after removal: %v %q", ended, why)
	}
	if err := d.Remove("vic"); err == nil {
		t.Error("removed vic twice")
	}
}

func TestBcryptHashesFromOtherToolsWork(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "u.users.yaml")
	if err := os.WriteFile(path, []byte("users:\n  - {name: bob, role: operator, hash: '"+string(h)+"'}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate("bob", "correct horse"); err != nil {
		t.Error(err)
	}
	if _, err := d.Authenticate("bob", "wrong"); !errors.Is(err, ErrBadCredentials) {
		t.Error(err)
	}
}

func TestUsersPath(t *testing.T) {
	if got := UsersPath("/p/plant.yaml"); got != "/p/plant.users.yaml" {
		t.Error(got)
	}
}
