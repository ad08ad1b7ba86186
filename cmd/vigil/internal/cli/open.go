package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
)

// GUIOptions are the window options of `vigil` and `vigil open`.
type GUIOptions struct {
	Kiosk bool // full screen, no window decorations
	Dark  bool // night-shift palette
	// Screen is the screen to open on ("Overview", "Trends", "Alarms",
	// "Devices", "Tags"); "" is the one the operator left last. A wall
	// display shows Alarms; the end-to-end test photographs each screen.
	Screen string
}

// register adds the GUI flags to a verb's flag set.
func (o *GUIOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.Kiosk, "kiosk", false, "full screen")
	fs.BoolVar(&o.Dark, "dark", false, "night-shift (dark) palette")
	fs.StringVar(&o.Screen, "screen", "", "open on this screen: Overview, Trends, Alarms, Devices or Tags (default: the last one)")
}

func cmdOpen(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "open", "open FILE [--kiosk] [--dark] [--screen NAME]",
		"Open the operator GUI on a project file (\"demo\" for the embedded demo).")
	var o GUIOptions
	var hist historyFlags
	o.register(fs)
	hist.register(fs)
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	return openGUI(ctx, env, pos[0], hist, o)
}

// cmdDemo is `vigil` with no verb: the GUI on the embedded demo, or, on a
// machine with no display, the demo headless with live values.
func cmdDemo(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "vigil", "[--kiosk] [--dark] [--screen NAME]",
		"Open the operator GUI on the embedded demo project (a simulated plant, no hardware needed).\n"+
			"Without a display, run the demo headless and print live values instead.")
	var o GUIOptions
	var hist historyFlags
	o.register(fs)
	hist.register(fs)
	_, code, done := parseN(fs, args, 0)
	if done {
		return code
	}
	if env.OpenGUI == nil || env.HasDisplay == nil || !env.HasDisplay() {
		fmt.Fprintln(env.Stderr, "vigil: no display found (DISPLAY and WAYLAND_DISPLAY are empty), so no window can open.")
		fmt.Fprintln(env.Stderr, "vigil: running the demo project headless with live values instead; press Ctrl+C to stop.")
		return runHeadless(ctx, env, DemoName, hist, 0, true, commandFlags{})
	}
	return openGUI(ctx, env, DemoName, hist, o)
}

// startProject loads the project at path and starts its runtime with the
// history flags, reporting a failure on stderr (as verb) and returning ok
// false then.
func startProject(ctx context.Context, env Env, path string, hist historyFlags, verb string) (_ *Runtime, histPath string, ok bool) {
	p, err := loadProject(path)
	if err != nil {
		printErrors(env.Stderr, err)
		return nil, "", false
	}
	if histPath, err = hist.resolve(p); err != nil {
		fmt.Fprintf(env.Stderr, "vigil: %v\n", err)
		return nil, "", false
	}
	rt, err := Start(ctx, p, RuntimeOptions{HistoryPath: histPath, UsersPath: usersPath(path)})
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", verb, err)
		return nil, "", false
	}
	// The loader's garbage (the YAML tree: hundreds of MB for 100,000
	// tags) is dead now; give its pages back at once rather than over the
	// scavenger's minutes, so the resident size is the runtime's own.
	debug.FreeOSMemory()
	return rt, histPath, true
}

func openGUI(ctx context.Context, env Env, path string, hist historyFlags, o GUIOptions) int {
	if env.OpenGUI == nil {
		fmt.Fprintln(env.Stderr, "vigil: this build has no GUI")
		return ExitFailure
	}
	if env.HasDisplay != nil && !env.HasDisplay() {
		fmt.Fprintln(env.Stderr, "vigil: no display found (DISPLAY and WAYLAND_DISPLAY are empty); use `vigil run FILE` to run headless")
		return ExitFailure
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	rt, _, ok := startProject(ctx, env, path, hist, "vigil")
	if !ok {
		return ExitFailure
	}
	guiErr := env.OpenGUI(ctx, rt, o)
	if err := rt.Stop(); err != nil && guiErr == nil {
		guiErr = err
	}
	if guiErr != nil {
		fmt.Fprintf(env.Stderr, "vigil: %v\n", guiErr)
		return ExitFailure
	}
	return ExitOK
}
