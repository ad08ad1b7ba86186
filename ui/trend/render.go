package trend

import (
	"image"
	"image/color"
	"math"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"

	vtheme "github.com/vigil-hmi/vigil/ui/theme"
)

// Layout in Fyne units around the plot.
const (
	axisWidth  = 56 // one y-axis column per unit
	legendRow  = 20 // pen readouts above the plot
	timeRow    = 20 // time labels below it
	rightPad   = 8
	minTickPx  = 90 // time labels at least this far apart
	yTickCount = 5
)

type renderer struct {
	c *Chart
	// mu guards texts, objs and size: the UI goroutine uses them, and
	// Fyne's test driver runs fyne.Do callbacks on the calling goroutine.
	mu     sync.Mutex
	border *canvas.Rectangle
	raster *canvas.Raster
	texts  []fyne.CanvasObject
	objs   []fyne.CanvasObject
	size   fyne.Size
}

func newRenderer(c *Chart) *renderer {
	r := &renderer{c: c, border: canvas.NewRectangle(color.Transparent)}
	r.border.StrokeColor = vtheme.Light.Line
	r.border.StrokeWidth = 1
	r.raster = canvas.NewRaster(r.paint)
	r.rebuild()
	return r
}

// plotRect returns the plot's position and size for a widget size.
func plotRect(size fyne.Size, nScales int) (fyne.Position, fyne.Size) {
	left := float32(max(nScales, 1) * axisWidth)
	w := max(size.Width-left-rightPad, 1)
	h := max(size.Height-legendRow-timeRow, 1)
	return fyne.NewPos(left, legendRow), fyne.NewSize(w, h)
}

func (r *renderer) canvasScale() float32 {
	if app := fyne.CurrentApp(); app != nil {
		if cv := app.Driver().CanvasForObject(r.c); cv != nil {
			return cv.Scale()
		}
	}
	return 1
}

func (r *renderer) Layout(size fyne.Size) {
	r.mu.Lock()
	r.size = size
	r.mu.Unlock()
	c := r.c
	c.mu.Lock()
	nScales := len(distinctUnits(c.pens))
	pos, ps := plotRect(size, nScales)
	s := r.canvasScale()
	w, h := int(ps.Width*s), int(ps.Height*s)
	reload := w != c.plotW && len(c.pens) > 0
	c.plotW, c.plotH = w, h
	c.mu.Unlock()
	r.raster.Move(pos)
	r.raster.Resize(ps)
	r.border.Move(pos)
	r.border.Resize(ps)
	r.rebuild()
	if reload {
		c.requestLoad()
	}
}

func (r *renderer) MinSize() fyne.Size {
	return fyne.NewSize(axisWidth+200, legendRow+timeRow+100)
}

func (r *renderer) Refresh() {
	r.rebuild()
	r.raster.Refresh()
	r.border.Refresh()
}

func (r *renderer) Objects() []fyne.CanvasObject {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.objs
}

func (r *renderer) Destroy() {}

// paint is the raster generator: the plot at w×h pixels.
func (r *renderer) paint(w, h int) image.Image {
	c := r.c
	c.mu.Lock()
	f := c.snapshot()
	c.mu.Unlock()
	xt, yt := ticksFor(f, w, c.opts.Location, float32(w)/max(r.raster.Size().Width, 1))
	return c.img.draw(f, w, h, xt, yt)
}

// ticksFor returns the grid of a frame: time ticks and the first scale's
// value ticks. pxPerUnit converts the label spacing to pixels.
func ticksFor(f frame, w int, loc *time.Location, pxPerUnit float32) ([]time.Time, []float64) {
	xt := timeTicks(f.from, f.span, w, int(minTickPx*pxPerUnit), loc)
	var yt []float64
	if len(f.scales) > 0 {
		yt = niceTicks(f.scales[0].lo, f.scales[0].hi, yTickCount)
	}
	return xt, yt
}

