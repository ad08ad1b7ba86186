// Package displays compiles a project's process displays: the `displays:`
// section of a project file and the display files it names. It sits beside
// the project loader in the data flow (project file -> compiled project):
// one pass reads every display, resolves its tag names against the
// project's tags, expands templates and checks navigation, and collects
// every problem as "file:line: displays[NAME].elements[i].field: message".
// The result is an immutable Set the UI draws without ever looking a tag up
// by name.
//
// The package does not import Fyne, so `vigil check` and its tests run
// without cgo. The format is described in docs/displays.md.
package displays
