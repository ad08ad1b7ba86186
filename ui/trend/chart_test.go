package trend

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui/internal/uitest"
	vtheme "github.com/vigil-hmi/vigil/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// clock is an injected Now the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// rig is a chart in an 800×400 test window with a fake clock at t0+1h.
type rig struct {
	t     *testing.T
	chart *Chart
	win   fyne.Window
	clk   *clock
	ui    *uitest.Queue
}

// settle runs the UI callbacks until the newest load is applied.
func (r *rig) settle() {
	r.t.Helper()
	r.ui.Settle(r.t, "the chart's loads", 10*time.Second, r.chart.loaded)
}

// loaded reports whether the newest load is applied.
func (c *Chart) loaded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.doneGen >= c.gen
}

func newRig(t *testing.T, src Source, pens ...Pen) *rig {
	t.Helper()
	test.NewTempApp(t)
	clk := &clock{now: t0.Add(time.Hour)}
	ui := uitest.NewQueue()
	c := newChart(src, Options{Now: clk.Now, Window: time.Hour, Location: time.UTC}, ui.Do)
	t.Cleanup(c.Close)
	w := test.NewTempWindow(t, c)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(800, 400))
	for _, p := range pens {
		if err := c.AddPen(p); err != nil {
			t.Fatal(err)
		}
	}
	r := &rig{t: t, chart: c, win: w, clk: clk, ui: ui}
	r.settle()
	return r
}

// plotBox returns the plot's rectangle in the captured image.
func (r *rig) plotBox() image.Rectangle {
	abs := r.chart.Position() // the window is unpadded: the chart fills it
	r.chart.mu.Lock()
	pos, size := r.chart.geo.plotPos, r.chart.geo.plotSize
	r.chart.mu.Unlock()
	x0, y0 := int(abs.X+pos.X), int(abs.Y+pos.Y)
	return image.Rect(x0, y0, x0+int(size.Width), y0+int(size.Height))
}

// countColour counts the pixels of col in box of img.
func countColour(img image.Image, box image.Rectangle, col color.NRGBA) int {
	n := 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == col {
				n++
			}
		}
	}
	return n
}

func TestPensAreDrawnInTheirColours(t *testing.T) {
	src := newFakeSource()
	src.data["A"] = wave(t0, 3600, 50, 20, 0)
	src.data["B"] = wave(t0, 3600, 5, 1, math.Pi)
	red := color.NRGBA{0xD0, 0x10, 0x80, 0xFF}
	r := newRig(t, src, Pen{Tag: "A", Units: "%"}, Pen{Tag: "B", Units: "bar", Color: red})
	img := r.win.Canvas().Capture()
	box := r.plotBox()
	tests := []struct {
		name string
		col  color.NRGBA
	}{
		{"the first pen without a colour takes the first palette colour", PenColors[0]},
		{"a pen with its own colour is drawn in it", red},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A line across the plot colours at least one pixel per column.
			if n := countColour(img, box, tc.col); n < box.Dx()*9/10 {
				t.Errorf("%d pixels of %v in the plot %v, want >= %d", n, tc.col, box, box.Dx()*9/10)
			}
		})
	}
	if got := len(r.chart.Pens()); got != 2 {
		t.Errorf("Pens() has %d pens, want 2", got)
	}
}

func TestABadQualityIntervalIsDrawnAsABreakFromARealHistoryStore(t *testing.T) {
	st, err := history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var batch []history.Sample
	for i := 0; i < 3600; i++ {
		q := datasource.QualityGood
		if i >= 1200 && i < 2400 { // the middle third: the device was gone
			q = datasource.BadQuality(datasource.NotConnected)
		}
		batch = append(batch, history.Sample{Tag: "T", Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i % 100), Quality: q})
	}
	if err := st.Append(batch); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, st, Pen{Tag: "T", Units: "m"})
	img := r.win.Canvas().Capture()
	box := r.plotBox()
	third := box.Dx() / 3
	before := image.Rect(box.Min.X+2, box.Min.Y, box.Min.X+third-2, box.Max.Y)
	gap := image.Rect(box.Min.X+third+2, box.Min.Y, box.Min.X+2*third-2, box.Max.Y)
	after := image.Rect(box.Min.X+2*third+2, box.Min.Y, box.Max.X-2, box.Max.Y)
	if n := countColour(img, gap, PenColors[0]); n != 0 {
		t.Errorf("%d pen pixels inside the bad interval %v, want none", n, gap)
	}
	for _, b := range []image.Rectangle{before, after} {
		if n := countColour(img, b, PenColors[0]); n < b.Dx() {
			t.Errorf("%d pen pixels in the good interval %v, want >= %d", n, b, b.Dx())
		}
	}
	// The cursor in the gap names the reason.
	r.chart.SetCursor(t0.Add(30 * time.Minute))
	if got := legend(r.chart); !strings.Contains(got, "Bad/NotConnected") {
		t.Errorf("legend %q does not name the bad quality", got)
	}
}

