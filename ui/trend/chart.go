package trend

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/history"
	vtheme "github.com/vigil-hmi/vigil/ui/theme"
)

// MaxPens is how many pens one chart shows (issue 7).
const MaxPens = 8

// Presets are the time window presets of docs/trend.md: 5 min, 1 h, 8 h (a shift),
// 24 h and 7 d. Keys 1..5 select them.
var Presets = []time.Duration{5 * time.Minute, time.Hour, 8 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// Bounds of the visible span: zoom stops here.
const (
	MinSpan = 10 * time.Second
	MaxSpan = 366 * 24 * time.Hour
)

// ErrTooManyPens is returned by AddPen when the chart already has MaxPens.
var ErrTooManyPens = errors.New("trend: at most 8 pens")

// ErrDuplicatePen is returned by AddPen for a tag the chart already shows.
var ErrDuplicatePen = errors.New("trend: tag already has a pen")

// Source gives a tag's points in [from, to], at most maxPoints of them
// (decimated) when maxPoints > 0. history.Store satisfies it.
type Source interface {
	Query(ctx context.Context, tag string, from, to time.Time, maxPoints int) ([]history.Point, error)
}

// Pen is one trended tag and how it is drawn.
type Pen struct {
	Tag   string
	Label string // shown in the legend; the tag name when empty
	Units string // pens with the same units share one y-axis
	Color color.Color
	// Min, Max fix the pen's scale; both 0 means automatic (the visible
	// points). Pens of one unit share the first fixed scale among them.
	Min, Max float64
	// Limits are alarm limits, drawn as dashed lines when the pen is selected.
	Limits   []float64
	Decimals int // digits after the point in the cursor readout; -1: as needed
	// Float32 says the values come from a float32 (a Modbus or sim float32
	// tag): the CSV export writes each that is one as the float32's
	// shortest text (49.997612, not its float64 expansion
	// 49.99761199951172), which reads back as the same float32.
	Float32 bool
	// Format prints a value in the cursor readout and the legend at the
	// tag's own precision (datasource.FormatValue: a float32 tag as a
	// float32); nil: Decimals, or the shortest float64.
	Format func(float64) string
	// Step draws the pen as steps: each value holds until the next one
	// (setpoints, states, counts: datasource.Tag.Stepped). False joins
	// values with straight lines. Either way the last value holds to now.
	Step bool
	// States makes a discrete pen (bool, state): it gets an axis of its
	// own whose ticks are these values labelled with their words
	// (0: MANUAL, 1: AUTO), and its readout shows the word, not "1".
	States map[int64]string
}

func (p Pen) label() string {
	if p.Label != "" {
		return p.Label
	}
	return p.Tag
}

// Options configure a Chart. The zero Options are usable.
type Options struct {
	// Now is the clock live mode follows; default time.Now.
	Now func() time.Time
	// Window is the initial visible span; default 1 h.
	Window time.Duration
	// LiveEvery, when > 0, makes the chart advance itself this often while
	// live (a goroutine the chart owns). 0: the owner calls Advance, e.g.
	// from the screen's refresh tick.
	LiveEvery time.Duration
	// Do runs a function on the UI goroutine; default fyne.Do. Owners whose
	// tests use Fyne's test driver (which runs fyne.Do on the calling
	// goroutine) pass a queue they drain themselves.
	Do func(func())
	// Location is the time zone of the time axis labels; default time.Local.
	// Exports are always UTC.
	Location *time.Location
}

// pen is a Pen with its loaded points.
type pen struct {
	Pen
	col     color.NRGBA // its own Color, or its palette colour in the last palette drawn
	palette int         // index into PenColors; -1 when the Pen brought its own Color
	pts     []history.Point
}

// Chart is the trend widget. Create it with New; Close it when the screen
// goes away. All methods are for the UI goroutine except Close and the
// exports, which are safe from any goroutine.
type Chart struct {
	widget.BaseWidget

	src  Source
	opts Options

	// mu guards everything below: the UI goroutine writes it, the loader
	// reads requests from it, the raster generator reads it to draw.
	mu       sync.Mutex
	pens     []*pen
	to       time.Time     // right edge of the visible range
	span     time.Duration // visible span
	live     bool          // the right edge follows Now
	cursor   time.Time     // zero: no cursor
	selected int           // index of the selected pen, -1 none
	plotW    int           // plot width in pixels, from the last layout
	plotH    int
	loadErr  error  // the last query error, shown in the plot
	gen      uint64 // of the newest load request
	doneGen  uint64 // of the newest request applied or dropped
	pending  *request
	img      *plotImage
	// scales, penScale cache the y scales: recomputed (scanning every
	// point) only when scalesStale, i.e. after pens or data changed.
	scales      []scale
	penScale    []int
	scalesStale bool
	pal         vtheme.Palette // the palette of the last rebuild: day or night
	geo         geometry       // where the plot, axes and legend were last laid out
	axisW       []float32      // the axes' widths, which only grow until the pens change

	// do runs a function on the UI goroutine: fyne.Do. Tests replace it
	// with a queue they drain, because Fyne's test driver runs fyne.Do
	// callbacks on the calling goroutine.
	do     func(func())
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{} // cap 1: a request is pending
	wg     sync.WaitGroup
	once   sync.Once
}

// New returns a live chart on src with no pens, showing opts.Window up to now.
func New(src Source, opts Options) *Chart {
	do := opts.Do
	if do == nil {
		do = fyne.Do
	}
	return newChart(src, opts, do)
}

// newChart is New with do as the way onto the UI goroutine.
func newChart(src Source, opts Options, do func(func())) *Chart {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Window <= 0 {
		opts.Window = time.Hour
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Chart{
		src: src, opts: opts, span: clampSpan(opts.Window), live: true, selected: -1,
		to: opts.Now(), ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1),
		img: &plotImage{}, do: do, pal: vtheme.Light,
	}
	c.ExtendBaseWidget(c)
	c.wg.Add(1)
	go c.loadLoop()
	if opts.LiveEvery > 0 {
		c.wg.Add(1)
		go c.tickLoop(opts.LiveEvery)
	}
	return c
}

// Close stops the chart's goroutines and waits for them. Further queries are
// not made. Close is idempotent.
func (c *Chart) Close() {
	c.once.Do(func() {
		c.cancel()
		c.wg.Wait()
	})
}

// AddPen adds a pen (default colour from PenColors) and loads its data.
func (c *Chart) AddPen(p Pen) error {
	c.mu.Lock()
	if len(c.pens) >= MaxPens {
		c.mu.Unlock()
		return fmt.Errorf("pen %q: %w", p.Tag, ErrTooManyPens)
	}
	for _, q := range c.pens {
		if q.Tag == p.Tag {
			c.mu.Unlock()
			return fmt.Errorf("pen %q: %w", p.Tag, ErrDuplicatePen)
		}
	}
	idx := c.freeColour()
	col := penColors(c.pal)[idx]
	if p.Color != nil {
		col, idx = color.NRGBAModel.Convert(p.Color).(color.NRGBA), -1
	}
	p.Limits = append([]float64(nil), p.Limits...)
	c.pens = append(c.pens, &pen{Pen: p, col: col, palette: idx})
	c.axisW = nil
	c.scalesStale = true
	c.mu.Unlock()
	c.changed()
	return nil
}

// freeColour returns the first palette colour no pen uses, so a pen added
// after one was removed does not take the colour of a pen still shown
// (caller holds c.mu).
func (c *Chart) freeColour() int {
	used := make([]bool, MaxPens)
	for _, p := range c.pens {
		if p.palette >= 0 {
			used[p.palette] = true
		}
	}
	for i, u := range used {
		if !u {
			return i
		}
	}
	return len(c.pens) % MaxPens
}

// RemovePen removes the pen of tag; it reports whether there was one.
func (c *Chart) RemovePen(tag string) bool {
	c.mu.Lock()
	found := false
	for i, p := range c.pens {
		if p.Tag == tag {
			c.pens = append(c.pens[:i], c.pens[i+1:]...)
			c.scalesStale = true
			c.axisW = nil
			if c.selected == i {
				c.selected = -1
			} else if c.selected > i {
				c.selected--
			}
			found = true
			break
		}
	}
	c.mu.Unlock()
	if found {
		c.changed()
	}
	return found
}

// Pens returns the chart's pens in legend order.
func (c *Chart) Pens() []Pen {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Pen, len(c.pens))
	for i, p := range c.pens {
		out[i] = p.Pen
		out[i].Color = p.col
	}
	return out
}

