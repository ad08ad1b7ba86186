package displays

import (
	"sort"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
)

// MaxErrors bounds the problems one Compile reports, so that a garbage file
// cannot produce an unbounded list.
const MaxErrors = 100

// Error is one problem in a project file or a display file (package
// project uses this type for its own problems too).
type Error struct {
	Pos   datasource.Pos
	Field string // "displays[tank-area].elements[3].level"; "" for a file as a whole
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

// errorList collects problems, drops exact repeats (a template placed ten
// times with the same fault in its body is reported once at the template)
// and stops at MaxErrors.
type errorList struct {
	errs      []*Error
	seen      map[Error]bool
	truncated bool
}

func (l *errorList) add(e Error) {
	if l.seen[e] {
		return
	}
	if len(l.errs) >= MaxErrors {
		l.truncated = true
		return
	}
	if l.seen == nil {
		l.seen = make(map[Error]bool)
	}
	l.seen[e] = true
	l.errs = append(l.errs, &e)
}

// sorted returns the problems by file (the project file's order of reading)
// and line.
func (l *errorList) sorted() []*Error {
	sort.SliceStable(l.errs, func(i, j int) bool {
		a, b := l.errs[i].Pos, l.errs[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return l.errs
}
