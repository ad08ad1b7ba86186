package ui

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/ui/alarmview"
	"github.com/vigil-hmi/vigil/ui/display"
	"github.com/vigil-hmi/vigil/ui/horn"
	"github.com/vigil-hmi/vigil/ui/inspector"
	"github.com/vigil-hmi/vigil/ui/overview"
	"github.com/vigil-hmi/vigil/ui/setpoint"
	"github.com/vigil-hmi/vigil/ui/sparkline"
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
	// Explain says why a calculated tag is Bad/CalcError, for its
	// faceplate; nil when the project has no calculated tags.
	Explain func(id datasource.TagID) string
	// ResetTotal resets a totalizer on demand (audited); nil: no Reset
	// button on totalizer faceplates.
	ResetTotal func(tag *datasource.Tag) error
	// Header is put at the right of the status line: the login part.
	Header fyne.CanvasObject
	// OnActivity is told of operator input the shell sees (keys, screen
	// changes, faceplates), for the idle logoff.
	OnActivity func()
	// OnTick runs on the UI goroutine at every repaint (the login's idle check).
	OnTick func(now time.Time)
	// Inspect are the project's devices: the Devices screen gets a live
	// register inspector for the Modbus ones, and their communication
	// alarm priorities mark the devices that are down. No Modbus device:
	// no inspector, a hint how to try one instead.
	Inspect []*datasource.Device
	// Raw is what the inspector reads through: the poll engine, which runs
	// each read on the device's own session (the UI never talks to a driver).
	Raw inspector.Reader
	// Notice is shown in a dialog when the window opens, and a short mark of
	// it (noticeMark) at the start of the status line for the whole run:
	// something the operator must know that no alarm says (the history
	// file was damaged and set aside). "" shows nothing.
	Notice string
	// Theme is the palette, shared by every window of the station so the
	// night switch of one turns them all; nil: a theme of its own.
	Theme *theme.HMI
	// PrefPrefix starts this window's preference keys (its screen), so
	// every window of a station keeps its own; "" for the first window.
	PrefPrefix string
	// Horn is the station's audible annunciation: the shell updates it at
	// every repaint and its Silence button (F8) silences it. Nil: no horn.
	Horn *horn.Horn
	// HornErr says why the horn cannot sound (no audio device); nil, or
	// returning nil, when it can.
	HornErr func() error
	// HistoryFailing says that the history file is not being written and
	// why ("history not written for 2m0s: no space left on device"), ""
	// while it is; nil: never. The status line leads with it.
	HistoryFailing func() string
	// NewWindow opens another window of the same station (Ctrl+N); nil:
	// the key does nothing.
	NewWindow func()
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
	silence *widget.Button // nil without a horn
	// builtDark is the palette the overview was drawn in.
	builtDark bool

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

	pending  atomic.Bool    // a repaint is queued on the UI goroutine
	fast     atomic.Bool    // repaint every tick, not every other one
	lastAct  time.Time      // the operator's last input seen; UI goroutine only
	filling  sync.WaitGroup // the history backfill of the sparklines
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}

	// fills are tags whose sparkline was just made (its row first shown),
	// for backfill to fill from history; nil without history.
	fills chan *datasource.Tag
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
	th := deps.Theme
	if th == nil {
		dark := deps.Dark
		if deps.Prefs != nil {
			dark = deps.Prefs.BoolWithFallback(prefDark, dark)
		}
		th = theme.New(dark)
	}
	s := &Shell{deps: deps, theme: th, app: app, win: win, stop: make(chan struct{}), done: make(chan struct{})}
	if deps.History != nil {
		s.fills = make(chan *datasource.Tag, fillQueue)
	}
	app.Settings().SetTheme(s.theme)
	if deps.Project != "" {
		win.SetTitle("Vigil — " + deps.Project)
	}
	s.buildScreens()
	s.status = widget.NewLabel("")
	s.status.TextStyle = fyne.TextStyle{Monospace: true}
	s.status.Truncation = fyne.TextTruncateEllipsis
	s.body = container.NewStack()
	// The screen sits in a scroll container: whatever a screen asks for (a
	// long device error, a wide table), the window keeps the size the
	// operator gave it and the screen scrolls instead (issue 16 item 1).
	win.SetContent(container.NewBorder(s.header(), s.footer(), s.navBar(), nil, container.NewScroll(s.body)))
	s.bindKeys()
	s.show(s.initialScreen())

	// Closing the window only signals the loop: waiting here, on the UI
	// goroutine, could deadlock with a repaint queued for it.
	win.SetOnClosed(s.signalStop)
	s.refresh()
	if deps.Notice != "" {
		// Something no alarm says (the history file was damaged and set
		// aside): the operator must acknowledge it once, and the status
		// line keeps a short mark of it for the whole run.
		d := dialog.NewInformation("History file replaced", deps.Notice, win)
		d.Show()
	}
	go s.loop()
	if deps.History != nil {
		s.filling.Add(1)
		go s.backfill()
	}
	return s
}

