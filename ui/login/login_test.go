package login

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/audit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// cheap keeps password hashing fast in tests; real users files use
// access.DefaultHashParams.
var cheap = access.HashParams{Memory: 64, Time: 1, Threads: 1}

var t0 = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)

const password = "correct horse"

// rig is a Manager in a test window over a real users directory and a real
// audit chain in a history file, with a fake clock. Password checks land
// in results; settle runs them on the test goroutine, as fyne.Do would on
// the UI goroutine.
type rig struct {
	t       *testing.T
	m       *Manager
	win     fyne.Window
	clk     *clockwork.FakeClock
	store   *history.Store
	results chan func()
	changes []*access.Session // what OnChange was called with
}

// newRig makes alice (operator, area Tanks) and vic (viewer) with a
// lockout after 3 failures for 15 min and an idle logoff after 10 min; or
// a project without users when single is true.
func newRig(t *testing.T, single bool) *rig {
	t.Helper()
	test.NewTempApp(t)
	r := &rig{t: t, win: test.NewTempWindow(t, nil), clk: clockwork.NewFakeClockAt(t0), results: make(chan func(), 1)}
	r.win.Resize(fyne.NewSize(1000, 600))
	opts := access.Options{Clock: r.clk, Hash: cheap}
	dir := access.SingleOperator(opts)
	if !single {
		dir = access.New(filepath.Join(t.TempDir(), "plant.users.yaml"), opts)
		for _, u := range []struct {
			name  string
			role  access.Role
			areas []string
		}{{"alice", access.Operator, []string{"Tanks"}}, {"vic", access.Viewer, nil}} {
			if err := dir.Add(u.name, u.role, u.areas, password); err != nil {
				t.Fatal(err)
			}
		}
		dir.SetPolicy(access.Policy{LockoutAfter: 3, LockoutFor: 15 * time.Minute, IdleLogoff: 10 * time.Minute})
	}
	var err error
	r.store, err = history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{NoSync: true, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.store.Close(); err != nil {
			t.Error(err)
		}
	})
	chain, err := audit.NewChain(context.Background(), r.store, audit.Options{Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	r.m = New(Deps{Directory: dir, Audit: audit.NewAuditor(chain), Window: r.win, Now: r.clk.Now,
		Do:       func(f func()) { r.results <- f },
		OnChange: func(s *access.Session) { r.changes = append(r.changes, s) }})
	t.Cleanup(r.m.Close)
	r.win.SetContent(r.m.Widget())
	return r
}

// walk visits o and everything inside it until visit returns true.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) bool {
	if visit(o) {
		return true
	}
	var kids []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		kids = x.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	}
	for _, k := range kids {
		if walk(k, visit) {
			return true
		}
	}
	return false
}

// button finds the visible button labelled text in o, nil when none.
func button(o fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	walk(o, func(x fyne.CanvasObject) bool {
		b, ok := x.(*widget.Button)
		if ok && b.Text == text && b.Visible() {
			found = b
		}
		return found != nil
	})
	return found
}

// field finds the entry showing placeholder in o, nil when none.
func field(o fyne.CanvasObject, placeholder string) *entry {
	var found *entry
	walk(o, func(x fyne.CanvasObject) bool {
		e, ok := x.(*entry)
		if ok && e.PlaceHolder == placeholder {
			found = e
		}
		return found != nil
	})
	return found
}

// texts is the text a user reads in o (labels, and the form's field
// names), one per line; buttons and entries are left out.
func texts(o fyne.CanvasObject) string {
	var b strings.Builder
	var read func(o fyne.CanvasObject)
	read = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *widget.Label:
			if x.Text != "" {
				b.WriteString(x.Text + "\n")
			}
		case *canvas.Text:
			b.WriteString(x.Text + "\n")
		case *widget.Button, *entry:
		case *fyne.Container:
			for _, k := range x.Objects {
				read(k)
			}
		case fyne.Widget:
			for _, k := range test.WidgetRenderer(x).Objects() {
				read(k)
			}
		}
	}
	if o != nil {
		read(o)
	}
	return b.String()
}

// dialog is the open dialog, nil when none.
func (r *rig) dialog() fyne.CanvasObject { return r.win.Canvas().Overlays().Top() }

// header is what the header part says.
func (r *rig) header() string { return texts(r.m.Widget()) }

