// Package project reads a Vigil project file (YAML) and compiles it into a
// validated Project: the devices, the tags with their alarms, and the users
// and roles, as the datasource types every other package consumes.
//
// It sits at the very start of the data flow: the CLI loads a project with
// Load, the poll engine builds one driver per Device and polls the Tags, the
// Table is sized by len(Project.Tags) (a Tag's ID is its index), and history,
// alarms and the UI read the tag definitions. Nothing downstream re-checks
// what this package has validated, so it checks every field: types, ranges,
// enumerations, durations, names, duplicates and the references between
// tags, devices, scan classes and alarms. A device's driver settings (its
// address scheme and the section named after its driver) are read by the
// driver's own schema, which the registry (datasource/drivers) hands over,
// with the field readers of yamlfield; driver-specific tag address syntax is
// left to the driver's Prepare.
//
// Problems are never reported one at a time: Parse walks the whole file and
// returns an Errors listing all of them, each "file:line: field: message",
// so an engineer fixes a file in one pass. Input is never trusted: an empty,
// truncated, binary or hostile file gives errors, never a panic.
//
// The format is documented field by field in docs/project-file.md.
package project
