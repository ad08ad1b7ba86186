package tagbrowser

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
)

// Column widths of a row, in order: name, description, value, quality,
// time, sparkline, then the Trend button takes its own width. Quality is
// wide enough for its longest word, "Bad/WaitingForInitialData".
var colWidths = [...]float32{200, 220, 130, 190, 70, 90}

const (
	colName = iota
	colDescription
	colValue
	colQuality
	colTime
	colSpark
	colTrend
)

// colGap is the space between two columns: enough that a value's units
// never run into the quality beside them.
const colGap = 12

// giveWay is how the columns narrow on a small window (a 1024×768 panel
// PC leaves the list about 890 px): the quality first (its width is for the
// rare "Bad/WaitingForInitialData"), then the name, then the description,
// each down to its least width; texts that no longer fit end in "…". So
// the value, its time, the sparkline and the Trend button stay on the
// screen.
var giveWay = [...]struct {
	col   int
	least float32
}{{colQuality, 150}, {colName, 160}, {colDescription, 90}}

// widthsFor returns the column widths for a row of the given width whose
// cells after the fixed columns (the Trend button) take trail.
func widthsFor(width, trail float32, cells int) [len(colWidths)]float32 {
	w := colWidths
	over := trail + colGap*float32(cells)
	for _, c := range w {
		over += c
	}
	over -= width
	for _, g := range giveWay {
		if over <= 0 {
			break
		}
		cut := min(over, w[g.col]-g.least)
		w[g.col] -= cut
		over -= cut
	}
	return w
}

// trailWidth is the width of the cells after the fixed columns.
func trailWidth(objs []fyne.CanvasObject) float32 {
	w := float32(0)
	for _, o := range objs[min(len(objs), len(colWidths)):] {
		w += o.MinSize().Width
	}
	return w
}

// rowLayout places a row's cells so columns line up, in the rows and in
// the header above them (which ends in a spacer as wide as the Trend
// button, so both give way alike).
type rowLayout struct{}

func (rowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	widths := widthsFor(size.Width, trailWidth(objs), len(objs))
	x := float32(0)
	for i, o := range objs {
		w := o.MinSize().Width
		if i < len(widths) {
			w = widths[i]
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + colGap
	}
}

func (rowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	least := widthsFor(0, trailWidth(objs), len(objs))
	w, h := float32(0), float32(0)
	for i, o := range objs {
		m := o.MinSize()
		if i < len(least) {
			m.Width = least[i]
		}
		w += m.Width + colGap
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}

func (b *Browser) newRow() fyne.CanvasObject {
	texts := make([]fyne.CanvasObject, 0, 6)
	for i := colName; i <= colTime; i++ {
		t := canvas.NewText("", b.deps.Theme.P.Foreground)
		if i == colValue || i == colTime {
			t.TextStyle.Monospace = true
		}
		if i == colValue {
			t.Alignment = fyne.TextAlignTrailing
		}
		texts = append(texts, t)
	}
	texts = append(texts, container.NewStack(), widget.NewButton("Trend", nil))
	return container.New(rowLayout{}, texts...)
}

// cell returns the text, colour and style of a text column of row i.
func (b *Browser) cell(i, col int) (string, color.Color, fyne.TextStyle) {
	tag, s, p := b.tags[i], b.samples[i], b.deps.Theme.P
	switch col {
	case colName:
		return tag.Name, p.Foreground, fyne.TextStyle{}
	case colDescription:
		return tag.Description, p.Foreground, fyne.TextStyle{}
	case colValue:
		c := color.Color(p.Foreground)
		if s.Quality.IsBad() {
			c = p.Dim // the last value, dimmed: not to be trusted
		}
		return formatValue(tag, s), c, fyne.TextStyle{Monospace: true}
	case colQuality:
		if s.Quality.IsGood() {
			return formatQuality(s.Quality), p.Dim, fyne.TextStyle{}
		}
		return formatQuality(s.Quality), b.deps.Theme.QualityColor(s.Quality), fyne.TextStyle{Bold: true}
	case colTime:
		return formatTime(s.Time), p.Dim, fyne.TextStyle{Monospace: true}
	}
	return "", p.Foreground, fyne.TextStyle{}
}

func (b *Browser) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(b.shown) {
		return
	}
	i := b.shown[id]
	objs := o.(*fyne.Container).Objects
	widths := colWidths
	if w := o.Size().Width; w > 0 { // laid out: its columns may have given way
		widths = widthsFor(w, trailWidth(objs), len(objs))
	}
	for col := colName; col <= colTime; col++ {
		txt := objs[col].(*canvas.Text)
		text, c, style := b.cell(i, col)
		text = fit(text, txt.TextSize, style, widths[col])
		if txt.Text == text && txt.Color == c && txt.TextStyle == style {
			continue // unchanged: skip the repaint
		}
		txt.Text, txt.Color, txt.TextStyle = text, c, style
		txt.Refresh()
	}
	holder := objs[colSpark].(*fyne.Container)
	if l := b.line(i); len(holder.Objects) != 1 || holder.Objects[0] != l {
		holder.Objects = []fyne.CanvasObject{l}
		holder.Refresh()
	}
	tag := b.tags[i]
	objs[colTrend].(*widget.Button).OnTapped = func() {
		if b.deps.OnTrend != nil {
			b.deps.OnTrend(tag)
		}
	}
}

// rowTag returns the tag shown in list row id, for tests and callers.
func (b *Browser) rowTag(id int) *datasource.Tag {
	if id < 0 || id >= len(b.shown) {
		return nil
	}
	return b.tags[b.shown[id]]
}
