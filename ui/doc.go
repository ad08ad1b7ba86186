// Package ui is Vigil's operator interface on Fyne. Create builds the window
// content for a running project: a live tag table, a device status panel and
// a status line.
//
// The UI sits at the end of the data flow. It never receives a callback per
// sample: one ticker per window takes a snapshot of the tag table at a bounded
// rate (4 Hz by default) and repaints on the UI goroutine through fyne.Do.
// Operator actions (setpoint writes) go back through the engine's write path.
package ui
