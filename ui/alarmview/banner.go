package alarmview

import (
	"fmt"
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	fynetheme "fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// BannerOptions configure a Banner.
type BannerOptions struct {
	Max int // how many alarms the banner shows; 0 means 3
}

// BannerShape is the side of the priority shape of a banner entry: large
// enough to be read from across a control room (issue 16: the 14 px shape
// of the alarm list was missed in the header).
const BannerShape = 24

// Banner is the header strip: the most important unacknowledged alarms
// first (priority, then time) and the counts per priority on the right.
//
// Its layout is fixed: the entries share the width left of the counts
// equally and cut their text with "…", so no alarm text can widen the
// window (issue 16 item 1). Every entry shows its priority three ways: a
// colour band, a large shape and the digit, in the foreground colour so a
// yellow "3" is as legible as a red "1"; none of it depends on the quality
// of the alarm's tag.
type Banner struct {
	eng      Engine
	opts     BannerOptions
	OnSelect func(alarms.Alarm) // called when the operator taps an alarm
	version  uint64
	shown    []alarms.Alarm
	items    []*bannerEntry // one slot per shown alarm, reused between updates
	counts   [4]*widget.Label
	Flash    bool // current flash phase: true = "on" frame
	obj      fyne.CanvasObject
	started  bool
}

// NewBanner builds a banner reading eng.
func NewBanner(eng Engine, opts BannerOptions) *Banner {
	if opts.Max <= 0 {
		opts.Max = 3
	}
	b := &Banner{eng: eng, opts: opts}
	right := container.NewHBox()
	// Each count keeps the width of three digits, so a count going from 9
	// to 10 moves nothing.
	w := fyne.MeasureText("000", fynetheme.TextSize(), fyne.TextStyle{Bold: true}).Width
	for i, p := range prios {
		b.counts[i] = widget.NewLabel("0")
		b.counts[i].TextStyle.Bold = true
		spacer := canvas.NewRectangle(color.Transparent)
		spacer.SetMinSize(fyne.NewSize(w+8, 1))
		right.Add(container.NewHBox(container.NewCenter(shapeSized(p, false, 16)), container.NewStack(spacer, b.counts[i])))
	}
	slots := make([]fyne.CanvasObject, opts.Max)
	b.items = make([]*bannerEntry, opts.Max)
	for i := range slots {
		e := newBannerEntry(func(a alarms.Alarm) {
			if b.OnSelect != nil {
				b.OnSelect(a)
			}
		})
		e.Hide()
		b.items[i], slots[i] = e, e
	}
	b.obj = container.NewBorder(nil, nil, nil, right, container.NewGridWithColumns(opts.Max, slots...))
	return b
}

var prios = []datasource.Priority{datasource.PriorityCritical, datasource.PriorityHigh, datasource.PriorityMedium, datasource.PriorityLow}

// Object is the banner's canvas object.
func (b *Banner) Object() fyne.CanvasObject { return b.obj }

// Shown returns the alarms the banner shows, in order.
func (b *Banner) Shown() []alarms.Alarm { return slices.Clone(b.shown) }

// Counts returns the annunciated counts per priority, critical first.
func (b *Banner) Counts() [4]string {
	var c [4]string
	for i, l := range b.counts {
		c[i] = l.Text
	}
	return c
}

// IndicatorsLit reports, per shown alarm, whether its flashing indicator is
// in the "on" frame.
func (b *Banner) IndicatorsLit() []bool {
	out := make([]bool, len(b.shown))
	for i := range b.shown {
		out[i] = b.items[i].lit
	}
	return out
}

// Entry returns the text, priority digit and whether the shape of shown
// alarm i is drawn: what an operator reads off the banner.
func (b *Banner) Entry(i int) (text, digit string, shape bool) {
	if i < 0 || i >= len(b.shown) {
		return "", "", false
	}
	e := b.items[i]
	return e.text.Text, e.digit.Text, e.Visible() && e.outline.Visible() && len(e.outline.Objects) > 0
}

// Update refreshes the banner; cheap when the engine's version is unchanged,
// except for the ~1 Hz flash phase.
func (b *Banner) Update(now time.Time) {
	flash := now.UnixMilli()/500%2 == 0
	v := b.eng.Version()
	if b.started && v == b.version {
		if flash != b.Flash {
			b.Flash = flash
			for _, e := range b.items[:len(b.shown)] {
				e.setFlash(flash)
			}
		}
		return
	}
	b.started, b.version, b.Flash = true, v, flash
	sum := b.eng.Summary()
	for i, p := range prios {
		if t := fmt.Sprint(sum.Annunciated[p]); b.counts[i].Text != t {
			b.counts[i].SetText(t)
		}
	}
	var un []alarms.Alarm
	for _, a := range b.eng.Active() {
		if a.Annunciated && !a.Acked {
			un = append(un, a)
		}
	}
	sortByImportance(un)
	if len(un) > b.opts.Max {
		un = un[:b.opts.Max]
	}
	b.shown = un
	for i, e := range b.items {
		if i < len(un) {
			e.set(un[i])
			e.setFlash(flash)
			e.Show()
		} else {
			e.Hide()
		}
	}
}

// bannerText is one alarm's banner text after its digit: what and where
// first, so a narrow entry keeps them when "…" cuts the rest: "Tank1.Level
// HiHi  level very high 96.2 %  14:02:11". Source and name read as in the
// alarm tables (TagText, NameText): "PLC9 (device) Communication", not the
// engine's "_sys.PLC9.connected Comm".
func bannerText(a alarms.Alarm) string {
	return fmt.Sprintf("%s %s  %s  %s", TagText(a.Tag), NameText(a), a.Message, a.Since.Format("15:04:05"))
}

func digit(p datasource.Priority) int {
	for i, q := range prios {
		if q == p {
			return i + 1
		}
	}
	return 4
}

// sortByImportance orders alarms by priority (critical first), then newest first.
func sortByImportance(as []alarms.Alarm) {
	slices.SortStableFunc(as, func(x, y alarms.Alarm) int {
		if x.Priority != y.Priority {
			return int(y.Priority) - int(x.Priority)
		}
		return y.Since.Compare(x.Since)
	})
}

// bannerEntry is one alarm of the banner: a colour band, the large shape,
// the digit and the text cut with "…" to the entry's width. Tapping it
// selects the alarm.
type bannerEntry struct {
	widget.BaseWidget
	alarm    alarms.Alarm
	onTap    func(alarms.Alarm)
	band     *canvas.Rectangle
	fill     *fyne.Container // the filled shape: flashes while the alarm is active
	outline  *fyne.Container // the outline: always drawn, flashes alone once it returned to normal
	digit    *widget.Label
	text     *widget.Label
	priority datasource.Priority
	rtn      bool
	content  fyne.CanvasObject
	// lit is the flash phase shown: the flashing part in its colours
	// (true) or drawn transparent. saved holds its colours while it is not.
	lit   bool
	saved []color.Color
}

func newBannerEntry(onTap func(alarms.Alarm)) *bannerEntry {
	e := &bannerEntry{onTap: onTap, lit: true} // priority 0 is none: the first set draws the shapes
	e.band = canvas.NewRectangle(color.Transparent)
	e.band.SetMinSize(fyne.NewSize(6, BannerShape))
	e.fill, e.outline = container.NewWithoutLayout(), container.NewWithoutLayout()
	e.digit = widget.NewLabel("")
	e.digit.TextStyle.Bold = true
	e.text = widget.NewLabel("")
	e.text.Truncation = fyne.TextTruncateEllipsis
	shapes := container.NewCenter(container.NewStack(square(BannerShape), e.outline, e.fill))
	e.content = container.NewBorder(nil, nil, container.NewHBox(e.band, shapes, e.digit), nil, e.text)
	e.ExtendBaseWidget(e)
	return e
}

// set shows alarm a, rebuilding the shapes only when its priority or
// returned-to-normal state changed.
func (e *bannerEntry) set(a alarms.Alarm) {
	e.alarm = a
	rtn := a.State == alarms.RTNUnack
	if a.Priority != e.priority || rtn != e.rtn {
		e.priority, e.rtn, e.lit = a.Priority, rtn, true // new shapes are drawn lit
		e.band.FillColor = theme.PriorityColor(a.Priority)
		e.band.Refresh()
		e.outline.Objects = []fyne.CanvasObject{shapeSized(a.Priority, true, BannerShape)}
		e.fill.Objects = nil
		if !rtn {
			e.fill.Objects = []fyne.CanvasObject{shapeSized(a.Priority, false, BannerShape)}
		}
		e.outline.Refresh()
		e.fill.Refresh()
	}
	if d := fmt.Sprint(digit(a.Priority)); e.digit.Text != d {
		e.digit.SetText(d)
	}
	if t := bannerText(a); e.text.Text != t {
		e.text.SetText(t)
	}
}

// flashing is the part of the shape that flashes: the fill of an active
// alarm, the outline of one that returned to normal.
func (e *bannerEntry) flashing() *fyne.Container {
	if e.rtn {
		return e.outline
	}
	return e.fill
}

// setFlash shows the flash phase on: the flashing part's lines and
// rectangles lose their colour (off) or get it back (on). Only they are
// refreshed. Hiding and showing the part instead changed the minimum size
// of the containers around it, so at every flash Fyne laid out the header
// again while painting, which marked the window dirty and painted it a
// second time (issue 16: idle CPU with alarms flashing).
func (e *bannerEntry) setFlash(on bool) {
	if on == e.lit {
		return
	}
	e.lit = on
	var objs []fyne.CanvasObject // the shape's lines and rectangles
	for _, o := range e.flashing().Objects {
		if c, ok := o.(*fyne.Container); ok {
			objs = append(objs, c.Objects...)
		} else {
			objs = append(objs, o)
		}
	}
	if !on {
		e.saved = e.saved[:0]
	}
	for i, o := range objs {
		var c *color.Color
		switch x := o.(type) {
		case *canvas.Line:
			c = &x.StrokeColor
		case *canvas.Rectangle:
			c = &x.FillColor
		default:
			continue
		}
		if on {
			if i < len(e.saved) {
				*c = e.saved[i]
			}
		} else {
			for len(e.saved) < i {
				e.saved = append(e.saved, nil)
			}
			e.saved = append(e.saved, *c)
			*c = color.Transparent
		}
		canvas.Refresh(o)
	}
}

// Tapped implements fyne.Tappable: the alarm is selected.
func (e *bannerEntry) Tapped(*fyne.PointEvent) {
	if e.onTap != nil && e.Visible() {
		e.onTap(e.alarm)
	}
}

// CreateRenderer implements fyne.Widget.
func (e *bannerEntry) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(e.content)
}

