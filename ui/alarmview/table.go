package alarmview

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
)

// column is one column of an alarm table: its header, width, cell text
// and order (nil: not sortable).
type column struct {
	title string
	width float32
	text  func(alarms.Alarm) string
	cmp   func(x, y alarms.Alarm) int
	// desc sorts this column descending first (the newest time first).
	desc bool
}

// The table's first two columns are fixed: the selection box and the
// priority (shape and digit); the columns given follow.
const (
	colSelect   = 0
	colPriority = 1
	fixedCols   = 2
)

// table is an alarm table: aligned columns under header buttons that sort
// (the sorted one marked ▲ or ▼), a selection box per row, and a text in
// place of the rows when there are none. UI goroutine only.
type table struct {
	cols     []column // after the fixed ones
	rows     []alarms.Alarm
	selected map[alarms.ID]bool
	sortCol  int // index into all columns (fixedCols + i); colPriority sorts by importance
	desc     bool
	t        *widget.Table
	empty    *widget.Label
	emptyMsg func() string // the text when there are no rows
	obj      fyne.CanvasObject
	// onTap is called when a row (not its box) is tapped.
	onTap func(alarms.Alarm)
}

func newTable(cols []column, emptyMsg func() string) *table {
	tb := &table{cols: cols, selected: map[alarms.ID]bool{}, sortCol: colPriority, emptyMsg: emptyMsg}
	tb.t = widget.NewTableWithHeaders(
		func() (int, int) { return len(tb.rows), fixedCols + len(tb.cols) },
		func() fyne.CanvasObject {
			lbl := widget.NewLabel("")
			lbl.Truncation = fyne.TextTruncateEllipsis
			return container.NewStack(widget.NewCheck("", nil), container.NewHBox(container.NewCenter(container.NewStack(placeholder())), widget.NewLabel("")), lbl)
		},
		tb.updateCell)
	tb.t.ShowHeaderColumn = false
	tb.t.CreateHeader = func() fyne.CanvasObject { return widget.NewButton("", nil) }
	tb.t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		if id.Row >= 0 || id.Col < 0 {
			b.SetText("")
			return
		}
		col := id.Col
		b.SetText(tb.header(col))
		b.Alignment = widget.ButtonAlignLeading
		b.OnTapped = func() { tb.tapHeader(col) }
		if col == colSelect {
			b.OnTapped = nil
		}
	}
	tb.t.OnSelected = func(id widget.TableCellID) {
		tb.t.UnselectAll() // the boxes show the selection, not Fyne's cell highlight
		if id.Row < 0 || id.Row >= len(tb.rows) {
			return
		}
		a := tb.rows[id.Row]
		if id.Col != colSelect {
			// A tap on a row selects that row alone, as in any table.
			clear(tb.selected)
			tb.selected[a.ID] = true
			tb.t.Refresh()
			if tb.onTap != nil {
				tb.onTap(a)
			}
		}
	}
	tb.t.SetColumnWidth(colSelect, selectWidth)
	tb.t.SetColumnWidth(colPriority, priorityWidth)
	for i, c := range cols {
		tb.t.SetColumnWidth(fixedCols+i, c.width)
	}
	tb.empty = widget.NewLabel("")
	tb.empty.Alignment = fyne.TextAlignCenter
	tb.obj = container.New(fitColumns{tb}, tb.t, container.NewVBox(layout.NewSpacer(), tb.empty, layout.NewSpacer()))
	return tb
}

// The fixed columns' widths.
const (
	selectWidth   = 36
	priorityWidth = 48
)

// The least widths columns give way to on a narrow window: the last
// column (the message or reason, the longest text, cut with "…") first,
// then a tag column.
const (
	leastLastWidth = 200
	leastTagWidth  = 130
)

// widths returns the widths of the columns given (after the fixed ones)
// for a table avail wide whose columns are sep apart: the last column
// takes what the others leave, down to leastLastWidth; below that the Tag
// column narrows to leastTagWidth, and only then does the table scroll.
// A 1024×768 screen leaves the table about 890 px, less than the active
// table's 1,100: its Message column ran off the right edge, and the
// operator scrolled sideways to read an alarm.
func (tb *table) widths(avail, sep float32) []float32 {
	w := make([]float32, len(tb.cols))
	used := selectWidth + priorityWidth + sep*float32(fixedCols+len(tb.cols))
	for i, c := range tb.cols {
		w[i] = c.width
		used += c.width
	}
	last := len(w) - 1
	if last < 0 {
		return w
	}
	over := used - avail
	w[last] -= over // grows when over < 0
	if w[last] >= leastLastWidth {
		return w
	}
	over = leastLastWidth - w[last]
	w[last] = leastLastWidth
	for i, c := range tb.cols {
		if c.title == "Tag" && i != last {
			cut := min(over, max(0, w[i]-leastTagWidth))
			w[i] -= cut
		}
	}
	return w
}