// SelectPen selects the pen of tag (its alarm limits are drawn dashed);
// an unknown tag clears the selection.
func (c *Chart) SelectPen(tag string) {
	c.mu.Lock()
	c.selected = -1
	for i, p := range c.pens {
		if p.Tag == tag {
			c.selected = i
		}
	}
	c.mu.Unlock()
	c.Refresh()
}

// SetWindow shows a span d: ending now when live, else keeping the right edge.
func (c *Chart) SetWindow(d time.Duration) {
	c.mu.Lock()
	c.span = clampSpan(d)
	if c.live {
		c.to = c.opts.Now()
	}
	c.mu.Unlock()
	c.changed()
}

// SetRange shows [from, to] (a free range) and leaves live mode.
func (c *Chart) SetRange(from, to time.Time) {
	if !to.After(from) {
		from, to = to, from
	}
	c.mu.Lock()
	c.live = false
	c.to = to
	c.span = clampSpan(to.Sub(from))
	c.mu.Unlock()
	c.changed()
}

// SetLive turns live mode on (the right edge follows Now) or off (the range
// stays where it is).
func (c *Chart) SetLive(live bool) {
	c.mu.Lock()
	c.live = live
	if live {
		c.to = c.opts.Now()
	}
	c.mu.Unlock()
	c.changed()
}

// Live reports whether the chart follows Now.
func (c *Chart) Live() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

// Range returns the visible time range.
func (c *Chart) Range() (from, to time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.to.Add(-c.span), c.to
}

// Advance moves a live chart's right edge to Now and reloads; it does
// nothing when the chart is not live.
func (c *Chart) Advance() {
	c.mu.Lock()
	live := c.live
	if live {
		c.to = c.opts.Now()
	}
	c.mu.Unlock()
	if live {
		c.changed()
	}
}

// Span returns the visible span (the selected window, or the zoomed one).
func (c *Chart) Span() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.span
}

// SetCursor puts the cursor at t; the zero time removes it.
func (c *Chart) SetCursor(t time.Time) {
	c.mu.Lock()
	c.cursor = t
	c.mu.Unlock()
	c.Refresh()
}

// Cursor returns the cursor time (zero when there is none).
func (c *Chart) Cursor() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cursor
}

// changed reloads the data and repaints.
func (c *Chart) changed() {
	c.requestLoad()
	c.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (c *Chart) CreateRenderer() fyne.WidgetRenderer { return newRenderer(c) }

func clampSpan(d time.Duration) time.Duration {
	return min(max(d, MinSpan), MaxSpan)
}
