package project

import (
	"sort"
	"strings"

	"github.com/vigil-hmi/vigil/datasource/project/displays"
)

// maxErrors bounds how many problems one Parse reports, so that a garbage or
// hostile file cannot produce an unbounded error list.
const maxErrors = 100

// Error is one problem in a project file or one of its display files,
// rendered "file:line: field: message". It is the display compiler's type,
// so that display problems join the file's without conversion.
type Error = displays.Error

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
// by later cross-checks land next to the lines they are about. Problems in
// other files (display files) follow those of the project file, by file.
func (es Errors) sortByLine(file string) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if a.File != b.File {
			if a.File == file || b.File == file {
				return a.File == file
			}
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}