// tap taps the visible button labelled text in o, failing when there is none.
func (r *rig) tap(o fyne.CanvasObject, text string) {
	r.t.Helper()
	b := button(o, text)
	if b == nil {
		r.t.Fatalf("no %q button in %q", text, texts(o))
	}
	test.Tap(b)
}

// press sends key to e as a keyboard would.
func press(e *entry, key fyne.KeyName) { e.TypedKey(&fyne.KeyEvent{Name: key}) }

// login opens the dialog from the header's Log in button, types name and
// pw, presses Enter and waits for the check's result.
func (r *rig) login(name, pw string) {
	r.t.Helper()
	if r.dialog() == nil {
		r.tap(r.m.Widget(), "Log in")
	}
	d := r.dialog()
	if d == nil {
		r.t.Fatal("Log in opens no dialog")
	}
	user := field(d, "user name")
	user.SetText("") // a refused login leaves the name; the user retypes it
	test.Type(user, name)
	pwField := field(d, "password")
	test.Type(pwField, pw)
	press(pwField, fyne.KeyReturn)
	r.settle()
}

// settle waits for a password check and shows its result.
func (r *rig) settle() {
	r.t.Helper()
	select {
	case f := <-r.results:
		f()
	case <-time.After(10 * time.Second):
		r.t.Fatal("the password check never finished")
	}
}

// journal is the audit trail as "name state user reason" lines, without
// the chain's genesis record.
func (r *rig) journal() []string {
	r.t.Helper()
	evs, err := r.store.Events(context.Background(), time.Time{}, t0.Add(24*time.Hour), "", 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Name == audit.ActGenesis {
			continue
		}
		out = append(out, strings.Join([]string{e.Name, e.State, e.User, e.Data["reason"]}, " "))
	}
	return out
}

func (r *rig) wantJournal(want ...string) {
	r.t.Helper()
	if got := r.journal(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		r.t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoginShowsTheUserAndRoleAndTellsTheShell(t *testing.T) {
	r := newRig(t, false)
	if got := r.header(); got != "not logged in\n" {
		t.Errorf("header before login = %q", got)
	}
	if r.m.Session() != nil || r.m.User() != "" {
		t.Error("a session before anyone logged in")
	}
	r.login("alice", password)
	if r.dialog() != nil {
		t.Error("the dialog stays open after a successful login")
	}
	if got := r.header(); got != "alice (operator)\n" {
		t.Errorf("header = %q, want alice (operator)", got)
	}
	if button(r.m.Widget(), "Log out") == nil {
		t.Error("no Log out button while logged in")
	}
	if len(r.changes) != 1 || r.changes[0] == nil || r.changes[0].User() != "alice" {
		t.Errorf("OnChange calls %v, want one with alice's session", r.changes)
	}
	if r.m.User() != "alice" {
		t.Errorf("User() = %q", r.m.User())
	}
	r.wantJournal("login ok alice ")
}

func TestEnterInTheUserFieldMovesToThePassword(t *testing.T) {
	r := newRig(t, false)
	r.tap(r.m.Widget(), "Log in")
	user := field(r.dialog(), "user name")
	test.Type(user, "alice")
	press(user, fyne.KeyReturn)
	if f := r.win.Canvas().Focused(); f != field(r.dialog(), "password") {
		t.Errorf("focus after Enter in the user field is on %T, want the password field", f)
	}
}

func TestRefusedLoginsShowTheSameMessageAndAreAudited(t *testing.T) {
	cases := []struct {
		name, user, pw, reason string
	}{
		{"a wrong password is refused", "alice", "wrong horse", "wrong password"},
		{"an unknown user reads like a wrong password", "mallory", "wrong horse", "unknown user"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, false)
			r.login(c.user, c.pw)
			d := r.dialog()
			if d == nil {
				t.Fatal("the dialog closed after a refused login")
			}
			want := `login as "` + c.user + `" refused: wrong user name or password` + "\n(2 more attempts before the name is locked)"
			if got := texts(d); !strings.Contains(got, want) {
				t.Errorf("dialog says %q, want %q", got, want)
			}
			if field(d, "password").Text != "" {
				t.Error("the refused password stays in the field")
			}
			if r.m.Session() != nil || len(r.changes) != 0 {
				t.Error("a refused login opened a session")
			}
			r.wantJournal("login_failed refused " + c.user + " " + c.reason)
		})
	}
}

