package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
)

// GUIOptions are the window options of `vigil` and `vigil open`.
type GUIOptions struct {
	Kiosk bool // full screen, no window decorations
	Dark  bool // night-shift palette
	// Screen is the screen to open on ("Overview", "Trends", "Alarms",
	// "Devices", "Tags"); "" is the one the operator left last. A wall
	// display shows Alarms; the end-to-end test photographs each screen.
	Screen string
	// Watch is the project file whose display files the window reloads
	// when they are saved; "" (the embedded demo) watches nothing.
	Watch string
	// Horn are the alarm priorities the horn sounds; nil: critical and
	// high; empty (--horn off): none.
	Horn []datasource.Priority
}

// hornFlag is --horn: a comma list of priorities, or off.
type hornFlag struct{ o *GUIOptions }

func (f hornFlag) String() string {
	if f.o == nil || f.o.Horn == nil {
		return "critical,high"
	}
	if len(f.o.Horn) == 0 {
		return "off"
	}
	names := make([]string, len(f.o.Horn))
	for i, p := range f.o.Horn {
		names[i] = p.String()
	}
	return strings.Join(names, ",")
}

func (f hornFlag) Set(v string) error {
	f.o.Horn = []datasource.Priority{}
	if v == "off" {
		return nil
	}
	for _, name := range strings.Split(v, ",") {
		p, ok := datasource.ParsePriority(strings.TrimSpace(name))
		if !ok {
			return fmt.Errorf("%q is not a priority (critical, high, medium, low) nor off", name)
		}
		f.o.Horn = append(f.o.Horn, p)
	}
	return nil
}

// register adds the GUI flags to a verb's flag set.
func (o *GUIOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.Kiosk, "kiosk", false, "full screen")
	fs.BoolVar(&o.Dark, "dark", false, "night-shift (dark) palette")
	fs.StringVar(&o.Screen, "screen", "", "open on this screen: Overview, Trends, Alarms, Devices or Tags, or on the project's display of this name (default: the last one)")
	fs.Var(hornFlag{o}, "horn", "alarm priorities the horn sounds until acknowledged or silenced: a comma list of critical, high, medium, low, or off")
}

// ErrUsage marks an error of the GUI that is the command line's fault (an
// unknown --screen): the process exits with ExitUsage.
var ErrUsage = errors.New("usage error")

func cmdOpen(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "open", "open FILE [--kiosk] [--dark] [--screen NAME] [--horn PRIORITIES]",
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
	fs := newFlags(env, "vigil", "[--kiosk] [--dark] [--screen NAME] [--horn PRIORITIES]",
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
		log, restore := runLogger(&env, logFlag{})
		defer restore()
		return runHeadless(ctx, env, DemoName, hist, 0, true, commandFlags{}, log)
	}
	return openGUI(ctx, env, DemoName, hist, o)
}

// startProject loads the project at path and starts its runtime with the
// history flags, reporting a failure on stderr (as verb) and returning ok
// false then.
func startProject(ctx context.Context, env Env, path string, hist historyFlags, verb string, log *slog.Logger) (_ *Runtime, histPath string, ok bool) {
	p, err := loadProject(path)
	if err != nil {
		printErrors(env.Stderr, err)
		return nil, "", false
	}
	if histPath, err = hist.resolve(p); err != nil {
		fmt.Fprintf(env.Stderr, "vigil: %v\n", err)
		return nil, "", false
	}
	rt, err := Start(ctx, p, RuntimeOptions{HistoryPath: histPath, UsersPath: usersPath(path), Logger: log})
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", verb, err)
		return nil, "", false
	}
	var extra int64
	if verb == guiVerb {
		extra = guiMemory
	}
	// The loader's garbage (the YAML tree: hundreds of MB for 100,000
	// tags) is dead now; give its pages back at once rather than over the
	// scavenger's minutes, so the resident size is the runtime's own. Its
	// collection also tells what the running project holds (readMemory).
	debug.FreeOSMemory()
	setMemoryLimit(len(p.Tags), readMemory(), extra, os.Getenv("GOMEMLIMIT") != "")
	if rt.HistoryNotice != "" {
		fmt.Fprintf(env.Stderr, "vigil: %s\n", rt.HistoryNotice)
	}
	return rt, histPath, true
}

// guiVerb names the window in startProject's messages; it also tells
// startProject that the window's memory comes on top (guiMemory).
const guiVerb = "vigil"

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
	// Device state changes go to stderr with their cause, as for vigil
	// run; what libraries log goes there at debug level only.
	log, restore := runLogger(&env, logFlag{})
	defer restore()
	rt, _, ok := startProject(ctx, env, path, hist, guiVerb, log)
	if !ok {
		return ExitFailure
	}
	if path != DemoName {
		o.Watch = path
	}
	guiErr := env.OpenGUI(ctx, rt, o)
	if err := rt.Stop(); err != nil && guiErr == nil {
		guiErr = err
	}
	if guiErr != nil {
		fmt.Fprintf(env.Stderr, "vigil: %v\n", guiErr)
		if errors.Is(guiErr, ErrUsage) {
			return ExitUsage
		}
		return ExitFailure
	}
	return ExitOK
}
