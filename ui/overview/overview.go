package overview

import (
	"image"
	"math"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/sparkline"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// Deps are what the Overview needs from the shell.
type Deps struct {
	Theme *theme.HMI
	// OnOpen opens the faceplate of a tag; called when an element is tapped.
	OnOpen func(*datasource.Tag)
	// Alarms returns the active alarms snapshot; may be nil.
	Alarms func() []alarms.Alarm
}

// sparkWindow is the time a card's sparkline shows.
const sparkWindow = time.Hour

// Overview is the Overview screen: process graphic (demo plant) and tag group grid.
type Overview struct {
	deps           Deps
	cells          map[datasource.TagID][]*cell
	sparks         map[datasource.TagID]*sparkline.Line
	tank           *canvas.Raster
	tankTag        *datasource.Tag
	spTag          *datasource.Tag
	level          float64
	sp             float64
	tankLook       tankLook // what the tank raster shows
	tankPainted    bool
	pump           *canvas.Circle
	pumpWord       *canvas.Text // RUNNING / STOPPED / FAULT
	running, fault *datasource.Tag
	isRun, isFault bool
	content        fyne.CanvasObject
}

// New builds the Overview for a project's tags.
func New(tags []*datasource.Tag, deps Deps) *Overview {
	if deps.Theme == nil {
		deps.Theme = theme.New(false)
	}
	o := &Overview{deps: deps, cells: map[datasource.TagID][]*cell{}, sparks: map[datasource.TagID]*sparkline.Line{},
		level: math.NaN(), sp: math.NaN()}
	byName := map[string]*datasource.Tag{}
	for _, t := range tags {
		byName[t.Name] = t
	}
	var sections []fyne.CanvasObject
	if p := o.process(byName); p != nil {
		sections = append(sections, p, widget.NewSeparator())
	}
	sections = append(sections, o.grid(tags))
	o.content = container.NewVScroll(container.NewVBox(sections...))
	return o
}

// Content returns the screen's canvas object.
func (o *Overview) Content() fyne.CanvasObject { return o.content }

func (o *Overview) add(t *datasource.Tag, withBar bool, extra fyne.CanvasObject) *cell {
	c := newCell(t, o.deps.Theme, o.deps.OnOpen, withBar, extra)
	o.cells[t.ID] = append(o.cells[t.ID], c)
	return c
}

// Feed keeps the sparklines' history from a table snapshot while the
// overview is hidden; Update does it too when shown. UI goroutine only.
func (o *Overview) Feed(snapshot []datasource.Sample) {
	for _, s := range snapshot {
		if l := o.sparks[s.Tag]; l != nil && !s.Time.IsZero() {
			l.Add(s)
		}
	}
}

// Update shows a table snapshot and the alarms; call on the UI goroutine.
func (o *Overview) Update(snapshot []datasource.Sample, now time.Time) {
	byTag := map[string]*alarms.Alarm{}
	if o.deps.Alarms != nil {
		as := o.deps.Alarms()
		for i := range as {
			a := &as[i]
			if a.Shelved || a.OutOfService || a.Suppressed || (!a.Active && a.Acked) {
				continue
			}
			if b := byTag[a.Tag]; b == nil || a.Priority > b.Priority || (a.Priority == b.Priority && !a.Acked && b.Acked) {
				byTag[a.Tag] = a
			}
		}
	}
	flashOn := (now.UnixMilli()/500)%2 == 0 // ~1 Hz
	for _, s := range snapshot {
		for _, c := range o.cells[s.Tag] {
			c.sample, c.have = s, true
		}
		if l := o.sparks[s.Tag]; l != nil && !s.Time.IsZero() {
			l.Add(s)
		}
		if o.tankTag != nil && s.Tag == o.tankTag.ID {
			o.level = floatOr(s)
		}
		if o.running != nil && s.Tag == o.running.ID {
			o.isRun = s.Value.AsBool() && !s.Quality.IsBad()
		}
		if o.fault != nil && s.Tag == o.fault.ID {
			o.isFault = s.Value.AsBool() && !s.Quality.IsBad()
		}
		if o.spTag != nil && s.Tag == o.spTag.ID {
			o.sp = floatOr(s)
		}
	}
	for _, cs := range o.cells {
		for _, c := range cs {
			c.alarm = byTag[c.tag.Name]
			c.flashOn = flashOn
			c.show()
		}
	}
	if o.tank != nil {
		// The tank is a raster: repaint it only when its picture changes.
		tank := tankLook{level: o.level, sp: o.sp, palette: o.deps.Theme.P}
		if !o.tankPainted || !tank.same(o.tankLook) {
			o.tankLook, o.tankPainted = tank, true
			o.tank.Refresh()
		}
	}
	if o.pumpWord != nil {
		setText(o.pumpWord, pumpState(o.isRun, o.isFault), o.pumpWord.Color)
	}
}

// tankLook is what the tank graphic draws.
type tankLook struct {
	level, sp float64
	palette   theme.Palette
}

// same compares two looks, NaN (no reading) equal to NaN.
func (a tankLook) same(b tankLook) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return eq(a.level, b.level) && eq(a.sp, b.sp) && a.palette == b.palette
}