// noticeMark is the status line's short form of Deps.Notice.
const noticeMark = "HISTORY: new file, the damaged one set aside (see the notice)"

// backfill fills the sparklines of the tag list and the overview with the
// last hour from history, so they are full from the start (issue 16 item
// 9). It runs in the background until Stop and hands each tag's samples to
// the UI goroutine. At the start it reads every recorded tag, when the tag
// list keeps a line per tag (tagbrowser.EagerLines or fewer); then, and
// in a larger project from the start, the tags whose line was just made,
// as their rows are first shown (wantFill). Reading all 100,000 tags of a
// large project at the start took every page of its history file into the
// window's memory (VmRSS 826 MiB with a 630 MB file) to fill lines that
// were never made.
func (s *Shell) backfill() {
	defer s.filling.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if len(s.deps.Tags) <= tagbrowser.EagerLines {
		for _, t := range s.deps.Tags {
			if !s.fillLine(ctx, t) {
				return
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-s.fills:
			if !s.fillLine(ctx, t) {
				return
			}
		}
	}
}

// fillQueue is how many just-made sparklines may wait for backfill: more
// than the rows of two screens.
const fillQueue = 256

// wantFill asks backfill to fill tag t's sparkline, just made, from
// history. It does not block (it runs on the UI goroutine): when the queue
// is full the line fills as values come.
func (s *Shell) wantFill(t *datasource.Tag) {
	if s.fills == nil || t.System || !t.History.Enabled {
		return
	}
	select {
	case s.fills <- t:
	default:
	}
}

// fillLine reads the last hour of tag t from history into its sparklines,
// those made so far. It reports false when ctx ended (Stop).
func (s *Shell) fillLine(ctx context.Context, t *datasource.Tag) bool {
	if t.System || !t.History.Enabled {
		return true
	}
	to := s.deps.Now()
	pts, err := s.deps.History.Query(ctx, t.Name, to.Add(-tagbrowser.SparkWindow), to, sparkline.Buckets)
	if ctx.Err() != nil {
		return false
	}
	if err != nil || len(pts) == 0 {
		return true // nothing recorded yet: the line fills as values come
	}
	samples := make([]datasource.Sample, len(pts))
	for i, p := range pts {
		samples[i] = datasource.Sample{Tag: t.ID, Time: p.Time, Quality: p.Quality}
		if !p.IsGap() {
			samples[i].Value = datasource.Float(p.Value)
		}
	}
	s.deps.Do(func() {
		s.browser.Backfill(samples)
		if s.overview != nil { // nil when the project has displays
			s.overview.Backfill(samples)
		}
	})
	return true
}

// buildScreens makes the screens the deps allow, ordered by function key.
func (s *Shell) buildScreens() {
	d := s.deps
	var active func() []alarms.Alarm
	if d.Alarms != nil {
		active = d.Alarms.Active
	}
	s.builtDark = s.theme.Dark()
	s.browser = tagbrowser.New(d.Tags, tagbrowser.Deps{Theme: s.theme, OnOpen: s.OpenFaceplate, OnTrend: s.trendTag, Now: d.Now, OnLine: s.wantFill})
	s.devices = newDevicePanel(s.theme, d.Now, d.Inspect)
	var tools fyne.CanvasObject
	if hasModbus(d.Inspect) {
		s.inspect = inspector.New(d.Inspect, inspector.Deps{Reader: d.Raw, Theme: s.theme, Do: d.Do})
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

// hasModbus reports whether devs has a Modbus device, which the register
// inspector reads; without one the Devices screen shows how to get one.
func hasModbus(devs []*datasource.Device) bool {
	for _, d := range devs {
		if d != nil && d.Driver == "modbus" {
			return true
		}
	}
	return false
}

// header is the top strip: the alarm banner with its counts, then the
// horn's Silence button. The banner takes the width the button leaves and
// asks for almost none itself (its entries cut their text), so nothing in
// the header widens the window. The night switch and the login, which the
// operator reads rarely, sit at the right of the status line (footer), as
// ui.md draws them, and leave the banner its width.
func (s *Shell) header() fyne.CanvasObject {
	right := container.NewHBox()
	if s.deps.Horn != nil {
		s.silence = widget.NewButtonWithIcon("Silence F8", fynetheme.VolumeMuteIcon(), s.Silence)
		s.silence.Disable()
		right.Add(s.silence)
	}
	var left fyne.CanvasObject
	if s.banner != nil {
		left = s.banner.Object()
	}
	return container.NewBorder(nil, nil, nil, right, left)
}

// footer is the status line, cut with "…" to the window's width, with the
// night switch and the login part at its right.
func (s *Shell) footer() fyne.CanvasObject {
	s.night = widget.NewCheck("Night", s.SetDark)
	s.night.Checked = s.theme.P == theme.Dark
	right := container.NewHBox(s.night)
	if s.deps.Header != nil {
		right.Add(s.deps.Header)
	}
	return container.NewBorder(nil, nil, nil, right, s.status)
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
	// The palette is read by pointer everywhere; setting the theme again
	// repaints every widget, and the next refresh recolours the values.
	s.app.Settings().SetTheme(s.theme)
	s.followPalette()
	s.activity()
}

// followPalette catches up with a palette switch (this window's Night
// switch or another window's): the switch shows it, and the overview is
// built again, because its drawing (headings, the pump, the tank) takes its
// colours when it is made and kept the day's at night.
func (s *Shell) followPalette() {
	dark := s.theme.Dark()
	if s.night.Checked != dark {
		s.night.SetChecked(dark)
	}
	if dark == s.builtDark {
		return
	}
	s.builtDark = dark
	i := s.screenIndex("Overview")
	if i < 0 || s.overview == nil { // displays rebuild themselves on a new palette
		return
	}
	s.overview = s.newOverview()
	sc := s.screens[i]
	sc.content, sc.update, sc.follow = s.overview.Content(), s.overview.Update, s.overview.Feed
	if s.current == i {
		s.body.Objects = []fyne.CanvasObject{sc.content}
		s.body.Refresh()
	}
	if s.values != nil {
		sc.update(s.values, s.deps.Now())
	}
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
		names = append(names, s.deps.Prefs.String(s.deps.PrefPrefix+prefScreen))
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
	if s.host != nil {
		s.host.SetShown(s.screens[i].name == "Overview")
	}
	s.body.Objects = []fyne.CanvasObject{s.screens[i].content}
	s.body.Refresh()
	if s.deps.Prefs != nil {
		s.deps.Prefs.SetString(s.deps.PrefPrefix+prefScreen, s.screens[i].name)
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

// bindKeys wires the function keys for the canvas: F2..F6 screens, F9 and
// Shift+F9 acknowledge, F11 full screen, Ctrl+F find a tag, Ctrl+N a new
// window. Fyne gives the canvas only the keys no focused widget took, and a
// focused entry, check box or select takes them all; the desktop program
// therefore also routes every key press through Key before Fyne sees it
// (cmd/vigil), which makes these shortcuts work whatever has the focus.
// The canvas bindings here remain for the keys that reach it.
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
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		s.activity() // any key the window gets is the operator at work
		mods := fyne.KeyModifier(0)
		if s.shift {
			mods = fyne.KeyModifierShift
		}
		s.Key(ev.Name, mods)
	})
	for _, k := range []fyne.KeyName{fyne.KeyF, fyne.KeyN} {
		k := k
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
			s.Key(k, fyne.KeyModifierShortcutDefault)
		})
	}
}

