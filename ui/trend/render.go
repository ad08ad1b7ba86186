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
	legendRow     = 20  // one row of pen readouts above the plot
	legendMinColW = 200 // a legend entry's narrowest column: the legend wraps below it
	unitRow       = 26  // unit names above their axes, clear of the top tick's label
	timeRow       = 20  // time labels below the plot
	axisPad       = 8   // between an axis's widest label and the next axis
	leftPad       = 4
	rightPad      = 8
	minTickPx     = 90 // time labels at least this far apart
	yTickCount    = 5
)

// geometry is where one layout puts the legend, the value axes and the
// plot: computed from the widget's size and the frame (how many pens, the
// widest label of each axis), so every part has room and none overlaps.
type geometry struct {
	size       fyne.Size
	plotPos    fyne.Position
	plotSize   fyne.Size
	axisRight  []float32 // per scale: where its labels end (nearest the plot first)
	axisWidths []float32 // per scale: its column's width
	legendCols int
	legendColW float32
	legendH    float32
}

// textSize is the size of every label of the chart.
func textSize() float32 { return theme.TextSize() * 0.85 }

func measure(s string) fyne.Size {
	return fyne.MeasureText(s, textSize(), fyne.TextStyle{Monospace: true})
}

// layoutOf lays out a chart of size showing f. Axes are as wide as their
// widest label (compact: six units need not take a third of the width),
// and the legend wraps into as many rows as its pens need.
//
// widen are axis widths not to go below (the widths of the last layout
// with the same pens): an axis grows when its labels do but does not
// shrink back, so the plot does not jump sideways as a value crosses
// from 9.5 to 10.0 and back.
func layoutOf(size fyne.Size, f frame, widen []float32) geometry {
	g := geometry{size: size}
	g.legendCols = max(1, int((size.Width-2*leftPad)/legendMinColW))
	if n := len(f.pens); n > 0 && n < g.legendCols {
		g.legendCols = n
	}
	g.legendColW = (size.Width - 2*leftPad) / float32(g.legendCols)
	rows := max(1, (len(f.pens)+g.legendCols-1)/g.legendCols)
	g.legendH = float32(rows) * legendRow
	widths := make([]float32, len(f.scales))
	left := float32(leftPad)
	for j, s := range f.scales {
		w := measure(s.units).Width
		for _, v := range s.ticks() {
			w = max(w, measure(s.label(v)).Width)
		}
		widths[j] = max(w, 16) + axisPad
		if j < len(widen) {
			widths[j] = max(widths[j], widen[j])
		}
		left += widths[j]
	}
	if len(f.scales) == 0 {
		left += 24
	}
	g.axisWidths = widths
	x := left
	for j := range f.scales {
		g.axisRight = append(g.axisRight, x-axisPad/2)
		x -= widths[j]
	}
	top := g.legendH + unitRow
	g.plotPos = fyne.NewPos(left, top)
	g.plotSize = fyne.NewSize(max(size.Width-left-rightPad, 1), max(size.Height-top-timeRow, 1))
	return g
}

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
	r.border.StrokeWidth = 1
	r.raster = canvas.NewRaster(r.paint)
	r.rebuild(false)
	return r
}

func (r *renderer) canvasScale() float32 {
	if app := fyne.CurrentApp(); app != nil {
		if cv := app.Driver().CanvasForObject(r.c); cv != nil {
			return cv.Scale()
		}
	}
	return 1
}

// palette is the theme's current palette: the shell switches day and night
// by changing the HMI theme's palette, so the plot follows it.
func palette() vtheme.Palette {
	if app := fyne.CurrentApp(); app != nil {
		if th, ok := app.Settings().Theme().(*vtheme.HMI); ok {
			return th.P
		}
	}
	return vtheme.Light
}

func (r *renderer) Layout(size fyne.Size) {
	r.mu.Lock()
	r.size = size
	r.mu.Unlock()
	r.rebuild(true)
}

func (r *renderer) MinSize() fyne.Size {
	return fyne.NewSize(leftPad+60+200, legendRow+unitRow+timeRow+100)
}

func (r *renderer) Refresh() {
	r.rebuild(false)
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
		yt = f.scales[0].ticks()
	}
	return xt, yt
}

// rebuild lays the chart out and makes its labels: the legend with cursor
// values, one value axis per unit or discrete pen, the time axis and the
// cursor's time. On a new widget size (resized) it reloads when the plot's
// pixel width changed; after a load it does not, even if new labels moved
// the plot a few pixels, because that reload could move them back and
// never settle (the data is drawn by time, so it fits the new width).
func (r *renderer) rebuild(resized bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.c
	pal := palette()
	c.mu.Lock()
	c.pal = pal
	f := c.snapshot()
	g := layoutOf(r.size, f, c.axisW)
	c.geo, c.axisW = g, g.axisWidths
	s := r.canvasScale()
	w, h := int(g.plotSize.Width*s), int(g.plotSize.Height*s)
	reload := resized && w != c.plotW && len(c.pens) > 0 && r.size.Width > 0
	c.plotW, c.plotH = w, h
	loadErr := c.loadErr
	loc := c.opts.Location
	c.mu.Unlock()
	r.raster.Move(g.plotPos)
	r.raster.Resize(g.plotSize)
	r.border.Move(g.plotPos)
	r.border.Resize(g.plotSize)
	r.border.StrokeColor = f.colors.border
	r.texts = labels(f, g, loc, loadErr)
	r.objs = append([]fyne.CanvasObject{r.raster, r.border}, r.texts...)
	if reload {
		c.requestLoad()
	}
}

