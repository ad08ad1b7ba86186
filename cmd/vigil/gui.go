package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/cmd/vigil/internal/cli"
	"github.com/vigil-hmi/vigil/datasource/mqtt"
	"github.com/vigil-hmi/vigil/ui"
	"github.com/vigil-hmi/vigil/ui/alarmview"
	"github.com/vigil-hmi/vigil/ui/guard"
)

// appID is Vigil's application ID (FyneApp.toml): it names the preferences
// and storage folders, so it must never change.
const appID = "io.github.vigil-hmi.vigil"

// Preference keys of the window geometry.
const (
	prefWidth  = "window.width"
	prefHeight = "window.height"
)

// hasDisplay reports whether a window can open: on Linux and BSD that needs
// an X11 or Wayland display.
func hasDisplay() bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// openGUI shows the operator window on rt and blocks until it is closed or
// ctx ends (Ctrl+C).
func openGUI(ctx context.Context, rt *cli.Runtime, o cli.GUIOptions) error {
	app.SetMetadata(fyne.AppMetadata{ID: appID, Name: "Vigil", Version: version, Icon: fyne.NewStaticResource("icon.png", assets.Icon),
		// Every widget call of Vigil runs on the UI goroutine (fyne.Do), so
		// Fyne's per-call thread check is not needed; it takes a stack trace
		// for every Refresh, which was a quarter of the idle CPU. The
		// end-to-end test turns it back on (VIGIL_FYNE_THREAD_CHECK=1) and
		// fails on any "Error in Fyne call thread".
		Migrations: map[string]bool{"fyneDo": os.Getenv("VIGIL_FYNE_THREAD_CHECK") != "1"}})
	a := app.NewWithID(appID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	w := a.NewWindow("Vigil")
	var shell *ui.Shell
	desk := newDesk(rt, w, func() {
		if shell != nil {
			shell.UserChanged()
		}
	})
	defer desk.login.Close()
	deps := ui.Deps{
		Project:    rt.Project.Name,
		Tags:       rt.Project.Tags,
		Values:     rt.Table,
		Devices:    rt.Engine.Status,
		Now:        rt.Clock.Now,
		Dark:       o.Dark,
		Prefs:      a.Preferences(),
		Alarms:     guard.Alarms{Engine: alarmBoard(rt), Auditor: rt.Auditor},
		Writer:     desk.writer,
		User:       desk.login.User,
		CanWrite:   desk.writer.CanWrite,
		Header:     desk.login.Widget(),
		OnActivity: desk.login.Touch,
		OnTick:     desk.login.Tick,
		Inspect:    rt.Project.Devices,
		Displays:   rt.Project.Displays,
	}
	if o.Watch != "" && rt.Auditor != nil { // edits are saved to the watched files and audited
		deps.CanEditDisplays = func() bool { return canEditDisplays(rt, desk.login.Session()) }
		deps.OnDisplayEdit = rt.Auditor.DisplayEdit
	}
	if rt.History != nil { // a nil *history.Store must not become a non-nil interface
		deps.History = rt.History
		deps.Journal = rt.History
	}
	shell = ui.Create(a, w, deps)
	defer shell.Stop()
	if o.Watch != "" {
		defer watchDisplays(ctx, o.Watch, rt.Project, shell)()
	}
	if o.Screen != "" && !shell.ShowScreen(o.Screen) {
		return fmt.Errorf("--screen %q: this window has the screens %s (Trends needs history) and the project's displays", o.Screen, strings.Join(shell.Screens(), ", "))
	}
	// The window opens at the size the operator left it.
	prefs := a.Preferences()
	w.Resize(fyne.NewSize(float32(prefs.FloatWithFallback(prefWidth, 1280)), float32(prefs.FloatWithFallback(prefHeight, 800))))
	w.SetCloseIntercept(func() {
		size := w.Canvas().Size()
		prefs.SetFloat(prefWidth, float64(size.Width))
		prefs.SetFloat(prefHeight, float64(size.Height))
		w.Close()
	})
	w.SetFullScreen(o.Kiosk)
	closed := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done(): // Ctrl+C or the runtime ended
			fyne.Do(a.Quit)
		case <-closed:
		}
	}()
	w.ShowAndRun()
	close(closed)
	return nil
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