func placeholder() fyne.CanvasObject { return square(14) }

// square is an empty square of side size, holding a shape's place.
func square(size float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(size, size))
	return r
}

// Shape is the filled indicator of priority p, size px square (square,
// triangle, inverted triangle, diamond), for other screens that show a
// priority as the banner does.
func Shape(p datasource.Priority, size float32) fyne.CanvasObject { return shapeSized(p, false, size) }

// ink is the edge of a filled priority shape, the same in both palettes.
var ink = color.NRGBA{0x1A, 0x1A, 0x1A, 0xFF}

// shape draws the 14 px priority indicator of the alarm list.
func shape(p datasource.Priority, outline bool) *fyne.Container { return shapeSized(p, outline, 14) }

// shapeSized draws the priority indicator with canvas objects, size px
// square: square, triangle, inverted triangle, diamond; outline only when
// outline is set.
func shapeSized(p datasource.Priority, outline bool, size float32) *fyne.Container {
	c := theme.PriorityColor(p)
	s := size / 14 // the shapes are drawn on a 14-unit grid
	var pts [][2]float32
	switch p {
	case datasource.PriorityCritical:
		pts = [][2]float32{{1, 1}, {13, 1}, {13, 13}, {1, 13}}
	case datasource.PriorityHigh:
		pts = [][2]float32{{7, 1}, {13, 13}, {1, 13}}
	case datasource.PriorityMedium:
		pts = [][2]float32{{1, 1}, {13, 1}, {7, 13}}
	default:
		pts = [][2]float32{{7, 0}, {14, 7}, {7, 14}, {0, 7}}
	}
	for i := range pts {
		pts[i][0] *= s
		pts[i][1] *= s
	}
	objs := []fyne.CanvasObject{square(size)}
	if !outline && p == datasource.PriorityCritical {
		r := canvas.NewRectangle(c)
		r.Move(fyne.NewPos(s, s))
		r.Resize(fyne.NewSize(12*s, 12*s))
		objs = append(objs, r)
	} else if !outline {
		// fill with horizontal lines clipped to the polygon's width per row
		for y := float32(1); y < size; y++ {
			x0, x1, ok := span(pts, y)
			if ok {
				l := canvas.NewLine(c)
				l.StrokeWidth = 1
				l.Position1, l.Position2 = fyne.NewPos(x0, y), fyne.NewPos(x1, y)
				objs = append(objs, l)
			}
		}
	}
	edge := c
	if !outline {
		// A filled shape gets a near-black edge: a yellow or cyan fill
		// alone hardly stands out from the day palette's grey (1.2:1).
		edge = ink
	}
	for i := range pts {
		a, z := pts[i], pts[(i+1)%len(pts)]
		l := canvas.NewLine(edge)
		l.StrokeWidth = 1.5 * max(1, s*0.8)
		if !outline {
			l.StrokeWidth = max(1, s*0.7)
		}
		l.Position1, l.Position2 = fyne.NewPos(a[0], a[1]), fyne.NewPos(z[0], z[1])
		objs = append(objs, l)
	}
	return container.NewWithoutLayout(objs...)
}

// span returns the horizontal extent of polygon pts at height y.
func span(pts [][2]float32, y float32) (lo, hi float32, ok bool) {
	lo, hi = 1e9, -1e9
	for i := range pts {
		a, z := pts[i], pts[(i+1)%len(pts)]
		if (a[1] <= y && z[1] >= y) || (z[1] <= y && a[1] >= y) {
			if a[1] == z[1] {
				lo, hi = min(lo, a[0], z[0]), max(hi, a[0], z[0])
				continue
			}
			x := a[0] + (y-a[1])*(z[0]-a[0])/(z[1]-a[1])
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	return lo, hi, lo <= hi
}
