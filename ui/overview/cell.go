package overview

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/display"
	"github.com/vigil-hmi/vigil/ui/sparkline"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// cell is one row of the list: a group's title, or a tag's name, value
// with units, quality marker, alarm indicator and sparkline. The list
// rebinds it to another row as the operator scrolls. Tapping a tag's row
// opens its faceplate.
type cell struct {
	widget.BaseWidget
	tag    *datasource.Tag // nil on a group's title row
	th     *theme.HMI
	onOpen func(*datasource.Tag)

	sample  datasource.Sample
	have    bool
	alarm   *alarms.Alarm
	flashOn bool // phase of the 1 Hz flash of an unacknowledged alarm

	title                           *canvas.Text // a group row's title
	name, value, units, qual, digit *canvas.Text
	outline                         *canvas.Rectangle // holds the outline colour; dashes draw it
	// dashes are the four edges of a Bad row's dashed outline (top,
	// bottom, left, right), hidden otherwise. Four thin rasters, not one
	// over the whole row: every shown raster is a texture blended over its
	// whole area at each repaint, and rows as wide as the window were most
	// of the overview's repaint under a software renderer.
	dashes [4]*canvas.Raster
	shape  *canvas.Raster
	spark  *fyne.Container // holds the bound tag's sparkline
	row    *fyne.Container // re-laid out when the texts change width

	drawn   drawn // what the rasters show
	painted bool  // drawn is valid: the rasters were painted once
}

// Widths of a row's columns.
const (
	nameWidth  = 280
	valueWidth = 280
	sparkWidth = 160
	rowHeight  = 30
)

func newCell(th *theme.HMI, onOpen func(*datasource.Tag)) *cell {
	c := &cell{th: th, onOpen: onOpen}
	c.title = canvas.NewText("", th.P.Foreground)
	c.title.TextStyle = fyne.TextStyle{Bold: true}
	c.name = canvas.NewText("", th.P.Dim)
	c.value = canvas.NewText("----", th.P.Foreground)
	c.value.TextStyle = fyne.TextStyle{Monospace: true}
	c.units = canvas.NewText("", th.P.Dim)
	c.units.TextSize = 11
	c.qual = canvas.NewText("", th.P.BadQuality)
	c.qual.TextSize = 11
	c.digit = canvas.NewText("", th.P.Foreground)
	c.digit.TextStyle = fyne.TextStyle{Bold: true}
	c.outline = canvas.NewRectangle(color.Transparent)
	c.outline.StrokeWidth = 1
	for i := range c.dashes {
		horizontal := i < 2
		c.dashes[i] = canvas.NewRaster(func(w, h int) image.Image { return c.drawDashes(w, h, horizontal) })
		c.dashes[i].Hide()
	}
	c.shape = canvas.NewRaster(c.drawShape)
	c.shape.SetMinSize(fyne.NewSize(14, 14))
	c.spark = container.NewGridWrap(fyne.NewSize(sparkWidth, rowHeight-6))
	c.ExtendBaseWidget(c)
	return c
}

// bind makes the cell show a group's title (tag nil) or a tag's row with
// its sparkline (nil for tags without one).
func (c *cell) bind(group string, t *datasource.Tag, spark *sparkline.Line) {
	if c.tag == t && (t != nil || c.title.Text == group) {
		return
	}
	c.tag, c.have, c.alarm, c.painted = t, false, nil, false
	c.title.Text = group
	c.spark.Objects = nil
	if spark != nil {
		c.spark.Objects = []fyne.CanvasObject{spark}
	}
	if t != nil {
		c.name.Text, c.units.Text = t.Name, t.Units
	}
	c.Refresh()
}

// Tapped implements fyne.Tappable: it opens the tag's faceplate.
func (c *cell) Tapped(*fyne.PointEvent) {
	if c.onOpen != nil && c.tag != nil {
		c.onOpen(c.tag)
	}
}

// CreateRenderer implements fyne.Widget.
func (c *cell) CreateRenderer() fyne.WidgetRenderer {
	c.row = container.New(valueLayout{}, c.shape, c.digit, c.value, c.units, c.qual)
	name := container.NewGridWrap(fyne.NewSize(nameWidth, rowHeight-6), c.name)
	value := container.NewGridWrap(fyne.NewSize(valueWidth, rowHeight-6), c.row)
	return &cellRenderer{c: c, tagRow: container.NewHBox(name, value, c.spark)}
}

