package inspector

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
)

// Defaults of the fields: `vigil probe`'s.
const (
	defaultAddress = "40001"
	defaultCount   = "4"
)

// noDevices is all the inspector shows when the project has no Modbus device.
const noDevices = "No Modbus devices in this project: the register inspector reads Modbus devices only."

// mono is the style of every number: digits line up in columns.
var mono = fyne.TextStyle{Monospace: true}

func (in *Inspector) build() {
	title := widget.NewLabelWithStyle("Register inspector", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if len(in.devs) == 0 {
		in.content = container.NewVBox(title, widget.NewLabel(noDevices))
		return
	}
	names := make([]string, len(in.devs))
	for i, d := range in.devs {
		names[i] = deviceLabel(d)
	}
	in.device = widget.NewSelect(names, func(string) { in.inputChanged() })
	in.address = widget.NewEntry()
	in.address.SetPlaceHolder("40001 or hr:0")
	in.count = widget.NewEntry()
	in.count.SetPlaceHolder("4")
	in.message = widget.NewLabel("")
	in.message.Wrapping = fyne.TextWrapWord
	in.message.Hide()
	in.marker = canvas.NewText("", in.deps.Theme.P.Uncertain)
	in.marker.TextStyle = fyne.TextStyle{Bold: true}
	in.status = widget.NewLabel("")
	in.status.Wrapping = fyne.TextWrapWord
	in.strs = widget.NewLabel("")
	in.strs.TextStyle = mono
	in.strs.Truncation = fyne.TextTruncateEllipsis
	in.raw = in.newTable(
		func() []string { return modbus.RawColumns(in.shownTable()) },
		func() int { return len(in.dump.Raw) },
		func(r, c int) string { return in.dump.Raw[r][c] })
	in.dec = in.newTable(
		modbus.DecodingColumns,
		func() int { return len(in.dump.Decodings) },
		func(r, c int) string { return in.dump.Decodings[r].Cell(c) })
	in.sizeColumns()

	// Set the fields before their handlers run, so the first check sees both.
	in.address.SetText(defaultAddress)
	in.count.SetText(defaultCount)
	in.address.OnChanged = func(string) { in.inputChanged() }
	in.count.OnChanged = func(string) { in.inputChanged() }
	in.device.SetSelectedIndex(0) // runs inputChanged

	fields := container.NewHBox(
		widget.NewLabel("address"), sized(in.address, 9),
		widget.NewLabel("count"), sized(in.count, 5))
	form := container.NewBorder(nil, nil, widget.NewLabel("device"), fields, in.device)
	in.state = container.NewBorder(nil, nil, in.marker, nil, in.status)
	in.top = container.NewVBox(title, form, in.message, in.state)
	decodings := container.NewBorder(nil, in.strs, nil, nil, in.dec)
	// The raw table at its full width, the decodings in the rest: they are
	// wider than any screen and scroll sideways.
	raw := container.New(&fixedWidth{width: in.rawWidth}, in.raw)
	tables := container.NewBorder(nil, nil, raw, nil, decodings)
	in.content = container.NewBorder(in.top, nil, nil, nil, tables)
	in.topMin = in.top.MinSize()
}

// fixedWidth lays out its objects over its whole size and asks for
// width() across.
type fixedWidth struct{ width func() float32 }

// MinSize implements fyne.Layout.
func (l *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.width(), h)
}

