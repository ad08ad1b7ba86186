package history

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// ExportOptions shape a CSV export.
type ExportOptions struct {
	// MaxPoints decimates each tag like Query (0: every stored sample).
	MaxPoints int
	// Long writes one row per sample: time,tag,value,quality (the format
	// ImportCSV reads). Otherwise one row per distinct time with one column
	// per tag, empty where the tag has no sample at that time or a gap.
	Long bool
	// Progress, when set, is called now and then with the fraction done.
	Progress func(done float64)
}

// TimeFormat is how exported CSV writes times: ISO 8601 in UTC with as many
// fractional digits as needed.
const TimeFormat = time.RFC3339Nano

// Export writes the tags' history in [from, to] to w as RFC 4180 CSV (CRLF
// line ends, a header row). A zero from or to stands for the earliest or
// latest stored sample of the tags. Values are written in Go's shortest
// exact form, so an undecimated long export re-imports bit for bit.
func (s *Store) Export(ctx context.Context, w io.Writer, tags []string, from, to time.Time, opts ExportOptions) (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	if len(tags) == 0 {
		return fmt.Errorf("history export: no tags given")
	}
	lo, hi, ok := s.timeRange(tags)
	if !from.IsZero() {
		lo = clampNanos(from)
	}
	if !to.IsZero() {
		hi = clampNanos(to)
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(float64) {}
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if opts.Long {
		err = s.exportLong(ctx, cw, tags, lo, hi, ok, opts, progress)
	} else {
		err = s.exportWide(ctx, cw, tags, lo, hi, ok, opts, progress)
	}
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("history export: write: %w", err)
	}
	progress(1)
	return nil
}

// timeRange returns the earliest and latest stored sample time of tags.
func (s *Store) timeRange(tags []string) (lo, hi int64, ok bool) {
	lo, hi = math.MaxInt64, math.MinInt64
	for _, tag := range tags {
		v, err := s.view(tag)
		if err != nil {
			continue
		}
		if last, found := v.at(math.MaxInt64); found {
			hi = max(hi, last.T)
			_ = v.scan(context.Background(), math.MinInt64, math.MaxInt64, func(p []chunk.Sample) error {
				lo = min(lo, p[0].T)
				return errStop
			})
			ok = true
		}
		v.close()
	}
	return lo, hi, ok
}

type stopError struct{}

func (stopError) Error() string { return "stop" }

var errStop error = stopError{}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func formatTime(t int64) string { return time.Unix(0, t).UTC().Format(TimeFormat) }

func fraction(t, lo, hi int64) float64 {
	if hi <= lo {
		return 1
	}
	return float64(t-lo) / float64(hi-lo)
}

func (s *Store) exportLong(ctx context.Context, cw *csv.Writer, tags []string, lo, hi int64, has bool, opts ExportOptions, progress func(float64)) error {
	if err := cw.Write([]string{"time", "tag", "value", "quality"}); err != nil {
		return err
	}
	if !has {
		return nil
	}
	row := make([]string, 4)
	for ti, tag := range tags {
		row[1] = tag
		part := func(t int64) { progress((float64(ti) + fraction(t, lo, hi)) / float64(len(tags))) }
		if opts.MaxPoints > 0 {
			pts, err := s.Query(ctx, tag, time.Unix(0, lo), time.Unix(0, hi), opts.MaxPoints)
			if err != nil {
				return err
			}
			for i, p := range pts {
				row[0], row[2], row[3] = formatTime(p.Time.UnixNano()), formatValue(p.Value), p.Quality.String()
				if err := cw.Write(row); err != nil {
					return err
				}
				if i%4096 == 0 {
					part(p.Time.UnixNano())
				}
			}
			continue
		}
		v, err := s.view(tag)
		if err != nil {
			return err
		}
		err = v.scan(ctx, lo, hi, func(ss []chunk.Sample) error {
			for _, x := range ss {
				row[0], row[2], row[3] = formatTime(x.T), formatValue(x.V), unpackQuality(x.Q).String()
				if err := cw.Write(row); err != nil {
					return err
				}
			}
			part(ss[len(ss)-1].T)
			return nil
		})
		v.close()
		if err != nil {
			return fmt.Errorf("history export %s: %w", tag, err)
		}
	}
	return nil
}

func (s *Store) exportWide(ctx context.Context, cw *csv.Writer, tags []string, lo, hi int64, has bool, opts ExportOptions, progress func(float64)) error {
	if err := cw.Write(append([]string{"time"}, tags...)); err != nil {
		return err
	}
	if !has {
		return nil
	}
	cols := make([][]Point, len(tags))
	for i, tag := range tags {
		pts, err := s.Query(ctx, tag, time.Unix(0, lo), time.Unix(0, hi), opts.MaxPoints)
		if err != nil {
			return err
		}
		cols[i] = pts
		progress(0.5 * float64(i+1) / float64(len(tags)))
	}
	next := make([]int, len(tags))
	row := make([]string, len(tags)+1)
	for n := 0; ; n++ {
		t := int64(math.MaxInt64)
		found := false
		for i, c := range cols {
			if next[i] < len(c) {
				t, found = min(t, c[next[i]].Time.UnixNano()), true
			}
		}
		if !found {
			return nil
		}
		row[0] = formatTime(t)
		for i, c := range cols {
			row[i+1] = ""
			if next[i] < len(c) && c[next[i]].Time.UnixNano() == t {
				if p := c[next[i]]; !p.IsGap() {
					row[i+1] = formatValue(p.Value)
				}
				next[i]++
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			progress(0.5 + 0.5*fraction(t, lo, hi))
		}
	}
}
