package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/dialog"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/cmd/vigil/internal/cli"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/mqtt"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui"
	"github.com/vigil-hmi/vigil/ui/alarmview"
	"github.com/vigil-hmi/vigil/ui/guard"
	"github.com/vigil-hmi/vigil/ui/horn"
	"github.com/vigil-hmi/vigil/ui/login"
	"github.com/vigil-hmi/vigil/ui/prefs"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// appID is Vigil's application ID (FyneApp.toml, the installers' desktop
// entry), so it must never change.
const appID = "io.github.vigil-hmi.vigil"

// Preference keys of the station: how many windows were open, and per
// window (N from 0) its size, position and screen.
const (
	prefWindows = "windows"
	prefDark    = "ui.dark"
)

func prefWindow(i int, what string) string { return fmt.Sprintf("window.%d.%s", i, what) }

// hasDisplay reports whether a window can open: on Linux and BSD that needs
// an X11 or Wayland display.
func hasDisplay() bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// station is the operator station of one process: one runtime (engine,
// alarms, history), one palette, one horn, and the windows showing them.
type station struct {
	app     fyne.App
	rt      *cli.Runtime
	o       cli.GUIOptions
	prefs   *prefs.Store
	theme   *theme.HMI
	board   alarmview.Engine
	horn    *horn.Horn
	speaker *horn.Speaker
	trail   *guard.Trail     // the windows' audit records, written off the UI goroutine; nil without an audit trail
	running atomic.Bool      // the windows are up: a failed record may be shown in one
	windows []*stationWindow // the open ones, in the order they opened
	desks   []*desk          // every window's, closed when the station ends
}

// stationWindow is one operator window of the station.
type stationWindow struct {
	win   fyne.Window
	shell *ui.Shell
	desk  *desk
}

// openGUI shows the operator windows on rt and blocks until the last one is
// closed or ctx ends (Ctrl+C).
func openGUI(ctx context.Context, rt *cli.Runtime, o cli.GUIOptions) error {
	// No ID for Fyne itself: with one, Fyne keeps a preferences file of
	// its own for the application, rewrites it at every exit and reloads it
	// when it changes, and a reload that met the file half-written logged
	// "Preferences load error: EOF". Vigil keeps its preferences per
	// project (openPrefs); stationApp answers Fyne's own questions (the
	// file dialog's last folder) from them and gives the ID.
	app.SetMetadata(fyne.AppMetadata{Name: "Vigil", Version: version, Icon: fyne.NewStaticResource("icon.png", assets.Icon),
		// Every widget call of Vigil runs on the UI goroutine (fyne.Do), so
		// Fyne's per-call thread check is not needed; it takes a stack trace
		// for every Refresh, which was a quarter of the idle CPU. The
		// end-to-end test turns it back on (VIGIL_FYNE_THREAD_CHECK=1) and
		// fails on any "Error in Fyne call thread".
		Migrations: map[string]bool{"fyneDo": os.Getenv("VIGIL_FYNE_THREAD_CHECK") != "1"}})
	prefs := openPrefs(rt)
	a := stationApp{App: app.NewWithID(""), prefs: prefs}
	fyne.SetCurrentApp(a)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	st := &station{app: a, rt: rt, o: o, prefs: prefs}
	board := guard.Alarms{Engine: alarmBoard(rt)}
	hopts := horn.Options{Priorities: o.Horn}
	if rt.Auditor != nil { // a nil *guard.Trail must not become a non-nil recorder
		st.trail = guard.NewTrail(rt.Auditor, st.auditFailed)
		defer st.trail.Close() // last: after every window has stopped, what is queued is written
		board.Auditor, hopts.Audit = st.trail, st.trail
	}
	st.board = board
	st.theme = theme.New(st.prefs.BoolWithFallback(prefDark, o.Dark))
	st.speaker = horn.NewSpeaker()
	st.horn = horn.New(st.board, st.speaker, hopts)
	defer st.speaker.Sound(0)
	go reportSpeaker(ctx, st.speaker)
	defer func() {
		for _, d := range st.desks {
			d.login.Close()
		}
	}()

	first := st.open(0)
	if o.Screen != "" && !first.shell.ShowScreen(o.Screen) {
		first.shell.Stop()
		return fmt.Errorf("--screen %q: this window has the screens %s (Trends needs history) and the project's displays: %w",
			o.Screen, strings.Join(first.shell.Screens(), ", "), cli.ErrUsage)
	}
	for i := 1; i < st.prefs.IntWithFallback(prefWindows, 1); i++ {
		st.open(i)
	}
	if o.Watch != "" {
		defer watchDisplays(ctx, o.Watch, rt.Project, st.shells)()
	}
	first.win.SetFullScreen(o.Kiosk)
	closed := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done(): // Ctrl+C or the runtime ended
			fyne.Do(func() {
				st.save()
				a.Quit()
			})
		case <-closed:
		}
	}()
	st.running.Store(true)
	a.Run()
	st.running.Store(false)
	close(closed)
	for _, w := range st.windows {
		w.shell.Stop()
	}
	return nil
}

