package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/internal/duration"
	"github.com/vigil-hmi/vigil/ui/trend"
)

// liveEvery is how often a live trend on screen reloads its window.
const liveEvery = 2 * time.Second

// defaultPens is how many pens a new trend screen starts with.
const defaultPens = 4

// trendScreen is the Trends screen: the chart, window presets, live mode,
// a pen picker and export.
type trendScreen struct {
	chart   *trend.Chart
	win     fyne.Window
	tags    []*datasource.Tag // numeric tags with history: what can be a pen
	byName  map[string]*datasource.Tag
	pens    *fyne.Container
	picker  *widget.Select
	live    *widget.Check
	presets []*widget.Button // one per trend.Presets; the one shown is highlighted
	window  *widget.Label    // the window shown: "1 h · live" or "48 min · 12:00 – 12:48"
	content fyne.CanvasObject
	last    time.Time
	prefs   fyne.Preferences // nil: pens are not remembered
	user    string           // whose pens are shown (and saved)
	loading bool             // restore is adding pens: do not save each
	// lastExport is the path the last export confirmed.
	lastExport string
	do         func(func())   // runs a background export's result on the UI goroutine
	exports    sync.WaitGroup // CSV exports writing in the background; close waits
}

// prefPens is the preference key of an operator's trend pens: a list of
// tag names, per user, so every operator finds their own trend again.
func prefPens(user string) string { return "trend.pens." + user }

func newTrendScreen(win fyne.Window, all []*datasource.Tag, src trend.Source, now func() time.Time, do func(func()), prefs fyne.Preferences) *trendScreen {
	if do == nil {
		do = fyne.Do
	}
	ts := &trendScreen{win: win, byName: map[string]*datasource.Tag{}, prefs: prefs, do: do}
	ts.chart = trend.New(src, trend.Options{Now: now, Do: do})
	var names []string
	for _, t := range all {
		if !t.System && t.History.Enabled && (t.Type.Numeric() || t.Type == datasource.TypeBool) {
			ts.tags = append(ts.tags, t)
			ts.byName[t.Name] = t
			names = append(names, t.Name)
		}
	}
	ts.pens = container.NewHBox()
	ts.picker = widget.NewSelect(names, func(name string) {
		if name == "" {
			return
		}
		ts.add(name)
		ts.picker.ClearSelected()
	})
	ts.picker.PlaceHolder = "Add pen…"

	presets := container.NewHBox()
	for _, p := range trend.Presets {
		p := p
		b := widget.NewButton(duration.Format(p), func() {
			ts.chart.SetWindow(p)
			ts.chart.SetLive(true)
			ts.live.SetChecked(true)
			ts.showWindow()
		})
		ts.presets = append(ts.presets, b)
		presets.Add(b)
	}
	ts.window = widget.NewLabel("")
	ts.window.TextStyle.Monospace = true
	ts.live = widget.NewCheck("Live", func(on bool) { ts.chart.SetLive(on); ts.showWindow() })
	ts.live.SetChecked(true)
	// The CSV export queries the history file (every raw sample of the
	// range): it is written in the background. The PNG is drawn by Fyne,
	// which must happen on the UI goroutine, from data already loaded.
	exportCSV := widget.NewButton("Export CSV", func() { ts.export("trend.csv", ts.chart.ExportCSV, true) })
	exportPNG := widget.NewButton("Export PNG", func() { ts.export("trend.png", ts.chart.ExportPNG, false) })
	bar := container.NewHBox(presets, ts.live, ts.window, ts.picker, exportCSV, exportPNG)
	ts.content = container.NewBorder(container.NewVBox(bar, ts.pens), nil, nil, nil, ts.chart)
	return ts
}