// rebuild makes the labels: the legend with cursor values, one value axis
// per unit and the time axis.
func (r *renderer) rebuild() {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.c
	c.mu.Lock()
	f := c.snapshot()
	loadErr := c.loadErr
	c.mu.Unlock()
	fg := vtheme.Light.Foreground
	ts := theme.TextSize() * 0.85
	pos, ps := plotRect(r.size, len(f.scales))
	r.texts = nil // a new slice: the last one may still be painted
	add := func(s string, col color.Color, x, y float32, align fyne.TextAlign) {
		t := canvas.NewText(s, col)
		t.TextSize = ts
		t.TextStyle.Monospace = true
		t.Alignment = align
		sz := t.MinSize()
		switch align {
		case fyne.TextAlignTrailing:
			x -= sz.Width
		case fyne.TextAlignCenter:
			x -= sz.Width / 2
		}
		t.Move(fyne.NewPos(x, y-sz.Height/2))
		t.Resize(sz)
		r.texts = append(r.texts, t)
	}
	// Legend: each pen's value at the cursor, or its newest visible value.
	x := pos.X
	for i, p := range f.pens {
		at := f.from.Add(f.span)
		if !f.cursor.IsZero() {
			at = f.cursor
		}
		txt := "■ " + p.label() + " " + readout(p, at)
		if i == f.selected {
			txt = "▶" + txt
		}
		add(txt, p.col, x, legendRow/2, fyne.TextAlignLeading)
		x += r.texts[len(r.texts)-1].Size().Width + 12
	}
	// Value axes, one column per unit, nearest the plot first.
	for j, s := range f.scales {
		right := pos.X - float32(j)*axisWidth - 4
		col := color.Color(fg)
		for i, p := range f.pens {
			if f.penScale[i] == j {
				col = p.col
				break
			}
		}
		for _, v := range niceTicks(s.lo, s.hi, yTickCount) {
			y := pos.Y + float32(s.y(v, int(ps.Height)))
			add(formatTick(v, s), col, right, y, fyne.TextAlignTrailing)
		}
		add(s.units, col, right, legendRow/2, fyne.TextAlignTrailing) // above its axis
	}
	for _, t := range timeTicks(f.from, f.span, int(ps.Width), minTickPx, c.opts.Location) {
		px := pos.X + float32(t.Sub(f.from))/float32(f.span)*ps.Width
		if px+30 > r.size.Width { // a label cut by the edge reads as a wrong time
			continue
		}
		add(timeLabel(t, f.span, c.opts.Location), fg, px, pos.Y+ps.Height+timeRow/2, fyne.TextAlignCenter)
	}
	if loadErr != nil {
		add(loadErr.Error(), vtheme.Light.BadQuality, pos.X+4, pos.Y+12, fyne.TextAlignLeading)
	}
	r.objs = append([]fyne.CanvasObject{r.raster, r.border}, r.texts...)
}

// readout is a pen's value at t as the operator reads it: the value with
// the pen's decimals and units, or the reason of a gap, or "—".
func readout(p *pen, t time.Time) string {
	pt, ok := valueAt(p.pts, t)
	if !ok {
		return "—"
	}
	if math.IsNaN(pt.Value) {
		if pt.Quality.IsGood() {
			return "— NaN" // the device sent NaN with good quality
		}
		return "— " + pt.Quality.String()
	}
	s := formatValue(pt.Value, p.Decimals)
	if p.Units != "" {
		s += " " + p.Units
	}
	return s
}

func formatValue(v float64, decimals int) string {
	if decimals < 0 {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// formatTick prints an axis value with as many decimals as the tick step needs.
func formatTick(v float64, s scale) string {
	step := (s.hi - s.lo) / yTickCount
	d := 0
	if step > 0 && step < 1 {
		d = int(math.Ceil(-math.Log10(step))) + 1
	}
	return strconv.FormatFloat(v, 'f', min(d, 9), 64)
}

func distinctUnits(pens []*pen) map[string]bool {
	m := map[string]bool{}
	for _, p := range pens {
		m[p.Units] = true
	}
	return m
}
