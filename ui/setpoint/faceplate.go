package setpoint

import (
	"context"
	"sort"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// DefaultWriteTimeout bounds a write and its read-back when Deps.Timeout
// is zero.
const DefaultWriteTimeout = 10 * time.Second

// Writer writes one tag and reads it back; *poll.Engine satisfies it.
type Writer interface {
	Write(ctx context.Context, req poll.WriteRequest) (poll.WriteResult, error)
}

// Deps is what a faceplate needs from its owner.
type Deps struct {
	Writer   Writer // nil: the faceplate is read-only
	User     string // who writes, for the audit trail
	CanWrite bool   // the user may write this tag; false hides the entry
	// Alarms returns this tag's alarms; nil means the tag has none shown.
	Alarms func() []alarms.Alarm
	Trend  fyne.CanvasObject // the one-hour trend, optional
	Theme  *theme.HMI        // nil: the light theme
	Window fyne.Window       // for the confirmation
	// Timeout bounds one write and read-back; 0 means DefaultWriteTimeout.
	Timeout time.Duration
	// Explain says why a calculated tag is Bad/CalcError (the expression
	// and its inputs' values); nil for other tags.
	Explain func() string
	// Reset resets a totalizer to 0 (audited, docs/calc.md); nil: the tag
	// cannot be reset here and the faceplate has no Reset button.
	Reset func() error
}

// Faceplate shows one tag and, with permission, changes it. All methods
// must be called on the UI goroutine.
type Faceplate struct {
	tag  *datasource.Tag
	deps Deps
	last datasource.Sample

	value   *canvas.Text
	marker  *canvas.Text // "?" for Uncertain readings
	quality *widget.Label
	limits  *widget.Label
	bar     *Bar
	alarms  *fyne.Container

	entry    *valueEntry      // numeric tags
	message  *widget.Label    // under the entry: why the value is refused
	write    *widget.Button   // numeric tags
	commands []*widget.Button // digital tags: one per state
	reset    *widget.Button   // totalizers with Deps.Reset
	pending  datasource.Value // the entry's valid value, none when invalid
	result   *widget.Label    // the write's outcome, verbatim
	confirm  *widget.PopUp    // open confirmation, nil when none

	// The open confirmation's parts, and the key handler it replaced.
	confirmQuestion             *widget.Label
	confirmCancel, confirmWrite *widget.Button
	restoreKey                  func()

	content  fyne.CanvasObject
	valueRow *fyne.Container // value and "?" marker
	lastMin  fyne.Size       // the content's MinSize at the last fit
	onClose  func()          // Esc: set by Show
	relayout func()          // resizes the popup to fit: set by Show
	inFlight bool            // a write is running; Write is disabled

	// wg counts write goroutines; cancel ends the one in flight. Only the
	// UI goroutine touches cancel and closed.
	wg     sync.WaitGroup
	cancel context.CancelFunc
	closed bool
}

// New builds the faceplate of tag. Call Update with the tag's samples and
// Close when it is no longer shown.
func New(tag *datasource.Tag, deps Deps) *Faceplate {
	if deps.Theme == nil {
		deps.Theme = theme.New(false)
	}
	if deps.Timeout <= 0 {
		deps.Timeout = DefaultWriteTimeout
	}
	f := &Faceplate{tag: tag, deps: deps}
	f.build()
	f.Update(datasource.Sample{Tag: tag.ID})
	return f
}

// Content returns the faceplate's objects, to place in a window or popup.
func (f *Faceplate) Content() fyne.CanvasObject { return f.content }

func (f *Faceplate) build() {
	p := f.deps.Theme.P
	title := widget.NewLabelWithStyle(f.tag.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	rows := []fyne.CanvasObject{title}
	if f.tag.Description != "" {
		rows = append(rows, widget.NewLabel(f.tag.Description))
	}
	f.value = canvas.NewText("—", p.Foreground)
	f.value.TextSize = 24
	f.value.TextStyle = fyne.TextStyle{Monospace: true}
	f.marker = canvas.NewText("", p.Uncertain)
	f.marker.TextSize = 24
	f.quality = widget.NewLabel("")
	f.valueRow = container.NewHBox(f.value, f.marker)
	rows = append(rows, f.valueRow, f.quality)
	if f.tag.Type.Numeric() {
		f.bar = NewTagBar(f.deps.Theme, f.tag)
		rows = append(rows, f.bar)
	}
	f.limits = widget.NewLabel(limitsText(f.tag))
	if f.limits.Text != "" {
		rows = append(rows, f.limits)
	}
	f.alarms = container.NewVBox()
	rows = append(rows, f.alarms)
	if f.deps.Trend != nil {
		rows = append(rows, f.deps.Trend)
	}
	f.result = widget.NewLabel("")
	f.result.Wrapping = fyne.TextWrapWord
	if f.deps.CanWrite && f.tag.Writable && f.deps.Writer != nil {
		rows = append(rows, widget.NewSeparator())
		rows = append(rows, f.buildWrite()...)
		rows = append(rows, f.result)
	}
	if f.deps.Reset != nil {
		// A totalizer: one small button, the outcome (or the refusal, for
		// an operator without permission) in the result line.
		f.reset = widget.NewButton("Reset to 0", func() {
			if err := f.deps.Reset(); err != nil {
				f.result.SetText(err.Error())
			} else {
				f.result.SetText(f.tag.Name + " was reset to 0; the value before is kept in history")
			}
			f.fit()
		})
		rows = append(rows, widget.NewSeparator(), f.reset, f.result)
	}
	f.content = container.NewVBox(rows...)
}

// buildWrite makes the setpoint entry and Write button, or one command
// button per state for digital tags.
func (f *Faceplate) buildWrite() []fyne.CanvasObject {
	if f.tag.Type == datasource.TypeBool {
		var btns []fyne.CanvasObject
		for _, st := range []bool{true, false} {
			v := datasource.Bool(st)
			b := widget.NewButton(stateText(f.tag, st), func() { f.askConfirm(v) })
			f.commands = append(f.commands, b)
			btns = append(btns, b)
		}
		return []fyne.CanvasObject{container.NewHBox(btns...)}
	}
	f.entry = newValueEntry(func() { f.close() })
	f.entry.SetPlaceHolder("new setpoint")
	f.message = widget.NewLabel("")
	f.write = widget.NewButton("Write", func() {
		if !f.pending.IsNone() {
			f.askConfirm(f.pending)
		}
	})
	f.write.Importance = widget.HighImportance
	f.write.Disable()
	f.entry.OnChanged = f.validate
	f.entry.OnSubmitted = func(string) {
		if !f.write.Disabled() {
			f.write.OnTapped()
		}
	}
	units := widget.NewLabel(f.tag.Units)
	return []fyne.CanvasObject{container.NewBorder(nil, nil, nil, container.NewHBox(units, f.write), f.entry), f.message}
}

// stateText is the button text for a digital state: the tag's state text,
// or ON/OFF when it has none.
func stateText(tag *datasource.Tag, st bool) string {
	k := int64(0)
	if st {
		k = 1
	}
	if s, ok := tag.States[k]; ok {
		return s
	}
	if st {
		return "ON"
	}
	return "OFF"
}

// limitsText describes the write limits and span for the operator.
func limitsText(tag *datasource.Tag) string {
	if l := tag.WriteLimits; l != nil {
		return "write limits " + fmtNum(l.Min) + " .. " + withUnits(tag, l.Max)
	}
	return ""
}

// validate checks the entry as the operator types: the message under the
// field says why a value is refused, and Write is enabled only for a value
// poll.CheckValue accepts and while no write is in flight.
func (f *Faceplate) validate(text string) {
	v, msg := parseEntry(f.tag, text)
	f.pending = v
	f.message.SetText(msg)
	f.updateButtons()
	f.fit()
}

// updateButtons enables the write controls when a write may start.
func (f *Faceplate) updateButtons() {
	if f.write != nil {
		if f.pending.IsNone() || f.inFlight {
			f.write.Disable()
		} else {
			f.write.Enable()
		}
	}
	for _, b := range f.commands {
		if f.inFlight {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// Update shows a new sample of the tag. Call it from the UI goroutine at
// the owner's refresh rate, not once per sample.
func (f *Faceplate) Update(s datasource.Sample) {
	f.last = s
	p := f.deps.Theme.P
	f.value.Text = formatValue(f.tag, s.Value)
	f.value.Color = f.deps.Theme.QualityColor(s.Quality)
	f.marker.Text = ""
	switch s.Quality.Status {
	case datasource.Bad:
		f.value.Color = p.Dim
		text := qualityText("Bad", s.Quality)
		if s.Quality.Reason == datasource.CalcError && f.deps.Explain != nil {
			if why := f.deps.Explain(); why != "" {
				text += "\n" + why
			}
		}
		f.quality.SetText(text)
	case datasource.Uncertain:
		f.marker.Text = "?"
		f.quality.SetText(qualityText("Uncertain", s.Quality))
	default:
		f.quality.SetText("Good")
	}
	if s.Value.IsNone() && s.Quality.Status == datasource.Good && s.Time.IsZero() {
		f.quality.SetText("no reading yet")
	}
	f.valueRow.Refresh()
	if f.bar != nil {
		f.bar.SetValue(s)
	}
	f.updateAlarms()
	f.fit()
}

// fit re-lays out the faceplate when its content grew or shrank (a longer
// value, an alarm more), so nothing overlaps.
func (f *Faceplate) fit() {
	if min := f.content.MinSize(); min != f.lastMin {
		f.lastMin = min
		if f.relayout != nil {
			f.relayout()
		} else {
			f.content.Refresh()
		}
	}
}

// updateAlarms lists the tag's alarms: priority shape and digit, name,
// limit and state, coloured only when annunciated.
func (f *Faceplate) updateAlarms() {
	if f.deps.Alarms == nil {
		return
	}
	list := f.deps.Alarms()
	sort.SliceStable(list, func(i, j int) bool { return list[i].Priority > list[j].Priority })
	objs := make([]fyne.CanvasObject, 0, len(list))
	for _, a := range list {
		t := canvas.NewText(alarmText(a), f.deps.Theme.P.Foreground)
		if a.Annunciated {
			t.Color = theme.PriorityColor(a.Priority)
		}
		objs = append(objs, t)
	}
	f.alarms.Objects = objs
	f.alarms.Refresh()
}

// alarmText is one alarm's line, e.g. "■1 HiHi 95 Unack".
func alarmText(a alarms.Alarm) string {
	shape := map[datasource.Priority]string{datasource.PriorityCritical: "■", datasource.PriorityHigh: "▲",
		datasource.PriorityMedium: "▼", datasource.PriorityLow: "◆"}[a.Priority]
	s := shape + string(rune('0'+a.Priority.Number())) + " " + a.Name
	switch a.Kind {
	case datasource.AlarmHiHi, datasource.AlarmHi, datasource.AlarmLo, datasource.AlarmLoLo:
		s += " " + fmtNum(a.Limit)
		if a.Units != "" {
			s += " " + a.Units
		}
	}
	s += " " + a.State.String()
	switch {
	case a.OutOfService:
		s += " (out of service)"
	case a.Shelved:
		s += " (shelved)"
	case a.Suppressed:
		s += " (suppressed)"
	}
	return s
}

// Close ends a write in flight and waits for its goroutine. The faceplate
// must not be used afterwards.
func (f *Faceplate) Close() {
	f.closed = true
	f.hideConfirm()
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
}

// Closed reports whether the faceplate was closed (by Close, Esc or its
// Close button).
func (f *Faceplate) Closed() bool { return f.closed }

// close is Esc: it closes the faceplate when Show opened it.
func (f *Faceplate) close() {
	if f.confirm != nil {
		f.hideConfirm()
		return
	}
	if f.onClose != nil {
		f.onClose()
	}
}

// qualityText is "Bad: NotConnected", or the status alone without a reason.
func qualityText(status string, q datasource.Quality) string {
	if r := q.Reason.String(); r != "" {
		return status + ": " + r
	}
	return status
}
