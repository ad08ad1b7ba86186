package display

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// Deps are what a View needs from the shell.
type Deps struct {
	Theme *theme.HMI // nil: the light theme
	// OnOpen opens a tag's faceplate: a tap on an element showing it.
	OnOpen func(*datasource.Tag)
	// OnGoto opens another display: a goto button.
	OnGoto func(name string)
	// OnWrite asks to write v to tag through the audited write path, with
	// its confirmation: a write button.
	OnWrite func(tag *datasource.Tag, v datasource.Value)
	// Set is the project's displays, for alarm indicators that count
	// another display's tags; nil: they count this display's.
	Set *displays.Set
	// Edit edits the display files in edit mode; nil: the displays cannot
	// be edited.
	Edit Editor
	// Prefs keeps each display's zoom and scroll across restarts (the
	// shell's store is one file per project), under PrefPrefix +
	// "display.NAME.view"; nil: they last as long as the window.
	Prefs      fyne.Preferences
	PrefPrefix string

	// The host's: an element selected in edit mode, an edit refused.
	onSelect func(*displays.Element)
	onError  func(error)
}

// View draws one compiled display, scaled to its size.
type View struct {
	widget.BaseWidget

	d     *displays.Display
	deps  Deps
	th    *theme.HMI
	parts []part
	objs  []fyne.CanvasObject
	m     mapper
	ids   map[string]datasource.TagID // the display's tags by name, for alarms
	st    state

	editing  bool
	drag     *drag             // the element being dragged, nil when none
	sel      *canvas.Rectangle // the selected or dragged element's box
	handle   *canvas.Rectangle // the selected element's resize handle
	selected *displays.Element // selected in edit mode, nil when none

	size fyne.Size     // the widget's size at the last layout
	fit  float32       // the scale that fits the whole display
	zoom float32       // 1 (or 0): the whole display; up to MaxZoom
	pan  fyne.Position // offset from the centred origin, in pixels
	// centre is the display point to show at the middle of the view at
	// its first layout: the one remembered in Deps.Prefs. Nil once placed.
	centre *displays.Point
}

// New builds the canvas objects of display d, once.
func New(d *displays.Display, deps Deps) *View {
	if deps.Theme == nil {
		deps.Theme = theme.New(false)
	}
	v := &View{d: d, deps: deps, th: deps.Theme, ids: make(map[string]datasource.TagID, len(d.Tags))}
	for _, t := range d.Tags {
		v.ids[t.Name] = t.ID
	}
	v.st.alarm = map[datasource.TagID]*alarms.Alarm{}
	v.st.oos = map[datasource.TagID]bool{}
	// No background rectangle of its own: the window's background is the
	// same grey, and a rectangle the size of the view cost the software
	// renderer most of a repaint (with alarms flashing the overview took
	// 8 % of a core, 4 % without it; issue 16).
	for _, e := range d.Elements {
		p := newPart(v, e)
		v.parts = append(v.parts, p)
		v.objs = append(v.objs, p.objects()...)
	}
	v.sel = newSelection(v.th.P.Focus)
	v.handle = newHandle(v.th.P.Focus)
	v.objs = append(v.objs, v.sel, v.handle)
	v.recall()
	v.ExtendBaseWidget(v)
	return v
}

// Display returns the display the view draws.
func (v *View) Display() *displays.Display { return v.d }

// Update shows a table snapshot (indexed by TagID) and the active alarms;
// call it on the UI goroutine. Only what changed is redrawn.
func (v *View) Update(snap []datasource.Sample, active []alarms.Alarm, now time.Time) {
	st := &v.st
	st.snap, st.active = snap, active
	st.flashOn = (now.UnixMilli()/500)%2 == 0 // about 1 Hz
	clear(st.alarm)
	clear(st.oos)
	for i := range active {
		a := &active[i]
		id, ok := v.ids[a.Tag]
		if !ok {
			continue
		}
		if a.OutOfService {
			st.oos[id] = true
		}
		if !shown(a) {
			continue
		}
		if b := st.alarm[id]; b == nil || a.Priority > b.Priority || (a.Priority == b.Priority && !a.Acked && b.Acked) {
			st.alarm[id] = a
		}
	}
	for _, p := range v.parts {
		p.update(st)
	}
}

// shown reports whether an alarm is shown on a display: active or
// unacknowledged, and not shelved, suppressed or out of service.
func shown(a *alarms.Alarm) bool {
	return !a.Shelved && !a.OutOfService && !a.Suppressed && (a.Active || !a.Acked)
}

// Tapped opens the faceplate of the topmost element under the pointer
// that shows a tag; in edit mode it selects the element instead.
func (v *View) Tapped(ev *fyne.PointEvent) {
	if v.m.scale == 0 {
		return
	}
	x := float64((ev.Position.X - v.m.origin.X) / v.m.scale)
	y := float64((ev.Position.Y - v.m.origin.Y) / v.m.scale)
	if v.editing {
		v.editTap(x, y)
		return
	}
	if v.deps.OnOpen == nil {
		return
	}
	if e := v.ElementAt(x, y); e != nil {
		v.deps.OnOpen(e.Tag)
	}
}

// ElementAt returns the topmost element at (x, y) in display units that
// shows a tag, or nil. Pipes count within a few units of their line.
func (v *View) ElementAt(x, y float64) *displays.Element {
	for i := len(v.d.Elements) - 1; i >= 0; i-- {
		e := v.d.Elements[i]
		if e.Tag == nil || e.Kind == displays.Button {
			continue
		}
		b := e.Box
		const slack = 6
		if x >= b.X-slack && x <= b.X+b.W+slack && y >= b.Y-slack && y <= b.Y+b.H+slack {
			return e
		}
	}
	return nil
}

// CreateRenderer implements fyne.Widget.
func (v *View) CreateRenderer() fyne.WidgetRenderer { return &renderer{v: v} }

// renderer lays the parts out for the widget's size.
type renderer struct{ v *View }

func (r *renderer) Layout(size fyne.Size) {
	r.v.size = size
	r.v.layout()
}

func (r *renderer) MinSize() fyne.Size {
	// A quarter of the canvas: small windows still show the whole display.
	return fyne.NewSize(float32(r.v.d.Size.W)/4, float32(r.v.d.Size.H)/4)
}

// Refresh has nothing to do: every part repaints what it changes itself,
// and a new palette builds the view again.
func (r *renderer) Refresh() {}

func (r *renderer) Objects() []fyne.CanvasObject { return r.v.objs }
func (r *renderer) Destroy()                     {}
