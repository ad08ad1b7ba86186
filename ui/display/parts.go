package display

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/ui/setpoint"
	"github.com/vigil-hmi/vigil/ui/sparkline"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// state is one refresh's input, shared by every part.
type state struct {
	snap    []datasource.Sample // indexed by TagID
	alarm   map[datasource.TagID]*alarms.Alarm
	oos     map[datasource.TagID]bool
	active  []alarms.Alarm
	flashOn bool
}

// sample returns t's sample, or a zero (no value) one.
func (s *state) sample(t *datasource.Tag) datasource.Sample {
	if t == nil || int(t.ID) >= len(s.snap) {
		return datasource.Sample{}
	}
	return s.snap[t.ID]
}

// part draws one element: its canvas objects, made once, placed at every
// layout, changed by update only where the snapshot changed their look.
type part interface {
	objects() []fyne.CanvasObject
	place(m mapper)
	update(st *state)
}

// newPart makes the part of an element.
func newPart(v *View, e *displays.Element) part {
	th := v.th
	switch e.Kind {
	case displays.Tank:
		return newTank(th, e)
	case displays.Pump, displays.Motor, displays.Fan, displays.Compressor:
		return newRotating(th, e)
	case displays.Valve, displays.Damper:
		return newValve(th, e)
	case displays.Pipe, displays.Duct:
		return newPipe(th, e)
	case displays.Value, displays.Setpoint:
		return newValue(th, e)
	case displays.Bar:
		return newBar(th, e)
	case displays.Text:
		return &textPart{e: e, t: newText(e.Label, th.P.Foreground, false)}
	case displays.Button:
		return newButton(v, e)
	case displays.Sparkline, displays.Trend:
		return newSpark(th, e)
	case displays.Alarms:
		return newAlarmCount(v, e)
	case displays.Group:
		return newGroup(th, e)
	case displays.Image:
		img := canvas.NewImageFromFile(e.File)
		img.FillMode = canvas.ImageFillContain
		return &imagePart{e: e, img: img}
	}
	return &textPart{e: e, t: newText("?", th.P.Dim, false)}
}

// labelOf is an element's label: its own, else the tag's description.
func labelOf(e *displays.Element) string {
	if e.Label != "" || e.Tag == nil {
		return e.Label
	}
	return e.Tag.Description
}

// tank: outline, level fill, alarm limit ticks, level text and label.
type tank struct {
	e            *displays.Element
	th           *theme.HMI
	body, fill   *canvas.Rectangle
	ticks        []*canvas.Line
	limits       []float64
	value, label *canvas.Text
	marks        *marks
	frac         float64 // the fill shown, 0..1; NaN before the first value
	m            mapper
}

func newTank(th *theme.HMI, e *displays.Element) *tank {
	p := &tank{e: e, th: th, frac: math.NaN()}
	p.body = canvas.NewRectangle(color.Transparent)
	p.body.StrokeColor, p.body.StrokeWidth = th.P.Line, 2
	p.fill = canvas.NewRectangle(grey(th))
	for _, a := range e.Tag.Alarms {
		switch a.Kind {
		case datasource.AlarmHi, datasource.AlarmHiHi, datasource.AlarmLo, datasource.AlarmLoLo:
			l := canvas.NewLine(th.P.Foreground)
			l.StrokeWidth = 2
			p.ticks, p.limits = append(p.ticks, l), append(p.limits, a.Limit)
		}
	}
	p.value = newText("----", th.P.Foreground, true)
	p.label = newText(labelOf(e), th.P.Dim, false)
	p.marks = newMarks(th, e.Box, e.Tag)
	p.marks.body = true
	return p
}

func (p *tank) objects() []fyne.CanvasObject {
	out := []fyne.CanvasObject{p.fill, p.body}
	for _, l := range p.ticks {
		out = append(out, l)
	}
	return append(append(out, p.value, p.label), p.marks.objects()...)
}

// level maps a value to a fraction of the tank's span.
func (p *tank) level(v float64) float64 {
	s := p.e.Tag.Span
	if s.Max <= s.Min {
		return 0
	}
	return math.Max(0, math.Min(1, (v-s.Min)/(s.Max-s.Min)))
}