// pumpState is the pump's state as one word: a fault outranks running.
func pumpState(running, fault bool) string {
	switch {
	case fault:
		return "FAULT"
	case running:
		return "RUNNING"
	}
	return "STOPPED"
}

func floatOr(s datasource.Sample) float64 {
	if f, ok := s.Value.AsFloat(); ok && !s.Quality.IsBad() {
		return f
	}
	return math.NaN()
}

// grid is the generic section: one titled grid of cards per tag group.
func (o *Overview) grid(tags []*datasource.Tag) fyne.CanvasObject {
	groups := map[string][]*datasource.Tag{}
	var names []string
	for _, t := range tags {
		if t.System {
			continue
		}
		g := t.Group
		if g == "" {
			g = "Ungrouped"
		}
		if _, ok := groups[g]; !ok {
			names = append(names, g)
		}
		groups[g] = append(groups[g], t)
	}
	sort.Strings(names)
	box := container.NewVBox()
	for _, g := range names {
		title := canvas.NewText(g, o.deps.Theme.P.Foreground)
		title.TextStyle = fyne.TextStyle{Bold: true}
		wrap := container.NewGridWrap(fyne.NewSize(220, 96))
		for _, t := range groups[g] {
			var extra fyne.CanvasObject
			if t.Type.Numeric() && len(t.States) == 0 {
				l := sparkline.New(sparkWindow, o.deps.Theme)
				if t.Span.Max > t.Span.Min {
					l.SetRange(t.Span.Min, t.Span.Max)
				}
				lolo, lo, hi, hihi := limits(t)
				var ls []float64
				for _, v := range []float64{lolo, lo, hi, hihi} {
					if !math.IsNaN(v) {
						ls = append(ls, v)
					}
				}
				l.SetLimits(ls...)
				o.sparks[t.ID] = l
				extra = l
			}
			wrap.Add(o.add(t, false, extra))
		}
		box.Add(title)
		box.Add(wrap)
	}
	return box
}