func TestLockoutIsShownWithItsTimeLeft(t *testing.T) {
	r := newRig(t, false)
	for range 3 {
		r.login("alice", "wrong horse")
	}
	if got := texts(r.dialog()); !strings.Contains(got, `user "alice" is locked after too many failed logins until`) ||
		!strings.Contains(got, "(15 min left)") {
		t.Errorf("after 3 failures the dialog says %q, want the lockout with 15 min left", got)
	}
	r.clk.Advance(5*time.Minute + 30*time.Second)
	r.login("alice", password) // the right password, refused while locked
	if got := texts(r.dialog()); !strings.Contains(got, "is locked") || !strings.Contains(got, "(10 min left)") {
		t.Errorf("the right password while locked: dialog says %q, want the lockout with 10 min left", got)
	}
	if r.m.Session() != nil {
		t.Error("a locked user logged in")
	}
	r.clk.Advance(10 * time.Minute)
	r.login("alice", password)
	if r.m.User() != "alice" {
		t.Errorf("after the lockout: user %q, dialog %q", r.m.User(), texts(r.dialog()))
	}
	r.wantJournal(
		"login_failed refused alice wrong password",
		"login_failed refused alice wrong password",
		"login_failed refused alice locked",
		"login_failed refused alice locked",
		"login ok alice ")
}

func TestEmptyFieldsAreRefusedWithoutAnAttempt(t *testing.T) {
	r := newRig(t, false)
	r.tap(r.m.Widget(), "Log in")
	r.tap(r.dialog(), "Log in")
	if got := texts(r.dialog()); !strings.Contains(got, "type your user name and password") {
		t.Errorf("dialog says %q", got)
	}
	r.wantJournal()
}

func TestCancelAndEscCloseTheLoginDialog(t *testing.T) {
	r := newRig(t, false)
	r.tap(r.m.Widget(), "Log in")
	r.tap(r.dialog(), "Cancel")
	if r.dialog() != nil {
		t.Error("Cancel leaves the dialog open")
	}
	r.tap(r.m.Widget(), "Log in")
	press(field(r.dialog(), "user name"), fyne.KeyEscape)
	if r.dialog() != nil {
		t.Error("Esc leaves the dialog open")
	}
	r.wantJournal()
}

func TestIdleSessionIsLoggedOffAndAudited(t *testing.T) {
	r := newRig(t, false)
	r.login("alice", password)
	r.clk.Advance(5 * time.Minute)
	r.m.Touch() // activity postpones the logoff to 06:15
	r.clk.Advance(9*time.Minute + 15*time.Second)
	r.m.Tick(r.clk.Now())
	if got := r.header(); got != "alice (operator) · idle: logs off in 45 s\n" {
		t.Errorf("header 45 s before the logoff = %q", got)
	}
	r.clk.Advance(45 * time.Second)
	r.m.Tick(r.clk.Now())
	if got := r.header(); got != "not logged in\nalice was logged off after 10 min without activity\n" {
		t.Errorf("header after the idle logoff = %q", got)
	}
	if r.m.Session() != nil {
		t.Error("the idle session is still the Manager's")
	}
	if len(r.changes) != 2 || r.changes[1] != nil {
		t.Errorf("OnChange calls %v, want the session then nil", r.changes)
	}
	r.wantJournal("login ok alice ", "logout ok alice idle")
	r.m.Tick(r.clk.Now())
	if len(r.journal()) != 2 {
		t.Error("a second tick recorded the logoff again")
	}
}

func TestLogoutButtonEndsTheSessionAndIsAudited(t *testing.T) {
	r := newRig(t, false)
	r.login("alice", password)
	s := r.m.Session()
	r.tap(r.m.Widget(), "Log out")
	if r.header() != "not logged in\n" || button(r.m.Widget(), "Log in") == nil {
		t.Errorf("header after logout = %q", r.header())
	}
	if ended, why := s.Ended(); !ended || why != "logout" {
		t.Errorf("session ended = %v (%s), want a logout", ended, why)
	}
	if len(r.changes) != 2 || r.changes[1] != nil {
		t.Errorf("OnChange calls %v, want the session then nil", r.changes)
	}
	r.wantJournal("login ok alice ", "logout ok alice logout")
}

func TestAnotherUserLoggingInEndsTheFirstSession(t *testing.T) {
	r := newRig(t, false)
	r.login("alice", password)
	alice := r.m.Session()
	r.m.ShowLogin()
	r.login("vic", password)
	if r.m.User() != "vic" {
		t.Fatalf("user %q after vic logged in", r.m.User())
	}
	if ended, _ := alice.Ended(); !ended {
		t.Error("alice's session is still open")
	}
	r.wantJournal("login ok alice ", "logout ok alice logout", "login ok vic ")
}

