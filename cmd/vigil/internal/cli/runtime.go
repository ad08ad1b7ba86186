package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/calc"
	"github.com/vigil-hmi/vigil/datasource/mqtt"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/audit"
)

// Subscription buffers of the table's consumers: a few seconds of a large
// project's samples, so a consumer that stalls briefly (a disk flush) loses
// nothing.
const (
	historyQueue = 1 << 18
	alarmsQueue  = 1 << 18
)

// Runtime is a running project: the tag table fed by the poll engine, with
// history and alarms consuming it. It is what `vigil run` runs headless and
// what the GUI shows.
type Runtime struct {
	Project *project.Project
	Table   *datasource.Table
	Engine  *poll.Engine
	// Calc evaluates the calculated tags on the table's publish path; nil
	// when the project has none.
	Calc    *calc.Engine
	History *history.Store // nil when history is off
	Audit   *audit.Chain   // the hash-chained journal on History; nil when history is off
	Alarms  *alarms.Engine
	Clock   clockwork.Clock
	// Users are the project's users and their sessions; single-operator
	// mode when the project has no users file.
	Users *access.Directory
	// Stations has the alarms of the stations the project's mqtt devices
	// read (a viewing station, docs/control-room.md); nil without mqtt
	// devices.
	Stations *mqtt.Stations
	// Auditor records operator actions (writes, logins, alarm actions) in
	// the journal; nil when history is off, and then the GUI refuses writes
	// rather than make changes nobody can trace.
	Auditor *audit.Auditor
	// Writes is the one write path: every entry point (faceplates,
	// --commands, DCMD, the servers of vigil sim) writes through it.
	Writes *audit.WritePath

	// HistoryNotice is set when the history file was damaged and was moved
	// aside for a new one: it says so, where the old file went and how to
	// salvage it. run prints it on stderr, the GUI on its status line.
	HistoryNotice string

	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex // guards err
	err    error
}

// RuntimeOptions tune Start.
type RuntimeOptions struct {
	Clock       clockwork.Clock // default: the real clock
	Logger      *slog.Logger    // default: discard
	HistoryPath string          // the history file; "" disables history
	// UsersPath is the users file (access.UsersPath of the project file);
	// "" runs in single-operator mode, as the embedded demo does. A missing
	// file is single-operator mode too; a broken one stops Start.
	UsersPath string
}