// labels makes the text objects of a frame laid out by g.
func labels(f frame, g geometry, loc *time.Location, loadErr error) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	fg := f.colors.text
	pos, ps := g.plotPos, g.plotSize
	add := func(s string, col color.Color, x, y float32, align fyne.TextAlign) *canvas.Text {
		t := canvas.NewText(s, col)
		t.TextSize = textSize()
		t.TextStyle.Monospace = true
		sz := t.MinSize()
		switch align {
		case fyne.TextAlignTrailing:
			x -= sz.Width
		case fyne.TextAlignCenter:
			x -= sz.Width / 2
		}
		t.Move(fyne.NewPos(x, y-sz.Height/2))
		t.Resize(sz)
		out = append(out, t)
		return t
	}
	// Legend: each pen's value at the cursor, or its value now, in columns
	// that wrap into rows.
	at := f.holdTo
	if !f.cursor.IsZero() {
		at = f.cursor
	}
	for i, p := range f.pens {
		txt := "■ " + p.label() + " " + readout(p, at)
		if i == f.selected {
			txt = "▶" + txt
		}
		col, row := i%g.legendCols, i/g.legendCols
		add(fit(txt, g.legendColW-8), p.col, leftPad+float32(col)*g.legendColW, float32(row)*legendRow+legendRow/2, fyne.TextAlignLeading)
	}
	// Value axes, nearest the plot first, each with its unit above it in
	// its own row, so the unit never sits on the top tick's label.
	for j, s := range f.scales {
		right := g.axisRight[j]
		col := color.Color(fg)
		for i, p := range f.pens {
			if f.penScale[i] == j {
				col = p.col
				break
			}
		}
		for _, v := range s.ticks() {
			y := pos.Y + float32(s.y(v, int(ps.Height)))
			add(s.label(v), col, right, y, fyne.TextAlignTrailing)
		}
		add(s.units, col, right, g.legendH+unitRow/2-5, fyne.TextAlignTrailing)
	}
	timeY := pos.Y + ps.Height + timeRow/2
	for _, t := range timeTicks(f.from, f.span, int(ps.Width), minTickPx, loc) {
		px := pos.X + float32(t.Sub(f.from))/float32(f.span)*ps.Width
		if px+30 > g.size.Width { // a label cut by the edge reads as a wrong time
			continue
		}
		add(timeLabel(t, f.span, loc), fg, px, timeY, fyne.TextAlignCenter)
	}
	// The cursor's time, on a patch of the plot's colour over the time
	// axis: the legend's values are at this time, not now.
	if !f.cursor.IsZero() {
		px := pos.X + float32(f.cursor.Sub(f.from))/float32(f.span)*ps.Width
		txt := f.cursor.In(loc).Format("15:04:05")
		if f.span > 24*time.Hour {
			txt = f.cursor.In(loc).Format("01-02 15:04:05")
		}
		sz := measure(txt)
		x := min(max(px-sz.Width/2, pos.X), g.size.Width-sz.Width-2)
		bg := canvas.NewRectangle(f.colors.background)
		bg.StrokeColor, bg.StrokeWidth = f.colors.cursor, 1
		bg.Move(fyne.NewPos(x-3, timeY-sz.Height/2-1))
		bg.Resize(fyne.NewSize(sz.Width+6, sz.Height+2))
		out = append(out, bg)
		add(txt, fg, x, timeY, fyne.TextAlignLeading)
	}
	if loadErr != nil {
		add(loadErr.Error(), f.pal.BadQuality, pos.X+4, pos.Y+12, fyne.TextAlignLeading)
	}
	return out
}

// fit shortens s with "…" until it is at most w wide.
func fit(s string, w float32) string {
	if measure(s).Width <= w {
		return s
	}
	r := []rune(s)
	lo, hi := 1, len(r) // the longest prefix that fits with "…", by bisection
	for lo < hi {
		m := (lo + hi + 1) / 2
		if measure(string(r[:m])+"…").Width <= w {
			lo = m
		} else {
			hi = m - 1
		}
	}
	return string(r[:lo]) + "…"
}

// readout is a pen's value at t as the operator reads it: the value with
// the pen's decimals and units (a discrete pen's state word), or the reason
// of a gap, or "—".
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
	if w, ok := p.States[int64(math.Round(pt.Value))]; ok && len(p.States) > 0 {
		return w
	}
	s := formatValue(pt.Value, p.Decimals)
	if p.Format != nil {
		s = p.Format(pt.Value)
	}
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
