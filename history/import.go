package history

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// ImportResult counts what ImportCSV did.
type ImportResult struct {
	Rows    int // data rows read
	Tags    int // distinct tags
	Stored  int // samples accepted
	Skipped int // samples not newer than the tag's history (already there, or duplicates)
}

// maxImportErrors stops reporting after this many bad rows.
const maxImportErrors = 20

// ImportCSV reads long-format CSV (time,tag,value[,quality]; an optional
// header row starting with "time") from r and appends it, sorted per tag by
// time. name labels errors ("data.csv:12: ..."). Nothing is stored when any
// row is bad. Times are RFC 3339 / ISO 8601 (with or without a zone; none
// means UTC) or "2006-01-02 15:04:05"; values are numbers, NaN, ±Inf,
// true/false, or empty (a gap: NaN); quality is as Quality.String prints it
// ("Good", "Bad/NotConnected"), default Good. Samples older than a tag's
// history are skipped and counted.
func (s *Store) ImportCSV(ctx context.Context, r io.Reader, name string) (_ ImportResult, err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	samples, res, err := ParseCSV(r, name)
	if err != nil {
		return res, err
	}
	byTag := map[string][]Sample{}
	for _, x := range samples {
		byTag[x.Tag] = append(byTag[x.Tag], x)
	}
	res.Tags = len(byTag)
	before := s.Stats()
	names := make([]string, 0, len(byTag))
	for t := range byTag {
		names = append(names, t)
	}
	sort.Strings(names)
	const batch = 1 << 16
	for _, t := range names {
		ss := byTag[t]
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].Time.Before(ss[j].Time) })
		for len(ss) > 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			n := min(len(ss), batch)
			if err := s.Append(ss[:n]); err != nil {
				return res, fmt.Errorf("%s: tag %s: %w", name, t, err)
			}
			ss = ss[n:]
		}
	}
	if err := s.Flush(); err != nil {
		return res, err
	}
	after := s.Stats()
	res.Stored = int(after.Appended - before.Appended)
	res.Skipped = len(samples) - res.Stored
	return res, nil
}

// ParseCSV reads long-format CSV into samples (see ImportCSV). Errors name
// name and the line; at most 20 are reported.
func ParseCSV(r io.Reader, name string) ([]Sample, ImportResult, error) {
	var res ImportResult
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	var out []Sample
	var errs []error
	bad := func(line int, format string, args ...any) {
		if len(errs) < maxImportErrors {
			errs = append(errs, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
		}
	}
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(pe.Line, "%v", pe.Err)
				if len(errs) >= maxImportErrors {
					break
				}
				continue
			}
			return nil, res, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0) // only valid after a successful Read
		if first {
			first = false
			if len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "time") {
				continue
			}
		}
		res.Rows++
		if len(rec) < 3 || len(rec) > 4 {
			bad(line, "want time,tag,value[,quality], got %d fields", len(rec))
			continue
		}
		t, err := parseTime(rec[0])
		if err != nil {
			bad(line, "time %q: %v", rec[0], err)
			continue
		}
		tag := strings.TrimSpace(rec[1])
		if tag == "" {
			bad(line, "tag: empty")
			continue
		}
		v, err := parseValue(rec[2])
		if err != nil {
			bad(line, "value %q: %v", rec[2], err)
			continue
		}
		q := datasource.QualityGood
		if len(rec) == 4 {
			if q, err = parseQuality(rec[3]); err != nil {
				bad(line, "quality %q: %v", rec[3], err)
				continue
			}
		}
		out = append(out, Sample{Tag: tag, Time: t, Value: v, Quality: q})
	}
	if len(errs) > 0 {
		return nil, res, errors.Join(errs...)
	}
	return out, res, nil
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Before(minTime) || t.After(maxTime) {
				return time.Time{}, errors.New("outside 1678..2262")
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not an ISO 8601 time such as 2026-11-28T15:04:05Z")
}

func parseValue(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return math.NaN(), nil
	case "true":
		return 1, nil
	case "false":
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	return v, nil
}

func parseQuality(s string) (datasource.Quality, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return datasource.QualityGood, nil
	}
	st, rs, _ := strings.Cut(s, "/")
	var q datasource.Quality
	switch st {
	case "Good":
		q.Status = datasource.Good
	case "Uncertain":
		q.Status = datasource.Uncertain
	case "Bad":
		q.Status = datasource.Bad
	default:
		return q, errors.New("want Good, Uncertain or Bad, optionally /Reason")
	}
	if rs != "" {
		r, ok := datasource.ParseReason(rs)
		if !ok || r == datasource.ReasonNone {
			return q, fmt.Errorf("unknown reason %q", rs)
		}
		q.Reason = r
	}
	return q, nil
}