// FindTag shows the tag browser with the focus in its search field.
func (s *Shell) FindTag() {
	s.ShowScreen("Tags")
	s.browser.FocusSearch()
}

// Key handles one of the window's shortcuts and reports whether name with
// the modifiers mods is one: F2..F6 switch screens, F8 silences the horn,
// F9 acknowledges (with Shift the visible page), F11 toggles full screen,
// Ctrl+F finds a tag, Ctrl+N opens another window (Deps.NewWindow). Any
// other key is left to the focused widget. UI goroutine only.
func (s *Shell) Key(name fyne.KeyName, mods fyne.KeyModifier) bool {
	if mods&fyne.KeyModifierShortcutDefault != 0 {
		switch name {
		case fyne.KeyF:
			s.activity()
			s.FindTag()
			return true
		case fyne.KeyN:
			if s.deps.NewWindow == nil {
				return false
			}
			s.activity()
			s.deps.NewWindow()
			return true
		}
		return false
	}
	if mods&^fyne.KeyModifierShift != 0 {
		return false // Alt+F4 and the like belong to the window manager
	}
	switch name {
	case fyne.KeyF11:
		s.activity()
		s.win.SetFullScreen(!s.win.FullScreen())
		return true
	case fyne.KeyF9:
		s.activity()
		s.acknowledge(mods&fyne.KeyModifierShift != 0)
		return true
	case fyne.KeyF8:
		if s.deps.Horn == nil {
			return false
		}
		s.Silence()
		return true
	}
	for i, sc := range s.screens {
		if sc.key == name {
			// The focused control belongs to the screen being left.
			s.win.Canvas().Unfocus()
			s.show(i)
			return true
		}
	}
	return false
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

// Silence is F8 and the header's Silence button: the horn stops for the
// alarms sounding now, recorded in the audit trail under the operator's
// name. A later alarm sounds again.
func (s *Shell) Silence() {
	if s.deps.Horn == nil {
		return
	}
	s.activity()
	s.deps.Horn.Silence(s.deps.User())
	s.updateHorn()
}

// updateHorn lets the horn follow the alarms and shows its state on the
// Silence button: enabled while it sounds, "No sound" (and disabled) when
// the station has no audio output.
func (s *Shell) updateHorn() {
	if s.deps.Horn == nil {
		return
	}
	s.deps.Horn.Update()
	text := "Silence F8"
	mute := s.hornErr() != nil
	if mute {
		text = "No sound" // the status line says why
	}
	if s.silence.Text != text {
		s.silence.SetText(text)
	}
	if sounding := s.deps.Horn.Sounding() != 0 && !mute; sounding == s.silence.Disabled() {
		if sounding {
			s.silence.Importance = widget.DangerImportance
			s.silence.Enable()
		} else {
			s.silence.Importance = widget.MediumImportance
			s.silence.Disable()
		}
	}
}

// hornErr is why the horn cannot sound, nil when it can.
func (s *Shell) hornErr() error {
	if s.deps.HornErr == nil {
		return nil
	}
	return s.deps.HornErr()
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
	d := setpoint.Deps{Writer: s.deps.Writer, User: s.deps.User(), CanWrite: s.deps.CanWrite(tag), Theme: s.theme, History: s.deps.History}
	if s.deps.Explain != nil && tag.Calc != nil {
		d.Explain = func() string { return s.deps.Explain(tag.ID) }
	}
	if s.deps.ResetTotal != nil && tag.Calc != nil && tag.Calc.Kind.Totalizer() {
		d.Reset = func() error { return s.deps.ResetTotal(tag) }
	}
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
	s.filling.Wait()
	if s.trends != nil {
		s.trends.close()
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
	s.updateHorn()
	// Another window of the station may have switched the palette.
	s.followPalette()
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
	line := statusLine(s.deps.Devices(), countQualities(s.deps.Tags, s.values), now)
	if err := s.hornErr(); s.deps.Horn != nil && err != nil {
		// Short, so the line keeps its clock in view; the program logs the
		// audio library's own words once.
		line += " · horn: no sound"
	}
	if s.deps.Notice != "" {
		// Short, so the counts and the clock stay in view; the whole
		// notice is in the dialog shown at start and on stderr.
		line = noticeMark + " · " + line
	}
	if s.deps.HistoryFailing != nil {
		// First: what is not recorded now is lost if the station stops.
		// Its first words in capitals, as the notice's mark: the line has
		// no colour of its own to spare for it.
		if why := s.deps.HistoryFailing(); why != "" {
			if head, rest, ok := strings.Cut(why, " for "); ok {
				why = strings.ToUpper(head) + " for " + rest
			}
			line = why + " · " + line
		}
	}
	// Set only when it changed (its clock moves once a second, the refresh
	// runs twice a second while alarms flash): SetText re-renders the label.
	if s.status.Text != line {
		s.status.SetText(line)
	}
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
