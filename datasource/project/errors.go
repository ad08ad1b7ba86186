package project

import (
	"sort"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
)

// maxErrors bounds how many problems one Parse reports, so that a garbage or
// hostile file cannot produce an unbounded error list.
const maxErrors = 100

// Error is one problem in a project file.
type Error struct {
	Pos   datasource.Pos
	Field string // path of the field, e.g. "tags[Tank1.Level].alarms[1].limit"; "" for the file as a whole
	Msg   string
}

// Error renders "file:line: field: message".
func (e *Error) Error() string {
	var b strings.Builder
	if p := e.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a project file, in file order. Parse and
// Load return it as their error; use errors.As to get the list.
type Errors []*Error

// Error renders one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sortByLine orders the problems as they appear in the file; problems found
// by later cross-checks land next to the lines they are about.
func (es Errors) sortByLine() {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Pos.Line < es[j].Pos.Line })
}
