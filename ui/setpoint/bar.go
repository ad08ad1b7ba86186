package setpoint

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// BarLimit is one alarm limit marked on a Bar: a tick in its priority's
// colour.
type BarLimit struct {
	Value    float64
	Priority datasource.Priority
}

// Bar is a moving analog indicator: a small horizontal bar over a span with
// the normal range shaded, alarm limits as ticks and the value as a marker,
// so "where is it against its limits" needs no reading. Set its fields and
// call Refresh, or use SetValue from the UI goroutine.
type Bar struct {
	widget.BaseWidget

	Span   datasource.Range // the full width of the bar
	Normal datasource.Range // shaded; the zero Range shades nothing
	Limits []BarLimit
	// Value is where the marker sits (clamped to the span); Valid false
	// hides the marker, Bad quality draws it hollow in the bad-quality
	// colour.
	Value   float64
	Valid   bool
	Quality datasource.Quality
	Theme   *theme.HMI
}

// NewBar returns a bar over span, drawn with th (nil: the light theme).
func NewBar(th *theme.HMI, span datasource.Range) *Bar {
	if th == nil {
		th = theme.New(false)
	}
	b := &Bar{Span: span, Theme: th}
	b.ExtendBaseWidget(b)
	return b
}

// NewTagBar returns a bar for tag: its span, its Hi/HiHi/Lo/LoLo alarm
// limits as ticks and the range between the innermost of them shaded as
// normal.
func NewTagBar(th *theme.HMI, tag *datasource.Tag) *Bar {
	b := NewBar(th, tag.Span)
	lo, hi := math.Inf(-1), math.Inf(1)
	for _, a := range tag.Alarms {
		switch a.Kind {
		case datasource.AlarmHi, datasource.AlarmHiHi:
			hi = math.Min(hi, a.Limit)
		case datasource.AlarmLo, datasource.AlarmLoLo:
			lo = math.Max(lo, a.Limit)
		default:
			continue
		}
		b.Limits = append(b.Limits, BarLimit{Value: a.Limit, Priority: a.Priority})
	}
	if len(b.Limits) > 0 {
		b.Normal = datasource.Range{Min: math.Max(lo, tag.Span.Min), Max: math.Min(hi, tag.Span.Max)}
	}
	return b
}

// SetValue moves the marker to the value of s and refreshes the bar.
func (b *Bar) SetValue(s datasource.Sample) {
	f, ok := s.Value.AsFloat()
	b.Value, b.Valid, b.Quality = f, ok && !math.IsNaN(f) && !s.Value.IsNone(), s.Quality
	b.Refresh()
}

// MinSize implements fyne.Widget.
func (b *Bar) MinSize() fyne.Size { return fyne.NewSize(120, 14) }

// CreateRenderer implements fyne.Widget.
func (b *Bar) CreateRenderer() fyne.WidgetRenderer {
	r := &barRenderer{b: b, back: canvas.NewRectangle(color.Transparent), normal: canvas.NewRectangle(color.Transparent),
		marker: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

// barRenderer draws a Bar; ticks are rebuilt when the limits change.
type barRenderer struct {
	b      *Bar
	back   *canvas.Rectangle
	normal *canvas.Rectangle
	ticks  []*canvas.Line
	marker *canvas.Rectangle
	size   fyne.Size
}

// x maps a value to a horizontal position within width w; the span's
// ends map to 0 and w, values outside it are clamped to the ends.
func (r *barRenderer) x(v, w float64) float32 {
	s := r.b.Span
	if s.Max <= s.Min || math.IsNaN(v) {
		return 0
	}
	f := (v - s.Min) / (s.Max - s.Min)
	return float32(math.Max(0, math.Min(1, f)) * w)
}

func (r *barRenderer) Layout(size fyne.Size) {
	r.size = size
	w := float64(size.Width)
	r.back.Move(fyne.NewPos(0, 0))
	r.back.Resize(size)
	n := r.b.Normal
	if n.Max > n.Min {
		x0, x1 := r.x(n.Min, w), r.x(n.Max, w)
		r.normal.Move(fyne.NewPos(x0, 0))
		r.normal.Resize(fyne.NewSize(x1-x0, size.Height))
	} else {
		r.normal.Resize(fyne.NewSize(0, 0))
	}
	for i, t := range r.ticks {
		x := r.x(r.b.Limits[i].Value, w)
		t.Position1 = fyne.NewPos(x, 0)
		t.Position2 = fyne.NewPos(x, size.Height)
	}
	const mw = 4
	x := r.x(r.b.Value, w) - mw/2
	x = float32(math.Max(0, math.Min(float64(x), w-mw)))
	r.marker.Move(fyne.NewPos(x, 0))
	r.marker.Resize(fyne.NewSize(mw, size.Height))
}

func (r *barRenderer) MinSize() fyne.Size { return r.b.MinSize() }

func (r *barRenderer) Refresh() {
	p := r.b.Theme.P
	r.back.FillColor = p.Input
	r.back.StrokeColor = p.Line
	r.back.StrokeWidth = 1
	r.normal.FillColor = p.Header
	if len(r.ticks) != len(r.b.Limits) {
		r.ticks = make([]*canvas.Line, len(r.b.Limits))
		for i := range r.ticks {
			r.ticks[i] = canvas.NewLine(color.Transparent)
		}
	}
	for i, l := range r.b.Limits {
		r.ticks[i].StrokeColor = theme.PriorityColor(l.Priority)
		r.ticks[i].StrokeWidth = 2
	}
	r.marker.Hidden = !r.b.Valid
	r.marker.FillColor, r.marker.StrokeColor, r.marker.StrokeWidth = p.Foreground, color.Transparent, 0
	switch r.b.Quality.Status {
	case datasource.Bad:
		r.marker.FillColor, r.marker.StrokeColor, r.marker.StrokeWidth = color.Transparent, p.BadQuality, 1
	case datasource.Uncertain:
		r.marker.FillColor = p.Uncertain
	}
	r.Layout(r.size)
	canvas.Refresh(r.b)
}

func (r *barRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.back, r.normal}
	for _, t := range r.ticks {
		objs = append(objs, t)
	}
	return append(objs, r.marker)
}

func (r *barRenderer) Destroy() {}