func TestCanRefusesWithAMessageToShow(t *testing.T) {
	r := newRig(t, false)
	tank := &datasource.Tag{Name: "Tank1.LevelSP", Group: "Tanks"}
	if err := r.m.Can(access.PermWrite, tank); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("nobody logged in: %v", err)
	}
	r.login("vic", password)
	if err := r.m.Can(access.PermWrite, tank); !errors.Is(err, access.ErrPermission) {
		t.Errorf("a viewer writing: %v", err)
	}
	r.tap(r.m.Widget(), "Log out")
	r.login("alice", password)
	if err := r.m.Can(access.PermWrite, tank); err != nil {
		t.Errorf("an operator writing in her area: %v", err)
	}
}

func TestSingleOperatorModeNeedsNoLogin(t *testing.T) {
	r := newRig(t, true)
	if got := r.header(); got != "operator (operator) · single-operator mode\n" {
		t.Errorf("header = %q", got)
	}
	if button(r.m.Widget(), "Log in") != nil || button(r.m.Widget(), "Log out") != nil {
		t.Error("a Log in or Log out button in single-operator mode")
	}
	if r.m.User() != access.SingleOperatorUser {
		t.Errorf("user %q", r.m.User())
	}
	r.m.ShowLogin()
	r.m.Logout("logout")
	r.clk.Advance(24 * time.Hour)
	r.m.Tick(r.clk.Now())
	if r.dialog() != nil || r.m.User() != access.SingleOperatorUser {
		t.Errorf("after login, logout and a day idle: dialog %v, user %q", r.dialog(), r.m.User())
	}
	signed := []string{}
	r.m.Reauthenticate("write Tank1.LevelSP = 55 %", func(pw string) { signed = append(signed, pw) })
	if len(signed) != 1 || signed[0] != "" || r.dialog() != nil {
		t.Errorf("a signature without users: calls %q, dialog %v; want one call with no password and no prompt", signed, r.dialog())
	}
	r.wantJournal()
}

func TestSignaturePromptPassesThePasswordOnAndCancelDoesNothing(t *testing.T) {
	const action = "write Tank1.LevelSP: 50.0 % → 55.0 %"
	cases := []struct {
		name  string
		do    func(r *rig, pw *entry)
		calls []string
	}{
		{"Enter signs with the typed password", func(r *rig, pw *entry) {
			test.Type(pw, "correct horse")
			press(pw, fyne.KeyReturn)
		}, []string{"correct horse"}},
		{"the Sign button signs", func(r *rig, pw *entry) {
			test.Type(pw, "wrong horse")
			r.tap(r.dialog(), "Sign")
		}, []string{"wrong horse"}},
		{"Cancel calls nothing", func(r *rig, pw *entry) {
			test.Type(pw, "correct horse")
			r.tap(r.dialog(), "Cancel")
		}, nil},
		{"Esc calls nothing", func(r *rig, pw *entry) {
			test.Type(pw, "correct horse")
			press(pw, fyne.KeyEscape)
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, false)
			r.login("alice", password)
			var calls []string
			r.m.Reauthenticate(action, func(pw string) { calls = append(calls, pw) })
			d := r.dialog()
			if d == nil {
				t.Fatal("no signature prompt")
			}
			if got := texts(d); !strings.Contains(got, action) || !strings.Contains(got, "Password of alice") {
				t.Errorf("prompt says %q, want the action and whose password", got)
			}
			c.do(r, field(d, "password"))
			if r.dialog() != nil {
				t.Error("the prompt is still open")
			}
			if strings.Join(calls, ",") != strings.Join(c.calls, ",") {
				t.Errorf("then called with %q, want %q", calls, c.calls)
			}
		})
	}
}

func TestSignatureNeedsAPassword(t *testing.T) {
	r := newRig(t, false)
	r.login("alice", password)
	called := false
	r.m.Reauthenticate("write Tank1.LevelSP", func(string) { called = true })
	r.tap(r.dialog(), "Sign")
	if called {
		t.Error("signed without a password")
	}
	if got := texts(r.dialog()); !strings.Contains(got, "type your password to sign") {
		t.Errorf("prompt says %q", got)
	}
}

