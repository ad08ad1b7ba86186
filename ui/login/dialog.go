package login

import (
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource/access"
)

// entry is a text entry that Esc cancels: a focused entry gets the keys
// before the canvas does, so the dialog cannot hear Esc otherwise.
type entry struct {
	widget.Entry
	onEsc func()
}

func newEntry(password bool, placeholder string, onEsc func()) *entry {
	e := &entry{onEsc: onEsc}
	e.Password = password // typed characters shown as dots, never echoed
	e.PlaceHolder = placeholder
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey implements fyne.Focusable: Esc cancels, the rest edits.
func (e *entry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && e.onEsc != nil {
		e.onEsc()
		return
	}
	e.Entry.TypedKey(ev)
}

// minWidth is the least width of a dialog.
const minWidth = 380

// modal is a dialog's popup: title, body, a message line for refusals and
// the buttons, right-aligned.
type modal struct {
	pop     *widget.PopUp
	message *widget.Label
}

func newModal(c fyne.Canvas, title string, body fyne.CanvasObject, buttons ...fyne.CanvasObject) *modal {
	heading := widget.NewLabel(title)
	heading.TextStyle.Bold = true
	// A dialog no narrower than minWidth, so that a password field is
	// wide enough to see what one types.
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(minWidth, 0))
	d := &modal{message: widget.NewLabel("")}
	d.message.Hide() // until there is something to say: no empty gap
	row := container.NewHBox(append([]fyne.CanvasObject{layout.NewSpacer()}, buttons...)...)
	d.pop = widget.NewModalPopUp(container.NewPadded(container.NewVBox(container.NewStack(width, heading), body, d.message, row)), c)
	return d
}

// say shows a message (a refusal, verbatim) and fits the popup to it.
func (d *modal) say(text string) {
	d.message.SetText(text)
	if text == "" {
		d.message.Hide()
	} else {
		d.message.Show()
	}
	d.pop.Resize(d.pop.Content.MinSize())
}

// loginDialog is the open login dialog.
type loginDialog struct {
	*modal
	user, password *entry
	submit, cancel *widget.Button
	busy           bool // a password check is in flight
}

// ShowLogin opens the login dialog: user name, password (Enter submits),
// Cancel and Log in. A refusal is shown verbatim (an unknown name reads
// like a wrong password), a lockout with the time left; every attempt is
// recorded. A successful login closes it and replaces the session. It does
// nothing in single-operator mode, without a window, or when it is open.
func (m *Manager) ShowLogin() {
	if m.single || m.dlg != nil || m.deps.Window == nil {
		return
	}
	c := m.deps.Window.Canvas()
	d := &loginDialog{}
	d.user = newEntry(false, "user name", m.cancelLogin)
	d.password = newEntry(true, "password", m.cancelLogin)
	d.user.OnSubmitted = func(string) { c.Focus(d.password) }
	d.password.OnSubmitted = func(string) { m.submitLogin() }
	d.cancel = widget.NewButton("Cancel", m.cancelLogin)
	d.submit = widget.NewButton("Log in", m.submitLogin)
	d.submit.Importance = widget.HighImportance
	form := widget.NewForm(widget.NewFormItem("User", d.user), widget.NewFormItem("Password", d.password))
	d.modal = newModal(c, "Log in to Vigil", form, d.cancel, d.submit)
	m.dlg = d
	d.pop.Show()
	c.Focus(d.user)
}

// cancelLogin closes the login dialog unless a check is in flight (a
// fraction of a second: its result must land somewhere).
func (m *Manager) cancelLogin() {
	if d := m.dlg; d != nil && !d.busy {
		d.pop.Hide()
		m.dlg = nil
	}
}

