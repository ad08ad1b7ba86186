// Package sparkline draws a small trend of one tag's recent values beside a
// live value (docs/faceplate.md, docs/overview.md). It sits at the very end of the
// data flow: the screen that owns it feeds it samples from the engine's
// snapshot on the UI goroutine; it keeps a bounded summary of the last
// window and paints it as a grey line, with breaks where quality was Bad.
package sparkline

import (
	"image"
	"image/color"
	"math"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// Buckets is how many time slots a Line keeps per window, whatever the
// sample rate: memory is bounded (about 2 per pixel of a wide sparkline).
// 160 slots (2 per pixel at the 80 px minimum width) of 20 bytes are 3.2 KB
// per line, so a browser of 10,000 tags holds about 32 MB of sparklines.
const Buckets = 160

// bucket summarises the samples of one time slot. float32 is plenty for a
// line a few dozen pixels high, and halves the memory of 10,000 sparklines.
type bucket struct {
	slot          uint32 // low bits of the slot number (time / slot width): identifies the bucket
	min, max, cur float32
	n             uint16 // good numeric samples (saturating)
	bad           bool   // a Bad (or value-less) sample fell in the slot: break the line
}

// Line is a small trend of one tag's recent values: a widget.
type Line struct {
	widget.BaseWidget

	th     *theme.HMI
	window time.Duration
	width  int64 // slot width in ns

	mu       sync.Mutex // guards the fields below (Add may race a render)
	ring     [Buckets]bucket
	head     int64 // newest slot seen; -1 before the first sample
	fixedMin float64
	fixedMax float64
	limits   []float64
	raster   *canvas.Raster // nil until the widget is rendered
}

// New returns a Line that keeps samples younger than window (e.g. 1 h)
// and draws in th's colours.
func New(window time.Duration, th *theme.HMI) *Line {
	if window <= 0 {
		window = time.Hour
	}
	if th == nil {
		th = theme.New(false)
	}
	w := int64(window) / Buckets
	if w <= 0 {
		w = 1
	}
	l := &Line{th: th, window: window, width: w, head: math.MinInt64}
	l.ExtendBaseWidget(l)
	return l
}

// Add appends a sample (Bad quality or no numeric value makes a gap) and
// drops what is older than the window before the newest sample. It repaints
// only when the line is on screen, so feeding thousands of hidden lines is
// cheap.
func (l *Line) Add(s datasource.Sample) {
	slot := s.Time.UnixNano() / l.width
	l.mu.Lock()
	// changed says the picture may differ: repainting a raster re-uploads
	// its texture, and doing that for every sample of every line was most
	// of an idle overview's CPU. The newest bucket's latest value only
	// joins it to a next column, which does not exist yet, so only a new
	// slot, a new extreme or a new gap need a repaint.
	changed := false
	if l.head == math.MinInt64 || slot > l.head {
		l.head, changed = slot, true
	} else if slot <= l.head-Buckets {
		l.mu.Unlock()
		return // older than the window: nothing to keep
	} else if slot < l.head {
		changed = true // a late sample in an older column
	}
	b := &l.ring[mod(slot, Buckets)]
	if b.slot != uint32(slot) || (b.n == 0 && !b.bad) {
		*b = bucket{slot: uint32(slot)}
		changed = true
	}
	f, ok := s.Value.AsFloat()
	if s.Quality.IsBad() || s.Value.IsNone() || !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		changed = changed || !b.bad
		b.bad = true
	} else {
		v := float32(f)
		if b.n == 0 || v < b.min {
			b.min, changed = v, true
		}
		if b.n == 0 || v > b.max {
			b.max, changed = v, true
		}
		b.cur = v
		if b.n < math.MaxUint16 {
			b.n++
		}
	}
	r := l.raster
	l.mu.Unlock()
	if r != nil && changed {
		r.Refresh()
	}
}

func mod(a, n int64) int64 {
	m := a % n
	if m < 0 {
		m += n
	}
	return m
}

// SetRange fixes the y-range; 0,0 means automatic from the data.
func (l *Line) SetRange(min, max float64) {
	l.mu.Lock()
	l.fixedMin, l.fixedMax = min, max
	l.mu.Unlock()
	l.Refresh()
}

// SetLimits sets the alarm limits drawn as faint dashed ticks.
func (l *Line) SetLimits(limits ...float64) {
	l.mu.Lock()
	l.limits = append(l.limits[:0], limits...)
	l.mu.Unlock()
	l.Refresh()
}