// valueLayout lays out a row's value column as an HBox does (left to
// right, a padding apart, each at its width) but asks for a fixed size.
// An HBox's minimum size follows its texts, and Fyne answers a changed
// minimum size while painting by laying the parent out again, which marks
// the window dirty and paints it a second time: every value whose width
// changed cost a second repaint of the window.
type valueLayout struct{}

func (valueLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	pad := fynetheme.Padding()
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		w := o.MinSize().Width
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

func (valueLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(valueWidth, rowHeight-6)
}

// cellRenderer shows the title or the tag row of a cell.
type cellRenderer struct {
	c      *cell
	tagRow *fyne.Container
}

func (r *cellRenderer) Layout(size fyne.Size) {
	d := r.c.dashes
	d[0].Move(fyne.NewPos(0, 0))
	d[0].Resize(fyne.NewSize(size.Width, 1))
	d[1].Move(fyne.NewPos(0, size.Height-1))
	d[1].Resize(fyne.NewSize(size.Width, 1))
	d[2].Move(fyne.NewPos(0, 0))
	d[2].Resize(fyne.NewSize(1, size.Height))
	d[3].Move(fyne.NewPos(size.Width-1, 0))
	d[3].Resize(fyne.NewSize(1, size.Height))
	r.c.title.Move(fyne.NewPos(4, 4))
	r.c.title.Resize(r.c.title.MinSize())
	r.tagRow.Move(fyne.NewPos(4, 3))
	r.tagRow.Resize(fyne.NewSize(size.Width-8, size.Height-6))
}

func (r *cellRenderer) MinSize() fyne.Size {
	return fyne.NewSize(nameWidth+valueWidth+sparkWidth+24, rowHeight)
}

func (r *cellRenderer) Refresh() {
	isTag := r.c.tag != nil
	setShown(r.c.title, !isTag)
	setShown(r.tagRow, isTag)
	r.c.showDashes()
	r.c.title.Refresh()
	r.tagRow.Refresh()
}

func (r *cellRenderer) Objects() []fyne.CanvasObject {
	d := r.c.dashes
	return []fyne.CanvasObject{d[0], d[1], d[2], d[3], r.c.title, r.tagRow}
}

func (r *cellRenderer) Destroy() {}

func setShown(o fyne.CanvasObject, shown bool) {
	if shown {
		o.Show()
	} else {
		o.Hide()
	}
}

// text returns the value as the operator reads it: a state word for digital
// tags with state texts, else the number with the tag's decimals.
func (c *cell) text() string {
	v := c.sample.Value
	if !c.have || v.IsNone() { // no reading yet, or a Bad one without a value
		return "----"
	}
	if len(c.tag.States) > 0 {
		if i, ok := v.AsInt(); ok {
			if s, ok := c.tag.States[i]; ok {
				return s
			}
		} else if v.Kind() == datasource.KindBool {
			b := int64(0)
			if v.AsBool() {
				b = 1
			}
			if s, ok := c.tag.States[b]; ok {
				return s
			}
		}
	}
	return display.ValueText(c.tag, v)
}

// drawn is what a cell's rasters show: show repaints a raster only when its
// part changed, because every raster repaint re-uploads a texture and the
// overview repaints four times a second.
type drawn struct {
	outline   color.Color
	indicator color.NRGBA
	filled    bool
	visible   bool
	palette   theme.Palette
}

// show refreshes the cell from its sample and alarm, repainting only what
// changed.
func (c *cell) show() {
	q := c.sample.Quality
	valueColor := c.th.P.Foreground
	outline := color.Color(color.Transparent)
	qual, qualColor := "", c.qual.Color
	switch {
	case c.have && q.IsBad():
		valueColor = c.th.P.Dim
		outline = c.th.P.BadQuality
		qual = q.Reason.String()
		if qual == "" {
			qual = "Bad"
		}
		qualColor = c.th.P.BadQuality
	case c.have && q.Status == datasource.Uncertain:
		qual = "? " + q.Reason.String()
		qualColor = c.th.P.Uncertain
	}
	// The digit is text, so it is drawn in the text colour and stays put,
	// as the banner draws it: the coloured shape beside it carries the
	// colour and the flash. A yellow "3" on the grey could hardly be read
	// (issue 16 item 3), and a digit blinking with the shape was half the
	// time unreadable.
	digit := ""
	if a := c.alarm; a != nil {
		digit = string(rune('0' + a.Priority.Number()))
	}
	digitColor := c.th.P.Foreground
	relayout := false
	relayout = setText(c.value, c.text(), valueColor) || relayout
	relayout = setText(c.qual, qual, qualColor) || relayout
	relayout = setText(c.digit, digit, digitColor) || relayout
	setText(c.name, c.name.Text, c.th.P.Dim)
	setText(c.units, c.units.Text, c.th.P.Dim)
	if relayout && c.row != nil {
		// Only the positions: Refresh would also repaint the shape and
		// re-render every text of the row, changed or not.
		c.row.Layout.Layout(c.row.Objects, c.row.Size())
	}

	now := drawn{outline: outline, palette: c.th.P}
	now.indicator, now.filled, now.visible = c.indicator()
	was := c.drawn
	c.drawn = now
	c.outline.StrokeColor = outline
	if !c.painted || was.outline != now.outline || was.palette != now.palette {
		c.showDashes()
		for _, d := range c.dashes {
			if d.Visible() {
				d.Refresh()
			}
		}
	}
	if !c.painted || was.indicator != now.indicator || was.filled != now.filled || was.visible != now.visible {
		c.shape.Refresh()
	}
	c.painted = true
}

// setText sets a text's content and colour and repaints it only when one
// changed; it reports whether the text changed (its width may have).
func setText(t *canvas.Text, text string, col color.Color) bool {
	if t.Text == text && t.Color == col {
		return false
	}
	changed := t.Text != text
	t.Text, t.Color = text, col
	t.Refresh()
	return changed
}

// indicator reports what the alarm indicator draws now: its colour, whether
// filled, and whether it is visible at all.
func (c *cell) indicator() (col color.NRGBA, filled, visible bool) {
	a := c.alarm
	if a == nil {
		return color.NRGBA{}, false, false
	}
	col = toNRGBA(theme.PriorityColor(a.Priority))
	switch {
	case a.Acked:
		return col, true, true // steady
	case a.Active:
		return col, true, c.flashOn
	default: // returned to normal, unacknowledged: flashes in outline only
		return col, false, c.flashOn
	}
}

func toNRGBA(c color.Color) color.NRGBA {
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

// drawShape draws the priority shape: square 1, triangle 2, inverted
// triangle 3, diamond 4.
func (c *cell) drawShape(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	col, filled, visible := c.indicator()
	if !visible || w <= 0 || h <= 0 {
		return img
	}
	var inside func(x, y float64) float64 // signed distance-like: <= 0 inside
	switch c.alarm.Priority {
	case datasource.PriorityCritical:
		inside = func(x, y float64) float64 { return math.Max(math.Abs(x), math.Abs(y)) - 0.9 }
	case datasource.PriorityHigh:
		inside = func(x, y float64) float64 { return math.Max(-0.9-y, math.Max(y-0.9, math.Abs(x)-(y+0.9)/2)) }
	case datasource.PriorityMedium:
		inside = func(x, y float64) float64 { return math.Max(-0.9-y, math.Max(y-0.9, math.Abs(x)-(0.9-y)/2)) }
	default:
		inside = func(x, y float64) float64 { return math.Abs(x) + math.Abs(y) - 0.95 }
	}
	edge := 2.5 / float64(w)
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			x := (float64(px)+0.5)/float64(w)*2 - 1
			y := (float64(py)+0.5)/float64(h)*2 - 1
			d := inside(x, y)
			if d <= 0 && (filled || d > -edge*2) {
				img.SetNRGBA(px, py, col)
			}
		}
	}
	return img
}

// showDashes shows the dashed outline on a tag's row whose reading is Bad.
func (c *cell) showDashes() {
	col := c.outline.StrokeColor
	shown := c.tag != nil && col != nil && toNRGBA(col).A != 0
	for _, d := range c.dashes {
		setShown(d, shown)
	}
}

// drawDashes draws one edge of the dashed outline of a Bad reading: a
// dashed line along the raster's length.
func (c *cell) drawDashes(w, h int, horizontal bool) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	col := toNRGBA(c.outline.StrokeColor)
	if col.A == 0 {
		return img
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			along := y
			if horizontal {
				along = x
			}
			if (along/4)%2 == 0 {
				img.SetNRGBA(x, y, col)
			}
		}
	}
	return img
}