// submitLogin checks the typed name and password off the UI goroutine,
// because a password hash costs tens of milliseconds and 64 MiB by design,
// and shows the outcome on it.
func (m *Manager) submitLogin() {
	d := m.dlg
	if d == nil || d.busy {
		return
	}
	name, password := strings.TrimSpace(d.user.Text), d.password.Text
	if name == "" || password == "" {
		d.say("type your user name and password")
		return
	}
	d.setBusy(true)
	d.say("checking …")
	dir := m.deps.Directory
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		s, err := dir.Authenticate(name, password)
		m.deps.Do(func() { m.loginChecked(d, name, s, err) })
	}()
}

// loginChecked is the outcome of a login on the UI goroutine.
func (m *Manager) loginChecked(d *loginDialog, name string, s *access.Session, err error) {
	d.setBusy(false)
	if err != nil {
		m.record(func(r Recorder) error { return r.Login(name, err, "") })
		d.password.SetText("")
		d.say(refusalText(err, m.deps.Now))
		if m.dlg == d {
			m.deps.Window.Canvas().Focus(d.password)
		}
		return
	}
	if m.dlg == d {
		d.pop.Hide()
		m.dlg = nil
	}
	m.loggedIn(s)
}

func (d *loginDialog) setBusy(busy bool) {
	d.busy = busy
	for _, b := range []*widget.Button{d.submit, d.cancel} {
		if busy {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// refusalText is a login refusal as the operator reads it: the access
// error verbatim, with the time a lockout has left or the attempts left
// before one.
func refusalText(err error, now func() time.Time) string {
	var locked *access.LockedError
	var bad *access.LoginError
	switch {
	case errors.As(err, &locked):
		return fmt.Sprintf("%v\n(%s left)", err, span(locked.Until.Sub(now())))
	case errors.As(err, &bad) && bad.Remaining == 1:
		return fmt.Sprintf("%v\n(1 more attempt before the name is locked)", err)
	case errors.As(err, &bad) && bad.Remaining > 1:
		return fmt.Sprintf("%v\n(%d more attempts before the name is locked)", err, bad.Remaining)
	}
	return err.Error()
}

// signPrompt is the open signature prompt.
type signPrompt struct {
	*modal
	password     *entry
	cancel, sign *widget.Button
	then         func(password string)
}

// Reauthenticate asks the logged-in user for the password again before a
// critical action (an electronic signature, e.g. action "write
// Tank1.LevelSP = 55 %") and calls then with it on the UI goroutine; the
// caller passes it on (audit.WritePath, which checks it and
// records the outcome). Cancel and Esc call nothing. In single-operator
// mode there is no password: then("") is called at once, the caller's
// confirmation being the signature. Nobody logged in opens the login
// dialog instead.
func (m *Manager) Reauthenticate(action string, then func(password string)) {
	s := m.Session()
	switch {
	case s == nil:
		m.ShowLogin()
		return
	case m.single:
		then("")
		return
	case m.sign != nil || m.deps.Window == nil:
		return
	}
	c := m.deps.Window.Canvas()
	p := &signPrompt{then: then}
	p.password = newEntry(true, "password", m.cancelSign)
	p.password.OnSubmitted = func(string) { m.submitSign() }
	p.cancel = widget.NewButton("Cancel", m.cancelSign)
	p.sign = widget.NewButton("Sign", m.submitSign)
	p.sign.Importance = widget.HighImportance
	body := container.NewVBox(widget.NewLabel(action),
		widget.NewForm(widget.NewFormItem(fmt.Sprintf("Password of %s", s.User()), p.password)))
	p.modal = newModal(c, "Sign with your password", body, p.cancel, p.sign)
	m.sign = p
	p.pop.Show()
	c.Focus(p.password)
}

func (m *Manager) cancelSign() {
	if p := m.sign; p != nil {
		p.pop.Hide()
		m.sign = nil
	}
}

func (m *Manager) submitSign() {
	p := m.sign
	if p == nil {
		return
	}
	if p.password.Text == "" {
		p.say("type your password to sign")
		return
	}
	password := p.password.Text
	p.password.SetText("")
	m.cancelSign()
	p.then(password)
}
