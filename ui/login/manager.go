package login

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
)

// Recorder writes logins and logouts to the audit trail; *audit.Auditor
// satisfies it. Its errors are shown in the header: a login that could not
// be recorded must not pass silently.
type Recorder interface {
	Login(user string, err error, detail string) error
	Logout(user, reason string) error
}

// Deps is what a Manager needs from its owner.
type Deps struct {
	Directory *access.Directory // the project's users; required
	Audit     Recorder          // nil: nothing is recorded (tests, demos)
	Window    fyne.Window       // parent of the dialogs; nil: no dialogs open
	// Now is the clock of the Directory (access.Options.Clock), for the
	// time left of a lockout and before an idle logoff; nil: time.Now.
	Now func() time.Time
	// Do runs the result of a password check on the UI goroutine; nil:
	// fyne.Do.
	Do func(func())
	// OnChange is called on the UI goroutine after a login (with the new
	// session), a logout or an auto-logoff (with nil).
	OnChange func(s *access.Session)
}

// ErrNotLoggedIn refuses an action while nobody is logged in.
var ErrNotLoggedIn = errors.New("nobody is logged in: log in to do this")

// idleWarning is how long before an idle logoff the header starts counting
// down, so that the operator can touch the screen in time.
const idleWarning = time.Minute

// Manager is the login state of one window. Session, User and Can are safe
// for concurrent use; everything else must be called on the UI goroutine.
type Manager struct {
	deps   Deps
	single bool // single-operator mode: always logged in, no dialog

	mu      sync.Mutex      // guards session
	session *access.Session // nil when logged out

	name   *widget.Label  // "alice (operator)" or "not logged in"
	notice *widget.Label  // why the last session ended, or an audit failure
	button *widget.Button // Log in / Log out
	obj    fyne.CanvasObject

	dlg  *loginDialog // the open login dialog, nil when none
	sign *signPrompt  // the open signature prompt, nil when none
	wg   sync.WaitGroup
}

// New returns the Manager of d.Directory. In single-operator mode it is
// logged in from the start as access.SingleOperatorUser, without an audit
// record (nobody logged in) and without calling OnChange: the owner reads
// Session after New.
func New(d Deps) *Manager {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Do == nil {
		d.Do = fyne.Do
	}
	m := &Manager{deps: d, single: d.Directory.SingleOperator()}
	m.name = widget.NewLabel("")
	m.notice = widget.NewLabel("")
	m.button = widget.NewButton("Log in", m.buttonTapped)
	m.obj = container.NewHBox(widget.NewIcon(fynetheme.AccountIcon()), m.name, m.notice, m.button)
	if m.single {
		m.startSingle()
	}
	m.show(d.Now())
	return m
}

// startSingle opens the operator's session of single-operator mode, which
// asks for no password.
func (m *Manager) startSingle() {
	s, err := m.deps.Directory.Authenticate(access.SingleOperatorUser, "")
	if err != nil { // Authenticate promises none in this mode; say it if it changes
		m.notice.SetText(err.Error())
		return
	}
	m.setSession(s)
}

// Widget returns the header part: who is logged in and the Log in / Log
// out button (none in single-operator mode).
func (m *Manager) Widget() fyne.CanvasObject { return m.obj }

// Session returns the logged-in user's session, nil when nobody is. It
// can have ended since the last Tick; its methods then refuse with
// access.ErrSessionEnded.
func (m *Manager) Session() *access.Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.session
}

func (m *Manager) setSession(s *access.Session) {
	m.mu.Lock()
	m.session = s
	m.mu.Unlock()
}

// User returns the logged-in user's name, "" when nobody is. Its method
// value fits alarmview.Deps.User.
func (m *Manager) User() string {
	if s := m.Session(); s != nil {
		return s.User()
	}
	return ""
}

// Can returns nil when the logged-in user may take action p (on tag, nil
// for actions not on a tag), else the refusal to show verbatim:
// ErrNotLoggedIn, access.ErrSessionEnded or an *access.PermissionError.
// A permitted check counts as activity, so call it when the operator acts
// (opening a faceplate: CanWrite: m.Can(access.PermWrite, tag) == nil),
// not from a timer, which would keep an idle session open.
func (m *Manager) Can(p access.Permission, tag *datasource.Tag) error {
	s := m.Session()
	if s == nil {
		return ErrNotLoggedIn
	}
	return s.Can(p, tag)
}

// Touch records operator activity (a key press, a tap) and so postpones
// the idle logoff; it logs off at once a session that has already ended.
func (m *Manager) Touch() {
	if s := m.Session(); s != nil && s.Touch() != nil {
		m.Tick(m.deps.Now())
	}
}