// process builds the demo plant's graphic for whichever groups exist, or nil.
func (o *Overview) process(tag map[string]*datasource.Tag) fyne.CanvasObject {
	th := o.deps.Theme
	var cols []fyne.CanvasObject
	pipe := func() fyne.CanvasObject {
		r := canvas.NewRectangle(th.P.Line)
		r.SetMinSize(fyne.NewSize(40, 4))
		return container.NewCenter(r)
	}
	cellsOf := func(bar bool, names ...string) []fyne.CanvasObject {
		var out []fyne.CanvasObject
		for _, n := range names {
			if t := tag[n]; t != nil {
				out = append(out, o.add(t, bar, nil))
			}
		}
		return out
	}
	title := func(s string) fyne.CanvasObject {
		t := canvas.NewText(s, th.P.Foreground)
		t.TextStyle = fyne.TextStyle{Bold: true}
		return t
	}
	if t := tag["Tank1.Level"]; t != nil {
		o.tankTag, o.spTag = t, tag["Tank1.LevelSP"]
		o.tank = canvas.NewRaster(o.drawTank)
		o.tank.SetMinSize(fyne.NewSize(90, 140))
		objs := []fyne.CanvasObject{title("Tank 1"), container.NewCenter(o.tank)}
		objs = append(objs, cellsOf(true, "Tank1.Level", "Tank1.LevelSP", "Tank1.OutletValve", "Tank1.Auto")...)
		cols = append(cols, container.NewVBox(objs...))
	}
	if tag["Pump1.Running"] != nil {
		if len(cols) > 0 {
			cols = append(cols, pipe())
		}
		o.pump = canvas.NewCircle(th.P.Panel)
		o.pump.StrokeColor, o.pump.StrokeWidth = th.P.Line, 2
		sym := container.NewGridWrap(fyne.NewSize(48, 48), o.pump)
		o.running, o.fault = tag["Pump1.Running"], tag["Pump1.Fault"]
		o.pumpWord = canvas.NewText("STOPPED", th.P.Foreground)
		o.pumpWord.TextStyle = fyne.TextStyle{Bold: true}
		objs := []fyne.CanvasObject{title("Pump 1"), container.NewCenter(sym), container.NewCenter(o.pumpWord)}
		objs = append(objs, cellsOf(false, "Pump1.Running", "Pump1.Fault")...)
		objs = append(objs, cellsOf(true, "Pump1.Current", "Pump1.Temperature", "Pump1.Vibration")...)
		cols = append(cols, container.NewVBox(objs...))
	}
	if tag["Meter1.Power"] != nil {
		if len(cols) > 0 {
			cols = append(cols, pipe())
		}
		objs := []fyne.CanvasObject{title("Meter 1")}
		objs = append(objs, cellsOf(true, "Meter1.Power")...)
		objs = append(objs, cellsOf(false, "Meter1.Energy")...)
		cols = append(cols, container.NewVBox(objs...))
	}
	if tag["Field1.Moisture"] != nil {
		if len(cols) > 0 {
			cols = append(cols, pipe())
		}
		objs := []fyne.CanvasObject{title("Field 1 irrigation")}
		objs = append(objs, cellsOf(true, "Field1.Moisture")...)
		objs = append(objs, cellsOf(false, "Field1.Valve", "Field1.Flow")...)
		cols = append(cols, container.NewVBox(objs...))
	}
	if len(cols) == 0 {
		return nil
	}
	return container.NewHScroll(container.NewHBox(cols...))
}

// drawTank draws the tank outline (mid grey), the level as a grey fill and
// the setpoint as a dark marker on the wall.
func (o *Overview) drawTank(w, h int) image.Image {
	th := o.deps.Theme
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w < 8 || h < 8 {
		return img
	}
	span := o.tankTag.Span
	if span.Max <= span.Min {
		span = datasource.Range{Min: 0, Max: 100}
	}
	yOf := func(v float64) int {
		f := math.Max(0, math.Min(1, (v-span.Min)/(span.Max-span.Min)))
		return h - 2 - int(f*float64(h-4))
	}
	fill(img, 0, 0, w, h, th.P.Panel)
	if !math.IsNaN(o.level) {
		fill(img, 2, yOf(o.level), w-2, h-2, th.P.Button)
	}
	fill(img, 0, 0, 2, h, th.P.Line)
	fill(img, w-2, 0, w, h, th.P.Line)
	fill(img, 0, 0, w, 2, th.P.Line)
	fill(img, 0, h-2, w, h, th.P.Line)
	if !math.IsNaN(o.sp) {
		y := yOf(o.sp)
		fill(img, 0, y-1, 10, y+1, th.P.Foreground)
	}
	return img
}
