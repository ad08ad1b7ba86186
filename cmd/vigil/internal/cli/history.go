package cli

// The history verbs: vigil export, and vigil history import|info|compact|check|salvage.
// They work on a history .db file that no running vigil holds open.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-hmi/vigil/history"
)

// historyLockTimeout is how long a verb waits for a running vigil to release
// the file before it reports the file is in use.
const historyLockTimeout = 2 * time.Second

// parseWhen reads a time argument: RFC 3339 / ISO 8601 ("2026-11-28T06:00:00Z",
// no zone means UTC), a date ("2026-11-28"), "now", or a duration before now
// ("-24h", "-7d").
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if s == "now" {
		return now, nil
	}
	if strings.HasPrefix(s, "-") {
		d, err := parseDays(s[1:])
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", s, err)
		}
		return now.Add(-d), nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want ISO 8601 like 2026-11-28T06:00:00Z, a date, now, or -24h / -7d", s)
}

// parseDays is time.ParseDuration plus a "d" (24 h) unit.
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		if err != nil || days < 0 {
			return 0, errors.New("bad number of days")
		}
		return time.Duration(days * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws "export [#####.....]  50%" on a terminal, redrawing only
// when the percentage changes.
type progressBar struct {
	w    io.Writer
	last int
}

func (p *progressBar) update(done float64) {
	pct := int(done*100 + 0.5)
	pct = max(0, min(100, pct))
	if pct == p.last {
		return
	}
	p.last = pct
	n := pct / 5
	fmt.Fprintf(p.w, "\rexport [%s%s] %3d%%", strings.Repeat("#", n), strings.Repeat(".", 20-n), pct)
	if pct == 100 {
		fmt.Fprintln(p.w)
	}
}

func openHistory(env Env, path string, readOnly bool) (*history.Store, bool) {
	if _, err := os.Stat(path); err != nil && readOnly {
		fmt.Fprintf(env.Stderr, "vigil: history %s: %v\n", path, err)
		return nil, false
	}
	s, err := history.Open(path, history.Options{LockTimeout: historyLockTimeout, ReadOnly: readOnly})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil: %v\n", err)
		if errors.Is(err, history.ErrLocked) {
			// A copy taken while it writes can be torn (seen: "keys are out
			// of order" on a 2 GB file), which would read as damage.
			fmt.Fprintln(env.Stderr, "vigil: stop the vigil that uses it, or work on a copy made while it is stopped (a copy taken while it writes can be torn)")
		}
		return nil, false
	}
	return s, true
}

// readHistory opens the history file at path read-only (it may be in use by
// a running vigil), runs fn on it and closes it.
func readHistory(env Env, path string, fn func(*history.Store) int) int {
	s, ok := openHistory(env, path, true)
	if !ok {
		return ExitFailure
	}
	defer func() { _ = s.Close() }() // read-only: nothing to flush
	return fn(s)
}