func (p *tank) place(m mapper) {
	p.m = m
	b := p.e.Box
	m.place(p.body, b)
	p.placeFill()
	for i, l := range p.ticks {
		y := b.Y + b.H*(1-p.level(p.limits[i]))
		l.Position1, l.Position2 = m.pos(b.X-8, y), m.pos(b.X, y)
	}
	m.text(p.value, b.X+6, b.Y+6, valueSize)
	m.text(p.label, b.X, b.Y+b.H+4, labelSize)
	p.marks.place(m)
}

func (p *tank) placeFill() {
	b, f := p.e.Box, p.frac
	if math.IsNaN(f) {
		f = 0
	}
	h := b.H * f
	p.m.place(p.fill, displays.Rect{Point: displays.Point{X: b.X, Y: b.Y + b.H - h}, Size: displays.Size{W: b.W, H: h}})
}

func (p *tank) update(st *state) {
	s := st.sample(p.e.Tag)
	setText(p.value, ValueText(p.e.Tag, s.Value)+" "+p.e.Tag.Units, qualityText(p.th, s.Quality))
	f := math.NaN()
	if x, ok := s.Value.AsFloat(); ok && !s.Quality.IsBad() {
		f = p.level(x)
	}
	if f != p.frac && !(math.IsNaN(f) && math.IsNaN(p.frac)) {
		p.frac = f
		p.placeFill()
		p.fill.Refresh()
	}
	p.marks.update(st.snap, st)
}

// qualityText is the colour of a value's text: dimmed when Bad.
func qualityText(th *theme.HMI, q datasource.Quality) color.Color {
	if q.IsBad() {
		return th.P.Dim
	}
	return th.P.Foreground
}

// rotating is a pump, motor, fan or compressor: a circle filled while
// running, hollow while stopped, a kind glyph inside, the state as a word
// and M beside it in manual.
type rotating struct {
	e                   *displays.Element
	th                  *theme.HMI
	body                *canvas.Circle
	glyph               []*canvas.Line
	word, manual, label *canvas.Text
	marks               *marks
	running             int8 // -1 unknown, 0 stopped, 1 running
}

func newRotating(th *theme.HMI, e *displays.Element) *rotating {
	p := &rotating{e: e, th: th, running: -1}
	p.body = canvas.NewCircle(color.Transparent)
	p.body.StrokeColor, p.body.StrokeWidth = th.P.Line, 2
	n := 2
	if e.Kind == displays.Fan {
		n = 4
	}
	for i := 0; i < n; i++ {
		l := canvas.NewLine(th.P.Line)
		l.StrokeWidth = 2
		p.glyph = append(p.glyph, l)
	}
	p.word = newText("", th.P.Foreground, false)
	p.manual = newText("M", th.P.Foreground, false)
	p.manual.TextStyle.Bold = true
	p.manual.Hide()
	p.label = newText(labelOf(e), th.P.Dim, false)
	p.marks = newMarks(th, e.Box, e.Tag, e.Fault, e.Manual)
	p.marks.body = true
	return p
}

func (p *rotating) objects() []fyne.CanvasObject {
	out := []fyne.CanvasObject{p.body}
	for _, l := range p.glyph {
		out = append(out, l)
	}
	return append(append(out, p.word, p.manual, p.label), p.marks.objects()...)
}

