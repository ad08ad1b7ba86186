package ui

import (
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/ui/alarmview"
	"github.com/vigil-hmi/vigil/ui/display"
	"github.com/vigil-hmi/vigil/ui/inspector"
	"github.com/vigil-hmi/vigil/ui/overview"
	"github.com/vigil-hmi/vigil/ui/setpoint"
	"github.com/vigil-hmi/vigil/ui/tagbrowser"
	"github.com/vigil-hmi/vigil/ui/theme"
	"github.com/vigil-hmi/vigil/ui/trend"
)

// Snapshotter gives the current samples of tags; datasource.Table implements it.
type Snapshotter interface {
	Snapshot(ids []datasource.TagID, dst []datasource.Sample) []datasource.Sample
}

// Deps is what the window shows and acts on. Project, Tags, Values, Devices
// are required; every other field switches a part on or tunes it.
type Deps struct {
	Project string            // shown in the title
	Tags    []*datasource.Tag // index == TagID, as the project compiled them
	Values  Snapshotter       // current values
	Devices func() []poll.DeviceStatus
	Now     func() time.Time // the clock of the status line
	Refresh time.Duration    // repaint period; default DefaultRefresh
	Dark    bool             // start with the night-shift palette
	// Prefs keeps the operator's last screen, palette and trend pens
	// between runs; nil keeps nothing.
	Prefs fyne.Preferences
	// History answers trend queries (a *history.Store); nil: no Trends screen.
	History trend.Source
	// Alarms is the alarm engine; nil: no alarm banner and no Alarms screen.
	Alarms alarmview.Engine
	// Journal searches the event journal on the Alarms screen; nil hides it.
	Journal alarmview.Journal
	// Writer writes setpoints from faceplates (through permission, limits,
	// read-back and audit); nil makes every faceplate read-only.
	Writer setpoint.Writer
	// User is the logged-in operator, for alarm actions and the audit
	// trail; nil means nobody ("").
	User func() string
	// CanWrite says whether the logged-in operator may write tag; nil: nobody.
	CanWrite func(tag *datasource.Tag) bool
	// Header is put at the right of the header: the login part.
	Header fyne.CanvasObject
	// OnActivity is told of operator input the shell sees (keys, screen
	// changes, faceplates), for the idle logoff.
	OnActivity func()
	// OnTick runs on the UI goroutine at every repaint (the login's idle check).
	OnTick func(now time.Time)
	// Inspect are the project's devices: the Devices screen gets a live
	// register inspector for the Modbus ones. Nil: no inspector.
	Inspect []*datasource.Device
	// Displays are the project's process displays: the Overview shows them
	// with their tree in the navigation column. Empty or nil: the Overview
	// is generated from the tag groups.
	Displays *displays.Set
	// CanEditDisplays says whether the logged-in operator may edit the
	// displays in the window (edit mode); nil: nobody.
	CanEditDisplays func() bool
	// OnDisplayEdit records a display edit in the audit trail; its error
	// is shown.
	OnDisplayEdit func(user, display, file, change string, err error) error
	// Do runs results of background work on the UI goroutine; default
	// fyne.Do. Tests pass a queue they drain (Fyne's test driver would run
	// them on the background goroutine).
	Do func(func())
}

// DefaultRefresh is the repaint period while something needs it fast: 2 Hz,
// the alarm flash's own rate (500 ms on, 500 ms off) and the demo's fastest
// scan. While nothing flashes, no faceplate is open and the operator has not
// touched the window for idleAfter, the shell repaints at half that rate
// (1 Hz, the usual SCADA display cycle): every repaint redraws the whole
// window, and on a software-rendered display that was the idle CPU.
const DefaultRefresh = 500 * time.Millisecond

// idleAfter is how long after the operator's last input the shell stays at
// the fast refresh rate.
const idleAfter = 10 * time.Second

// Preference keys.
const (
	prefScreen = "ui.screen"
	prefDark   = "ui.dark"
)