func closeHistory(env Env, s *history.Store) int {
	if err := s.Close(); err != nil {
		fmt.Fprintf(env.Stderr, "vigil: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

// cmdExport is `vigil export FILE --tags a,b [--from T] [--to T]
// [--max-points N] [--long] [--out CSV]`.
func cmdExport(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "export", "export FILE --tags a,b [--from T] [--to T] [--max-points N] [--long] [--out out.csv]",
		"Write the history of tags from the history file FILE as CSV (RFC 4180, times ISO 8601 UTC):\n"+
			"one column per tag, or with --long one row per sample (time,tag,value,quality), the\n"+
			"format `vigil history import` reads. Times: 2026-11-28T06:00:00Z, 2026-11-28, now, -24h, -7d.\n"+
			"Without --from/--to the whole stored range is written.")
	tags := fs.String("tags", "", "comma-separated tag names (required)")
	fromS := fs.String("from", "", "start time (inclusive)")
	toS := fs.String("to", "", "end time (inclusive)")
	maxPoints := fs.Int("max-points", 0, "decimate each tag to at most about this many points (min/max per bucket); 0 writes every sample")
	long := fs.Bool("long", false, "long format: time,tag,value,quality")
	out := fs.String("out", "", "write the CSV to this file instead of standard output")
	pos, code, done := parse(fs, args)
	if done {
		return code
	}
	if len(pos) != 1 || *tags == "" {
		fmt.Fprintln(env.Stderr, "vigil export: need one history FILE and --tags")
		fs.Usage()
		return ExitUsage
	}
	now := time.Now()
	from, err := parseWhen(*fromS, now)
	if err == nil {
		var to time.Time
		if to, err = parseWhen(*toS, now); err == nil && !from.IsZero() && !to.IsZero() && to.Before(from) {
			err = errors.New("--to is before --from")
		}
		if err == nil {
			return runExport(ctx, env, pos[0], splitTags(*tags), from, to, *maxPoints, *long, *out)
		}
	}
	fmt.Fprintf(env.Stderr, "vigil export: %v\n", err)
	return ExitUsage
}

func splitTags(s string) []string {
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func runExport(ctx context.Context, env Env, path string, tags []string, from, to time.Time, maxPoints int, long bool, outPath string) int {
	s, ok := openHistory(env, path, true)
	if !ok {
		return ExitFailure
	}
	defer func() { _ = s.Close() }() // read-only: nothing to flush
	known := map[string]bool{}
	for _, t := range s.Tags() {
		known[t] = true
	}
	var unknown []string
	for _, t := range tags {
		if !known[t] {
			unknown = append(unknown, t)
		}
	}
	if len(unknown) > 0 {
		fmt.Fprintf(env.Stderr, "vigil export: %s: no history for tag(s) %s (`vigil history info %s` lists the tags)\n",
			path, strings.Join(unknown, ", "), path)
		return ExitFailure
	}
	w := env.Stdout
	var f *os.File
	if outPath != "" {
		var err error
		if f, err = os.Create(outPath); err != nil {
			fmt.Fprintf(env.Stderr, "vigil export: %v\n", err)
			return ExitFailure
		}
		w = f
	}
	opts := history.ExportOptions{MaxPoints: maxPoints, Long: long}
	// A progress bar only where a person watches and it does not mix with the CSV.
	if isTerminal(env.Stderr) && (outPath != "" || !isTerminal(env.Stdout)) {
		bar := &progressBar{w: env.Stderr, last: -1}
		opts.Progress = bar.update
	}
	err := s.Export(ctx, w, tags, from, to, opts)
	if f != nil {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil export: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

// cmdHistory is `vigil history import|info|compact|check FILE ...`.
func cmdHistory(ctx context.Context, env Env, args []string) int {
	sub := map[string]func(context.Context, Env, []string) int{
		"import":  cmdHistoryImport,
		"info":    cmdHistoryInfo,
		"compact": cmdHistoryCompact,
		"check":   cmdHistoryCheck,
		"salvage": cmdHistorySalvage,
	}
	usage := func(w io.Writer) {
		fmt.Fprint(w, "Usage: vigil history COMMAND FILE ...\n\nWork on a history .db file that no running vigil holds open.\n\nCommands:\n"+
			"  import FILE data.csv   import samples from CSV (time,tag,value[,quality])\n"+
			"  info FILE              per-tag sample counts, time range, bytes on disk, bytes/sample\n"+
			"  compact FILE           rewrite the file without free pages (bbolt never shrinks a file)\n"+
			"  check FILE             verify pages, chunks and events; exit 1 listing problems\n"+
			"  salvage BAD NEW        copy every chunk and event of a damaged file that still decodes into NEW\n"+
			"\nEvery command takes --help.\n")
	}
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(env.Stdout)
		return ExitOK
	}
	run, ok := sub[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "vigil history: unknown command %q\n\n", args[0])
		usage(env.Stderr)
		return ExitUsage
	}
	return run(ctx, env, args[1:])
}

func cmdHistoryImport(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "history import", "history import FILE data.csv",
		"Import samples from CSV into the history file FILE (created if missing), to migrate\n"+
			"history from another system. Rows: time,tag,value[,quality]; an optional header row;\n"+
			"times ISO 8601 (no zone means UTC); quality as Good, Uncertain/Stale, Bad/NotConnected ...\n"+
			"Nothing is imported when a row is bad. Samples older than a tag's stored history are skipped.")
	pos, code, done := parseN(fs, args, 2)
	if done {
		return code
	}
	in, err := os.Open(pos[1])
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil history import: %v\n", err)
		return ExitFailure
	}
	defer func() { _ = in.Close() }() // read only
	s, ok := openHistory(env, pos[0], false)
	if !ok {
		return ExitFailure
	}
	res, err := s.ImportCSV(ctx, in, pos[1])
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil history import: %v\n", err)
		_ = closeHistory(env, s)
		return ExitFailure
	}
	fmt.Fprintf(env.Stdout, "%s: %d rows, %d tags: %d samples stored, %d skipped (not newer than the stored history)\n",
		pos[1], res.Rows, res.Tags, res.Stored, res.Skipped)
	return closeHistory(env, s)
}

func cmdHistoryInfo(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "history info", "history info FILE",
		"Print per tag the stored samples, time range, bytes on disk and bytes per sample.")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	return readHistory(env, pos[0], func(s *history.Store) int {
		inf, err := s.Info(ctx)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil history info: %v\n", err)
			return ExitFailure
		}
		writeInfo(env.Stdout, inf)
		return ExitOK
	})
}

