package ui

import (
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/ui/theme"
	"github.com/vigil-hmi/vigil/ui/trend"
)

// Snapshotter gives the current samples of tags; datasource.Table implements it.
type Snapshotter interface {
	Snapshot(ids []datasource.TagID, dst []datasource.Sample) []datasource.Sample
}

// Deps is what the window shows and acts on. Every field but Project,
// Refresh, Dark and Prefs is required.
type Deps struct {
	Project string            // shown in the title
	Tags    []*datasource.Tag // index == TagID, as the project compiled them
	Values  Snapshotter       // current values
	Devices func() []poll.DeviceStatus
	Now     func() time.Time // the clock of the status line
	Refresh time.Duration    // repaint period; default 250 ms (4 Hz)
	Dark    bool             // night-shift palette
	// Prefs keeps the operator's last screen between runs; nil keeps nothing.
	Prefs fyne.Preferences
	// History answers trend queries (a *history.Store); nil: no Trends screen.
	History trend.Source
	// Do runs results of background work on the UI goroutine; default
	// fyne.Do. Tests pass a queue they drain (Fyne's test driver would run
	// them on the background goroutine).
	Do func(func())
}

// Preference keys.
const prefScreen = "ui.screen"

// Shell is the operator window's content: navigation, the selected screen,
// the status line, and the refresh loop that feeds them.
type Shell struct {
	deps  Deps
	theme *theme.HMI
	win   fyne.Window

	screens []*screen
	current int
	nav     []*widget.Button
	body    *fyne.Container // holds the current screen's content
	status  *widget.Label

	tags    *tagTable
	devices *devicePanel
	trends  *trendScreen // nil without history

	// values is the latest snapshot; only the UI goroutine touches it.
	values []datasource.Sample
	shift  bool // Shift is held (for Shift+F9); UI goroutine only

	pending  atomic.Bool // a repaint is queued on the UI goroutine
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// Create fills win with the operator screens for deps, applies the HMI
// theme to app and starts the refresh ticker, which Stop (or closing the
// window) ends.
func Create(app fyne.App, win fyne.Window, deps Deps) *Shell {
	if deps.Refresh <= 0 {
		deps.Refresh = 250 * time.Millisecond
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	s := &Shell{deps: deps, theme: theme.New(deps.Dark), win: win, stop: make(chan struct{}), done: make(chan struct{})}
	app.Settings().SetTheme(s.theme)
	if deps.Project != "" {
		win.SetTitle("Vigil — " + deps.Project)
	}

	s.tags = newTagTable(s.theme, deps.Tags)
	s.devices = newDevicePanel(s.theme, deps.Now)
	s.screens = []*screen{
		{name: "Tags", key: fyne.KeyF6, content: s.tags.widget(),
			update: func(snap []datasource.Sample, _ time.Time) { s.tags.update(snap) }, always: true},
		{name: "Devices", key: fyne.KeyF5, content: s.devices.widget(),
			update: func([]datasource.Sample, time.Time) { s.devices.update(s.deps.Devices()) }},
	}
	if deps.History != nil {
		s.trends = newTrendScreen(win, deps.Tags, deps.History, deps.Now, deps.Do)
		s.screens = append(s.screens, &screen{name: "Trends", key: fyne.KeyF3, content: s.trends.content, update: s.trends.update})
	}
	sortScreens(s.screens)

	s.status = widget.NewLabel("")
	s.status.TextStyle = fyne.TextStyle{Monospace: true}
	s.body = container.NewStack()
	win.SetContent(container.NewBorder(nil, s.status, s.navBar(), nil, s.body))
	s.bindKeys()
	s.show(s.initialScreen())

	// Closing the window only signals the loop: waiting here, on the UI
	// goroutine, could deadlock with a repaint queued for it.
	win.SetOnClosed(s.signalStop)
	s.refresh()
	go s.loop()
	return s
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

// show switches to screen i, remembers it and refreshes it at once.
func (s *Shell) show(i int) {
	if i < 0 || i >= len(s.screens) {
		return
	}
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
	if s.values != nil {
		s.screens[i].update(s.values, s.deps.Now())
	}
}

// Screen returns the name of the screen shown.
func (s *Shell) Screen() string { return s.screens[s.current].name }

// bindKeys wires the function keys: F2..F6 screens, F11 full screen. Fyne
// delivers keys without modifiers to the canvas only when no widget has the
// focus, so switching screens also drops the focus.
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
}

// typedKey handles a key no widget took.
func (s *Shell) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyF11:
		s.win.SetFullScreen(!s.win.FullScreen())
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

// Stop ends the refresh loop and waits for it. Safe to call more than once;
// not from the UI goroutine while the app runs.
func (s *Shell) Stop() {
	s.signalStop()
	<-s.done
	if s.trends != nil {
		s.trends.chart.Close()
	}
}

func (s *Shell) signalStop() { s.stopOnce.Do(func() { close(s.stop) }) }

// loop repaints at the refresh rate. It owns no widget: the repaint itself
// runs on the UI goroutine through fyne.Do. Ticks that find the previous
// repaint still queued are dropped, so a busy UI goroutine never builds a
// backlog.
func (s *Shell) loop() {
	defer close(s.done)
	t := time.NewTicker(s.deps.Refresh)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
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
// those that must follow while hidden) and the status line. UI goroutine only.
func (s *Shell) refresh() {
	s.values = s.deps.Values.Snapshot(nil, s.values[:0])
	now := s.deps.Now()
	for i, sc := range s.screens {
		if i == s.current || sc.always {
			sc.update(s.values, now)
		}
	}
	s.status.SetText(statusLine(s.deps.Devices(), s.tags.counts(), now))
}