// MinSize is small: a sparkline sits beside a value in a row.
func (l *Line) MinSize() fyne.Size { return fyne.NewSize(80, 20) }

// CreateRenderer implements fyne.Widget.
func (l *Line) CreateRenderer() fyne.WidgetRenderer {
	r := canvas.NewRaster(l.draw)
	l.mu.Lock()
	l.raster = r
	l.mu.Unlock()
	return &renderer{line: l, raster: r}
}

// live returns the buckets inside the window, or false for each empty slot.
// Callers hold mu.
func (l *Line) live(slot int64) (*bucket, bool) {
	if l.head == math.MinInt64 || slot > l.head || slot <= l.head-Buckets {
		return nil, false
	}
	b := &l.ring[mod(slot, Buckets)]
	if b.slot != uint32(slot) || (b.n == 0 && !b.bad) {
		return nil, false
	}
	return b, true
}

// yRange returns the vertical range to draw: the fixed one or the data's.
func (l *Line) yRange() (lo, hi float64, ok bool) {
	if l.fixedMin != 0 || l.fixedMax != 0 {
		return l.fixedMin, l.fixedMax, l.fixedMax > l.fixedMin
	}
	first := true
	for s := l.head - Buckets + 1; s <= l.head; s++ {
		b, ok := l.live(s)
		if !ok || b.n == 0 {
			continue
		}
		if first || float64(b.min) < lo {
			lo = float64(b.min)
		}
		if first || float64(b.max) > hi {
			hi = float64(b.max)
		}
		first = false
	}
	if first {
		return 0, 0, false
	}
	if hi == lo {
		lo, hi = lo-1, hi+1 // a flat line sits in the middle
	}
	return lo, hi, true
}

// draw is the raster generator: one pass over the pixel columns.
func (l *Line) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w <= 0 || h <= 0 {
		return img
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lo, hi, ok := l.yRange()
	if !ok {
		return img
	}
	y := func(v float64) int {
		p := int(math.Round((hi - v) / (hi - lo) * float64(h-1)))
		return max(0, min(h-1, p))
	}
	lim := l.th.P.Line
	for _, v := range l.limits {
		if v < lo || v > hi {
			continue
		}
		py := y(v)
		for x := 0; x < w; x++ {
			if x%6 < 3 {
				img.SetNRGBA(x, py, lim)
			}
		}
	}
	c := l.th.P.Dim
	first := l.head - Buckets + 1
	prevY, havePrev := 0, false
	for x := 0; x < w; x++ {
		s0 := first + int64(x)*Buckets/int64(w)
		s1 := first + int64(x+1)*Buckets/int64(w)
		if s1 <= s0 {
			s1 = s0 + 1
		}
		var cmin, cmax, last float64
		n, broken := 0, false
		for s := s0; s < s1; s++ {
			b, ok := l.live(s)
			if !ok {
				continue
			}
			if b.bad {
				broken = true
			}
			if b.n == 0 {
				continue
			}
			if n == 0 || float64(b.min) < cmin {
				cmin = float64(b.min)
			}
			if n == 0 || float64(b.max) > cmax {
				cmax = float64(b.max)
			}
			last = float64(b.cur)
			n++
		}
		if broken {
			havePrev = false // a Bad sample breaks the line here
		}
		if n == 0 {
			if havePrev { // no new sample: the last value holds (history stores changes)
				img.SetNRGBA(x, prevY, c)
			}
			continue
		}
		top, bot := y(cmax), y(cmin)
		if havePrev { // join to the previous column
			top, bot = min(top, prevY), max(bot, prevY)
		}
		vline(img, x, top, bot, c)
		prevY, havePrev = y(last), true
	}
	return img
}

func vline(img *image.NRGBA, x, y0, y1 int, c color.NRGBA) {
	for y := y0; y <= y1; y++ {
		img.SetNRGBA(x, y, c)
	}
}

type renderer struct {
	line   *Line
	raster *canvas.Raster
}

func (r *renderer) Layout(s fyne.Size)           { r.raster.Resize(s) }
func (r *renderer) MinSize() fyne.Size           { return r.line.MinSize() }
func (r *renderer) Refresh()                     { r.raster.Refresh() }
func (r *renderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.raster} }
func (r *renderer) Destroy() {
	r.line.mu.Lock()
	r.line.raster = nil
	r.line.mu.Unlock()
}