func writeInfo(w io.Writer, inf history.Info) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TAG\tSAMPLES\tFROM\tTO\tBYTES\tBYTES/SAMPLE\t")
	var samples, bytes int64
	for _, t := range inf.Tags {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%.3f\t\n", t.Tag, t.Samples,
			t.First.Format(time.RFC3339), t.Last.Format(time.RFC3339), t.Bytes, t.BytesPerSample())
		samples += t.Samples
		bytes += t.Bytes
	}
	_ = tw.Flush() // writes to w; an error there shows in the output itself
	per := 0.0
	if samples > 0 {
		per = float64(inf.FileBytes) / float64(samples)
	}
	fmt.Fprintf(w, "\n%d tags, %d samples, %d bytes of chunks (open chunks counted as sealed), %d events\n",
		len(inf.Tags), samples, bytes, inf.Events)
	fmt.Fprintf(w, "file %d bytes: %d in pages in use, %d in free pages (reused by later writes; `vigil history compact` gives them back), %d of them the tail log of open chunks\n",
		inf.FileBytes, inf.UsedBytes, inf.FreeBytes, inf.TailBytes)
	fmt.Fprintf(w, "%.3f file bytes/sample; write amplification %.2f (file bytes / chunk bytes)\n", per, inf.WriteAmplification())
	if !inf.RecordedUntil.IsZero() {
		fmt.Fprintf(w, "recorded until %s (the last recording's end, to the flush; a restart breaks each tag's line there)\n",
			inf.RecordedUntil.Format(time.RFC3339))
	}
	if d := inf.BytesPerDay(); d > 0 {
		fmt.Fprintf(w, "expected growth at the stored data's rate: %s per day (%s of chunks)\n",
			humanBytes(d), humanBytes(d/inf.WriteAmplification()))
	}
}

func cmdHistoryCompact(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "history compact", "history compact FILE",
		"Rewrite the history file without its free pages. bbolt reuses pages freed by retention\n"+
			"but never shrinks the file; run this with vigil stopped to give the space back.")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	if _, err := os.Stat(pos[0]); err != nil {
		fmt.Fprintf(env.Stderr, "vigil history compact: %v\n", err)
		return ExitFailure
	}
	before, after, err := history.Compact(pos[0], historyLockTimeout)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil history compact: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintf(env.Stdout, "%s: %d -> %d bytes\n", pos[0], before, after)
	return ExitOK
}

func cmdHistoryCheck(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "history check", "history check FILE",
		"Verify the history file: bbolt pages, every chunk (checksum, decoding) and every event.")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	return readHistory(env, pos[0], func(s *history.Store) int {
		if err := s.Check(); err != nil {
			var ce *history.CheckError
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					fmt.Fprintf(env.Stdout, "%s: %s\n", pos[0], p)
				}
				return ExitFailure
			}
			fmt.Fprintf(env.Stderr, "vigil history check: %v\n", err)
			return ExitFailure
		}
		fmt.Fprintf(env.Stdout, "%s: ok\n", pos[0])
		return ExitOK
	})
}

func cmdHistorySalvage(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "history salvage", "history salvage BAD.db NEW.db",
		"Copy every chunk and event of the damaged history file BAD.db that still decodes into the new\n"+
			"file NEW.db, and say what was lost. BAD.db is read with plain reads and left as it is;\n"+
			"run it with vigil stopped. Then check NEW.db and put it in BAD.db's place.")
	pos, code, done := parseN(fs, args, 2)
	if done {
		return code
	}
	rep, err := history.Salvage(pos[0], pos[1])
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil history salvage: %v\n", err)
		return ExitFailure
	}
	writeSalvage(env.Stdout, pos[0], pos[1], rep)
	return ExitOK
}

func writeSalvage(w io.Writer, src, dst string, rep history.SalvageReport) {
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "%s: %s\n", src, p)
	}
	fmt.Fprintf(w, "%s: copied %d tags, %d chunks (%d samples), %d events\n", dst, rep.Tags, rep.Chunks, rep.Samples, rep.Events)
	lost := false
	if rep.DamagedPages > 0 {
		lost = true
		fmt.Fprintf(w, "lost: %d damaged pages and what they held\n", rep.DamagedPages)
	}
	if rep.Scanned {
		fmt.Fprintln(w, "note: the page tree was broken, so every page was searched; a chunk may be an older, shorter copy, or one retention had removed")
	}
	for _, c := range rep.BadChunks {
		lost = true
		fmt.Fprintf(w, "lost: %s (does not decode)\n", c)
	}
	if n := len(rep.BadEvents); n > 0 {
		lost = true
		fmt.Fprintf(w, "lost: %d events that do not decode\n", n)
	}
	if rep.MissingEvents > 0 {
		lost = true
		fmt.Fprintf(w, "lost: %d events below the last journal number (damaged, or removed by retention); `vigil audit verify` will show the break\n", rep.MissingEvents)
	}
	if rep.BadTails > 0 {
		lost = true
		fmt.Fprintf(w, "lost: %d tail records (newest samples of open chunks) that fail their checksum\n", rep.BadTails)
	}
	if rep.Unnamed > 0 {
		lost = true
		fmt.Fprintf(w, "lost: the names of %d tags; their chunks are kept as salvaged-series-N\n", rep.Unnamed)
	}
	if !lost {
		fmt.Fprintln(w, "nothing was lost")
	}
}

// humanBytes prints n bytes as B, KB, MB or GB (powers of 1000).
func humanBytes(n float64) string {
	for _, u := range []string{"B", "KB", "MB", "GB"} {
		if n < 1000 || u == "GB" {
			return strconv.FormatFloat(n, 'f', 1, 64) + " " + u
		}
		n /= 1000
	}
	return ""
}
