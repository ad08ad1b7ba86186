package display

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"image/color"

	"github.com/vigil-hmi/vigil/datasource/project/displays"
)

// Edit mode: an element is moved by dragging it; where it lands, snapped to
// the display's grid, is handed to Deps.OnMove, which edits the display
// file's text. The view itself never changes the element: the saved file,
// reloaded, is what the window shows (the text is the source of truth).

// drag is an element being dragged in edit mode.
type drag struct {
	e     *displays.Element
	from  displays.Point // its at (an instance's at for its elements)
	delta displays.Point // moved so far, in display units
}

// SetEditing turns edit mode on or off. In edit mode a tap still opens a
// faceplate, and a drag moves an element.
func (v *View) SetEditing(on bool) {
	v.editing = on
	if !on {
		v.drag = nil
		v.sel.Hide()
	}
}

// Editing reports whether edit mode is on.
func (v *View) Editing() bool { return v.editing }

// Dragged implements fyne.Draggable: in edit mode it moves the selection
// box of the element under the pointer; outside it, it pans a zoomed
// display.
func (v *View) Dragged(ev *fyne.DragEvent) {
	if !v.editing {
		v.panBy(ev.Dragged)
		return
	}
	if v.m.scale == 0 {
		return
	}
	if v.drag == nil {
		start := ev.Position.Subtract(ev.Dragged)
		e := v.boxAt(float64((start.X-v.m.origin.X)/v.m.scale), float64((start.Y-v.m.origin.Y)/v.m.scale))
		if e == nil {
			return
		}
		from := e.Box.Point
		if e.Via.Line != 0 {
			from = e.Origin
		}
		v.drag = &drag{e: e, from: from}
	}
	v.drag.delta.X += float64(ev.Dragged.DX / v.m.scale)
	v.drag.delta.Y += float64(ev.Dragged.DY / v.m.scale)
	b := v.drag.e.Box
	b.X += v.drag.delta.X
	b.Y += v.drag.delta.Y
	v.m.place(v.sel, b)
	v.sel.Show()
	v.sel.Refresh()
}

// DragEnd implements fyne.Draggable: the element's new at, snapped to the
// grid, goes to Deps.OnMove.
func (v *View) DragEnd() {
	d := v.drag
	v.drag = nil
	v.sel.Hide()
	if d == nil || v.deps.OnMove == nil {
		return
	}
	g := v.d.Grid
	at := displays.Point{X: snap(d.from.X+d.delta.X, g), Y: snap(d.from.Y+d.delta.Y, g)}
	if at != d.from {
		v.deps.OnMove(v.d, d.e, at)
	}
}

func snap(x, grid float64) float64 {
	if grid <= 0 {
		return math.Round(x)
	}
	return math.Round(x/grid) * grid
}

// boxAt returns the smallest element with a box (not a pipe) at (x, y):
// inside a group box, the element, not the group.
func (v *View) boxAt(x, y float64) *displays.Element {
	var best *displays.Element
	for _, e := range v.d.Elements {
		b := e.Box
		if e.Line == nil && x >= b.X && x <= b.X+b.W && y >= b.Y && y <= b.Y+b.H && (best == nil || b.W*b.H < best.Box.W*best.Box.H) {
			best = e
		}
	}
	return best
}

// newSelection is the box that follows a dragged element.
func newSelection(c color.Color) *canvas.Rectangle {
	r := canvas.NewRectangle(color.Transparent)
	r.StrokeColor, r.StrokeWidth = c, 2
	r.Hide()
	return r
}
