package tagcsv

import (
	"sort"
	"strconv"
	"strings"
)

// maxErrors bounds how many problems one import reports: a file of the
// wrong kind would otherwise give one per cell.
const maxErrors = 500

// RowError is one problem with one row of a CSV: it reads
// "tags.csv:ROW: column: message". ROW is the row as a spreadsheet numbers
// it (the header is row 1); Column is "" for the row as a whole.
type RowError struct {
	File   string
	Row    int
	Column string
	Msg    string
}

// Error implements error.
func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Row > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Row))
	}
	b.WriteString(": ")
	if e.Column != "" {
		b.WriteString(e.Column)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// RowErrors is every problem an import found, ordered by row. Import returns
// it as its error when any row is bad; use errors.As to get the list.
type RowErrors []*RowError

// Error renders one problem per line.
func (es RowErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// collector gathers the problems of an import.
type collector struct {
	file string
	errs RowErrors
	full bool
}

// add records a problem at a row and column.
func (c *collector) add(row int, column, msg string) {
	if len(c.errs) >= maxErrors {
		c.full = true
		return
	}
	c.errs = append(c.errs, &RowError{File: c.file, Row: row, Column: column, Msg: msg})
}

// result returns the problems as an error, nil when there are none.
func (c *collector) result() error {
	if len(c.errs) == 0 {
		return nil
	}
	sort.SliceStable(c.errs, func(i, j int) bool { return c.errs[i].Row < c.errs[j].Row })
	if c.full {
		last := c.errs[len(c.errs)-1].Row
		c.errs = append(c.errs, &RowError{File: c.file, Row: last, Msg: "too many errors; fix these first"})
	}
	return c.errs
}
