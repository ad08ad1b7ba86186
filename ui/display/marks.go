package display

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// marks are what every element showing tags carries beside its symbol: the
// alarm indicator (the priority's shape, colour and digit, flashing while
// unacknowledged), the quality mark (a dashed outline and BAD for Bad, ?
// for Uncertain) and OOS with a hatched body for out of service.
type marks struct {
	th    *theme.HMI
	box   displays.Rect
	tags  []*datasource.Tag
	shape *canvas.Raster
	digit *canvas.Text
	qual  *canvas.Text
	dash  *canvas.Raster
	hatch *canvas.Raster
	oos   *canvas.Text
	look  markLook
	// body is set for equipment (tank, pump, valve): out of service hatches
	// its body. Values are not hatched: they must stay readable.
	body bool
}

// markLook is what the marks show; they are repainted only when it changes.
type markLook struct {
	prio    datasource.Priority // 0: no alarm shown
	outline bool                // returned to normal, unacknowledged
	visible bool                // the flash phase
	quality datasource.Status
	oos     bool
}

func newMarks(th *theme.HMI, box displays.Rect, tags ...*datasource.Tag) *marks {
	m := &marks{th: th, box: box}
	for _, t := range tags {
		if t != nil {
			m.tags = append(m.tags, t)
		}
	}
	m.shape = canvas.NewRaster(func(w, h int) image.Image {
		if m.look.prio == 0 || !m.look.visible { // the off phase of the flash draws nothing
			return image.NewNRGBA(image.Rect(0, 0, 1, 1))
		}
		return paintPolygon(w, h, polygon(m.look.prio), theme.PriorityColor(m.look.prio), !m.look.outline)
	})
	m.digit = newText("", th.P.Foreground, false)
	m.digit.TextStyle.Bold = true
	m.qual = newText("", th.P.BadQuality, false)
	m.qual.TextStyle.Bold = true
	m.dash = canvas.NewRaster(func(w, h int) image.Image { return paintDashes(w, h, m.th.P.BadQuality) })
	m.hatch = canvas.NewRaster(func(w, h int) image.Image { return paintHatch(w, h, m.th.P.Dim) })
	m.oos = newText("OOS", th.P.Foreground, false)
	m.oos.TextStyle.Bold = true
	for _, o := range m.objects() {
		o.Hide()
	}
	return m
}

func (m *marks) objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{m.hatch, m.dash, m.shape, m.digit, m.qual, m.oos}
}

// place lays the marks around the element's box: the alarm to the right
// of its top, the quality mark to the right of its bottom.
func (m *marks) place(mp mapper) {
	b := m.box
	mp.place(m.hatch, b)
	mp.place(m.dash, displays.Rect{Point: displays.Point{X: b.X - 3, Y: b.Y - 3}, Size: displays.Size{W: b.W + 6, H: b.H + 6}})
	mp.place(m.shape, displays.Rect{Point: displays.Point{X: b.X + b.W + 4, Y: b.Y}, Size: displays.Size{W: 16, H: 16}})
	mp.text(m.digit, b.X+b.W+22, b.Y-2, labelSize)
	mp.text(m.qual, b.X+b.W+4, b.Y+b.H-labelSize-4, labelSize)
	mp.text(m.oos, b.X+b.W+4, b.Y+18, labelSize)
}

// worst is the state the marks show for the element's tags.
func (m *marks) update(snap []datasource.Sample, st *state) {
	var l markLook
	l.visible = true
	var shown *alarms.Alarm
	for _, t := range m.tags {
		if int(t.ID) < len(snap) {
			if q := snap[t.ID].Quality.Status; q > l.quality {
				l.quality = q
			}
		}
		if a := st.alarm[t.ID]; a != nil && (shown == nil || a.Priority > shown.Priority) {
			shown = a
		}
		if st.oos[t.ID] {
			l.oos = true
		}
	}
	if shown != nil {
		l.prio = shown.Priority
		l.outline = !shown.Active
		l.visible = shown.Acked || st.flashOn
	}
	if l == m.look {
		return
	}
	m.look = l
	m.showAlarm()
	setShown(m.dash, l.quality == datasource.Bad)
	switch l.quality {
	case datasource.Bad:
		setText(m.qual, "BAD", m.th.P.BadQuality)
	case datasource.Uncertain:
		setText(m.qual, "?", m.th.P.Uncertain)
	}
	setShown(m.qual, l.quality != datasource.Good)
	setShown(m.oos, l.oos)
	setShown(m.hatch, l.oos && m.body)
}

// showAlarm shows the alarm part of the look: the digit, steady in the text
// colour, and the shape, whose raster draws nothing in the off phase of
// the flash. The flash repaints the shape's raster only and shows or hides
// nothing: a text or raster that appeared or vanished at every flash made
// Fyne lay the view out again while painting, which marked the window
// dirty and painted it a second time (issue 16: idle CPU with alarms
// flashing).
func (m *marks) showAlarm() {
	l := m.look
	setShown(m.shape, l.prio != 0)
	setShown(m.digit, l.prio != 0)
	if l.prio != 0 {
		setText(m.digit, string(rune('0'+l.prio.Number())), m.th.P.Foreground)
		m.shape.Refresh()
	}
}

// alarmLit reports whether the alarm shape is drawn now (shown and in the
// on phase of its flash).
func (m *marks) alarmLit() bool { return m.shape.Visible() && m.look.visible }
