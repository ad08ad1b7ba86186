package login

import (
	"errors"
	"fmt"
	"slices"
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

// Manager is the login of one window: its header part and its dialogs. The
// session is the station's, shared by every window's Manager (Join): one
// operator is logged in at the station, whichever window they used, and
// logging in or out in one window does it in all (issue 16). Session, User
// and Can are safe for concurrent use; everything else must be called on
// the UI goroutine.
type Manager struct {
	deps   Deps
	single bool // single-operator mode: always logged in, no dialog
	st     *shared

	name   *widget.Label  // "alice (operator)" or "not logged in"
	notice *widget.Label  // why the last session ended, or an audit failure
	button *widget.Button // Log in / Log out
	obj    fyne.CanvasObject

	dlg  *loginDialog // the open login dialog, nil when none
	sign *signPrompt  // the open signature prompt, nil when none
	wg   sync.WaitGroup
}

// shared is the login state of a station: the session and every window's
// Manager, which all show it.
type shared struct {
	mu      sync.Mutex      // guards session
	session *access.Session // nil when logged out
	views   []*Manager      // UI goroutine only
}

// New returns the Manager of d.Directory, for the station's first window. In single-operator mode it is
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
	m := newView(d, &shared{})
	if m.single {
		m.startSingle()
	}
	m.show(d.Now())
	return m
}

// newView makes the header part of a window on the station state st.
func newView(d Deps, st *shared) *Manager {
	m := &Manager{deps: d, single: d.Directory.SingleOperator(), st: st}
	m.name = widget.NewLabel("")
	m.notice = widget.NewLabel("")
	m.button = widget.NewButton("Log in", m.buttonTapped)
	m.obj = container.NewHBox(widget.NewIcon(fynetheme.AccountIcon()), m.name, m.notice, m.button)
	st.views = append(st.views, m)
	return m
}

// Join returns the Manager of another window of the same station: its own
// header part, with its dialogs opening on win, showing the station's
// session. onChange is that window's Deps.OnChange; every window's is
// called after a login or logout made in any of them. UI goroutine only.
func (m *Manager) Join(win fyne.Window, onChange func(*access.Session)) *Manager {
	d := m.deps
	d.Window, d.OnChange = win, onChange
	v := newView(d, m.st)
	v.notice.SetText(m.notice.Text)
	v.show(d.Now())
	return v
}

// Leave takes a closed window's Manager off the station: it is told of no
// later change. The session stays. UI goroutine only.
func (m *Manager) Leave() {
	for i, v := range m.st.views {
		if v == m {
			m.st.views = append(m.st.views[:i], m.st.views[i+1:]...)
			return
		}
	}
}

// setNotice shows text (why the last session ended, an audit failure) in
// every window's header.
func (m *Manager) setNotice(text string) {
	for _, v := range m.st.views {
		if v.notice.Text != text {
			v.notice.SetText(text)
		}
	}
}

// startSingle opens the operator's session of single-operator mode, which
// asks for no password.
func (m *Manager) startSingle() {
	s, err := m.deps.Directory.Authenticate(access.SingleOperatorUser, "")
	if err != nil { // Authenticate promises none in this mode; say it if it changes
		m.setNotice(err.Error())
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
	m.st.mu.Lock()
	defer m.st.mu.Unlock()
	return m.st.session
}

func (m *Manager) setSession(s *access.Session) {
	m.st.mu.Lock()
	m.st.session = s
	m.st.mu.Unlock()
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
	m.setNotice(notice)
	m.record(func(r Recorder) error { return r.Logout(s.User(), reason) })
	m.changed()
}

// loggedIn makes s the session, ending and recording the one it replaces
// (another user taking over the panel, or the same user logging in again).
func (m *Manager) loggedIn(s *access.Session) {
	m.setNotice("")
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
		m.setNotice("not recorded in the audit trail: " + err.Error())
	}
}

// changed repaints every window's header and tells every window's owner.
func (m *Manager) changed() {
	s := m.Session()
	for _, v := range slices.Clone(m.st.views) { // an OnChange may close a window
		v.show(v.deps.Now())
		if v.deps.OnChange != nil {
			v.deps.OnChange(s)
		}
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
