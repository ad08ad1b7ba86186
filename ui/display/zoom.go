package display

import (
	"math"
	"slices"

	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/datasource/project/displays"
)

// Zoom and pan: the mouse wheel zooms around the pointer (from the whole
// display fitted to the window, 1, up to MaxZoom), a drag pans a zoomed
// display (outside edit mode) and Fit (the host's Whole button) goes back
// to the whole display. Not a double tap: a view that took double taps
// would make every single tap, the faceplate's, wait for a second one.
// A view keeps its zoom and pan for as long as the host keeps it, so each
// display is where the operator left it; with Deps.Prefs it finds them
// again after a restart.

// MaxZoom is the largest zoom, relative to the whole display fitted.
const MaxZoom = 8

// Zoom returns the view's zoom (1: the whole display fitted).
func (v *View) Zoom() float32 {
	if v.zoom < 1 {
		return 1
	}
	return v.zoom
}

// Scrolled implements fyne.Scrollable: the wheel zooms around the pointer.
func (v *View) Scrolled(ev *fyne.ScrollEvent) {
	if v.m.scale == 0 || ev.Scrolled.DY == 0 {
		return
	}
	v.centre = nil
	z := v.Zoom() * float32(math.Pow(1.1, float64(ev.Scrolled.DY)/10))
	z = min(max(z, 1), MaxZoom)
	// Keep the display point under the pointer where it is.
	px := (ev.Position.X - v.m.origin.X) / v.m.scale
	py := (ev.Position.Y - v.m.origin.Y) / v.m.scale
	v.zoom = z
	s := v.fit * z
	centre := v.centred(s)
	v.pan = fyne.NewPos(ev.Position.X-px*s-centre.X, ev.Position.Y-py*s-centre.Y)
	v.relayout()
	v.remember()
}

// Fit shows the whole display again.
func (v *View) Fit() {
	v.zoom, v.pan, v.centre = 1, fyne.Position{}, nil
	v.relayout()
	v.remember()
}

// prefKey is where Deps.Prefs keeps the view's zoom and scroll: the zoom
// and the display point at the middle of the view, in display units, so a
// window of another size shows the same part of the display.
func (v *View) prefKey() string { return v.deps.PrefPrefix + "display." + v.d.Name + ".view" }

// recall takes the zoom and scroll remembered in Deps.Prefs; the scroll is
// placed at the first layout, when the view's size is known. A value that
// is not three finite numbers, or a zoom out of range, is ignored.
func (v *View) recall() {
	if v.deps.Prefs == nil {
		return
	}
	z := v.deps.Prefs.FloatList(v.prefKey())
	if len(z) != 3 || !(z[0] >= 1 && z[0] <= MaxZoom) || math.IsNaN(z[1]) || math.IsNaN(z[2]) || math.IsInf(z[1], 0) || math.IsInf(z[2], 0) {
		return
	}
	v.zoom = float32(z[0])
	v.centre = &displays.Point{X: z[1], Y: z[2]}
}

// remember keeps the zoom and scroll in Deps.Prefs (a zoom, a pan ended,
// Fit).
func (v *View) remember() {
	if v.deps.Prefs == nil || v.m.scale == 0 {
		return
	}
	c := fyne.NewPos(v.size.Width/2, v.size.Height/2).Subtract(v.m.origin)
	now := []float64{float64(v.Zoom()), float64(c.X / v.m.scale), float64(c.Y / v.m.scale)}
	if slices.Equal(v.deps.Prefs.FloatList(v.prefKey()), now) {
		return // a drag on a display that cannot pan: no write of the file
	}
	v.deps.Prefs.SetFloatList(v.prefKey(), now)
}

// placeCentre sets the pan that shows the remembered display point at the
// middle of the view (layout clamps it). It does so at every layout until
// the operator zooms or pans: the window's first sizes are not its last.
func (v *View) placeCentre(s float32) {
	c := v.centre
	centred := v.centred(s)
	v.pan = fyne.NewPos(v.size.Width/2-float32(c.X)*s-centred.X, v.size.Height/2-float32(c.Y)*s-centred.Y)
}

// panBy moves a zoomed display (a drag outside edit mode).
func (v *View) panBy(d fyne.Delta) {
	if v.Zoom() == 1 {
		return
	}
	v.centre = nil
	v.pan = v.pan.Add(fyne.NewPos(d.DX, d.DY))
	v.relayout()
}

// centred is the origin that centres the canvas drawn at scale s.
func (v *View) centred(s float32) fyne.Position {
	dw, dh := float32(v.d.Size.W)*s, float32(v.d.Size.H)*s
	return fyne.NewPos((v.size.Width-dw)/2, (v.size.Height-dh)/2)
}

// layout computes the mapper for the view's size, zoom and pan (the pan
// clamped so that a zoomed display always fills the view) and places every
// part.
func (v *View) layout() {
	dw, dh := float32(v.d.Size.W), float32(v.d.Size.H)
	v.fit = min(v.size.Width/dw, v.size.Height/dh)
	s := v.fit * v.Zoom()
	if v.centre != nil && !v.size.IsZero() {
		v.placeCentre(s)
	}
	c := v.centred(s)
	clamp := func(pan, centre, extent, view float32) float32 {
		if extent <= view {
			return 0
		}
		lo, hi := view-extent-centre, -centre // origin in [view-extent, 0]
		return min(max(pan, lo), hi)
	}
	v.pan.X = clamp(v.pan.X, c.X, dw*s, v.size.Width)
	v.pan.Y = clamp(v.pan.Y, c.Y, dh*s, v.size.Height)
	v.m = mapper{scale: s, origin: c.Add(v.pan)}
	for _, p := range v.parts {
		p.place(v.m)
	}
	if v.drag == nil {
		v.placeSelection()
	}
}

// relayout lays the view out again after a zoom or pan.
func (v *View) relayout() {
	if v.size.IsZero() {
		return
	}
	v.layout()
	v.Refresh()
}
