package audit

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/history"
)

// CSVHeader is the first row Export writes.
var CSVHeader = []string{"seq", "time", "kind", "source", "name", "state", "user", "message", "reason", "old", "new", "read_back", "data", "chain", "hash"}

// Export writes the journal's events from..to whose kind is in kinds
// (all kinds when empty) as CSV (RFC 4180, CRLF, times RFC 3339 UTC):
// one row per event, the common audit fields in their own columns and the
// other Data as "key=value; ..." in data.
func Export(ctx context.Context, w io.Writer, j Journal, from, to time.Time, kinds []string) (int, error) {
	evs, err := j.Events(ctx, from, to, "", 0)
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return 0, err
	}
	n := 0
	own := []string{"reason", "old", "new", "read_back", KeyChain, KeyHash}
	for _, e := range evs {
		if len(kinds) > 0 && !slices.Contains(kinds, e.Kind) {
			continue
		}
		var rest []string
		for _, k := range slices.Sorted(maps.Keys(e.Data)) {
			if !slices.Contains(own, k) && k != KeyPrev {
				rest = append(rest, k+"="+e.Data[k])
			}
		}
		row := []string{strconv.FormatUint(e.Seq, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Kind, e.Source,
			e.Name, e.State, e.User, e.Message, e.Data["reason"], e.Data["old"], e.Data["new"], e.Data["read_back"],
			strings.Join(rest, "; "), e.Data[KeyChain], e.Data[KeyHash]}
		for i, c := range row {
			row[i] = defuse(c)
		}
		if err := cw.Write(row); err != nil {
			return n, err
		}
		n++
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("write CSV: %w", err)
	}
	return n, nil
}

// defuse keeps a spreadsheet from running a cell that an operator's
// reason or a tag name made start like a formula.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}

var _ Journal = (*history.Store)(nil)