func TestSignatureWhileLoggedOutOpensTheLogin(t *testing.T) {
	r := newRig(t, false)
	called := false
	r.m.Reauthenticate("write Tank1.LevelSP", func(string) { called = true })
	if called || field(r.dialog(), "user name") == nil {
		t.Errorf("logged out: then called %v, dialog %q; want the login dialog", called, texts(r.dialog()))
	}
}

func TestSpanReadsLikeAnOperatorSaysIt(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{45 * time.Second, "45 s"}, {59500 * time.Millisecond, "60 s"}, {time.Minute, "1 min"},
		{14*time.Minute + time.Second, "15 min"}, {15 * time.Minute, "15 min"}} {
		if got := span(c.d); got != c.want {
			t.Errorf("span(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestOneLoginForEveryWindowOfTheStation is issue 16: a second window of
// the station (Ctrl+N) shows the session of the first, a login made in it
// is the station's, and a logout or idle logoff in one window reaches the
// other windows, with one audit record each.
func TestOneLoginForEveryWindowOfTheStation(t *testing.T) {
	r := newRig(t, false)
	win2 := test.NewTempWindow(t, nil)
	win2.Resize(fyne.NewSize(1000, 600))
	var changes2 []*access.Session
	m2 := r.m.Join(win2, func(s *access.Session) { changes2 = append(changes2, s) })
	t.Cleanup(m2.Close)
	win2.SetContent(m2.Widget())
	if got := texts(m2.Widget()); got != "not logged in\n" {
		t.Errorf("second window's header before login = %q", got)
	}

	// Log in in the second window: its dialog opens there, not in the first.
	r.tap(m2.Widget(), "Log in")
	if r.dialog() != nil || win2.Canvas().Overlays().Top() == nil {
		t.Fatal("the second window's Log in opened no dialog in the second window")
	}
	d := win2.Canvas().Overlays().Top()
	test.Type(field(d, "user name"), "alice")
	pw := field(d, "password")
	test.Type(pw, password)
	press(pw, fyne.KeyReturn)
	r.settle()
	for i, m := range []*Manager{r.m, m2} {
		if got := texts(m.Widget()); got != "alice (operator)\n" {
			t.Errorf("window %d header after login in window 2 = %q", i+1, got)
		}
		if m.User() != "alice" || button(m.Widget(), "Log out") == nil {
			t.Errorf("window %d: user %q, Log out button %v", i+1, m.User(), button(m.Widget(), "Log out") != nil)
		}
	}
	if len(r.changes) != 1 || len(changes2) != 1 || r.changes[0] != changes2[0] {
		t.Errorf("OnChange: window 1 %v, window 2 %v; want the same session once in each", r.changes, changes2)
	}

	// Activity in one window keeps the station's session: idle logoff
	// counts from the last input in any window.
	r.clk.Advance(9 * time.Minute)
	m2.Touch()
	r.clk.Advance(9 * time.Minute)
	r.m.Tick(r.clk.Now())
	if r.m.Session() == nil {
		t.Fatal("activity in window 2 did not keep the session open in window 1")
	}

	// Log out in the first: the second window is logged out too.
	r.tap(r.m.Widget(), "Log out")
	if got := texts(m2.Widget()); got != "not logged in\n" || m2.Session() != nil || button(m2.Widget(), "Log in") == nil {
		t.Errorf("second window after logout in the first: header %q, session %v", got, m2.Session())
	}
	if len(changes2) != 2 || changes2[1] != nil {
		t.Errorf("window 2 OnChange %v, want the session then nil", changes2)
	}

	// Idle logoff noticed by one window's tick is shown, with its reason,
	// in every window, and recorded once.
	r.login("alice", password)
	r.clk.Advance(11 * time.Minute)
	m2.Tick(r.clk.Now())
	r.m.Tick(r.clk.Now())
	want := "not logged in\nalice was logged off after 10 min without activity\n"
	for i, m := range []*Manager{r.m, m2} {
		if got := texts(m.Widget()); got != want {
			t.Errorf("window %d after the idle logoff = %q, want %q", i+1, got, want)
		}
	}
	r.wantJournal("login ok alice ", "logout ok alice logout", "login ok alice ", "logout ok alice idle")

	// A closed window is told nothing more.
	m2.Leave()
	r.login("alice", password)
	if len(changes2) != 4 {
		t.Errorf("a window that left was told of a later login: %v", changes2)
	}
}