// legend returns the texts of the legend row.
func legend(c *Chart) string {
	var out []string
	c.mu.Lock()
	h := c.geo.legendH
	c.mu.Unlock()
	for _, o := range test.WidgetRenderer(c).Objects() {
		if tx, ok := o.(*canvas.Text); ok && tx.Position().Y < h {
			out = append(out, tx.Text)
		}
	}
	return strings.Join(out, " | ")
}

func TestWindowPresetsChangeTheQueriedRange(t *testing.T) {
	src := newFakeSource()
	r := newRig(t, src, Pen{Tag: "A"})
	now := r.clk.Now()
	tests := []struct {
		name string
		do   func()
		want time.Duration
	}{
		{"key 1 shows the last 5 minutes", func() { r.chart.TypedRune('1') }, 5 * time.Minute},
		{"key 3 shows the last shift of 8 hours", func() { r.chart.TypedRune('3') }, 8 * time.Hour},
		{"key 5 shows the last 7 days", func() { r.chart.TypedRune('5') }, 7 * 24 * time.Hour},
		{"SetWindow(24h) shows the last day", func() { r.chart.SetWindow(24 * time.Hour) }, 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.do()
			r.settle()
			q := src.last()
			if !q.to.Equal(now) || q.to.Sub(q.from) != tc.want {
				t.Errorf("queried %v..%v, want %v ending at %v", q.from, q.to, tc.want, now)
			}
			if q.maxPoints != 4*r.chart.plotW {
				t.Errorf("maxPoints %d, want 4 × plot width %d", q.maxPoints, r.chart.plotW)
			}
		})
	}
}

func TestSetRangeShowsAFreeRangeAndLeavesLiveMode(t *testing.T) {
	src := newFakeSource()
	r := newRig(t, src, Pen{Tag: "A"})
	r.chart.SetRange(t0.Add(10*time.Minute), t0.Add(20*time.Minute))
	r.settle()
	q := src.last()
	if !q.from.Equal(t0.Add(10*time.Minute)) || !q.to.Equal(t0.Add(20*time.Minute)) || r.chart.Live() {
		t.Errorf("queried %v..%v live=%v, want 12:10..12:20 not live", q.from, q.to, r.chart.Live())
	}
}

func TestPanAndZoom(t *testing.T) {
	tests := []struct {
		name     string
		do       func(r *rig)
		wantTo   time.Duration // from the rig's now
		wantSpan time.Duration
		wantLive bool
	}{
		{"dragging right by a quarter of the plot pans back a quarter of the window", func(r *rig) {
			b := r.plotBox()
			test.Drag(r.win.Canvas(), fyne.NewPos(float32(b.Min.X+100), float32(b.Min.Y+50)), float32(b.Dx())/4, 0)
		}, -15 * time.Minute, time.Hour, false},
		{"a wheel notch up zooms a live chart in, keeping now at the right", func(r *rig) {
			b := r.plotBox()
			test.Scroll(r.win.Canvas(), fyne.NewPos(float32(b.Min.X+100), float32(b.Min.Y+50)), 0, 10)
		}, 0, 48 * time.Minute, true},
		{"a wheel notch down zooms out", func(r *rig) {
			b := r.plotBox()
			test.Scroll(r.win.Canvas(), fyne.NewPos(float32(b.Min.X+100), float32(b.Min.Y+50)), 0, -10)
		}, 0, 75 * time.Minute, true},
		{"the left arrow pans back a tenth of the window", func(r *rig) {
			r.chart.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
		}, -6 * time.Minute, time.Hour, false},
		{"plus zooms in around the middle of a historical range", func(r *rig) {
			r.chart.SetLive(false)
			r.chart.TypedRune('+')
		}, -6 * time.Minute, 48 * time.Minute, false},
		{"End goes back to live", func(r *rig) {
			r.chart.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
			r.chart.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
		}, 0, time.Hour, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := newFakeSource()
			r := newRig(t, src, Pen{Tag: "A"})
			now := r.clk.Now()
			tc.do(r)
			r.settle()
			from, to := r.chart.Range()
			// A pixel of drag is 4.5 s on an hour over ~740 px: allow 10 s.
			if d := to.Sub(now.Add(tc.wantTo)); d.Abs() > 10*time.Second || to.Sub(from) != tc.wantSpan || r.chart.Live() != tc.wantLive {
				t.Errorf("range ends %v span %v live %v; want end %v span %v live %v",
					to.Sub(now), to.Sub(from), r.chart.Live(), tc.wantTo, tc.wantSpan, tc.wantLive)
			}
			if q := src.last(); !q.to.Equal(to) || !q.from.Equal(from) {
				t.Errorf("last query %v..%v, want the visible range %v..%v", q.from, q.to, from, to)
			}
		})
	}
}

