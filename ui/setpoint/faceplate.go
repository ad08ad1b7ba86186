package setpoint

import (
	"context"
	"image/color"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui/alarmview"
	"github.com/vigil-hmi/vigil/ui/sparkline"
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
	Trend  fyne.CanvasObject // a trend shown instead of the one-hour sparkline, optional
	// History fills the one-hour sparkline when the faceplate opens (a
	// *history.Store); nil: it fills from the samples Update is given.
	History History
	Theme   *theme.HMI  // nil: the light theme
	Window  fyne.Window // for the confirmation
	// Timeout bounds one write and read-back; 0 means DefaultWriteTimeout.
	Timeout time.Duration
	// Explain says why a calculated tag is Bad/CalcError (the expression
	// and its inputs' values); nil for other tags.
	Explain func() string
	// Reset resets a totalizer to 0 (audited, docs/calc.md); nil: the tag
	// cannot be reset here and the faceplate has no Reset button.
	Reset func() error
}

// History gives a tag's stored points; *history.Store satisfies it.
type History interface {
	Query(ctx context.Context, tag string, from, to time.Time, maxPoints int) ([]history.Point, error)
}

// Width is the faceplate's width: room for the longest refusal under the
// entry ("use a point as the decimal separator (55.5, not 55,5)") and the
// entry's placeholder, so the popup never changes width as the operator
// types.
const Width = 440

// SparkWindow is the span of the faceplate's sparkline (docs/faceplate.md: a one-hour
// trend).
const SparkWindow = time.Hour

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
	source  *widget.Label // how a calculated tag gets its value; nil for others
	bar     *Bar
	spark   *sparkline.Line // one hour of the tag
	alarms  *fyne.Container

	entry    *valueEntry      // numeric tags
	message  *widget.Label    // under the entry: why the value is refused
	write    *widget.Button   // numeric tags
	commands []*widget.Button // digital tags: one per state, true first
	reset    *widget.Button   // totalizers with Deps.Reset
	pending  datasource.Value // the entry's valid value, none when invalid
	result   *widget.Label    // the write's outcome, verbatim
	confirm  *widget.PopUp    // open confirmation, nil when none

	// The open confirmation's parts (its detail line, Cancel, and the
	// button that acts: Write or Reset), and the key handler it replaced.
	confirmQuestion           *widget.Label
	confirmCancel, confirmAct *widget.Button
	restoreKey                func()

	content  fyne.CanvasObject
	valueRow *fyne.Container // value and "?" marker
	lastMin  fyne.Size       // the content's MinSize at the last fit
	onClose  func()          // Esc: set by Show
	relayout func()          // resizes the popup to fit: set by Show
	inFlight bool            // a write is running; Write is disabled

	// wg counts write goroutines; cancel ends the one in flight. Only the
	// UI goroutine touches cancel and closed.
	wg         sync.WaitGroup
	cancel     context.CancelFunc
	cancelFill context.CancelFunc // ends the sparkline's history query
	closed     bool
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
	f.fillSpark()
	return f
}

// fillSpark loads the last hour into the sparkline off the UI goroutine,
// so it shows the hour from the moment the faceplate opens.
func (f *Faceplate) fillSpark() {
	h := f.deps.History
	if f.spark == nil || h == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancelFill = cancel
	now := time.Now()
	l, name := f.spark, f.tag.Name
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer cancel()
		pts, err := h.Query(ctx, name, now.Add(-SparkWindow), now, 4*sparkline.Buckets)
		if err != nil || ctx.Err() != nil {
			return // the sparkline fills from live samples instead
		}
		for _, p := range pts {
			s := datasource.Sample{Tag: f.tag.ID, Time: p.Time, Value: datasource.Float(p.Value), Quality: p.Quality}
			if math.IsNaN(p.Value) && p.Quality.IsGood() {
				s.Quality = datasource.BadQuality(datasource.NotConnected)
			}
			l.Add(s) // Add is safe from any goroutine
		}
	}()
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
	if f.tag.Calc != nil {
		f.source = widget.NewLabel(calcText(f.tag.Calc))
		f.source.Wrapping = fyne.TextWrapWord
		f.source.Importance = widget.LowImportance
		rows = append(rows, f.source)
	}
	// The popup takes its width from here, so it fits its content and
	// does not jump as messages come and go.
	rows = append(rows, spacer(Width))
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
	switch {
	case f.deps.Trend != nil:
		rows = append(rows, f.deps.Trend)
	case f.tag.Type.Numeric() || f.tag.Type == datasource.TypeBool:
		f.spark = sparkline.New(SparkWindow, f.deps.Theme)
		switch {
		case f.tag.Type == datasource.TypeBool: // off low, on high, clear of the edges
			f.spark.SetRange(-0.25, 1.25)
		case f.tag.Span.Max > f.tag.Span.Min:
			f.spark.SetRange(f.tag.Span.Min, f.tag.Span.Max)
		}
		f.spark.SetLimits(alarmLimits(f.tag)...)
		rows = append(rows, container.NewBorder(nil, nil, widget.NewLabel("last hour"), nil,
			container.NewGridWrap(fyne.NewSize(Width-100, 40), f.spark)))
	}
	f.limits = widget.NewLabel(limitsText(f.tag))
	if f.limits.Text != "" {
		rows = append(rows, f.limits)
	}
	f.alarms = container.NewVBox()
	if len(f.tag.Alarms) > 0 {
		rows = append(rows, widget.NewLabelWithStyle("Alarms", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), f.alarms)
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
		// It is confirmed as a write is: a mis-tap must not end the
		// period an operator is watching.
		f.reset = widget.NewButton("Reset to 0", func() {
			f.ask("Reset this total?", confirmText(f.tag, f.last.Value, datasource.Float(0)), "Reset", "nothing was reset", f.doReset)
		})
		rows = append(rows, widget.NewSeparator(), f.reset, f.result)
	}
	f.content = container.NewVBox(rows...)
}