// Start wires and starts the runtime of proj: history and alarms subscribe to
// the table before the engine publishes its first sample. Stop ends it.
func Start(ctx context.Context, proj *project.Project, opts RuntimeOptions) (_ *Runtime, err error) {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rt := &Runtime{Project: proj, Clock: opts.Clock, Table: datasource.NewTable(proj.Tags)}
	defer func() {
		if err != nil && rt.History != nil {
			_ = rt.History.Close() // the error that stopped Start is the one to report
		}
	}()
	for _, d := range proj.Devices {
		if d.Driver == "mqtt" && rt.Stations == nil {
			rt.Stations = mqtt.NewStations()
		}
	}
	if proj.Calc != nil {
		if rt.Calc, err = calc.NewEngine(proj.Calc, len(proj.Tags)); err != nil {
			return nil, fmt.Errorf("calculated tags: %w", err)
		}
		rt.Table.Engine().SetDeriver(rt.Calc)
	}
	drv, err := projectDrivers(proj, rt.Stations, opts.Clock, opts.Logger)
	if err != nil {
		return nil, err
	}
	rt.Engine, err = poll.New(poll.Config{
		Devices: proj.Devices,
		Tags:    proj.Tags,
		Table:   rt.Table,
		Drivers: drv,
		Clock:   opts.Clock,
		Logger:  opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	var journal alarms.Journal
	if opts.HistoryPath != "" {
		if err := os.MkdirAll(filepath.Dir(opts.HistoryPath), 0o750); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		rt.History, rt.HistoryNotice, err = openRunHistory(opts.HistoryPath, history.Options{
			Clock:  opts.Clock,
			Logger: opts.Logger,
			// Poll jitter below a millisecond is noise, and keeping it would
			// cost bytes per sample on disk.
			TimeResolution: time.Millisecond,
			ChunkBytes:     openChunkBytes(proj.Tags),
			Retention: history.Retention{
				MaxAge:      proj.Retention.Samples,
				MaxBytes:    proj.Retention.MaxSize,
				EventMaxAge: proj.Retention.Events,
			},
		})
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		logRetention(opts.Logger, opts.HistoryPath, proj.Retention)
		// Alarm transitions go through the audit chain so the journal stays
		// one verifiable hash chain (vigil audit verify).
		rt.Audit, err = audit.NewChain(ctx, rt.History, audit.Options{Clock: opts.Clock})
		if err != nil {
			return nil, fmt.Errorf("history: audit chain: %w", err)
		}
		journal = rt.Audit
		if rt.Calc != nil {
			restoreTotals(ctx, rt, opts)
		}
	}
	if opts.UsersPath == "" {
		rt.Users = access.SingleOperator(access.Options{Clock: opts.Clock})
	} else if rt.Users, err = access.Open(opts.UsersPath, access.Options{Clock: opts.Clock, Logger: opts.Logger}); err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	if rt.Audit != nil {
		rt.Auditor = audit.NewAuditor(rt.Audit)
	}
	rt.Writes = audit.NewWritePath(proj.Tags, rt.Table, rt.Engine, rt.Auditor)
	rt.Alarms, err = alarms.New(proj.Tags, alarms.Options{Clock: opts.Clock, Journal: journal, Logger: opts.Logger,
		Authorizer: alarmAuthorizer{dir: rt.Users}})
	if err != nil {
		return nil, fmt.Errorf("alarms: %w", err)
	}

	pub, err := newPublisher(rt, opts.Clock, opts.Logger)
	if err != nil {
		return nil, err
	}
	ctx, rt.cancel = context.WithCancel(ctx)
	alarmSub := rt.Table.Subscribe("alarms", alarmsQueue)
	rt.goRun(func() error {
		defer alarmSub.Close()
		return rt.Alarms.Run(ctx, alarmSub)
	})
	if rt.History != nil {
		histSub := rt.Table.Subscribe("history", historyQueue)
		rt.goRun(func() error {
			defer histSub.Close()
			return history.Ingest(ctx, histSub, proj.Tags, rt.History)
		})
	}
	if pub != nil { // control room: publish the tags (docs/control-room.md)
		rt.goRun(func() error { return pub.Run(ctx) })
	}
	rt.goRun(func() error { return rt.Engine.Run(ctx) })
	return rt, nil
}

// openChunkBudget is what the open chunks of all historized tags may hold
// together, about: each tag's open chunk seals at its share of it, between
// 512 bytes and history's default 1,024 (docs/architecture.md, "Memory").
// An open chunk is half full on average, so 100,000 noisy tags at 1,024
// bytes held 30 MB more than at 512; smaller chunks cost the file a few
// percent more bytes per sample (a chunk's header and index entry), and
// no project under 40,000 historized tags changes.
const openChunkBudget = 40 << 20

// openChunkBytes is history's ChunkBytes for a project of tags: its share of
// openChunkBudget per historized tag, between 512 and 1,024.
func openChunkBytes(tags []*datasource.Tag) int {
	n := 0
	for _, t := range tags {
		if t.History.Enabled {
			n++
		}
	}
	return min(max(openChunkBudget/max(n, 1), 512), 1024)
}

// restoreTotals continues each totalizer from its last value in history,
// if that is in the current reset period (calc.Engine.Restore).
func restoreTotals(ctx context.Context, rt *Runtime, opts RuntimeOptions) {
	now := opts.Clock.Now()
	for _, id := range rt.Project.Calc.Totalizers() {
		name := rt.Project.Tags[id].Name
		pt, err := rt.History.ValueAt(ctx, name, now)
		// A restart marks where recording ended (history.Store.MarkDowntime),
		// and one that recorded nothing leaves its mark last: the total
		// to go on from is the value before the marks.
		for tries := 0; err == nil && pt.Quality == datasource.BadQuality(datasource.NoData) && tries < 8; tries++ {
			pt, err = rt.History.ValueAt(ctx, name, pt.Time.Add(-time.Nanosecond))
		}
		if err != nil || pt.IsGap() {
			continue // no history yet: the total starts at 0
		}
		if rt.Calc.Restore(id, pt.Value, pt.Time, now) {
			opts.Logger.Info("totalizer continues from history", "tag", name, "value", pt.Value, "stored", pt.Time)
		}
	}
}

// logRetention says at start what the history keeps, so that a station
// whose file will grow until its disk is full says so where it is run.
func logRetention(log *slog.Logger, path string, r project.Retention) {
	if r.Samples == 0 && r.MaxSize == 0 {
		log.Warn("history keeps every sample: its file grows until the disk is full; give the project a retention section (docs/project-file.md)", "file", path)
		return
	}
	log.Info("history retention", "file", path, "samples", ageText(r.Samples), "max_size", sizeText(r.MaxSize), "events", ageText(r.Events))
}

// ageText is a retention age in days, or "forever".
func ageText(d time.Duration) string {
	if d == 0 {
		return "forever"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// sizeText is a retention size in the units it was likely given (GiB or
// MiB when it is a whole number of them, else GB or MB), or "unbounded".
func sizeText(b int64) string {
	switch {
	case b == 0:
		return "unbounded"
	case b%(1<<30) == 0:
		return strconv.FormatInt(b>>30, 10) + "GiB"
	case b%(1<<20) == 0:
		return strconv.FormatInt(b>>20, 10) + "MiB"
	case b >= 1e9:
		return strconv.FormatFloat(float64(b)/1e9, 'f', -1, 64) + "GB"
	}
	return strconv.FormatFloat(float64(b)/1e6, 'f', -1, 64) + "MB"
}

// openRunHistory opens the history file of a running project. A damaged
// one is renamed NAME.damaged-TIMESTAMP.db and a new file is started, so a
// bad history file never keeps the plant from being watched; notice then
// says what happened.
func openRunHistory(path string, opts history.Options) (_ *history.Store, notice string, _ error) {
	s, err := history.Open(path, opts)
	if !errors.Is(err, history.ErrDamaged) {
		return s, "", err
	}
	clk := opts.Clock
	if clk == nil {
		clk = clockwork.NewRealClock()
	}
	ext := filepath.Ext(path)
	aside := strings.TrimSuffix(path, ext) + ".damaged-" + clk.Now().UTC().Format("20060102T150405Z") + ext
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, "", fmt.Errorf("%w; moving it aside failed too: %w", err, rerr)
	}
	s, oerr := history.Open(path, opts)
	if oerr != nil {
		return nil, "", fmt.Errorf("%w; it was moved to %s, but a new file cannot be started: %w", err, aside, oerr)
	}
	var de *history.DamagedError
	why := err.Error()
	if errors.As(err, &de) && len(de.Problems) > 0 {
		why = de.Problems[0]
	}
	return s, fmt.Sprintf("history %s was damaged (%s): moved it to %s and started a new history file; "+
		"`vigil history salvage %s NEW.db` copies what is still readable", path, why, aside, aside), nil
}

// goRun runs fn in a goroutine the runtime owns, keeping its first error.
func (rt *Runtime) goRun(fn func() error) {
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
			rt.mu.Lock()
			if rt.err == nil {
				rt.err = err
			}
			rt.mu.Unlock()
		}
	}()
}

// Stop stops everything Start started, waits for it, closes the history
// file and returns the first error any part ended with.
func (rt *Runtime) Stop() error {
	rt.cancel()
	rt.wg.Wait()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.History != nil {
		if err := rt.History.Close(); err != nil && rt.err == nil {
			rt.err = err
		}
		rt.History = nil
	}
	return rt.err
}

// dataDir is where each OS keeps an application's data: XDG on Linux,
// %LOCALAPPDATA% on Windows, Application Support on macOS.
func dataDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "Vigil"), nil
		}
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Application Support", "Vigil"), nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "vigil"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "vigil"), nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// defaultHistoryPath is the history file of a project: one per project name
// in the user's data directory.
func defaultHistoryPath(proj *project.Project) (string, error) {
	dir, err := dataDir()
	if err != nil {
		return "", fmt.Errorf("no data directory for history (use --history PATH or --no-history): %w", err)
	}
	name := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(proj.Name), "-"), "-.")
	if name == "" {
		name = "project"
	}
	return filepath.Join(dir, "history", name+".db"), nil
}

// historyFlags are the history options shared by run, open and the demo.
type historyFlags struct {
	path string
	off  bool
}

func (h *historyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.path, "history", "", "history file (default: one per project in the user's data directory)")
	fs.BoolVar(&h.off, "no-history", false, "keep no history")
}

// resolve returns the history path to use for proj ("" for none).
func (h historyFlags) resolve(proj *project.Project) (string, error) {
	if h.off {
		return "", nil
	}
	if h.path != "" {
		return h.path, nil
	}
	return defaultHistoryPath(proj)
}
