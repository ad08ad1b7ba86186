package setpoint

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
)

// Show opens the faceplate of tag as a modal popup over win and returns
// it with a function that closes it (Esc and the Close button do the same).
// The owner keeps calling Update on the returned faceplate while it is open.
// Closing ends a write in flight.
func Show(win fyne.Window, tag *datasource.Tag, deps Deps) (*Faceplate, func()) {
	deps.Window = win
	f := New(tag, deps)
	c := win.Canvas()
	var pop *widget.PopUp
	prev := c.OnTypedKey()
	closed := false
	closer := func() {
		if closed {
			return
		}
		closed = true
		f.Close()
		pop.Hide()
		c.SetOnTypedKey(prev)
	}
	f.onClose = closer
	body := container.NewBorder(nil, container.NewHBox(widget.NewButton("Close", closer)), nil, nil, f.Content())
	pop = widget.NewModalPopUp(container.NewPadded(body), c)
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			f.close()
			return
		}
		if prev != nil {
			prev(ev)
		}
	})
	f.relayout = func() { pop.Resize(pop.Content.MinSize()) }
	pop.Show()
	if f.entry != nil {
		c.Focus(f.entry) // the operator opened it to type a value
	}
	return f, closer
}
