package setpoint

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// valueEntry is the setpoint entry: a single-line entry whose Esc closes
// the faceplate, since a focused entry receives the keys the window would.
type valueEntry struct {
	widget.Entry
	onEscape func()
}

func newValueEntry(onEscape func()) *valueEntry {
	e := &valueEntry{onEscape: onEscape}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey implements fyne.Focusable: Esc closes, other keys edit.
func (e *valueEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(ev)
}
