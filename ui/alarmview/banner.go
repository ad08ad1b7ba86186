package alarmview

import (
	"fmt"
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// BannerOptions configure a Banner.
type BannerOptions struct {
	Max int // how many alarms the banner shows; 0 means 3
}

// Banner is the header strip: the most important unacknowledged alarms
// first (priority, then time) and the counts per priority on the right.
type Banner struct {
	eng      Engine
	opts     BannerOptions
	OnSelect func(alarms.Alarm) // called when the operator taps an alarm
	version  uint64
	shown    []alarms.Alarm
	items    []*widget.Button
	counts   [4]*widget.Label
	Flash    bool // current flash phase: true = "on" frame
	box      *fyne.Container
	obj      fyne.CanvasObject
	started  bool
	inds     []fyne.CanvasObject // flashing indicators of the shown alarms
}

// NewBanner builds a banner reading eng.
func NewBanner(eng Engine, opts BannerOptions) *Banner {
	if opts.Max <= 0 {
		opts.Max = 3
	}
	b := &Banner{eng: eng, opts: opts, box: container.NewHBox()}
	right := container.NewHBox()
	for i, p := range prios {
		b.counts[i] = widget.NewLabel("0")
		right.Add(container.NewHBox(shape(p, false), b.counts[i]))
	}
	b.obj = container.NewBorder(nil, nil, nil, right, b.box)
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
	out := make([]bool, len(b.inds))
	for i, o := range b.inds {
		out[i] = o.Visible()
	}
	return out
}

// Update refreshes the banner; cheap when the engine's version is unchanged,
// except for the ~1 Hz flash phase.
func (b *Banner) Update(now time.Time) {
	flash := now.UnixMilli()/500%2 == 0
	v := b.eng.Version()
	if b.started && v == b.version {
		if flash != b.Flash {
			b.Flash = flash
			for _, o := range b.inds {
				if flash {
					o.Show()
				} else {
					o.Hide()
				}
			}
		}
		return
	}
	b.started, b.version, b.Flash = true, v, flash
	sum := b.eng.Summary()
	for i, p := range prios {
		b.counts[i].SetText(fmt.Sprint(sum.Annunciated[p]))
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
	b.box.RemoveAll()
	b.inds, b.items = b.inds[:0], b.items[:0]
	for _, a := range un {
		a := a
		steadyOff := !flash // unacked alarms flash
		ind := shape(a.Priority, a.State == alarms.RTNUnack)
		if steadyOff {
			ind.Hide()
		}
		b.inds = append(b.inds, ind)
		btn := widget.NewButton(bannerText(a), func() {
			if b.OnSelect != nil {
				b.OnSelect(a)
			}
		})
		b.items = append(b.items, btn)
		b.box.Add(container.NewHBox(container.NewStack(placeholder(), ind), btn))
	}
	b.box.Refresh()
}

// bannerText is one alarm's banner text: "1 14:02:11 Tank1.Level HiHi text".
func bannerText(a alarms.Alarm) string {
	return fmt.Sprintf("%d %s %s %s %s", digit(a.Priority), a.Since.Format("15:04:05"), a.Tag, a.Name, a.Message)
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

func placeholder() fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(14, 14))
	return r
}

// shape draws the priority indicator with canvas objects: square, triangle,
// inverted triangle, diamond; outline only when outline is set.
func shape(p datasource.Priority, outline bool) *fyne.Container {
	c := theme.PriorityColor(p)
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
	objs := []fyne.CanvasObject{placeholder()}
	if !outline && p == datasource.PriorityCritical {
		r := canvas.NewRectangle(c)
		r.Move(fyne.NewPos(1, 1))
		r.Resize(fyne.NewSize(12, 12))
		objs = append(objs, r)
	} else if !outline {
		// fill with horizontal lines clipped to the polygon's width per row
		for y := float32(1); y < 14; y++ {
			x0, x1, ok := span(pts, y)
			if ok {
				l := canvas.NewLine(c)
				l.StrokeWidth = 1
				l.Position1, l.Position2 = fyne.NewPos(x0, y), fyne.NewPos(x1, y)
				objs = append(objs, l)
			}
		}
	}
	for i := range pts {
		a, z := pts[i], pts[(i+1)%len(pts)]
		l := canvas.NewLine(c)
		l.StrokeWidth = 1.5
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