// doReset resets the totalizer and shows the outcome, or the refusal (an
// operator without permission) verbatim.
func (f *Faceplate) doReset() {
	if err := f.deps.Reset(); err != nil {
		f.result.SetText(err.Error())
	} else {
		f.result.SetText(f.tag.Name + " was reset to 0; the value before is kept in history")
	}
	f.fit()
}

// buildWrite makes the setpoint entry and Write button, or one command
// button per state for digital tags.
func (f *Faceplate) buildWrite() []fyne.CanvasObject {
	if f.tag.Type == datasource.TypeBool {
		var btns []fyne.CanvasObject
		for _, st := range []bool{true, false} {
			v := datasource.Bool(st)
			b := widget.NewButton(commandText(f.tag, st), func() { f.askConfirm(v) })
			f.commands = append(f.commands, b)
			btns = append(btns, b)
		}
		return []fyne.CanvasObject{container.NewHBox(btns...)}
	}
	f.entry = newValueEntry(func() { f.close() })
	f.entry.SetPlaceHolder("new setpoint")
	// The message under the entry always holds one line (a space when
	// there is nothing to say) and is cut rather than wrapped, so the
	// faceplate keeps its size while the operator types.
	f.message = widget.NewLabel(" ")
	f.message.Truncation = fyne.TextTruncateEllipsis
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

// commandText is the button text for commanding a digital tag to st: the
// action that leads to the state (START for RUNNING, STOP for STOPPED,
// CLOSE for CLOSED), since a button says what it does; a state word with
// no known verb is the button's text itself (AUTO, MANUAL, ON, OFF).
func commandText(tag *datasource.Tag, st bool) string {
	w := stateText(tag, st)
	if v, ok := stateVerbs[strings.ToUpper(w)]; ok {
		return v
	}
	return w
}

// stateVerbs are the actions that lead to common state words.
var stateVerbs = map[string]string{
	"RUNNING": "START", "RUN": "START", "STARTED": "START", "STOPPED": "STOP",
	"OPENED": "OPEN", "CLOSED": "CLOSE", "ENABLED": "ENABLE", "DISABLED": "DISABLE",
	"ACTIVE": "ACTIVATE", "INACTIVE": "DEACTIVATE", "ENERGIZED": "ENERGIZE", "DEENERGIZED": "DE-ENERGIZE",
	"LOCKED": "LOCK", "UNLOCKED": "UNLOCK", "RESET": "RESET", "TRIPPED": "TRIP",
}

// alarmLimits are the limits of tag's level alarms (HiHi, Hi, Lo, LoLo).
func alarmLimits(tag *datasource.Tag) []float64 {
	var out []float64
	for _, a := range tag.Alarms {
		if hasLimit(a.Kind) {
			out = append(out, a.Limit)
		}
	}
	return out
}

func hasLimit(k datasource.AlarmKind) bool {
	switch k {
	case datasource.AlarmHiHi, datasource.AlarmHi, datasource.AlarmLo, datasource.AlarmLoLo:
		return true
	}
	return false
}

// spacer is an invisible object that makes a column at least w wide.
func spacer(w float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, 0))
	return r
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
	if msg == "" {
		msg = " "
	}
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
	for i, b := range f.commands {
		// The button of the state the tag is in does nothing: disabled
		// (commands[0] commands true). Without a good reading both stay
		// enabled, since the state is not known.
		cur := f.last.Value.AsBool()
		known := !f.last.Value.IsNone() && f.last.Quality.IsGood()
		if f.inFlight || (known && cur == (i == 0)) {
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
	if f.spark != nil && !s.Time.IsZero() {
		f.spark.Add(s)
	}
	f.updateButtons()
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

// updateAlarms lists the tag's alarms as defined, most important first:
// priority shape and digit, name, limit and, from the alarm engine, the
// state; coloured only when annunciated.
func (f *Faceplate) updateAlarms() {
	if len(f.tag.Alarms) == 0 {
		return
	}
	byName := map[string]alarms.Alarm{}
	if f.deps.Alarms != nil {
		for _, a := range f.deps.Alarms() {
			byName[a.Name] = a
		}
	}
	list := make([]alarms.Alarm, 0, len(f.tag.Alarms))
	for _, d := range f.tag.Alarms {
		a, ok := byName[d.Name]
		if !ok { // not in the engine's list: it is Normal
			a = alarms.Alarm{Name: d.Name, Kind: d.Kind, Priority: d.Priority, Limit: d.Limit, Units: f.tag.Units, State: alarms.Normal}
		}
		list = append(list, a)
	}
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

// alarmText is one alarm's line, e.g. "■1 HiHi 95 % · Active, unacked",
// with the alarm summary's words for the state.
func alarmText(a alarms.Alarm) string {
	shape := map[datasource.Priority]string{datasource.PriorityCritical: "■", datasource.PriorityHigh: "▲",
		datasource.PriorityMedium: "▼", datasource.PriorityLow: "◆"}[a.Priority]
	s := shape + string(rune('0'+a.Priority.Number())) + " " + a.Name
	if hasLimit(a.Kind) {
		s += " " + fmtNum(a.Limit)
		if a.Units != "" {
			s += " " + a.Units
		}
	}
	s += " · " + alarmview.StateText(a.State)
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
	if f.cancelFill != nil {
		f.cancelFill()
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
