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

// rowLayout places a row's cells at fixed widths so columns line up, in
// the rows and in the header above them.
type rowLayout struct{}

func (rowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	for i, o := range objs {
		w := o.MinSize().Width
		if i < len(colWidths) {
			w = colWidths[i]
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + colGap
	}
}

func (rowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w, h := float32(0), float32(0)
	for i, o := range objs {
		m := o.MinSize()
		if i < len(colWidths) {
			m.Width = colWidths[i]
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
	for col := colName; col <= colTime; col++ {
		txt := objs[col].(*canvas.Text)
		text, c, style := b.cell(i, col)
		text = fit(text, txt.TextSize, style, colWidths[col])
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