func TestCursorShowsEveryPensValueAtItsTime(t *testing.T) {
	src := newFakeSource()
	src.data["A"] = []history.Point{{Time: t0.Add(10 * time.Minute), Value: 12.25}, {Time: t0.Add(40 * time.Minute), Value: 30}}
	src.data["B"] = []history.Point{{Time: t0.Add(5 * time.Minute), Value: 2}, {Time: t0.Add(20 * time.Minute), Value: 3}}
	r := newRig(t, src, Pen{Tag: "A", Label: "Level", Units: "%", Decimals: 1}, Pen{Tag: "B", Label: "Flow", Units: "m³/h", Decimals: 2})
	b := r.plotBox()
	abs := r.chart.Position()
	// Tap at the middle of the plot: 12:30, between the samples.
	test.TapAt(r.chart, fyne.NewPos(float32(b.Min.X)-abs.X+float32(b.Dx()-1)/2, 50))
	cur := r.chart.Cursor()
	if d := cur.Sub(t0.Add(30 * time.Minute)); d.Abs() > 10*time.Second {
		t.Fatalf("cursor at %v, want about 12:30", cur)
	}
	got := legend(r.chart)
	for _, want := range []string{"Level 12.2 %", "Flow 3.00 m³/h"} { // the last value at or before the cursor
		if !strings.Contains(got, want) {
			t.Errorf("legend %q lacks %q", got, want)
		}
	}
	r.chart.SetCursor(t0.Add(time.Minute))
	if got := legend(r.chart); !strings.Contains(got, "Level —") {
		t.Errorf("before any sample the legend %q should show a dash", got)
	}
	r.chart.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if !r.chart.Cursor().IsZero() {
		t.Error("Escape left the cursor")
	}
	if got := legend(r.chart); !strings.Contains(got, "Level 30.0 %") {
		t.Errorf("without a cursor the legend %q should show the newest value", got)
	}
}

func TestExportCSVMatchesTheGoldenFile(t *testing.T) {
	src := newFakeSource()
	src.data["A"] = []history.Point{
		{Time: t0.Add(5 * time.Minute), Value: 1.5},
		{Time: t0.Add(10 * time.Minute), Value: math.NaN(), Quality: datasource.BadQuality(datasource.NotConnected)},
		{Time: t0.Add(15*time.Minute + 250*time.Millisecond), Value: 2},
		{Time: t0.Add(2 * time.Hour), Value: 99}, // outside the visible range
	}
	src.data["B"] = []history.Point{{Time: t0.Add(5 * time.Minute), Value: -3e-7}, {Time: t0.Add(20 * time.Minute), Value: 4}}
	// A float32 tag's values as the float32s they are, and one scaled
	// into a float64, which keeps its digits.
	src.data["F"] = []history.Point{{Time: t0.Add(5 * time.Minute), Value: float64(float32(49.997612))}, {Time: t0.Add(20 * time.Minute), Value: float64(float32(49.997612)) * 0.1}}
	r := newRig(t, src, Pen{Tag: "A", Label: "Level, tank \"1\"", Units: "%"}, Pen{Tag: "B"}, Pen{Tag: "F", Float32: true})
	var buf bytes.Buffer
	if err := r.chart.ExportCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if q := src.last(); q.maxPoints != 0 {
		t.Errorf("export queried maxPoints %d, want raw (0)", q.maxPoints)
	}
	golden := filepath.Join("testdata", "export.csv")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.Bytes(), want)
	}
}

func TestExportPNGHasThePlotItsAxesLegendAndTimeSpan(t *testing.T) {
	src := newFakeSource()
	src.data["A"] = wave(t0, 3600, 50, 20, 0)
	r := newRig(t, src, Pen{Tag: "A", Units: "%", Limits: []float64{65}})
	r.chart.SelectPen("A")
	var buf bytes.Buffer
	if err := r.chart.ExportPNG(&buf); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 800 || img.Bounds().Dy() != 400+spanRow {
		t.Fatalf("PNG %v, want the chart's 800×400 and the span line", img.Bounds())
	}
	box := r.plotBox() // the window is unpadded: the chart's layout is the image's
	if n := countColour(img, box, PenColors[0]); n < box.Dx() {
		t.Errorf("%d pen pixels in the PNG's plot, want a line across it", n)
	}
	// The selected pen's limit is a dashed line: its row has pen pixels
	// with breaks.
	s := scale{lo: 50 - 20*1.1, hi: 50 + 20*1.1}
	y := box.Min.Y + int(math.Round(s.y(65, box.Dy())))
	on := countColour(img, image.Rect(box.Min.X, y, box.Max.X, y+1), PenColors[0])
	if on < box.Dx()/3 || on > box.Dx()*9/10 {
		t.Errorf("limit row %d has %d of %d pixels in the pen colour, want a dashed line", y, on, box.Dx())
	}
	// Text is drawn where the legend, the value axis, the time axis and
	// the span line are: pixels that are not the background.
	bg := color.NRGBAModel.Convert(vtheme.Light.Background).(color.NRGBA)
	for name, area := range map[string]image.Rectangle{
		"legend":     image.Rect(0, 0, box.Max.X, box.Min.Y-unitRow),
		"value axis": image.Rect(0, box.Min.Y, box.Min.X-2, box.Max.Y),
		"time axis":  image.Rect(box.Min.X, box.Max.Y+2, box.Max.X, 400),
		"time span":  image.Rect(0, 400, 800, 400+spanRow),
	} {
		if n := area.Dx()*area.Dy() - countColour(img, area, bg); n < 20 {
			t.Errorf("the %s area %v has %d drawn pixels, want text", name, area, n)
		}
	}
}

