package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/history"
)

// openAlarmJournal opens a history file's event journal read-only. A
// running `vigil run` holds the file's lock, so Open then fails after its
// lock timeout with an error naming the file. A variable so that a build
// or test can substitute another journal.
var openAlarmJournal = func(path string) (alarms.Journal, func() error, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("history file: %w", err)
	}
	s, err := history.Open(path, history.Options{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	return s, s.Close, nil
}

const alarmsUsage = `Usage: vigil alarms COMMAND ...

Commands:
  kpi FILE   alarm-management KPIs from a history file's event journal

Run "vigil alarms COMMAND --help" for a command's flags.
`

// cmdAlarms is `vigil alarms`: the alarm engine's offline tools.
func cmdAlarms(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, alarmsUsage)
		return ExitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, alarmsUsage)
		return ExitOK
	case "kpi":
		return cmdAlarmsKPI(ctx, env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "vigil alarms: unknown command %q\n\n%s", args[0], alarmsUsage)
	return ExitUsage
}

// cmdAlarmsKPI is `vigil alarms kpi FILE`.
func cmdAlarmsKPI(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "alarms kpi", "alarms kpi FILE [--at TIME] [--window DURATION] [--json]",
		"Compute the alarm-management KPIs from the event journal of a history file (the .db that\n"+
			"`vigil run` writes): annunciated alarms in the last 10 minutes and hour, the flood flag\n"+
			"(more than 10 in 10 minutes), standing and stale (active > 24 h) alarms, chattering alarms\n"+
			"(3 or more activations within a minute) and the 10 most frequent alarms. Chattering and the\n"+
			"top 10 count within --window before --at. Exit 1 when the file cannot be read.")
	atFlag := fs.String("at", "", "compute the KPIs at this time, RFC 3339 (2026-11-28T14:00:00Z); default now")
	window := fs.Duration("window", alarms.KPIWindow, "how much journal before --at to read")
	asJSON := fs.Bool("json", false, "print the KPIs as JSON")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	at := time.Now()
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil alarms kpi: --at %q: want RFC 3339 such as 2026-11-28T14:00:00Z\n", *atFlag)
			return ExitUsage
		}
		at = t
	}
	if *window <= 0 {
		fmt.Fprintf(env.Stderr, "vigil alarms kpi: --window %v: must be > 0\n", *window)
		return ExitUsage
	}
	k, err := alarmKPI(ctx, pos[0], at, *window)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil alarms kpi: %v\n", err)
		return ExitFailure
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(k); err != nil {
			fmt.Fprintf(env.Stderr, "vigil alarms kpi: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	}
	printKPI(env.Stdout, pos[0], *window, k)
	return ExitOK
}

// alarmKPI reads the journal of path over window up to at and computes
// the KPIs.
func alarmKPI(ctx context.Context, path string, at time.Time, window time.Duration) (alarms.KPI, error) {
	j, closeJournal, err := openAlarmJournal(path)
	if err != nil {
		return alarms.KPI{}, err
	}
	events, err := j.Events(ctx, at.Add(-window), at, alarms.EventKind, 0)
	if cerr := closeJournal(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return alarms.KPI{}, err
	}
	return alarms.ComputeKPI(events, at), nil
}

func printKPI(w io.Writer, path string, window time.Duration, k alarms.KPI) {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	fmt.Fprintf(w, "alarm KPIs of %s at %s (%d alarm events in the %v before)\n", path, ts(k.At), k.Events, window)
	flood := ""
	if k.Flood {
		flood = fmt.Sprintf("  FLOOD (more than %d)", alarms.FloodLimit)
	}
	// The counts in one column, whatever the labels' lengths.
	row := func(label string, n int, after string) {
		fmt.Fprintf(w, "  %-28s%d%s\n", label, n, after)
	}
	row("annunciated, last 10 min", k.Last10Min, flood)
	row("annunciated, last hour", k.LastHour, "")
	row("standing", k.Standing, "")
	row(fmt.Sprintf("stale (active > %v)", alarms.StaleAfter), len(k.Stale), "")
	for _, s := range k.Stale {
		fmt.Fprintf(w, "    %s  active since %s\n", s.Alarm, ts(s.Since))
	}
	row(fmt.Sprintf("chattering (>= %d in %v)", alarms.ChatterCount, alarms.ChatterWindow), len(k.Chattering), "")
	for _, c := range k.Chattering {
		fmt.Fprintf(w, "    %s  %d activations within %v\n", c.Alarm, c.Count, alarms.ChatterWindow)
	}
	fmt.Fprintf(w, "  most frequent (top %d)\n", alarms.TopAlarmsCount)
	if len(k.Top) == 0 {
		fmt.Fprintln(w, "    none")
	}
	for i, c := range k.Top {
		fmt.Fprintf(w, "    %2d. %s  %d\n", i+1, c.Alarm, c.Count)
	}
}