// Shell is the operator window's content: header with the alarm banner,
// navigation, the selected screen, the status line, and the refresh loop
// that feeds them.
type Shell struct {
	deps  Deps
	theme *theme.HMI
	app   fyne.App
	win   fyne.Window

	screens []*screen
	current int
	nav     []*widget.Button
	body    *fyne.Container // holds the current screen's content
	status  *widget.Label
	night   *widget.Check

	overview *overview.Overview // nil when the project has displays
	host     *display.Host      // nil when it has none
	browser  *tagbrowser.Browser
	devices  *devicePanel
	inspect  *inspector.Inspector // nil without Deps.Inspect
	trends   *trendScreen         // nil without history
	banner   *alarmview.Banner
	summary  *alarmview.Summary

	// The open faceplate, if any, and how to close it.
	face      *setpoint.Faceplate
	faceTag   *datasource.Tag
	faceClose func()

	// values is the latest snapshot; only the UI goroutine touches it.
	values []datasource.Sample
	shift  bool // Shift is held (for Shift+F9); UI goroutine only

	pending  atomic.Bool // a repaint is queued on the UI goroutine
	fast     atomic.Bool // repaint every tick, not every other one
	lastAct  time.Time   // the operator's last input seen; UI goroutine only
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// Create fills win with the operator screens for deps, applies the HMI
// theme to app and starts the refresh ticker, which Stop (or closing the
// window) ends.
func Create(app fyne.App, win fyne.Window, deps Deps) *Shell {
	if deps.Refresh <= 0 {
		deps.Refresh = DefaultRefresh
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Do == nil {
		deps.Do = fyne.Do
	}
	if deps.User == nil {
		deps.User = func() string { return "" }
	}
	if deps.CanWrite == nil {
		deps.CanWrite = func(*datasource.Tag) bool { return false }
	}
	dark := deps.Dark
	if deps.Prefs != nil {
		dark = deps.Prefs.BoolWithFallback(prefDark, dark)
	}
	s := &Shell{deps: deps, theme: theme.New(dark), app: app, win: win, stop: make(chan struct{}), done: make(chan struct{})}
	app.Settings().SetTheme(s.theme)
	if deps.Project != "" {
		win.SetTitle("Vigil — " + deps.Project)
	}
	s.buildScreens()
	s.status = widget.NewLabel("")
	s.status.TextStyle = fyne.TextStyle{Monospace: true}
	s.body = container.NewStack()
	win.SetContent(container.NewBorder(s.header(), s.status, s.navBar(), nil, s.body))
	s.bindKeys()
	s.show(s.initialScreen())

	// Closing the window only signals the loop: waiting here, on the UI
	// goroutine, could deadlock with a repaint queued for it.
	win.SetOnClosed(s.signalStop)
	s.refresh()
	go s.loop()
	return s
}

// buildScreens makes the screens the deps allow, ordered by function key.
func (s *Shell) buildScreens() {
	d := s.deps
	var active func() []alarms.Alarm
	if d.Alarms != nil {
		active = d.Alarms.Active
	}
	s.browser = tagbrowser.New(d.Tags, tagbrowser.Deps{Theme: s.theme, OnOpen: s.OpenFaceplate, OnTrend: s.trendTag, Now: d.Now})
	s.devices = newDevicePanel(s.theme, d.Now)
	var tools fyne.CanvasObject
	if d.Inspect != nil {
		s.inspect = inspector.New(d.Inspect, inspector.Deps{Theme: s.theme, Do: d.Do})
		tools = s.inspect.Content()
	}
	// The browser keeps sparklines, so it follows the values while hidden.
	s.screens = []*screen{
		s.overviewScreen(active),
		{name: "Tags", key: fyne.KeyF6, content: s.browser,
			update: func(snap []datasource.Sample, _ time.Time) { s.browser.Update(snap) }, follow: s.browser.Feed},
		{name: "Devices", key: fyne.KeyF5, content: s.devices.widget(tools),
			update: func([]datasource.Sample, time.Time) { s.devices.update(s.deps.Devices()) }},
	}
	if d.History != nil {
		s.trends = newTrendScreen(s.win, d.Tags, d.History, d.Now, d.Do, d.Prefs)
		s.trends.restore(d.User())
		s.screens = append(s.screens, &screen{name: "Trends", key: fyne.KeyF3, content: s.trends.content, update: s.trends.update})
	}
	if d.Alarms != nil {
		s.banner = alarmview.NewBanner(d.Alarms, alarmview.BannerOptions{})
		s.banner.OnSelect = s.showAlarm
		s.summary = alarmview.NewSummary(d.Alarms, alarmview.Deps{User: d.User, Journal: d.Journal, Window: s.win, Now: d.Now})
		s.screens = append(s.screens, &screen{name: "Alarms", key: fyne.KeyF4, content: s.summary.Object(),
			update: func(_ []datasource.Sample, now time.Time) { s.summary.Update(now) }})
	}
	sortScreens(s.screens)
}

// header is the top strip: the alarm banner, then the night-shift switch
// and the login part.
func (s *Shell) header() fyne.CanvasObject {
	s.night = widget.NewCheck("Night", s.SetDark)
	s.night.Checked = s.theme.P == theme.Dark
	right := container.NewHBox(s.night)
	if s.deps.Header != nil {
		right.Add(s.deps.Header)
	}
	var left fyne.CanvasObject
	if s.banner != nil {
		left = s.banner.Object()
	}
	return container.NewBorder(nil, nil, nil, right, left)
}

// SetDark switches between the grey day palette and the night-shift one and
// remembers the choice.
func (s *Shell) SetDark(on bool) {
	if on == (s.theme.P == theme.Dark) {
		return
	}
	if on {
		s.theme.P = theme.Dark
	} else {
		s.theme.P = theme.Light
	}
	if s.deps.Prefs != nil {
		s.deps.Prefs.SetBool(prefDark, on)
	}
	s.night.SetChecked(on)
	// The palette is read by pointer everywhere; setting the theme again
	// repaints every widget, and the next refresh recolours the values.
	s.app.Settings().SetTheme(s.theme)
	s.activity()
}

// sortScreens orders screens by their function key (F2 first).
func sortScreens(sc []*screen) {
	for i := 1; i < len(sc); i++ {
		for j := i; j > 0 && sc[j].key < sc[j-1].key; j-- {
			sc[j], sc[j-1] = sc[j-1], sc[j]
		}
	}
}

// navBar is the column of screen buttons, each labelled with its key.
func (s *Shell) navBar() fyne.CanvasObject {
	box := container.NewVBox()
	s.nav = make([]*widget.Button, len(s.screens))
	for i, sc := range s.screens {
		i := i
		b := widget.NewButton(sc.name+"  "+string(sc.key), func() { s.show(i) })
		b.Alignment = widget.ButtonAlignLeading
		s.nav[i] = b
		box.Add(b)
	}
	if s.host != nil {
		// The display tree follows the screens, so the function-key
		// buttons keep their places.
		box.Add(widget.NewSeparator())
		box.Add(s.host.Tree())
	}
	return box
}

// initialScreen is the screen the operator left last, else the overview,
// else the tag list.
func (s *Shell) initialScreen() int {
	var names []string
	if s.deps.Prefs != nil {
		names = append(names, s.deps.Prefs.String(prefScreen))
	}
	for _, name := range append(names, "Overview", "Tags") {
		if i := s.screenIndex(name); i >= 0 {
			return i
		}
	}
	return 0
}

func (s *Shell) screenIndex(name string) int {
	for i, sc := range s.screens {
		if sc.name == name {
			return i
		}
	}
	return -1
}

// ShowScreen switches to the named screen ("Overview", "Trends", "Alarms",
// "Devices", "Tags"); it reports false when there is no such screen.
func (s *Shell) ShowScreen(name string) bool {
	i := s.screenIndex(name)
	if i < 0 {
		return s.showDisplay(name)
	}
	s.show(i)
	return true
}

// show switches to screen i, remembers it and refreshes it at once.
func (s *Shell) show(i int) {
	if i < 0 || i >= len(s.screens) {
		return
	}
	s.activity()
	was := s.screens[s.current].name
	s.current = i
	for j, b := range s.nav {
		if j == i {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.LowImportance
		}
		b.Refresh()
	}
	s.body.Objects = []fyne.CanvasObject{s.screens[i].content}
	s.body.Refresh()
	if s.deps.Prefs != nil {
		s.deps.Prefs.SetString(prefScreen, s.screens[i].name)
	}
	// The inspector reads its device only while the Devices screen shows it.
	if s.inspect != nil && (was == "Devices") != (s.screens[i].name == "Devices") {
		if s.screens[i].name == "Devices" {
			s.inspect.Start()
		} else {
			s.inspect.Stop()
		}
	}
	if s.values != nil {
		s.screens[i].update(s.values, s.deps.Now())
	}
}

// Screens returns the names of the screens, in function-key order.
func (s *Shell) Screens() []string {
	names := make([]string, len(s.screens))
	for i, sc := range s.screens {
		names[i] = sc.name
	}
	return names
}

// Screen returns the name of the screen shown.
func (s *Shell) Screen() string { return s.screens[s.current].name }

// activity tells the owner an operator did something.
func (s *Shell) activity() {
	s.lastAct = s.deps.Now()
	s.fast.Store(true)
	if s.deps.OnActivity != nil {
		s.deps.OnActivity()
	}
}

// bindKeys wires the function keys (F2..F6 screens, F9 and Shift+F9
// acknowledge, F11 full screen) and Ctrl+F (find a tag). Fyne delivers keys
// without modifiers to the canvas only when no widget has the focus, so
// switching screens also drops the focus.
func (s *Shell) bindKeys() {
	c := s.win.Canvas()
	if dc, ok := c.(desktop.Canvas); ok {
		dc.SetOnKeyDown(func(ev *fyne.KeyEvent) {
			if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
				s.shift = true
			}
		})
		dc.SetOnKeyUp(func(ev *fyne.KeyEvent) {
			if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
				s.shift = false
			}
		})
	}
	c.SetOnTypedKey(s.typedKey)
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		s.FindTag()
	})
}