func (p *rotating) place(m mapper) {
	b := p.e.Box
	m.place(p.body, b)
	cx, cy, r := b.X+b.W/2, b.Y+b.H/2, math.Min(b.W, b.H)/2
	seg := func(l *canvas.Line, x1, y1, x2, y2 float64) { l.Position1, l.Position2 = m.pos(x1, y1), m.pos(x2, y2) }
	switch p.e.Kind {
	case displays.Pump: // the outlet: a tangent from the top
		seg(p.glyph[0], cx, cy-r, cx+r*1.2, cy-r)
		seg(p.glyph[1], cx+r*1.2, cy-r, cx+r*1.2, cy-r*0.6)
	case displays.Fan: // blades
		seg(p.glyph[0], cx-r*0.7, cy-r*0.7, cx+r*0.7, cy+r*0.7)
		seg(p.glyph[1], cx-r*0.7, cy+r*0.7, cx+r*0.7, cy-r*0.7)
		seg(p.glyph[2], cx, cy-r, cx, cy+r)
		seg(p.glyph[3], cx-r, cy, cx+r, cy)
	case displays.Compressor: // converging lines
		seg(p.glyph[0], cx-r*0.8, cy-r*0.6, cx+r*0.8, cy-r*0.3)
		seg(p.glyph[1], cx-r*0.8, cy+r*0.6, cx+r*0.8, cy+r*0.3)
	default: // motor: the letter's stems
		seg(p.glyph[0], cx-r*0.4, cy+r*0.4, cx-r*0.4, cy-r*0.4)
		seg(p.glyph[1], cx+r*0.4, cy+r*0.4, cx+r*0.4, cy-r*0.4)
	}
	m.text(p.word, b.X, b.Y+b.H+4, labelSize)
	m.text(p.label, b.X, b.Y+b.H+4+labelSize+4, labelSize)
	m.text(p.manual, b.X-16, b.Y, labelSize)
	p.marks.place(m)
}

func (p *rotating) update(st *state) {
	s := st.sample(p.e.Tag)
	run := int8(0)
	if on(s) {
		run = 1
	}
	word := "STOPPED"
	switch {
	case p.e.Fault != nil && on(st.sample(p.e.Fault)):
		word = "FAULT"
	case s.Quality.IsBad():
		word = "----"
	case run == 1:
		word = "RUNNING"
	}
	setText(p.word, word, p.th.P.Foreground)
	if run != p.running {
		p.running = run
		p.body.FillColor = color.Transparent
		if run == 1 {
			p.body.FillColor = grey(p.th)
		}
		p.body.Refresh()
	}
	setShown(p.manual, p.e.Manual != nil && on(st.sample(p.e.Manual)))
	p.marks.update(st.snap, st)
}

// valve is a bow tie: filled open, hollow closed, half filled travelling;
// the position in % beside it.
type valve struct {
	e                  *displays.Element
	th                 *theme.HMI
	body               *canvas.Raster
	pos, manual, label *canvas.Text
	marks              *marks
	look               float64 // opening 0..1; NaN unknown
	drawn              int8    // valveFill of the look the body was last asked to paint
	repaints           int     // body repaints asked (tests)
}

// valveFill is what a valve's body shows of its opening: -1 unknown
// (hollow), 0 closed (hollow), 1 travelling (half filled), 2 open (filled).
// The body is repainted only when it changes: a raster repaint rasterises
// the bow tie again and uploads its texture, and a valve whose position
// moved by a tenth of a percent looks the same.
func valveFill(look float64) int8 {
	switch {
	case math.IsNaN(look) || look < 0:
		return -1
	case look >= 0.95:
		return 2
	case look > 0.05:
		return 1
	}
	return 0
}

func newValve(th *theme.HMI, e *displays.Element) *valve {
	p := &valve{e: e, th: th, look: math.NaN(), drawn: -2}
	p.body = canvas.NewRaster(p.paint)
	p.pos = newText("", th.P.Foreground, true)
	p.manual = newText("M", th.P.Foreground, false)
	p.manual.TextStyle.Bold = true
	p.manual.Hide()
	p.label = newText(labelOf(e), th.P.Dim, false)
	p.marks = newMarks(th, e.Box, e.Tag, e.Open, e.Fault, e.Manual)
	p.marks.body = true
	return p
}

