package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// The columns of the live tag table.
const (
	colName = iota
	colDescription
	colValue
	colQuality
	colTime
	numCols
)

var colTitles = [numCols]string{"Tag", "Description", "Value", "Quality", "Time"}
var colWidths = [numCols]float32{200, 240, 150, 190, 90}

// tagTable is the live list of every project tag (system tags excluded):
// a virtualised widget.Table, so only visible rows cost anything per repaint.
type tagTable struct {
	theme *theme.HMI
	tags  []*datasource.Tag // the rows, in TagID order
	table *widget.Table

	rows []datasource.Sample // current sample per row
	q    qualityCounts
}

func newTagTable(th *theme.HMI, all []*datasource.Tag) *tagTable {
	t := &tagTable{theme: th}
	for _, tag := range all {
		if !tag.System {
			t.tags = append(t.tags, tag)
		}
	}
	t.rows = make([]datasource.Sample, len(t.tags))
	t.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(t.tags), numCols },
		newCell,
		t.updateCell,
	)
	t.table.ShowHeaderColumn = false
	t.table.CreateHeader = newCell
	t.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		txt := cellText(o)
		txt.Text = colTitles[id.Col]
		txt.TextStyle = fyne.TextStyle{Bold: true}
		txt.Color = th.P.Foreground
		txt.Refresh()
	}
	for c, w := range colWidths {
		t.table.SetColumnWidth(c, w)
	}
	return t
}

func (t *tagTable) widget() fyne.CanvasObject { return t.table }

// cellPad is the padding of a cell on each side (container.NewPadded).
const cellPad = 3

// fit shortens text with an ellipsis until it fits width, so a long
// description never runs over the next column (table cells do not clip).
func fit(text string, size float32, style fyne.TextStyle, width float32) string {
	if text == "" || fyne.MeasureText(text, size, style).Width <= width {
		return text
	}
	r := []rune(text)
	lo, hi := 0, len(r) // the longest prefix that fits with "…" is in [lo, hi)
	for lo < hi-1 {
		mid := (lo + hi) / 2
		if fyne.MeasureText(string(r[:mid])+"…", size, style).Width <= width {
			lo = mid
		} else {
			hi = mid
		}
	}
	return string(r[:lo]) + "…"
}

// newCell is one table cell: a text on a padded stack. canvas.Text (not a
// Label) because the colour carries the quality.
func newCell() fyne.CanvasObject {
	txt := canvas.NewText("", color.Black)
	txt.TextSize = 13
	return container.NewPadded(txt)
}

func cellText(o fyne.CanvasObject) *canvas.Text {
	return o.(*fyne.Container).Objects[0].(*canvas.Text)
}

// update copies the rows' samples out of a full-table snapshot (indexed by
// TagID) and repaints the visible cells.
func (t *tagTable) update(snapshot []datasource.Sample) {
	t.q = qualityCounts{}
	for i, tag := range t.tags {
		if int(tag.ID) < len(snapshot) {
			t.rows[i] = snapshot[tag.ID]
		}
		switch t.rows[i].Quality.Status {
		case datasource.Good:
			t.q.good++
		case datasource.Uncertain:
			t.q.uncertain++
		default:
			t.q.bad++
		}
	}
	t.table.Refresh()
}

func (t *tagTable) counts() qualityCounts { return t.q }

// cellContent returns what a cell shows and in which colour.
func (t *tagTable) cellContent(row, col int) (string, color.Color, fyne.TextStyle) {
	tag, s := t.tags[row], t.rows[row]
	fg := t.theme.P.Foreground
	switch col {
	case colName:
		return tag.Name, fg, fyne.TextStyle{}
	case colDescription:
		return tag.Description, t.theme.P.Dim, fyne.TextStyle{}
	case colValue:
		c := color.Color(fg)
		if s.Quality.IsBad() {
			c = t.theme.P.Dim // the last value, dimmed: not to be trusted
		}
		return formatValue(tag, s), c, fyne.TextStyle{Monospace: true}
	case colQuality:
		style := fyne.TextStyle{}
		if !s.Quality.IsGood() {
			style.Bold = true
		}
		return s.Quality.String(), t.theme.QualityColor(s.Quality), style
	case colTime:
		return formatTime(s.Time), t.theme.P.Dim, fyne.TextStyle{Monospace: true}
	}
	return "", fg, fyne.TextStyle{}
}

func (t *tagTable) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	if id.Row < 0 || id.Row >= len(t.tags) {
		return
	}
	text, c, style := t.cellContent(id.Row, id.Col)
	txt := cellText(o)
	if txt.Text == text && txt.Color == c && txt.TextStyle == style {
		return // unchanged: skip the repaint
	}
	txt.Text, txt.Color, txt.TextStyle = fit(text, txt.TextSize, style, colWidths[id.Col]-2*cellPad), c, style
	if id.Col == colValue {
		txt.Alignment = fyne.TextAlignTrailing
	} else {
		txt.Alignment = fyne.TextAlignLeading
	}
	txt.Refresh()
}