// FindTag shows the tag browser with the focus in its search field.
func (s *Shell) FindTag() {
	s.ShowScreen("Tags")
	s.browser.FocusSearch()
}

// typedKey handles a key no widget took.
func (s *Shell) typedKey(ev *fyne.KeyEvent) {
	s.activity()
	switch ev.Name {
	case fyne.KeyF11:
		s.win.SetFullScreen(!s.win.FullScreen())
		return
	case fyne.KeyF9:
		s.acknowledge(s.shift)
		return
	}
	for i, sc := range s.screens {
		if sc.key == ev.Name {
			s.win.Canvas().Unfocus()
			s.show(i)
			return
		}
	}
}

// acknowledge is F9: on the Alarms screen the selected alarms (Shift+F9:
// every alarm on the visible page); elsewhere the first alarm of the banner,
// the one the operator is looking at. Nothing is acknowledged unseen.
func (s *Shell) acknowledge(page bool) {
	if s.summary == nil {
		return
	}
	if s.Screen() == "Alarms" {
		if page {
			s.summary.AckVisiblePage()
		} else {
			s.summary.AckSelected()
		}
		return
	}
	if shown := s.banner.Shown(); len(shown) > 0 {
		s.summary.AckOne(shown[0].ID)
		s.banner.Update(s.deps.Now())
	}
}