func TestLiveModeAdvancesWithTheInjectedClock(t *testing.T) {
	src := newFakeSource()
	r := newRig(t, src, Pen{Tag: "A"})
	later := t0.Add(time.Hour + 90*time.Second)
	r.clk.set(later)
	r.chart.Advance()
	r.settle()
	if _, to := r.chart.Range(); !to.Equal(later) {
		t.Errorf("live range ends %v, want %v", to, later)
	}
	if q := src.last(); !q.to.Equal(later) || q.to.Sub(q.from) != time.Hour {
		t.Errorf("queried %v..%v, want the hour to %v", q.from, q.to, later)
	}
	r.chart.SetLive(false)
	r.settle()
	n := src.count()
	r.clk.set(later.Add(time.Minute))
	r.chart.Advance()
	r.settle()
	if _, to := r.chart.Range(); !to.Equal(later) || src.count() != n {
		t.Errorf("a historical chart moved to %v (queries %d -> %d)", to, n, src.count())
	}
}

func TestANewRequestSupersedesAPendingOne(t *testing.T) {
	src := newFakeSource()
	r := newRig(t, src, Pen{Tag: "A"})
	block := make(chan struct{})
	src.mu.Lock()
	src.block = block
	src.mu.Unlock()
	before := src.count()
	for i := 0; i < 20; i++ {
		r.chart.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	}
	src.mu.Lock()
	src.block = nil
	src.mu.Unlock()
	close(block)
	r.settle()
	from, to := r.chart.Range()
	if q := src.last(); !q.from.Equal(from) || !q.to.Equal(to) {
		t.Errorf("last query %v..%v, want the newest range %v..%v", q.from, q.to, from, to)
	}
	if n := src.count() - before; n > 3 {
		t.Errorf("20 pans made %d queries, want them coalesced (<= 3)", n)
	}
}

func TestCloseStopsAQueryInFlight(t *testing.T) {
	test.NewTempApp(t)
	src := newFakeSource()
	src.block = make(chan struct{})                                                // never closed: only Close's cancel ends it
	c := newChart(src, Options{LiveEvery: time.Millisecond}, uitest.NewQueue().Do) // callbacks are never run
	if err := c.AddPen(Pen{Tag: "A"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close() // idempotent
}

func TestAddPenRefusesDuplicatesAndANinthPen(t *testing.T) {
	r := newRig(t, newFakeSource())
	for i := 0; i < MaxPens; i++ {
		if err := r.chart.AddPen(Pen{Tag: string(rune('A' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.chart.AddPen(Pen{Tag: "Z"}); !errors.Is(err, ErrTooManyPens) {
		t.Errorf("ninth pen: %v, want ErrTooManyPens", err)
	}
	r.chart.RemovePen("H")
	if err := r.chart.AddPen(Pen{Tag: "A"}); !errors.Is(err, ErrDuplicatePen) {
		t.Errorf("duplicate pen: %v, want ErrDuplicatePen", err)
	}
	if !r.chart.RemovePen("A") || r.chart.RemovePen("A") {
		t.Error("RemovePen should report the pen once")
	}
	r.settle()
}

func TestAQueryErrorIsShownInThePlot(t *testing.T) {
	r := newRig(t, errSource{}, Pen{Tag: "A"})
	found := false
	for _, o := range test.WidgetRenderer(r.chart).Objects() {
		if tx, ok := o.(*canvas.Text); ok && strings.Contains(tx.Text, "trend A: history is down") {
			found = true
		}
	}
	if !found {
		t.Error("the query error is not shown")
	}
}

type errSource struct{}

func (errSource) Query(context.Context, string, time.Time, time.Time, int) ([]history.Point, error) {
	return nil, errors.New("history is down")
}
