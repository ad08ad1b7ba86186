package display

import (
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// mapper turns display units into the widget's pixels: one scale for both
// axes (the aspect ratio is kept) and an origin that centres the canvas.
type mapper struct {
	scale  float32
	origin fyne.Position
}

func (m mapper) pos(x, y float64) fyne.Position {
	return fyne.NewPos(m.origin.X+float32(x)*m.scale, m.origin.Y+float32(y)*m.scale)
}

func (m mapper) size(w, h float64) fyne.Size {
	return fyne.NewSize(float32(w)*m.scale, float32(h)*m.scale)
}

// place moves and resizes o onto the box r, and leaves it alone when it is
// there already. The view is laid out again whenever a value's text changes
// width, at every refresh; a canvas.Circle keeps two corners, so the size
// it reports back differs from the one it was given by a float rounding,
// its Resize then always refreshes it, and every refresh of the window was
// followed by a second full repaint for the pump's body (issue 16: idle CPU
// with alarms flashing).
func (m mapper) place(o fyne.CanvasObject, r displays.Rect) {
	if pos := m.pos(r.X, r.Y); o.Position() != pos {
		o.Move(pos)
	}
	if size, was := m.size(r.W, r.H), o.Size(); !near(size.Width, was.Width) || !near(size.Height, was.Height) {
		o.Resize(size)
	}
}

// near reports whether two lengths in pixels differ by float rounding only.
func near(a, b float32) bool { return a-b < 0.01 && b-a < 0.01 }

// text places t with its top-left at (x, y) and its size in display units.
func (m mapper) text(t *canvas.Text, x, y, size float64) {
	t.TextSize = float32(size) * m.scale
	t.Move(m.pos(x, y))
	t.Resize(t.MinSize())
}

// Text sizes in display units: one for values, a smaller one for labels
// (ui.md: one size for values and a smaller one for labels).
const (
	valueSize = 18
	labelSize = 14
)

func newText(s string, c color.Color, mono bool) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextStyle.Monospace = mono
	return t
}

// setText changes a text's string and colour, refreshing it only when one
// of them changed.
func setText(t *canvas.Text, s string, c color.Color) {
	if t.Text == s && t.Color == c {
		return
	}
	t.Text, t.Color = s, c
	t.Resize(t.MinSize())
	t.Refresh()
}

// setShown shows or hides o.
func setShown(o fyne.CanvasObject, shown bool) {
	if o.Visible() == shown {
		return
	}
	if shown {
		o.Show()
	} else {
		o.Hide()
	}
}

// polygon returns the priority indicator's outline in a unit square:
// square, triangle, inverted triangle, diamond (ui.md).
func polygon(p datasource.Priority) [][2]float64 {
	switch p {
	case datasource.PriorityCritical:
		return [][2]float64{{0.05, 0.05}, {0.95, 0.05}, {0.95, 0.95}, {0.05, 0.95}}
	case datasource.PriorityHigh:
		return [][2]float64{{0.5, 0.02}, {0.98, 0.95}, {0.02, 0.95}}
	case datasource.PriorityMedium:
		return [][2]float64{{0.02, 0.05}, {0.98, 0.05}, {0.5, 0.98}}
	}
	return [][2]float64{{0.5, 0}, {1, 0.5}, {0.5, 1}, {0, 0.5}}
}

// inside reports whether (x, y) lies in the polygon (even-odd rule).
func inside(pts [][2]float64, x, y float64) bool {
	in := false
	for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
		a, b := pts[i], pts[j]
		if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// paintPolygon paints pts (unit coordinates) into a w x h image: filled,
// or outline only (a band of about 2 px inside the edge).
func paintPolygon(w, h int, pts [][2]float64, c color.Color, filled bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w <= 0 || h <= 0 {
		return img
	}
	bw, bh := 2.5/float64(w), 2.5/float64(h)
	for y := 0; y < h; y++ {
		fy := (float64(y) + 0.5) / float64(h)
		for x := 0; x < w; x++ {
			fx := (float64(x) + 0.5) / float64(w)
			if !inside(pts, fx, fy) {
				continue
			}
			if !filled && inside(pts, fx-bw, fy) && inside(pts, fx+bw, fy) && inside(pts, fx, fy-bh) && inside(pts, fx, fy+bh) {
				continue
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// paintDashes paints a dashed rectangle outline: a Bad reading's mark.
func paintDashes(w, h int, c color.Color) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	const dash, t = 6, 2
	for x := 0; x < w; x++ {
		if (x/dash)%2 == 0 {
			for k := 0; k < t && k < h; k++ {
				img.Set(x, k, c)
				img.Set(x, h-1-k, c)
			}
		}
	}
	for y := 0; y < h; y++ {
		if (y/dash)%2 == 0 {
			for k := 0; k < t && k < w; k++ {
				img.Set(k, y, c)
				img.Set(w-1-k, y, c)
			}
		}
	}
	return img
}

// paintHatch paints diagonal hatching: an out-of-service body.
func paintHatch(w, h int, c color.Color) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if (x+y)%8 < 2 {
				img.Set(x, y, c)
			}
		}
	}
	return img
}

// grey returns the equipment fill of a running or open symbol: mid-dark
// grey in both palettes (ui.md: running = filled mid-dark grey).
func grey(th *theme.HMI) color.NRGBA {
	return th.P.Dim
}