// showWindow shows which window the chart shows: the preset's button
// highlighted (none after a zoom to another span) and the span in words,
// "live" or the range's times when it is historical.
func (ts *trendScreen) showWindow() {
	span := ts.chart.Span()
	for i, b := range ts.presets {
		imp := widget.MediumImportance
		if trend.Presets[i] == span {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
	}
	txt := duration.Format(span) + " · live"
	if !ts.chart.Live() {
		from, to := ts.chart.Range()
		layout := "15:04"
		if span > 24*time.Hour || from.YearDay() != to.YearDay() {
			layout = "01-02 15:04"
		}
		txt = duration.Format(span) + " · " + from.Format(layout) + " – " + to.Format(layout)
	}
	if ts.window.Text != txt {
		ts.window.SetText(txt)
	}
}

// restore shows user's remembered pens, or the first few trendable tags
// for an operator who has none yet.
func (ts *trendScreen) restore(user string) {
	ts.loading = true
	defer func() { ts.loading = false }()
	ts.user = user
	for _, p := range ts.chart.Pens() {
		ts.chart.RemovePen(p.Tag)
	}
	ts.pens.RemoveAll()
	var names []string
	if ts.prefs != nil {
		names = ts.prefs.StringList(prefPens(user))
	}
	if len(names) == 0 {
		for i := 0; i < len(ts.tags) && i < defaultPens; i++ {
			names = append(names, ts.tags[i].Name)
		}
	}
	for _, n := range names {
		ts.add(n)
	}
}

// save remembers the pens for the operator.
func (ts *trendScreen) save() {
	if ts.prefs == nil || ts.loading {
		return
	}
	var names []string
	for _, p := range ts.chart.Pens() {
		names = append(names, p.Tag)
	}
	ts.prefs.SetStringList(prefPens(ts.user), names)
}

// add puts a tag on the chart as a pen, with its units, decimals, span and
// alarm limits, and a chip to remove it again.
func (ts *trendScreen) add(name string) {
	t := ts.byName[name]
	if t == nil {
		return
	}
	for _, p := range ts.chart.Pens() {
		if p.Tag == name {
			return // already a pen
		}
	}
	pen := trend.Pen{Tag: t.Name, Label: t.Name, Units: t.Units, Decimals: t.Decimals, Min: t.Span.Min, Max: t.Span.Max,
		Step: t.Stepped(), States: penStates(t), Float32: t.Type == datasource.TypeFloat32,
		Format: func(v float64) string { return datasource.FormatValue(t, datasource.Float(v)) }}
	for _, a := range t.Alarms {
		switch a.Kind {
		case datasource.AlarmHiHi, datasource.AlarmHi, datasource.AlarmLo, datasource.AlarmLoLo:
			pen.Limits = append(pen.Limits, a.Limit)
		}
	}
	if err := ts.chart.AddPen(pen); err != nil {
		dialog.ShowError(err, ts.win)
		return
	}
	var chip *widget.Button
	chip = widget.NewButton(name+" ✕", func() {
		ts.chart.RemovePen(name)
		ts.pens.Remove(chip)
		ts.save()
	})
	chip.Importance = widget.LowImportance
	ts.pens.Add(chip)
	ts.save()
}

// penStates are the words a discrete pen's axis shows: the tag's state
// texts, or ON/OFF for a bool tag without them; nil for an analog tag.
func penStates(t *datasource.Tag) map[int64]string {
	if len(t.States) > 0 {
		return t.States
	}
	if t.Type == datasource.TypeBool {
		return map[int64]string{0: "OFF", 1: "ON"}
	}
	return nil
}

// export asks for a file, writes the chart's visible range into it (in the
// background when background is set) and says where it went (or why it
// did not).
func (ts *trendScreen) export(name string, write func(w io.Writer) error, background bool) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, ts.win)
			return
		}
		if w == nil {
			return // cancelled
		}
		ts.writeExport(w.URI().Path(), w, write, background)
	}, ts.win)
	d.SetFileName(name)
	d.Show()
}

// writeExport writes the export into w, closes it and confirms. In the background
// the chart's context bounds the queries: closing the screen cancels them.
func (ts *trendScreen) writeExport(path string, w io.WriteCloser, write func(w io.Writer) error, background bool) {
	if !background {
		ts.exported(path, write(w), w.Close())
		return
	}
	ts.exports.Add(1)
	go func() {
		defer ts.exports.Done()
		err := write(w)
		cerr := w.Close()
		if errors.Is(err, context.Canceled) {
			return // the screen was closed: nobody to tell
		}
		ts.do(func() { ts.exported(path, err, cerr) })
	}()
}

// close stops the chart, which cancels an export's queries, and waits for
// the exports still writing.
func (ts *trendScreen) close() {
	ts.chart.Close()
	ts.exports.Wait()
}

// exported confirms an export with its file's path, or shows its error.
func (ts *trendScreen) exported(path string, err, closeErr error) {
	if err == nil && closeErr != nil {
		err = fmt.Errorf("%s: %w", path, closeErr)
	}
	if err != nil {
		dialog.ShowError(err, ts.win)
		return
	}
	ts.lastExport = path
	dialog.ShowInformation("Export", "Exported to "+path, ts.win)
}

// update reloads a live chart while it is on screen: every liveEvery, or
// every thousandth of the window when that is longer (about a pixel's
// worth of time: a 1 h window moves a pixel every few seconds, so a reload
// every 2 s would redraw the same picture).
func (ts *trendScreen) update(_ []datasource.Sample, now time.Time) {
	ts.showWindow()
	from, to := ts.chart.Range()
	every := max(liveEvery, to.Sub(from)/1000)
	if ts.chart.Live() && now.Sub(ts.last) >= every {
		ts.last = now
		ts.chart.Advance()
	}
}
