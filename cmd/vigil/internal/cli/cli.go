// Package cli implements the verbs of the vigil command: parsing arguments,
// loading projects, wiring the runtime and reporting results with documented
// exit codes. It has no GUI dependency, so it is tested without cgo; the main
// package hands it the function that opens a window.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit codes of every verb.
const (
	ExitOK      = 0 // success, or --help
	ExitFailure = 1 // the verb ran and failed: invalid project, device error, ...
	ExitUsage   = 2 // the command line was wrong
)

// Env is what the verbs need from the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	// OpenGUI opens the operator window on a running runtime and blocks until
	// the window is closed. Nil in builds and tests without a GUI.
	OpenGUI func(ctx context.Context, rt *Runtime, opts GUIOptions) error
	// HasDisplay reports whether a window can be opened at all.
	HasDisplay func() bool
	// Version is stamped at build time.
	Version string
}

// A verb is one sub-command.
type verb struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) int
}

// verbs is the dispatch table; keep it in the order `vigil help` prints.
func verbs() map[string]verb {
	return map[string]verb{
		"open":    {"open FILE: open the operator GUI on a project", cmdOpen},
		"check":   {"check FILE: validate a project file; exit 1 listing every error", cmdCheck},
		"init":    {"init FILE: write the demo project to FILE, to start a project of your own", cmdInit},
		"run":     {"run FILE: run engine, history and alarms headless", cmdRun},
		"version": {"version: print the version", cmdVersion},
		"alarms":  {"alarms kpi FILE: alarm KPIs (flood, chattering, stale, top 10) from a history file", cmdAlarms},
		"export":  {"export FILE --tags a,b: write history as CSV", cmdExport},
		"history": {"history import|info|compact|check FILE: work on a history file", cmdHistory},
		"probe":   {"probe modbus URL: read registers and show every decoding side by side", cmdProbe},
		"plan":    {"plan FILE: print the Modbus request plan of each device", cmdPlan},
		"sim":     {"sim [FILE]: serve the simulated plant over Modbus TCP and OPC UA on loopback", cmdSim},
		"user":    {"user add|passwd|remove|list USERSFILE: manage the users of a project", cmdUser},
		"audit":   {"audit verify|export HISTORYFILE: check the audit hash chain, export the audit trail as CSV", cmdAudit},
		"tags":    {"tags export|import FILE: spreadsheet (CSV) door to a project's tags and alarms", cmdTags},
		"browse":  {"browse opc.tcp://HOST:PORT: print an OPC UA server's address space (--yaml: tag entries)", cmdBrowse},
	}
}

// Main runs the vigil command line (args without the program name) and
// returns the process exit code.
func Main(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 {
		return cmdDemo(ctx, env, nil)
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(env.Stdout)
		return ExitOK
	case "-version", "--version":
		name = "version"
	}
	if strings.HasPrefix(name, "-") { // flags for the default verb: vigil --kiosk
		return cmdDemo(ctx, env, args)
	}
	v, ok := verbs()[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "vigil: unknown command %q\n\n", name)
		usage(env.Stderr)
		return ExitUsage
	}
	return v.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Vigil: operator HMI/SCADA for Modbus and OPC UA.")
	fmt.Fprintln(w, "\nUsage:\n  vigil\n        open the GUI on the embedded demo project (simulated plant)")
	var names []string
	vs := verbs()
	for n := range vs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cmd, text, _ := strings.Cut(vs[n].summary, ": ")
		fmt.Fprintf(w, "  vigil %s\n        %s\n", cmd, text)
	}
	fmt.Fprintln(w, "\nEvery command takes --help. Exit codes: 0 ok, 1 failure, 2 usage error.")
}

// newFlags makes a flag set whose usage prints the synopsis and defaults to
// stderr, the convention of every verb.
func newFlags(env Env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: vigil %s\n\n%s\n", synopsis, about)
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(env.Stderr)
		if b.Len() > 0 {
			fmt.Fprintf(env.Stderr, "\nFlags:\n%s", b.String())
		}
	}
	return fs
}

// parse parses args, flags before or after the positional arguments
// (`vigil run demo.yaml --for 10s` reads as users expect), and returns the
// positional arguments. done is true when parsing ends the verb: --help
// (code 0) or a usage error (code 2).
func parse(fs *flag.FlagSet, args []string) (pos []string, code int, done bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ExitOK, true
			}
			return nil, ExitUsage, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, false
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), 0, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseN is parse for verbs that take exactly n positional arguments: a
// wrong count prints the usage and ends the verb with ExitUsage.
func parseN(fs *flag.FlagSet, args []string, n int) (pos []string, code int, done bool) {
	pos, code, done = parse(fs, args)
	if !done && !wantArgs(fs, pos, n) {
		return nil, ExitUsage, true
	}
	return pos, code, done
}

// wantArgs checks the number of positional arguments, printing the usage
// when it is wrong.
func wantArgs(fs *flag.FlagSet, pos []string, n int) bool {
	if len(pos) != n {
		fmt.Fprintf(fs.Output(), "vigil %s: want %d argument(s), got %d\n", fs.Name(), n, len(pos))
		fs.Usage()
		return false
	}
	return true
}

func cmdVersion(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "version", "version", "Print the version of this build.")
	_, code, done := parseN(fs, args, 0)
	if done {
		return code
	}
	v := env.Version
	if v == "" {
		v = "devel"
	}
	fmt.Fprintf(env.Stdout, "vigil %s\n", v)
	return ExitOK
}