// showAlarm is a tap on a banner alarm: the Alarms screen with it selected.
func (s *Shell) showAlarm(a alarms.Alarm) {
	s.ShowScreen("Alarms")
	s.summary.Select(a.ID, true)
}

// OpenFaceplate shows tag's faceplate over the window: its value, alarms
// and, for an operator allowed to write it, the setpoint entry. One
// faceplate is open at a time.
func (s *Shell) OpenFaceplate(tag *datasource.Tag) {
	s.activity()
	s.closeFaceplate()
	d := setpoint.Deps{Writer: s.deps.Writer, User: s.deps.User(), CanWrite: s.deps.CanWrite(tag), Theme: s.theme}
	if s.deps.Alarms != nil {
		d.Alarms = func() []alarms.Alarm {
			var mine []alarms.Alarm
			for _, a := range s.deps.Alarms.Active() {
				if a.Tag == tag.Name {
					mine = append(mine, a)
				}
			}
			return mine
		}
	}
	f, closer := setpoint.Show(s.win, tag, d)
	s.face, s.faceTag = f, tag
	s.faceClose = func() {
		closer()
		s.face, s.faceTag, s.faceClose = nil, nil, nil
	}
	if int(tag.ID) < len(s.values) {
		f.Update(s.values[tag.ID])
	}
}