// stationApp is the Fyne application with the project's preferences.
type stationApp struct {
	fyne.App
	prefs fyne.Preferences
}

// Preferences implements fyne.App: the project's own.
func (a stationApp) Preferences() fyne.Preferences { return a.prefs }

// UniqueID implements fyne.App.
func (a stationApp) UniqueID() string { return appID }

// auditFailed tells the operator that an action of theirs (a login, a
// refused acknowledge, a display edit) is not in the audit trail: the
// Trail calls it from its own goroutine, after the action has been shown
// done. It is on stderr too, for the window may be gone.
func (st *station) auditFailed(err error) {
	err = fmt.Errorf("not recorded in the audit trail: %w", err)
	fmt.Fprintf(os.Stderr, "vigil: %v\n", err)
	if !st.running.Load() {
		return
	}
	fyne.Do(func() {
		if len(st.windows) > 0 {
			dialog.ShowError(err, st.windows[0].win)
		}
	})
}

// reportSpeaker logs once why the horn cannot sound, when the audio device
// could not be opened; the status line and the Silence button say "no
// sound" meanwhile.
func reportSpeaker(ctx context.Context, s *horn.Speaker) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a device that never answers is not waited for
	defer cancel()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		switch err := s.Err(); {
		case errors.Is(err, horn.ErrOpening):
			continue
		case err != nil:
			fmt.Fprintf(os.Stderr, "vigil: the alarm horn cannot sound: %v\n", err)
		}
		return
	}
}

// openPrefs opens the preferences of rt's project: a file of its own under
// the user's configuration folder (docs/operator.md). A file that cannot be
// read is reported and replaced at the next change: preferences are a
// convenience, never a reason not to start.
func openPrefs(rt *cli.Runtime) *prefs.Store {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	key := rt.Project.File
	if key == "" {
		key = rt.Project.Name
	}
	p, err := prefs.Open(prefs.PathFor(filepath.Join(dir, "vigil", "prefs"), key))
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil: %v (starting with default preferences)\n", err)
	}
	return p
}