// paint draws the bow tie: outline always, fill by opening (closed
// hollow, travelling half, open full).
func (p *valve) paint(w, h int) image.Image {
	tri1 := [][2]float64{{0.02, 0.1}, {0.5, 0.5}, {0.02, 0.9}}
	tri2 := [][2]float64{{0.98, 0.1}, {0.5, 0.5}, {0.98, 0.9}}
	if p.e.Vertical {
		tri1 = [][2]float64{{0.1, 0.02}, {0.5, 0.5}, {0.9, 0.02}}
		tri2 = [][2]float64{{0.1, 0.98}, {0.5, 0.5}, {0.9, 0.98}}
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	fill := grey(p.th)
	for i, tri := range [][][2]float64{tri1, tri2} {
		f := valveFill(p.look)
		filled := f == 2 || (f == 1 && i == 0)
		layer := paintPolygon(w, h, tri, fill, true)
		if filled {
			drawOver(img, layer)
		}
		drawOver(img, paintPolygon(w, h, tri, p.th.P.Line, false))
	}
	return img
}

// drawOver copies the opaque pixels of src onto dst.
func drawOver(dst, src *image.NRGBA) {
	for i := 3; i < len(src.Pix); i += 4 {
		if src.Pix[i] != 0 {
			copy(dst.Pix[i-3:i+1], src.Pix[i-3:i+1])
		}
	}
}

func (p *valve) objects() []fyne.CanvasObject {
	return append([]fyne.CanvasObject{p.body, p.pos, p.manual, p.label}, p.marks.objects()...)
}

func (p *valve) place(m mapper) {
	b := p.e.Box
	m.place(p.body, b)
	m.text(p.pos, b.X, b.Y+b.H+4, labelSize)
	m.text(p.label, b.X, b.Y+b.H+4+labelSize+4, labelSize)
	m.text(p.manual, b.X-16, b.Y, labelSize)
	p.marks.place(m)
}

func (p *valve) update(st *state) {
	look := math.NaN()
	s := st.sample(p.e.Tag)
	if p.e.Tag != nil && p.e.Tag != p.e.Open {
		if x, ok := s.Value.AsFloat(); ok && !s.Quality.IsBad() {
			look = math.Max(0, math.Min(1, x/100))
		}
		units := p.e.Tag.Units
		if units == "" {
			units = "%" // position is documented as a percentage
		}
		setText(p.pos, ValueText(p.e.Tag, s.Value)+" "+units, qualityText(p.th, s.Quality))
	}
	if p.e.Open != nil && math.IsNaN(look) {
		if o := st.sample(p.e.Open); !o.Quality.IsBad() && !o.Value.IsNone() {
			look = 0
			if o.Value.AsBool() {
				look = 1
			}
		}
	}
	p.look = look
	if f := valveFill(look); f != p.drawn {
		p.drawn = f
		p.repaints++
		p.body.Refresh()
	}
	setShown(p.manual, p.e.Manual != nil && on(st.sample(p.e.Manual)))
	p.marks.update(st.snap, st)
}

// pipe is a grey polyline, darker while its flow tag is on.
type pipe struct {
	e     *displays.Element
	th    *theme.HMI
	lines []*canvas.Line
	flow  int8
}

func newPipe(th *theme.HMI, e *displays.Element) *pipe {
	p := &pipe{e: e, th: th, flow: -1}
	for i := 1; i < len(e.Line); i++ {
		l := canvas.NewLine(th.P.Line)
		p.lines = append(p.lines, l)
	}
	return p
}

func (p *pipe) objects() []fyne.CanvasObject {
	out := make([]fyne.CanvasObject, len(p.lines))
	for i, l := range p.lines {
		out[i] = l
	}
	return out
}

func (p *pipe) place(m mapper) {
	w := 3 * m.scale
	if p.e.Kind == displays.Duct {
		w = 8 * m.scale
	}
	for i, l := range p.lines {
		a, b := p.e.Line[i], p.e.Line[i+1]
		l.Position1, l.Position2 = m.pos(a.X, a.Y), m.pos(b.X, b.Y)
		l.StrokeWidth = max(w, 1)
	}
}

func (p *pipe) update(st *state) {
	f := int8(0)
	if p.e.Tag != nil && on(st.sample(p.e.Tag)) {
		f = 1
	}
	if f == p.flow {
		return
	}
	p.flow = f
	c := p.th.P.Line
	if f == 1 {
		c = p.th.P.Dim
	}
	for _, l := range p.lines {
		l.StrokeColor = c
		l.Refresh()
	}
}

// valuePart is a value or a setpoint: label, number, units; a setpoint in
// an entry-like box (a tap opens its faceplate).
type valuePart struct {
	e                   *displays.Element
	th                  *theme.HMI
	box                 *canvas.Rectangle
	label, value, units *canvas.Text
	marks               *marks
}

func newValue(th *theme.HMI, e *displays.Element) *valuePart {
	p := &valuePart{e: e, th: th}
	p.box = canvas.NewRectangle(color.Transparent)
	if e.Kind == displays.Setpoint {
		p.box.FillColor, p.box.StrokeColor, p.box.StrokeWidth = th.P.Input, th.P.Line, 1
	}
	p.label = newText(e.Label, th.P.Dim, false)
	p.value = newText("----", th.P.Foreground, true)
	p.units = newText(e.Tag.Units, th.P.Dim, false)
	p.marks = newMarks(th, e.Box, e.Tag)
	return p
}

func (p *valuePart) objects() []fyne.CanvasObject {
	return append([]fyne.CanvasObject{p.box, p.label, p.value, p.units}, p.marks.objects()...)
}

func (p *valuePart) place(m mapper) {
	b := p.e.Box
	m.place(p.box, b)
	x := b.X + 4
	if p.e.Label != "" {
		m.text(p.label, x, b.Y+(b.H-labelSize)/2-2, labelSize)
		x += float64(p.label.MinSize().Width/m.scale) + 8
	}
	m.text(p.value, x, b.Y+(b.H-valueSize)/2-2, valueSize)
	p.placeUnits(m)
	p.marks.place(m)
}

func (p *valuePart) placeUnits(m mapper) {
	pos := p.value.Position().Add(fyne.NewPos(p.value.MinSize().Width+4*m.scale, (valueSize-labelSize)*m.scale))
	p.units.TextSize = labelSize * m.scale
	p.units.Move(pos)
	p.units.Resize(p.units.MinSize())
}

func (p *valuePart) update(st *state) {
	s := st.sample(p.e.Tag)
	before := p.value.Text
	setText(p.value, ValueText(p.e.Tag, s.Value), qualityText(p.th, s.Quality))
	if len(before) != len(p.value.Text) && p.value.TextSize > 0 {
		p.placeUnits(mapper{scale: p.value.TextSize / valueSize})
		p.units.Refresh()
	}
	p.marks.update(st.snap, st)
}

// barPart is a moving analog indicator: the faceplate's bar (normal range
// shaded, alarm limits as ticks), the value and the label.
type barPart struct {
	e            *displays.Element
	th           *theme.HMI
	bar          *setpoint.Bar
	label, value *canvas.Text
	marks        *marks
	last         datasource.Sample
}

func newBar(th *theme.HMI, e *displays.Element) *barPart {
	return &barPart{e: e, th: th, bar: setpoint.NewTagBar(th, e.Tag), label: newText(labelOf(e), th.P.Dim, false),
		value: newText("----", th.P.Foreground, true), marks: newMarks(th, e.Box, e.Tag)}
}

func (p *barPart) objects() []fyne.CanvasObject {
	return append([]fyne.CanvasObject{p.bar, p.label, p.value}, p.marks.objects()...)
}

func (p *barPart) place(m mapper) {
	b := p.e.Box
	m.text(p.label, b.X, b.Y, labelSize)
	m.text(p.value, b.X+b.W*0.6, b.Y-2, labelSize+2)
	m.place(p.bar, displays.Rect{Point: displays.Point{X: b.X, Y: b.Y + b.H*0.5}, Size: displays.Size{W: b.W, H: b.H * 0.45}})
	p.marks.place(m)
}

func (p *barPart) update(st *state) {
	s := st.sample(p.e.Tag)
	if s != p.last {
		p.last = s
		p.bar.SetValue(s)
	}
	setText(p.value, ValueText(p.e.Tag, s.Value)+" "+p.e.Tag.Units, qualityText(p.th, s.Quality))
	p.marks.update(st.snap, st)
}

// textPart is a fixed text.
type textPart struct {
	e *displays.Element
	t *canvas.Text
}

func (p *textPart) objects() []fyne.CanvasObject { return []fyne.CanvasObject{p.t} }
func (p *textPart) place(m mapper) {
	m.text(p.t, p.e.Box.X, p.e.Box.Y+(p.e.Box.H-valueSize)/2, valueSize)
}
func (p *textPart) update(*state) {}

// buttonPart goes to a display or asks the shell to write a value.
type buttonPart struct {
	e *displays.Element
	b *widget.Button
}

func newButton(v *View, e *displays.Element) *buttonPart {
	b := widget.NewButton(e.Label, func() {
		switch {
		case e.Goto != "" && v.deps.OnGoto != nil:
			v.deps.OnGoto(e.Goto)
		case e.Tag != nil && v.deps.OnWrite != nil:
			if val, err := displays.WriteValue(e.Tag, e.Write); err == nil {
				v.deps.OnWrite(e.Tag, val)
			}
		}
	})
	return &buttonPart{e: e, b: b}
}

func (p *buttonPart) objects() []fyne.CanvasObject { return []fyne.CanvasObject{p.b} }
func (p *buttonPart) place(m mapper)               { m.place(p.b, p.e.Box) }
func (p *buttonPart) update(*state)                {}

// sparkPart is a sparkline, or a trend: one line per pen, stacked, with
// the pen's name.
type sparkPart struct {
	e     *displays.Element
	lines []*sparkline.Line
	names []*canvas.Text
	tags  []*datasource.Tag
	frame *canvas.Rectangle
}

func newSpark(th *theme.HMI, e *displays.Element) *sparkPart {
	p := &sparkPart{e: e, tags: e.Tags, frame: canvas.NewRectangle(color.Transparent)}
	if e.Kind == displays.Sparkline {
		p.tags = []*datasource.Tag{e.Tag}
	} else {
		p.frame.FillColor, p.frame.StrokeColor, p.frame.StrokeWidth = th.P.Input, th.P.Line, 1
	}
	for _, t := range p.tags {
		p.lines = append(p.lines, sparkline.New(e.Window, th))
		p.names = append(p.names, newText(t.Name, th.P.Dim, false))
	}
	return p
}

func (p *sparkPart) objects() []fyne.CanvasObject {
	out := []fyne.CanvasObject{p.frame}
	for i := range p.lines {
		out = append(out, p.lines[i])
		if p.e.Kind == displays.Trend {
			out = append(out, p.names[i])
		}
	}
	return out
}

func (p *sparkPart) place(m mapper) {
	b := p.e.Box
	m.place(p.frame, b)
	h := b.H / float64(len(p.lines))
	for i, l := range p.lines {
		y := b.Y + h*float64(i)
		if p.e.Kind == displays.Trend {
			m.text(p.names[i], b.X+4, y+2, labelSize)
			m.place(l, displays.Rect{Point: displays.Point{X: b.X + 4, Y: y + labelSize + 4}, Size: displays.Size{W: b.W - 8, H: h - labelSize - 8}})
			continue
		}
		m.place(l, displays.Rect{Point: displays.Point{X: b.X, Y: y}, Size: displays.Size{W: b.W, H: h}})
	}
}

func (p *sparkPart) update(st *state) {
	for i, t := range p.tags {
		if s := st.sample(t); !s.Time.IsZero() {
			p.lines[i].Add(s)
		}
	}
}

// alarmCount is an alarm indicator: how many alarms are active for its
// scope and the highest priority's shape, colour and digit.
type alarmCount struct {
	e     *displays.Element
	th    *theme.HMI
	in    func(a *alarms.Alarm) bool
	box   *canvas.Rectangle
	count *canvas.Text
	marks *marks
}

func newAlarmCount(v *View, e *displays.Element) *alarmCount {
	p := &alarmCount{e: e, th: v.th, box: canvas.NewRectangle(color.Transparent), count: newText("0", v.th.P.Dim, true)}
	p.box.StrokeColor, p.box.StrokeWidth = v.th.P.Line, 1
	switch {
	case e.Tag != nil:
		name := e.Tag.Name
		p.in = func(a *alarms.Alarm) bool { return a.Tag == name }
	case e.Area != "":
		p.in = func(a *alarms.Alarm) bool { return a.Group == e.Area }
	default:
		scope := v.d
		if d, ok := v.deps.Set.Display(e.Scope); ok {
			scope = d
		}
		names := map[string]bool{}
		for _, t := range scope.Tags {
			names[t.Name] = true
		}
		p.in = func(a *alarms.Alarm) bool { return names[a.Tag] }
	}
	// The marks show the highest priority; they are driven by hand here.
	p.marks = newMarks(v.th, displays.Rect{Point: e.Box.Point, Size: displays.Size{W: 0, H: e.Box.H}})
	return p
}

func (p *alarmCount) objects() []fyne.CanvasObject {
	return append([]fyne.CanvasObject{p.box, p.count}, p.marks.objects()...)
}

// place sizes the count and the priority's shape and digit to the box, not
// to the display's value size: a box is meant to be read across the room,
// and at the value size its count was a few pixels high on a display
// scaled to a small window (the demo's overview at 1024×768).
func (p *alarmCount) place(m mapper) {
	b := p.e.Box
	m.place(p.box, b)
	cs := countSize(b)
	m.text(p.count, b.X+b.W*0.45, b.Y+(b.H-cs*textHeight)/2, cs)
	shape := b.H * 0.45
	m.place(p.marks.shape, displays.Rect{Point: displays.Point{X: b.X + b.H*0.15, Y: b.Y + (b.H-shape)/2}, Size: displays.Size{W: shape, H: shape}})
	ds := b.H * 0.5
	m.text(p.marks.digit, b.X+b.H*0.15+shape+b.H*0.08, b.Y+(b.H-ds*textHeight)/2, ds)
}

// textHeight is a text's height as a multiple of its size (Fyne's line).
const textHeight = 1.3

// countSize is the text size of an alarm box's count: 60 % of the box's
// height, no smaller than a value's and no wider than a third of the box
// per digit.
func countSize(b displays.Rect) float64 {
	return max(min(b.H*0.6, b.W/3), valueSize)
}

func (p *alarmCount) update(st *state) {
	n := 0
	var top *alarms.Alarm
	for i := range st.active {
		a := &st.active[i]
		if !shown(a) || !p.in(a) {
			continue
		}
		n++
		if top == nil || a.Priority > top.Priority || (a.Priority == top.Priority && !a.Acked && top.Acked) {
			top = a
		}
	}
	c := p.th.P.Dim
	if n > 0 {
		c = p.th.P.Foreground
	}
	setText(p.count, strconv.Itoa(n), c)
	l := markLook{visible: true}
	if top != nil {
		l.prio, l.outline, l.visible = top.Priority, !top.Active, top.Acked || st.flashOn
	}
	if l != p.marks.look {
		p.marks.look = l
		p.marks.showAlarm()
	}
}

// groupPart is a titled box. The box is four lines, not a stroked
// rectangle: Fyne draws a rectangle's stroke with a shader run over its
// whole area, and a group's box covers a quarter of a display, which made
// every repaint of the overview cost twice as much under a software
// renderer (issue 16: idle CPU with alarms flashing).
type groupPart struct {
	e     *displays.Element
	edges [4]*canvas.Line // top, right, bottom, left
	title *canvas.Text
}

func newGroup(th *theme.HMI, e *displays.Element) *groupPart {
	p := &groupPart{e: e, title: newText(e.Label, th.P.Dim, false)}
	for i := range p.edges {
		p.edges[i] = canvas.NewLine(th.P.Line)
		p.edges[i].StrokeWidth = 1
	}
	return p
}

func (p *groupPart) objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{p.edges[0], p.edges[1], p.edges[2], p.edges[3], p.title}
}
func (p *groupPart) place(m mapper) {
	b := p.e.Box
	tl, br := m.pos(b.X, b.Y), m.pos(b.X+b.W, b.Y+b.H)
	tr, bl := fyne.NewPos(br.X, tl.Y), fyne.NewPos(tl.X, br.Y)
	for i, c := range [4][2]fyne.Position{{tl, tr}, {tr, br}, {bl, br}, {tl, bl}} {
		if l := p.edges[i]; l.Position1 != c[0] || l.Position2 != c[1] {
			l.Position1, l.Position2 = c[0], c[1]
			l.Refresh()
		}
	}
	m.text(p.title, p.e.Box.X+8, p.e.Box.Y+4, labelSize)
}
func (p *groupPart) update(*state) {}

// imagePart is a static picture.
type imagePart struct {
	e   *displays.Element
	img *canvas.Image
}

func (p *imagePart) objects() []fyne.CanvasObject { return []fyne.CanvasObject{p.img} }
func (p *imagePart) place(m mapper)               { m.place(p.img, p.e.Box) }
func (p *imagePart) update(*state)                {}