// Faceplate returns the open faceplate and its tag, or nils.
func (s *Shell) Faceplate() (*setpoint.Faceplate, *datasource.Tag) { return s.face, s.faceTag }

func (s *Shell) closeFaceplate() {
	if s.faceClose != nil {
		s.faceClose()
	}
}

// trendTag is the tag browser's Trend button: the tag becomes a pen and the
// Trends screen opens.
func (s *Shell) trendTag(tag *datasource.Tag) {
	if s.trends == nil {
		return
	}
	s.trends.add(tag.Name)
	s.ShowScreen("Trends")
}

// UserChanged is called by the owner after a login or logout: the trend
// pens become that operator's own, and an open faceplate closes (its
// permissions were the previous user's).
func (s *Shell) UserChanged() {
	s.closeFaceplate()
	s.displaysUserChanged()
	if s.trends != nil {
		s.trends.restore(s.deps.User())
	}
}

// Stop ends the refresh loop and waits for it. Safe to call more than once;
// not from the UI goroutine while the app runs.
func (s *Shell) Stop() {
	s.signalStop()
	<-s.done
	if s.trends != nil {
		s.trends.chart.Close()
	}
	if s.summary != nil {
		s.summary.Close()
	}
	if s.inspect != nil {
		s.inspect.Close()
	}
}

func (s *Shell) signalStop() { s.stopOnce.Do(func() { close(s.stop) }) }

// loop repaints at the refresh rate, or every other tick while idle (see
// DefaultRefresh). It owns no widget: the repaint itself runs on the UI
// goroutine through fyne.Do. Ticks that find the previous repaint still
// queued are dropped, so a busy UI goroutine never builds a backlog.
func (s *Shell) loop() {
	defer close(s.done)
	t := time.NewTicker(s.deps.Refresh)
	defer t.Stop()
	for tick := 0; ; tick++ {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if tick%2 == 1 && !s.fast.Load() {
				continue
			}
			if s.pending.CompareAndSwap(false, true) {
				fyne.Do(func() {
					s.pending.Store(false)
					s.refresh()
				})
			}
		}
	}
}

// refresh takes one snapshot of the table and updates the shown screen (and
// those that must follow while hidden), the banner, an open faceplate and
// the status line. UI goroutine only.
func (s *Shell) refresh() {
	s.values = s.deps.Values.Snapshot(nil, s.values[:0])
	now := s.deps.Now()
	for i, sc := range s.screens {
		switch {
		case i == s.current:
			sc.update(s.values, now)
		case sc.follow != nil:
			sc.follow(s.values)
		}
	}
	if s.banner != nil {
		s.banner.Update(now)
	}
	if s.face != nil && s.face.Closed() { // the operator closed it (Esc, Close)
		s.face, s.faceTag, s.faceClose = nil, nil, nil
	}
	if s.face != nil && int(s.faceTag.ID) < len(s.values) {
		s.face.Update(s.values[s.faceTag.ID])
	}
	if s.deps.OnTick != nil {
		s.deps.OnTick(now)
	}
	flashing := s.banner != nil && len(s.banner.Shown()) > 0
	s.fast.Store(flashing || s.face != nil || now.Sub(s.lastAct) < idleAfter)
	s.status.SetText(statusLine(s.deps.Devices(), countQualities(s.deps.Tags, s.values), now))
}

// countQualities counts the project's (non-system) tags per quality status.
func countQualities(tags []*datasource.Tag, values []datasource.Sample) qualityCounts {
	var q qualityCounts
	for i, v := range values {
		if i < len(tags) && tags[i].System {
			continue
		}
		switch v.Quality.Status {
		case datasource.Good:
			q.good++
		case datasource.Uncertain:
			q.uncertain++
		default:
			q.bad++
		}
	}
	return q
}