// open shows window i of the station, at the size (and screen) it had.
func (st *station) open(i int) *stationWindow {
	w := st.app.NewWindow("Vigil")
	sw := &stationWindow{win: w}
	var first *login.Manager
	if len(st.desks) > 0 {
		first = st.desks[0].login
	}
	d := newDesk(st.rt, st.trail, w, first, func() {
		if sw.shell != nil {
			sw.shell.UserChanged()
		}
	})
	st.desks = append(st.desks, d)
	sw.desk = d
	deps := ui.Deps{
		Project:    st.rt.Project.Name,
		Tags:       st.rt.Project.Tags,
		Values:     st.rt.Table,
		Devices:    st.rt.Engine.Status,
		Now:        st.rt.Clock.Now,
		Dark:       st.o.Dark,
		Theme:      st.theme,
		Prefs:      st.prefs,
		PrefPrefix: prefWindow(i, ""),
		Alarms:     st.board,
		Writer:     d.writer,
		User:       d.login.User,
		CanWrite:   d.writer.CanWrite,
		Header:     d.login.Widget(),
		OnActivity: d.login.Touch,
		OnTick:     d.login.Tick,
		Inspect:    st.rt.Project.Devices,
		Horn:       st.horn,
		HornErr:    st.speaker.Err,
		HistoryFailing: func() string {
			if st.rt.History == nil {
				return ""
			}
			since, err := st.rt.History.Failing()
			if err == nil {
				return ""
			}
			return history.FailingText(st.rt.Clock.Now().Sub(since), err)
		},
		NewWindow: st.newWindow,
		Raw:       st.rt.Engine,
		Notice:    st.rt.HistoryNotice,
		Displays:  st.rt.Project.Displays,
	}
	if st.o.Watch != "" && st.rt.Auditor != nil { // edits are saved to the watched files and audited
		deps.CanEditDisplays = func() bool { return canEditDisplays(st.rt, d.login.Session()) }
		deps.OnDisplayEdit = st.trail.DisplayEdit
	}
	if st.rt.Calc != nil {
		deps.Explain = st.rt.Calc.Explain
		deps.ResetTotal = func(tag *datasource.Tag) error {
			s := d.login.Session()
			if s == nil {
				return errors.New("log in to reset " + tag.Name)
			}
			return st.rt.ResetTotal(s, tag, "faceplate")
		}
	}
	if st.rt.History != nil { // a nil *history.Store must not become a non-nil interface
		deps.History = st.rt.History
		deps.Journal = st.rt.History
	}
	fresh := st.prefs.String(prefWindow(i, "")+"ui.screen") == ""
	sw.shell = ui.Create(st.app, w, deps)
	if i > 0 {
		w.SetTitle(fmt.Sprintf("%s (%d)", w.Title(), i+1))
		if fresh {
			sw.shell.ShowScreen("Alarms") // a new window is for the alarms, the usual second monitor
		}
	}
	st.windows = append(st.windows, sw)
	w.Resize(fyne.NewSize(float32(st.prefs.FloatWithFallback(prefWindow(i, "width"), 1280)),
		float32(st.prefs.FloatWithFallback(prefWindow(i, "height"), 800))))
	w.SetCloseIntercept(func() { st.close(sw) })
	w.Show()
	x, y := st.prefs.IntWithFallback(prefWindow(i, "x"), -1), st.prefs.IntWithFallback(prefWindow(i, "y"), -1)
	fyne.Do(func() { // once the window exists
		if !windowKeys(w, sw.shell.Key) {
			fmt.Fprintln(os.Stderr, "vigil: function keys reach the window only while no control has the focus (no GLFW window found)")
		}
		if x >= 0 && y >= 0 {
			setPosition(w, x, y) // back on the monitor it was on
		}
		fitWorkarea(w)
	})
	return sw
}

// newWindow is Ctrl+N: another window of this station, on the Alarms screen.
// shells are the shells of the open windows; on the UI goroutine only.
func (st *station) shells() []*ui.Shell {
	out := make([]*ui.Shell, len(st.windows))
	for i, sw := range st.windows {
		out[i] = sw.shell
	}
	return out
}

func (st *station) newWindow() {
	st.open(len(st.windows))
	st.save()
}

// close is a window's close button: the station remembers the windows
// still open; closing the last one ends the program.
func (st *station) close(sw *stationWindow) {
	st.save() // with sw still in: the last window closing is remembered
	if len(st.windows) > 1 {
		for i, o := range st.windows {
			if o == sw {
				st.windows = append(st.windows[:i], st.windows[i+1:]...)
				break
			}
		}
		st.save()
		sw.desk.login.Leave() // the station's login no longer tells this window's shell
		go sw.shell.Stop()    // it waits for the refresh loop, which may wait for this goroutine
	}
	sw.win.Close()
}

// save remembers how many windows are open and each one's size, position
// and screen. UI goroutine only.
func (st *station) save() {
	st.prefs.SetInt(prefWindows, len(st.windows))
	st.prefs.SetBool(prefDark, st.theme.P == theme.Dark)
	for i, sw := range st.windows {
		size := sw.win.Canvas().Size()
		if size.Width > 0 && size.Height > 0 {
			st.prefs.SetFloat(prefWindow(i, "width"), float64(size.Width))
			st.prefs.SetFloat(prefWindow(i, "height"), float64(size.Height))
		}
		x, y, ok := position(sw.win)
		if ok {
			st.prefs.SetInt(prefWindow(i, "x"), x)
			st.prefs.SetInt(prefWindow(i, "y"), y)
		}
		st.prefs.SetString(prefWindow(i, "")+"ui.screen", sw.shell.Screen())
	}
	if err := st.prefs.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "vigil: %v\n", err)
	}
}

// alarmBoard is what the alarm views show: the runtime's alarm engine, and
// on a viewing station also the alarms of the stations it views, whose
// actions go back to them (docs/control-room.md).
func alarmBoard(rt *cli.Runtime) alarmview.Engine {
	if rt.Stations == nil {
		return rt.Alarms
	}
	var devs []string
	for _, d := range rt.Project.Devices {
		if d.Driver == "mqtt" {
			devs = append(devs, d.Name)
		}
	}
	return mqtt.NewBoard(rt.Alarms, rt.Stations, devs)
}
