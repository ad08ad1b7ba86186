package ui

import (
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// Snapshotter gives the current samples of tags; datasource.Table implements it.
type Snapshotter interface {
	Snapshot(ids []datasource.TagID, dst []datasource.Sample) []datasource.Sample
}

// Deps is what the window shows and acts on. Every field but Project and
// Refresh is required.
type Deps struct {
	Project string            // shown in the title
	Tags    []*datasource.Tag // index == TagID, as the project compiled them
	Values  Snapshotter       // current values
	Devices func() []poll.DeviceStatus
	Now     func() time.Time // the clock of the status line
	Refresh time.Duration    // repaint period; default 250 ms (4 Hz)
	Dark    bool             // night-shift palette
}

// Shell is the operator window's content and its refresh loop.
type Shell struct {
	deps  Deps
	theme *theme.HMI
	win   fyne.Window

	tags    *tagTable
	devices *devicePanel
	status  *widget.Label

	// values is the latest snapshot; only the UI goroutine touches it.
	values []datasource.Sample

	pending  atomic.Bool // a repaint is queued on the UI goroutine
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// Create fills win with the operator screen for deps, applies the HMI theme
// to app and starts the refresh ticker, which Stop (or closing the window)
// ends.
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
	s.status = widget.NewLabel("")
	s.status.TextStyle = fyne.TextStyle{Monospace: true}

	split := container.NewHSplit(s.tags.widget(), s.devices.widget())
	split.Offset = 0.72
	win.SetContent(container.NewBorder(nil, s.status, nil, nil, split))
	// Closing the window only signals the loop: waiting here, on the UI
	// goroutine, could deadlock with a repaint queued for it.
	win.SetOnClosed(s.signalStop)
	s.refresh()
	go s.loop()
	return s
}

// Stop ends the refresh loop and waits for it. Safe to call more than once;
// not from the UI goroutine while the app runs.
func (s *Shell) Stop() {
	s.signalStop()
	<-s.done
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

// refresh takes one snapshot of the table and updates every view. UI
// goroutine only.
func (s *Shell) refresh() {
	s.values = s.deps.Values.Snapshot(nil, s.values[:0])
	s.tags.update(s.values)
	devs := s.deps.Devices()
	s.devices.update(devs)
	s.status.SetText(statusLine(devs, s.tags.counts(), s.deps.Now()))
}
