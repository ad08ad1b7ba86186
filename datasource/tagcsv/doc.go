// Package tagcsv is Vigil's spreadsheet door to a project file: it exports the
// tags of a project (with their alarms) as CSV, one row per tag and one column
// per property, and imports such a CSV back into the project file, merging by
// tag name or replacing the tag list. It also reads the tag exports of
// KEPServerEX and Ignition (7.9 CSV), so that engineers migrating from those
// tools bring their tag lists with them.
//
// It sits before the project package in the data flow: it edits the YAML text
// an engineer keeps in version control, and the project package compiles the
// result. Both directions work on the YAML node tree, not on the compiled
// Project, so that what is exported is what the file says (a default left out
// of the file is an empty cell, never the default's value) and an import
// changes only what the spreadsheet changed: tags that did not change keep
// their bytes, comments and order, and a changed tag is edited field by field,
// keeping the order and comments of its other fields. Export followed by an
// unchanged import is a no-op.
//
// An import is all or nothing: every row is checked and every problem is
// reported as "tags.csv:ROW: column: message"; the new project file must pass
// project.Parse; only then does WriteFile replace the file atomically.
//
// The column reference is docs/tags-csv.md.
package tagcsv
