package display

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
)

// Edit mode: a tap selects an element (an outline, and a handle at its
// bottom-right corner); a drag moves an element, a drag from the handle
// resizes it, both snapped to the display's grid. What changes goes to
// Deps.Edit, which edits the display file's text. The view itself never
// changes an element: the saved file, reloaded, is what the window shows
// (the text is the source of truth).

// Editor edits the display files (the shell implements it): each call
// changes one value of a file's text, checks that the displays still
// compile, writes the file and audits the edit; the watcher's reload then
// shows it. An error says why nothing was written.
type Editor interface {
	// Move sets element e's at (an instance's at for its elements).
	Move(d *displays.Display, e *displays.Element, at displays.Point) error
	// Resize sets element e's size.
	Resize(d *displays.Display, e *displays.Element, size displays.Size) error
	// Values returns e's scalar fields as written in its file, by key.
	Values(d *displays.Display, e *displays.Element) (map[string]string, error)
	// SetField sets field key of e to value.
	SetField(d *displays.Display, e *displays.Element, key, value string) error
	// Add appends a new element (displays.NewElement's text) to d.
	Add(d *displays.Display, text string) error
	// Undo undoes the last edit, Redo redoes the last undone one.
	Undo() error
	Redo() error
	// Tags are the project's tags, for the palette's tag picker.
	Tags() []*datasource.Tag
}

// handlePx is the side of the resize handle, in pixels.
const handlePx = 10

// drag is an element being dragged in edit mode.
type drag struct {
	e      *displays.Element
	from   displays.Point // its at (an instance's at for its elements)
	delta  displays.Point // moved so far, in display units
	resize bool           // from the handle: the size changes, not the at
}

// SetEditing turns edit mode on or off. In edit mode a tap selects an
// element, and a drag moves or resizes one.
func (v *View) SetEditing(on bool) {
	v.editing = on
	if !on {
		v.drag = nil
		v.Select(nil)
	}
}

// Editing reports whether edit mode is on.
func (v *View) Editing() bool { return v.editing }

// Selected returns the element selected in edit mode, or nil.
func (v *View) Selected() *displays.Element { return v.selected }

// Select selects element e (nil: none), outlines it and tells the host.
func (v *View) Select(e *displays.Element) {
	v.selected = e
	v.placeSelection()
	if v.deps.onSelect != nil {
		v.deps.onSelect(e)
	}
}

// SelectIndex selects the element written at index i of the display's
// elements (after a reload, the one selected before); it reports false
// when there is none.
func (v *View) SelectIndex(i int) bool {
	for _, e := range v.d.Elements {
		if e.Index == i && e.Via.Line == 0 {
			v.Select(e)
			return true
		}
	}
	return false
}

// resizable reports whether e can be resized: it has a box and is written
// in the display itself, not in a template shared by other instances.
func resizable(e *displays.Element) bool { return e.Line == nil && e.Via.Line == 0 }

// placeSelection outlines the selected element and puts the handle at its
// corner.
func (v *View) placeSelection() {
	e := v.selected
	if e == nil || v.m.scale == 0 {
		v.sel.Hide()
		v.handle.Hide()
		return
	}
	v.m.place(v.sel, outline(e, e.Box))
	v.sel.Show()
	v.sel.Refresh()
	if !resizable(e) {
		v.handle.Hide()
		return
	}
	c := v.m.pos(e.Box.X+e.Box.W, e.Box.Y+e.Box.H)
	v.handle.Move(c.Subtract(fyne.NewPos(handlePx/2, handlePx/2)))
	v.handle.Resize(fyne.NewSize(handlePx, handlePx))
	v.handle.Show()
	v.handle.Refresh()
}

// onHandle reports whether p (pixels) is on the selected element's handle.
func (v *View) onHandle(p fyne.Position) bool {
	if v.selected == nil || !v.handle.Visible() {
		return false
	}
	h := v.handle.Position()
	const slack = 4
	return p.X >= h.X-slack && p.X <= h.X+handlePx+slack && p.Y >= h.Y-slack && p.Y <= h.Y+handlePx+slack
}

// editTap selects the element under the pointer, or none.
func (v *View) editTap(x, y float64) {
	e := v.boxAt(x, y)
	if e == nil {
		e = v.ElementAt(x, y)
	}
	v.Select(e)
}

// Dragged implements fyne.Draggable: in edit mode it moves the selection
// box of the element under the pointer (or resizes the selected one from
// its handle); outside it, it pans a zoomed display.
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
		if v.onHandle(start) {
			v.drag = &drag{e: v.selected, resize: true}
		} else {
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
		v.handle.Hide()
	}
	v.drag.delta.X += float64(ev.Dragged.DX / v.m.scale)
	v.drag.delta.Y += float64(ev.Dragged.DY / v.m.scale)
	b := v.drag.e.Box
	if v.drag.resize {
		b.W, b.H = max(b.W+v.drag.delta.X, 1), max(b.H+v.drag.delta.Y, 1)
	} else {
		b.X += v.drag.delta.X
		b.Y += v.drag.delta.Y
	}
	v.m.place(v.sel, outline(v.drag.e, b))
	v.sel.Show()
	v.sel.Refresh()
}

// DragEnd implements fyne.Draggable: the element's new at or size,
// snapped to the grid, goes to Deps.Edit.
func (v *View) DragEnd() {
	if !v.editing {
		v.remember() // where a pan left the display
	}
	d := v.drag
	v.drag = nil
	v.placeSelection()
	if d == nil || v.deps.Edit == nil {
		return
	}
	g := v.d.Grid
	var err error
	if d.resize {
		b := d.e.Box
		size := displays.Size{W: max(snap(b.W+d.delta.X, g), g, 1), H: max(snap(b.H+d.delta.Y, g), g, 1)}
		if size != b.Size {
			err = v.deps.Edit.Resize(v.d, d.e, size)
		}
	} else {
		at := displays.Point{X: snap(d.from.X+d.delta.X, g), Y: snap(d.from.Y+d.delta.Y, g)}
		if at != d.from {
			err = v.deps.Edit.Move(v.d, d.e, at)
		}
	}
	if err != nil && v.deps.onError != nil {
		v.deps.onError(err)
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

// newSelection is the box that outlines the selected or dragged element.
func newSelection(c color.Color) *canvas.Rectangle {
	r := canvas.NewRectangle(color.Transparent)
	r.StrokeColor, r.StrokeWidth = c, 2
	r.Hide()
	return r
}

// lineMargin is how far the selection outline of a pipe or duct stands
// off its line, in display units: a straight pipe's box has no height, and
// its outline would hide under the line.
const lineMargin = 6

// outline is the box the selection outline of e draws when e's box is b.
func outline(e *displays.Element, b displays.Rect) displays.Rect {
	if e.Line == nil {
		return b
	}
	return displays.Rect{Point: displays.Point{X: b.X - lineMargin, Y: b.Y - lineMargin},
		Size: displays.Size{W: b.W + 2*lineMargin, H: b.H + 2*lineMargin}}
}

// newHandle is the resize handle at the selected element's corner.
func newHandle(c color.Color) *canvas.Rectangle {
	r := canvas.NewRectangle(c)
	r.Hide()
	return r
}