// Tick is the shell's refresh: it logs off a session that has ended by
// itself (idle, locked by wrong signatures, the user removed), records it
// and says why in the header, and counts down the last minute before an
// idle logoff.
func (m *Manager) Tick(now time.Time) {
	s := m.Session()
	if s == nil {
		return
	}
	if ended, why := s.Ended(); ended {
		if m.single { // cannot happen today (no idle logoff, nobody replaces it); never leave the panel logged out
			m.startSingle()
			m.changed()
			return
		}
		m.loggedOut(s, why, endedText(s.User(), why, m.deps.Directory.Policy().IdleLogoff))
		return
	}
	m.show(now)
}

// Logout ends the session (the Log out button, with reason "logout") and
// records it. It does nothing in single-operator mode.
func (m *Manager) Logout(reason string) {
	s := m.Session()
	if s == nil || m.single {
		return
	}
	s.Logout()
	m.loggedOut(s, reason, "")
}

// loggedOut records the end of s, clears the session and tells the owner.
func (m *Manager) loggedOut(s *access.Session, reason, notice string) {
	m.setSession(nil)
	m.notice.SetText(notice)
	m.record(func(r Recorder) error { return r.Logout(s.User(), reason) })
	m.changed()
}

// loggedIn makes s the session, ending and recording the one it replaces
// (another user taking over the panel, or the same user logging in again).
func (m *Manager) loggedIn(s *access.Session) {
	m.notice.SetText("")
	if old := m.Session(); old != nil {
		old.Logout() // already ended ("replaced") when it is the same user
		_, why := old.Ended()
		m.record(func(r Recorder) error { return r.Logout(old.User(), why) })
	}
	m.record(func(r Recorder) error { return r.Login(s.User(), nil, "") })
	m.setSession(s)
	m.changed()
}

// record runs one audit call and shows its failure in the header.
func (m *Manager) record(call func(Recorder) error) {
	if m.deps.Audit == nil {
		return
	}
	if err := call(m.deps.Audit); err != nil {
		m.notice.SetText("not recorded in the audit trail: " + err.Error())
	}
}

// changed repaints the header and tells the owner.
func (m *Manager) changed() {
	m.show(m.deps.Now())
	if m.deps.OnChange != nil {
		m.deps.OnChange(m.Session())
	}
}

// show repaints the header for now.
func (m *Manager) show(now time.Time) {
	s := m.Session()
	text, button := "not logged in", "Log in"
	switch {
	case s == nil:
	case m.single:
		text, button = fmt.Sprintf("%s (%s) · single-operator mode", s.User(), s.Role()), ""
	default:
		text, button = fmt.Sprintf("%s (%s)", s.User(), s.Role()), "Log out"
		if dl := s.IdleDeadline(); !dl.IsZero() && dl.Sub(now) <= idleWarning {
			text += " · idle: logs off in " + span(dl.Sub(now))
		}
	}
	// Set only what changed: this runs at every refresh, and each change
	// repaints the window.
	if m.name.Text != text {
		m.name.SetText(text)
	}
	switch {
	case button == "":
		if m.button.Visible() {
			m.button.Hide()
		}
	case m.button.Text != button || !m.button.Visible():
		m.button.SetText(button)
		m.button.Show()
	}
}

func (m *Manager) buttonTapped() {
	if m.Session() != nil {
		m.Logout("logout")
		return
	}
	m.ShowLogin()
}

// Close waits for a password check in flight; the owner calls it when the
// window closes.
func (m *Manager) Close() { m.wg.Wait() }

// endedText says in the header why a session ended by itself.
func endedText(user, why string, idle time.Duration) string {
	switch why {
	case "idle":
		return fmt.Sprintf("%s was logged off after %s without activity", user, span(idle))
	case "locked":
		return fmt.Sprintf("%s was logged off: locked after wrong passwords", user)
	case "removed":
		return fmt.Sprintf("%s was logged off: the user was removed", user)
	case "replaced":
		return fmt.Sprintf("%s was logged off: logged in again elsewhere", user)
	}
	return fmt.Sprintf("%s was logged off (%s)", user, why)
}

// span is a duration as an operator reads it: whole minutes, rounded up,
// from one minute on ("15 min"), seconds below ("45 s").
func span(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", int((d+time.Second-1)/time.Second))
	}
	return fmt.Sprintf("%d min", int((d+time.Minute-1)/time.Minute))
}
