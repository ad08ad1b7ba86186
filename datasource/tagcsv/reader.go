package tagcsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxRows bounds the rows one import reads, so that a wrong file (a log, a
// database dump) is refused rather than read at length.
const MaxRows = 1_000_000

// table is a CSV file as read: its header and its records.
type table struct {
	header  []string
	records [][]string // without the header
	comma   rune       // the separator found in the header
}

// readTable reads a CSV file from a spreadsheet or another tool: a UTF-8 byte
// order mark is skipped, and the separator (',', ';' or tab) is the one the
// header row uses most, since a European Excel writes ';'.
func readTable(file string, r io.Reader) (*table, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3) // Peek returned 3 bytes: they are buffered
	}
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	t := &table{comma: sniffComma(first)}
	cr := csv.NewReader(br)
	cr.Comma = t.comma
	cr.FieldsPerRecord = -1 // checked per row, with a message that names it
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &RowError{File: file, Row: len(t.records) + 2, Msg: "line " + fmt.Sprint(pe.Line) + ": " + pe.Err.Error()}
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if t.header == nil {
			t.header = rec
			continue
		}
		if len(t.records) >= MaxRows {
			return nil, &RowError{File: file, Row: len(t.records) + 2, Msg: fmt.Sprintf("more than %d rows; is it a tag list?", MaxRows)}
		}
		t.records = append(t.records, rec)
	}
	if t.header == nil {
		return nil, &RowError{File: file, Row: 1, Msg: "the file is empty; want a header row"}
	}
	return t, nil
}

// sniffComma returns the separator the first line uses most, outside quotes.
func sniffComma(b []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(b) {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' {
			break
		}
		if c == ',' || c == ';' || c == '\t' {
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// blank reports whether every cell of rec is empty (spreadsheets leave such
// rows at the end).
func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