// fitColumns lays a table's widget and empty text over each other, as a
// Stack, after fitting the columns to the width (table.widths).
type fitColumns struct{ tb *table }

func (f fitColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	sep := f.tb.t.Theme().Size(theme.SizeNamePadding)
	for i, w := range f.tb.widths(size.Width, sep) {
		f.tb.t.SetColumnWidth(fixedCols+i, w) // a no-op when unchanged
	}
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (fitColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}

// header is a column's title with the sort mark.
func (tb *table) header(col int) string {
	title := ""
	switch col {
	case colSelect:
		return ""
	case colPriority:
		title = "Pri"
	default:
		title = tb.cols[col-fixedCols].title
	}
	if col == tb.sortCol {
		if tb.desc {
			return title + " ▼"
		}
		return title + " ▲"
	}
	return title
}

// tapHeader sorts by col; tapping the sorted column again reverses it.
func (tb *table) tapHeader(col int) {
	if col == tb.sortCol {
		tb.desc = !tb.desc
	} else {
		tb.sortCol, tb.desc = col, false
		if col >= fixedCols {
			tb.desc = tb.cols[col-fixedCols].desc
		}
	}
	tb.sort()
	tb.t.Refresh()
}

// setRows shows rows, sorted, and drops from the selection every alarm no
// longer shown: an action never reaches an alarm the operator cannot see.
func (tb *table) setRows(rows []alarms.Alarm) {
	tb.rows = rows
	shown := make(map[alarms.ID]bool, len(rows))
	for _, a := range rows {
		shown[a.ID] = true
	}
	for id := range tb.selected {
		if !shown[id] {
			delete(tb.selected, id)
		}
	}
	tb.sort()
	if len(rows) == 0 {
		tb.empty.SetText(tb.emptyMsg())
		tb.empty.Show()
	} else {
		tb.empty.Hide()
	}
	tb.t.Refresh()
}

func (tb *table) sort() {
	switch {
	case tb.sortCol == colPriority:
		sortByImportance(tb.rows)
		if tb.desc {
			slices.Reverse(tb.rows)
		}
	case tb.sortCol >= fixedCols:
		c := tb.cols[tb.sortCol-fixedCols]
		if c.cmp == nil {
			return
		}
		slices.SortStableFunc(tb.rows, func(x, y alarms.Alarm) int {
			if tb.desc {
				return c.cmp(y, x)
			}
			return c.cmp(x, y)
		})
	}
}

// selectedIDs are the selected alarms in the order shown.
func (tb *table) selectedIDs() []alarms.ID {
	var ids []alarms.ID
	for _, a := range tb.rows {
		if tb.selected[a.ID] {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// clearSelection empties the selection (after an action).
func (tb *table) clearSelection() {
	clear(tb.selected)
	tb.t.Refresh()
}

func (tb *table) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	if id.Row >= len(tb.rows) {
		return
	}
	a := tb.rows[id.Row]
	st := o.(*fyne.Container)
	check, prio, lbl := st.Objects[0].(*widget.Check), st.Objects[1].(*fyne.Container), st.Objects[2].(*widget.Label)
	check.Hide()
	prio.Hide()
	lbl.Hide()
	switch id.Col {
	case colSelect:
		check.OnChanged = nil
		check.SetChecked(tb.selected[a.ID])
		check.OnChanged = func(on bool) {
			if on {
				tb.selected[a.ID] = true
			} else {
				delete(tb.selected, a.ID)
			}
		}
		check.Show()
	case colPriority:
		ind := prio.Objects[0].(*fyne.Container).Objects[0].(*fyne.Container)
		ind.Objects = []fyne.CanvasObject{shape(a.Priority, !a.Active)}
		ind.Refresh()
		prio.Objects[1].(*widget.Label).SetText(string(rune('0' + digit(a.Priority))))
		prio.Show()
	default:
		lbl.SetText(tb.cols[id.Col-fixedCols].text(a))
		lbl.Show()
	}
}
