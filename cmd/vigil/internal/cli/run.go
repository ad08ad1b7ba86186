package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

func cmdRun(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "run", "run FILE [--for DURATION] [--values] [--commands [--user NAME]]",
		"Run a project headless (\"demo\" for the embedded demo): the poll engine, history and alarms,\n"+
			"without a window. Prints one line per second with the tag count per quality; with\n"+
			"--values also a line \"time tag value quality\" for every tag that changed. Stops after\n"+
			"--for, or on Ctrl+C. Exit 1 when the project is invalid (nothing is started then).\n"+
			"With --commands it reads \"write TAG VALUE [REASON...]\" lines from stdin and runs each\n"+
			"through the audited write path, printing the outcome; a project with users needs --user\n"+
			"and that user's password as the first line of stdin.")
	dur := fs.Duration("for", 0, "stop after this long (0: until interrupted)")
	values := fs.Bool("values", false, "print changed tag values every second")
	commands := fs.Bool("commands", false, "read write commands from stdin")
	user := fs.String("user", "", "with --commands: the user who writes (its password is stdin's first line)")
	var hist historyFlags
	hist.register(fs)
	var logf logFlag
	logf.register(fs)
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	log, restore := runLogger(&env, logf)
	defer restore()
	return runHeadless(ctx, env, pos[0], hist, *dur, *values, commandFlags{on: *commands, user: *user}, log)
}

// runHeadless loads and runs a project until d elapses (0: until ctx ends or
// an interrupt), reporting once a second.
func runHeadless(ctx context.Context, env Env, path string, hist historyFlags, d time.Duration, values bool, commands commandFlags, log *slog.Logger) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	rt, histPath, ok := startProject(ctx, env, path, hist, "vigil run", log)
	if !ok {
		return ExitFailure
	}
	if histPath != "" {
		fmt.Fprintf(env.Stderr, "vigil: history in %s\n", histPath)
	}
	stdout := env.Stdout
	if commands.on {
		// The console's answers and the reports share stdout, line by line.
		stdout = &lockedWriter{w: env.Stdout}
		in := newLineReader(commandInput)
		con, err := newConsole(rt, stdout, commands.user, in)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil run: %v\n", err)
			_ = rt.Stop()
			return ExitFailure
		}
		conCtx, stopConsole := context.WithCancel(ctx)
		conDone := make(chan struct{})
		go func() { defer close(conDone); con.run(conCtx, in) }()
		defer func() { stopConsole(); <-conDone }()
	}
	rep := newReporter(stdout, rt.Project.Tags, values)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case now := <-tick.C:
			rep.report(now, rt)
		}
	}
	if err := rt.Stop(); err != nil {
		fmt.Fprintf(env.Stderr, "vigil run: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

// reporter prints the per-second lines of `vigil run`.
type reporter struct {
	w      io.Writer
	tags   []*datasource.Tag
	values bool
	last   []datasource.Sample // what was printed, per TagID (with values only)
	ids    []datasource.TagID
	buf    []datasource.Sample
}

// reportPiece is how many tags the reporter reads from the table at a
// time: a snapshot of every tag at once was a buffer of 7 MB kept for the
// run at 100,000 tags.
const reportPiece = 4096

func newReporter(w io.Writer, tags []*datasource.Tag, values bool) *reporter {
	r := &reporter{w: w, tags: tags, values: values}
	if values {
		r.last = make([]datasource.Sample, len(tags))
	}
	return r
}

// report prints the summary line and, with values, the changed tags.
func (r *reporter) report(now time.Time, rt *Runtime) {
	n := rt.Table.Len()
	var good, uncertain, bad int
	stamp := now.UTC().Format(time.RFC3339)
	var changed []datasource.TagID
	for from := 0; from < n; from += reportPiece {
		r.ids = r.ids[:0]
		for id := from; id < min(from+reportPiece, n); id++ {
			r.ids = append(r.ids, datasource.TagID(id))
		}
		r.buf = rt.Table.Snapshot(r.ids, r.buf[:0])
		for i, s := range r.buf {
			switch s.Quality.Status {
			case datasource.Good:
				good++
			case datasource.Uncertain:
				uncertain++
			default:
				bad++
			}
			id := from + i
			if r.values && id < len(r.last) && (s.Value != r.last[id].Value || s.Quality != r.last[id].Quality) {
				r.last[id] = s
				changed = append(changed, datasource.TagID(id))
			}
		}
	}
	sum := rt.Alarms.Summary()
	fmt.Fprintf(r.w, "%s tags %d: good %d, uncertain %d, bad %d; alarms %d active, %d unacknowledged%s\n",
		stamp, n, good, uncertain, bad, sum.Active, sum.Unacked, historyFailing(rt))
	for _, id := range changed {
		s, tag := r.last[id], r.tags[id]
		why := ""
		if s.Quality.Reason == datasource.CalcError && rt.Calc != nil {
			why = " (" + rt.Calc.Explain(tag.ID) + ")"
		}
		fmt.Fprintf(r.w, "%s %s %s %s%s\n", stamp, tag.Name, formatPlain(tag, s.Value), s.Quality, why)
	}
}

// formatPlain renders a value with the tag's decimals, or at its own
// precision without them (datasource.FormatValue), for machine-friendly
// output: no units, no state texts.
func formatPlain(tag *datasource.Tag, v datasource.Value) string {
	if v.IsNone() {
		return "-"
	}
	if v.Kind() == datasource.KindString {
		return fmt.Sprintf("%q", v.AsString())
	}
	return datasource.FormatValue(tag, v)
}

// historyFailing is "; history not written for 2m0s: no space left on
// device" while writing the history file fails, else "".
func historyFailing(rt *Runtime) string {
	if rt.History == nil {
		return ""
	}
	since, err := rt.History.Failing()
	if err == nil {
		return ""
	}
	return "; " + history.FailingText(rt.Clock.Now().Sub(since), err)
}