// Layout implements fyne.Layout.
func (l *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// relayout fits the top part to the messages it shows now (wrapped text
// and the marker change its size), which the containers do not notice.
func (in *Inspector) relayout() {
	if in.content == nil {
		return // still being built
	}
	in.state.Refresh()
	if m := in.top.MinSize(); m != in.topMin {
		in.topMin = m
		in.content.Refresh()
	}
}

// deviceLabel names a device in the picker with where it is, so two
// devices behind one gateway are told apart.
func deviceLabel(d *datasource.Device) string {
	s := fmt.Sprintf("%s — %s unit %d", d.Name, d.Address, modbus.SettingsOf(d).Unit)
	if d.Disabled {
		s += " (disabled: not polled)"
	}
	return s
}

// sized gives an entry room for about chars characters.
func sized(e *widget.Entry, chars int) fyne.CanvasObject {
	w := fyne.MeasureText("0", fynetheme.TextSize(), mono).Width*float32(chars) + 4*fynetheme.Padding()
	return container.NewGridWrap(fyne.NewSize(w, e.MinSize().Height), e)
}

// shownTable is the table of the range asked for, whose columns the raw
// table shows.
func (in *Inspector) shownTable() modbus.Table { return in.table }

// newTable makes a virtualized table with a header row of cols(), rows()
// rows and cell(r, c) as text: monospace, right-aligned like numbers in a
// listing, dimmed while the data is stale.
func (in *Inspector) newTable(cols func() []string, rows func() int, cell func(r, c int) string) *widget.Table {
	t := widget.NewTable(
		func() (int, int) { return rows(), len(cols()) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.TextStyle = mono
			l.Alignment = fyne.TextAlignTrailing
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if id.Row < 0 || id.Row >= rows() || id.Col < 0 || id.Col >= len(cols()) {
				l.SetText("")
				return
			}
			l.Importance = widget.MediumImportance
			if in.stale {
				l.Importance = widget.LowImportance // the theme's dim grey
			}
			l.SetText(cell(id.Row, id.Col))
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
		l.Alignment = fyne.TextAlignTrailing
		return l
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if c := cols(); id.Col >= 0 && id.Col < len(c) {
			l.SetText(c[id.Col])
		} else {
			l.SetText("")
		}
	}
	return t
}

// Column widths in characters: the widest value a column can hold (a
// six-digit reference, "hr:65535", 16 binary digits, a 20-digit uint64).
var (
	rawRegisterWidths = []int{9, 8, 4, 6, 6, 16, 5}
	rawBitWidths      = []int{9, 8, 5}
	decodingWidths    = []int{6, 7, 20, 20, 20, 20}
)

// sizeColumns fits the columns to the table shown (bits have fewer).
func (in *Inspector) sizeColumns() {
	ch := fyne.MeasureText("0", fynetheme.TextSize(), mono).Width
	pad := 4 * fynetheme.Padding()
	widths := rawRegisterWidths
	if in.shownTable().IsBits() {
		widths = rawBitWidths
	}
	in.rawCols = 0
	for i, n := range widths {
		w := float32(n+1)*ch + pad
		in.raw.SetColumnWidth(i, w)
		in.rawCols += w + fynetheme.Padding() // the separator between columns
	}
	for i, n := range decodingWidths {
		in.dec.SetColumnWidth(i, float32(n+1)*ch+pad)
	}
	if in.content != nil {
		in.content.Refresh() // the raw table's new width
	}
}

// rawWidth is the width of the raw table's columns and its scroll bar.
func (in *Inspector) rawWidth() float32 {
	return in.rawCols + 2*fynetheme.Padding()
}

// inputChanged checks the device, address and count as they are typed: a
// valid range is read at once and then every period; a refused one is
// explained under the fields, and nothing is sent until it is fixed.
func (in *Inspector) inputChanged() {
	i := in.device.SelectedIndex()
	if i < 0 || i >= len(in.devs) {
		return // only while the picker is being built
	}
	start, n, err := parseRequest(in.devs[i], in.address.Text, in.count.Text)
	req := request{dev: i, start: start, count: n}
	old, _, _ := in.current()
	in.setRequest(req, err == nil)
	if err != nil {
		in.message.SetText(err.Error())
		in.message.Show()
		in.setDump(modbus.Dump{}, false)
		in.setState("", "not reading: fix the address or count")
		in.relayout()
		return
	}
	in.message.SetText("")
	in.message.Hide()
	if start.Table.IsBits() != in.table.IsBits() {
		in.table = start.Table
		in.sizeColumns()
	}
	in.table = start.Table
	if old != req || in.dump.Count == 0 {
		in.setDump(modbus.Dump{}, false)
		in.setState("", fmt.Sprintf("reading %s …", describe(req.start, req.count)))
	}
	in.relayout()
}

// describe names a range: "holding registers 40001..40004 (hr:0..hr:3)".
func describe(start modbus.Address, count int) string {
	d := modbus.Dump{Start: start, Count: count}
	if count == 1 {
		return fmt.Sprintf("%s %s (%s)", start.Table, start.Modicon(), start)
	}
	return fmt.Sprintf("%ss %s..%s (%s..%s)", start.Table, start.Modicon(), d.Last().Modicon(), start, d.Last())
}

// show puts the outcome of a read on screen, unless reading stopped or the
// request changed since it was sent.
func (in *Inspector) show(ctx context.Context, res result) {
	if ctx.Err() != nil || in.closed {
		return
	}
	if _, gen, _ := in.current(); gen != res.gen {
		return // the answer to a range no longer asked for
	}
	err := res.err
	if err == nil {
		d := res.dump
		in.lastGood = res.at
		in.setDump(d, false)
		in.setState("", fmt.Sprintf("%s of %s, read %s", describe(d.Start, d.Count),
			in.devs[res.req.dev].Name, res.at.Format("15:04:05")))
		return
	}
	if in.dump.Count == 0 {
		in.setState("✕ NO DATA", err.Error())
		return
	}
	in.setDump(in.dump, true)
	age := res.at.Sub(in.lastGood).Round(time.Second)
	in.setState("? STALE", fmt.Sprintf("%s\nthe values shown are from the last good read at %s (%s ago)",
		err, in.lastGood.Format("15:04:05"), age))
}

// setDump shows d, dimmed when stale.
func (in *Inspector) setDump(d modbus.Dump, stale bool) {
	in.dump, in.stale = d, stale
	if d.Count > 0 && !d.Start.Table.IsBits() {
		in.strs.SetText(d.Strings())
	} else {
		in.strs.SetText("")
	}
	in.raw.Refresh()
	in.dec.Refresh()
}

// setState shows the marker (doubling the state by text: "? STALE" in the
// uncertain colour, "✕ NO DATA" in the bad-quality colour, nothing when
// current) and the status line.
func (in *Inspector) setState(marker, status string) {
	p := in.deps.Theme.P
	in.marker.Text = marker
	in.marker.Color = p.Uncertain
	if marker == "✕ NO DATA" {
		in.marker.Color = p.BadQuality
	}
	in.marker.Refresh()
	in.status.SetText(status)
	in.relayout()
}
