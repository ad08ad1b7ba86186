// Package tagbrowser is the Tags screen (F6, issue 7): a searchable,
// virtualized list of every tag with its live value, quality, time and a
// sparkline, from which the operator opens a tag's faceplate or adds it to
// a trend. It sits at the end of the data flow: the window owner passes it
// the engine's full snapshot at 4 Hz on the UI goroutine (Update).
package tagbrowser

import (
	"cmp"
	"image/color"
	"slices"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/sparkline"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// SparkWindow is how far back each tag's sparkline reaches.
const SparkWindow = time.Hour

// allGroups is the group filter's "no filter" option.
const allGroups = "All groups"

// Deps is what the browser needs from its owner.
type Deps struct {
	Theme   *theme.HMI
	OnOpen  func(*datasource.Tag) // a row was tapped: open the tag's faceplate
	OnTrend func(*datasource.Tag) // the row's Trend button: add the tag to a trend
	Now     func() time.Time      // the clock that timestamps sparkline points; nil: time.Now
	// OnLine, when set, is told of each sparkline made when its row is
	// first shown (over EagerLines tags), so the owner can fill it from
	// history (Backfill); on the UI goroutine, so it must not block.
	OnLine func(*datasource.Tag)
}

// Browser is the tag browser widget.
type Browser struct {
	widget.BaseWidget

	deps    Deps
	tags    []*datasource.Tag
	hay     []string // per tag: lower-case name, description, group, units
	samples []datasource.Sample
	lines   []*sparkline.Line
	row     map[datasource.TagID]int // index into tags, by tag ID
	shown   []int                    // indices into tags that pass the filter, in list order

	// The list's order: by column sortCol (colName…colTime), descending
	// when sortDesc. Rows are put in order when the filter, the sort or the
	// tag set changes, not at every refresh: a row the operator is reading
	// does not move under the pointer because its value changed.
	sortCol  int
	sortDesc bool
	heads    []*widget.Button // the column titles; a tap sorts by the column
	headRow  *fyne.Container  // the titles' row, laid out as the rows are

	search  *widget.Entry
	group   *widget.Select
	system  *widget.Check
	list    *widget.List
	content fyne.CanvasObject
}

// New returns a browser over tags (sorted by name for display).
func New(tags []*datasource.Tag, deps Deps) *Browser {
	if deps.Theme == nil {
		deps.Theme = theme.New(false)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	b := &Browser{deps: deps, tags: append([]*datasource.Tag(nil), tags...)}
	sort.SliceStable(b.tags, func(i, j int) bool { return b.tags[i].Name < b.tags[j].Name })
	b.hay = make([]string, len(b.tags))
	b.samples = make([]datasource.Sample, len(b.tags))
	b.lines = make([]*sparkline.Line, len(b.tags))
	b.row = make(map[datasource.TagID]int, len(b.tags))
	groups := map[string]bool{}
	for i, t := range b.tags {
		b.hay[i] = strings.ToLower(t.Name + "\x00" + t.Description + "\x00" + t.Group + "\x00" + t.Units)
		if len(b.tags) <= EagerLines {
			b.line(i)
		}
		b.row[t.ID] = i
		if t.Group != "" {
			groups[t.Group] = true
		}
	}
	opts := []string{allGroups}
	for g := range groups {
		opts = append(opts, g)
	}
	sort.Strings(opts[1:])

	b.search = widget.NewEntry()
	b.search.SetPlaceHolder("Find tag (Ctrl+F): name, description, group, units")
	b.search.OnChanged = func(string) { b.filter() }
	b.group = widget.NewSelect(opts, func(string) { b.filter() })
	b.group.Selected = allGroups
	b.system = widget.NewCheck("Show system tags", func(bool) { b.filter() })
	b.list = widget.NewList(func() int { return len(b.shown) }, b.newRow, b.updateRow)
	b.list.OnSelected = func(id widget.ListItemID) {
		b.list.Unselect(id) // a tap is an action, not a selection
		if id >= 0 && id < len(b.shown) && b.deps.OnOpen != nil {
			b.deps.OnOpen(b.tags[b.shown[id]])
		}
	}
	top := container.NewBorder(nil, nil, nil, container.NewHBox(b.group, b.system), b.search)
	b.content = container.NewBorder(container.NewVBox(top, b.header()), nil, nil, nil, b.list)
	b.filter()
	b.ExtendBaseWidget(b)
	return b
}

// EagerLines is the most tags for which the browser keeps every tag's
// sparkline from the start, fed while the screen is hidden and filled
// from history when the window opens. A line is 3.4 KB: 20,000 tags hold
// 68 MB of them, 100,000 tags 340 MB, most never looked at. Above it a
// tag's line is made when its row is first shown, and filled from history
// then (Deps.OnLine), as the overview's are (docs/tag-browser.md).
const EagerLines = 20_000

// line returns the sparkline of tag row i, made the first time it is
// needed, with the tag's last value when it has one.
func (b *Browser) line(i int) *sparkline.Line {
	if l := b.lines[i]; l != nil {
		return l
	}
	l := sparkline.New(SparkWindow, b.deps.Theme)
	if t := b.tags[i]; t.Span.Max > t.Span.Min {
		l.SetRange(t.Span.Min, t.Span.Max)
	}
	if s := b.samples[i]; !s.Time.IsZero() {
		s.Time = b.deps.Now()
		l.Add(s)
	}
	b.lines[i] = l
	if len(b.tags) > EagerLines && b.deps.OnLine != nil {
		b.deps.OnLine(b.tags[i])
	}
	return l
}

// columnTitles are the header's titles, by column.
var columnTitles = [...]string{colName: "Name", colDescription: "Description", colValue: "Value", colQuality: "Quality", colTime: "Time", colSpark: "Last hour"}

// header is the row of column titles, aligned with the rows by the same
// layout; tapping a title sorts by its column, tapping it again reverses.
func (b *Browser) header() fyne.CanvasObject {
	cells := make([]fyne.CanvasObject, 0, len(columnTitles)+1)
	for col := colName; col <= colTime; col++ {
		col := col
		h := widget.NewButton("", func() { b.SortBy(col) })
		h.Alignment = widget.ButtonAlignLeading
		h.Importance = widget.LowImportance
		b.heads = append(b.heads, h)
		cells = append(cells, h)
	}
	spark := widget.NewLabel(columnTitles[colSpark])
	spark.TextStyle.Bold = true
	cells = append(cells, spark)
	// As wide as a row's Trend button, so the header's columns give way as
	// the rows' do on a small window.
	trend := canvas.NewRectangle(color.Transparent)
	trend.SetMinSize(widget.NewButton("Trend", nil).MinSize())
	cells = append(cells, trend)
	b.titleHeads()
	b.headRow = container.New(rowLayout{}, cells...)
	return b.headRow
}

// titleHeads writes the column titles, the sorted one with its direction.
func (b *Browser) titleHeads() {
	for col, h := range b.heads {
		t := columnTitles[col]
		if col == b.sortCol {
			t += map[bool]string{false: " ▲", true: " ▼"}[b.sortDesc]
		}
		if h.Text != t {
			h.SetText(t)
		}
	}
}

// SortBy orders the rows by column col (0 name … 4 time); asking for the
// sorted column again reverses the order.
func (b *Browser) SortBy(col int) {
	if col < colName || col > colTime {
		return
	}
	if col == b.sortCol {
		b.sortDesc = !b.sortDesc
	} else {
		b.sortCol, b.sortDesc = col, false
	}
	b.titleHeads()
	b.sortShown()
	b.list.Refresh()
}

// Sorted returns the sorted column and whether it is descending.
func (b *Browser) Sorted() (col int, desc bool) { return b.sortCol, b.sortDesc }

// sortShown puts the shown rows in the chosen order; ties keep name order.
// Values sort numerically (a state word by its text); quality sorts the
// worst first; rows without a value go last either way.
func (b *Browser) sortShown() {
	less := func(i, j int) int {
		switch b.sortCol {
		case colDescription:
			return strings.Compare(strings.ToLower(b.tags[i].Description), strings.ToLower(b.tags[j].Description))
		case colValue:
			return compareValues(b.tags[i], b.samples[i], b.tags[j], b.samples[j])
		case colQuality:
			return int(b.samples[j].Quality.Status) - int(b.samples[i].Quality.Status)
		case colTime:
			return b.samples[i].Time.Compare(b.samples[j].Time)
		}
		return strings.Compare(b.tags[i].Name, b.tags[j].Name)
	}
	slices.SortStableFunc(b.shown, func(i, j int) int {
		if none := boolInt(b.samples[i].Value.IsNone()) - boolInt(b.samples[j].Value.IsNone()); none != 0 && b.sortCol == colValue {
			return none // no value: last in both directions
		}
		c := less(i, j)
		if b.sortDesc {
			c = -c
		}
		if c == 0 {
			c = i - j // b.tags is in name order
		}
		return c
	})
}

// compareValues orders two readings: numbers by value, state words and
// other text by text, numbers before text.
func compareValues(ta *datasource.Tag, a datasource.Sample, tb *datasource.Tag, b datasource.Sample) int {
	fa, oka := a.Value.AsFloat()
	fb, okb := b.Value.AsFloat()
	if len(ta.States) > 0 {
		oka = false
	}
	if len(tb.States) > 0 {
		okb = false
	}
	switch {
	case oka && okb:
		return cmp.Compare(fa, fb)
	case oka != okb:
		return boolInt(okb) - boolInt(oka)
	}
	return strings.Compare(formatValue(ta, a), formatValue(tb, b))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Backfill draws recorded samples (from history, oldest first per tag)
// into their tags' sparklines, so a line covers the last hour from the
// start instead of filling up for an hour. Tags whose line is not made yet
// (over EagerLines tags) are skipped. Samples older than the
// sparkline's window are ignored. Call it on the UI goroutine.
func (b *Browser) Backfill(samples []datasource.Sample) {
	for _, s := range samples {
		if i, ok := b.row[s.Tag]; ok && b.lines[i] != nil {
			b.lines[i].Add(s)
		}
	}
}

// CreateRenderer implements fyne.Widget.
func (b *Browser) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(b.content) }

// FocusSearch puts the keyboard focus in the search entry (Ctrl+F).
func (b *Browser) FocusSearch() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(b.search); c != nil {
		c.Focus(b.search)
	}
}

// Shown returns how many tags pass the current filter.
func (b *Browser) Shown() int { return len(b.shown) }

// Update takes the engine's full snapshot (indexed by TagID), feeds every
// tag's sparkline and repaints the visible rows. Call it on the UI
// goroutine, at the UI's bounded rate.
func (b *Browser) Update(snapshot []datasource.Sample) {
	b.Feed(snapshot)
	b.list.Refresh()
}

// Feed is Update without the repaint, for while the browser is hidden: the
// sparklines keep their history and the rows are current when it shows.
func (b *Browser) Feed(snapshot []datasource.Sample) {
	now := b.deps.Now()
	for i, t := range b.tags {
		if int(t.ID) >= len(snapshot) {
			continue
		}
		s := snapshot[t.ID]
		b.samples[i] = s
		if l := b.lines[i]; l != nil {
			s.Time = now // the sparkline plots what was known at each refresh
			l.Add(s)
		}
	}
}

// filter recomputes the shown rows from the search words, the group and the
// system-tags check. It builds no widgets: the list reuses its rows.
func (b *Browser) filter() {
	words := strings.Fields(strings.ToLower(b.search.Text))
	group := b.group.Selected
	sys := b.system.Checked
	b.shown = b.shown[:0]
next:
	for i, t := range b.tags {
		if t.System && !sys || group != allGroups && group != "" && t.Group != group {
			continue
		}
		for _, w := range words {
			if !strings.Contains(b.hay[i], w) {
				continue next
			}
		}
		b.shown = append(b.shown, i)
	}
	b.sortShown()
	b.list.UnselectAll()
	b.list.Refresh()
	if len(b.shown) > 0 {
		b.list.ScrollToTop()
	}
}
