package trend

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// The chart is driven by mouse and keyboard alike (docs/trend.md: everything
// reachable without a mouse).
var (
	_ fyne.Draggable    = (*Chart)(nil)
	_ fyne.Scrollable   = (*Chart)(nil)
	_ fyne.Focusable    = (*Chart)(nil)
	_ fyne.Tappable     = (*Chart)(nil)
	_ desktop.Hoverable = (*Chart)(nil)
)

// zoomStep is the span factor of one wheel notch or key press.
const zoomStep = 0.8

// timeAtX returns the time under widget x (clamped to the visible range).
func (c *Chart) timeAtX(x float32) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	pos, ps := c.geo.plotPos, c.geo.plotSize
	frac := float32(1)
	if ps.Width > 0 {
		frac = min(max((x-pos.X)/ps.Width, 0), 1)
	}
	return c.to.Add(-c.span).Add(time.Duration(float64(frac) * float64(c.span)))
}

// Dragged pans: the plot follows the pointer, and the chart leaves live mode.
func (c *Chart) Dragged(e *fyne.DragEvent) {
	c.mu.Lock()
	shift := time.Duration(float64(-e.Dragged.DX) / float64(max(c.geo.plotSize.Width, 1)) * float64(c.span))
	c.to = c.to.Add(shift)
	c.live = false
	c.mu.Unlock()
	c.changed()
}

// DragEnd implements fyne.Draggable; every drag step already reloaded.
func (c *Chart) DragEnd() {}

// Scrolled zooms around the time under the pointer: wheel up zooms in.
func (c *Chart) Scrolled(e *fyne.ScrollEvent) {
	if e.Scrolled.DY == 0 {
		return
	}
	f := zoomStep
	if e.Scrolled.DY < 0 {
		f = 1 / zoomStep
	}
	c.zoom(f, c.timeAtX(e.Position.X))
}

// zoom scales the span by f keeping pivot at the same place; a live chart
// keeps its right edge at now.
func (c *Chart) zoom(f float64, pivot time.Time) {
	c.mu.Lock()
	from := c.to.Add(-c.span)
	span := clampSpan(time.Duration(float64(c.span) * f))
	if c.live {
		c.to = c.opts.Now()
	} else {
		k := float64(pivot.Sub(from)) / float64(c.span)
		newFrom := pivot.Add(-time.Duration(k * float64(span)))
		c.to = newFrom.Add(span)
	}
	c.span = span
	c.mu.Unlock()
	c.changed()
}

func (c *Chart) center() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.to.Add(-c.span / 2)
}

// pan moves the range by frac of the span (negative: back in time).
func (c *Chart) pan(frac float64) {
	c.mu.Lock()
	c.to = c.to.Add(time.Duration(frac * float64(c.span)))
	c.live = false
	c.mu.Unlock()
	c.changed()
}

// Tapped puts the cursor at the tapped time and takes the keyboard focus.
func (c *Chart) Tapped(e *fyne.PointEvent) {
	c.SetCursor(c.timeAtX(e.Position.X))
	if app := fyne.CurrentApp(); app != nil {
		if cv := app.Driver().CanvasForObject(c); cv != nil {
			cv.Focus(c)
		}
	}
}

// MouseIn implements desktop.Hoverable.
func (c *Chart) MouseIn(e *desktop.MouseEvent) { c.MouseMoved(e) }

// MouseMoved moves the cursor with the pointer.
func (c *Chart) MouseMoved(e *desktop.MouseEvent) { c.SetCursor(c.timeAtX(e.Position.X)) }

// MouseOut removes the cursor: the legend goes back to the values now,
// rather than keep showing values of a time the operator no longer points at.
func (c *Chart) MouseOut() { c.SetCursor(time.Time{}) }

// FocusGained implements fyne.Focusable.
func (c *Chart) FocusGained() {}

// FocusLost implements fyne.Focusable.
func (c *Chart) FocusLost() {}

// TypedRune: + and - zoom, 1..5 choose a preset window.
func (c *Chart) TypedRune(r rune) {
	switch {
	case r == '+' || r == '=':
		c.zoom(zoomStep, c.center())
	case r == '-':
		c.zoom(1/zoomStep, c.center())
	case r >= '1' && int(r-'1') < len(Presets):
		c.SetWindow(Presets[r-'1'])
	}
}

// TypedKey: arrows pan by a tenth of the window (Up/Down zoom), End goes
// live, Escape removes the cursor.
func (c *Chart) TypedKey(e *fyne.KeyEvent) {
	switch e.Name {
	case fyne.KeyLeft:
		c.pan(-0.1)
	case fyne.KeyRight:
		c.pan(0.1)
	case fyne.KeyUp:
		c.zoom(zoomStep, c.center())
	case fyne.KeyDown:
		c.zoom(1/zoomStep, c.center())
	case fyne.KeyEnd:
		c.SetLive(true)
	case fyne.KeyEscape:
		c.SetCursor(time.Time{})
	}
}
