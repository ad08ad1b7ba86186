package trend

import (
	"context"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/vigil-hmi/vigil/history"
	vtheme "github.com/vigil-hmi/vigil/ui/theme"
)

// rowsOf returns the rows of col in column x of box (relative to the box
// top), lowest and highest, and whether there are any.
func rowsOf(img image.Image, box image.Rectangle, x int, col color.NRGBA) (lo, hi int, ok bool) {
	lo, hi = math.MaxInt, -1
	for y := box.Min.Y; y < box.Max.Y; y++ {
		if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == col {
			lo, hi = min(lo, y-box.Min.Y), max(hi, y-box.Min.Y)
		}
	}
	return lo, hi, hi >= 0
}

// xAt is the image column of time t in box, for the rig's hour 12:00..13:00.
func xAt(box image.Rectangle, t time.Time) int {
	return box.Min.X + int(math.Round(float64(t.Sub(t0))/float64(time.Hour)*float64(box.Dx()-1)))
}

func TestStepAndLinearPensAreDrawnAsTheTagSays(t *testing.T) {
	pts := []history.Point{{Time: t0.Add(10 * time.Minute), Value: 20}, {Time: t0.Add(40 * time.Minute), Value: 80}}
	tests := []struct {
		name string
		step bool
		want float64 // the value drawn half way between the two samples
	}{
		{"a step pen holds 20 until the change to 80", true, 20},
		{"a linear pen ramps through 50 half way", false, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := newFakeSource()
			src.data["SP"] = pts
			r := newRig(t, src, Pen{Tag: "SP", Min: 0, Max: 100, Step: tc.step})
			img, box := r.win.Canvas().Capture(), r.plotBox()
			s := scale{lo: 0, hi: 100}
			want := int(math.Round(s.y(tc.want, box.Dy())))
			lo, hi, ok := rowsOf(img, box, xAt(box, t0.Add(25*time.Minute)), PenColors[0])
			if !ok || lo > want+1 || hi < want-1 || hi-lo > 2 {
				t.Errorf("at 12:25 the pen covers rows %d..%d (drawn %v), want about row %d", lo, hi, ok, want)
			}
			if tc.step { // the jump is vertical, at the change's own column (±1 px of rounding)
				x := xAt(box, t0.Add(40*time.Minute))
				lo, hi := math.MaxInt, -1
				for dx := -1; dx <= 1; dx++ {
					l, h, _ := rowsOf(img, box, x+dx, PenColors[0])
					lo, hi = min(lo, l), max(hi, h)
				}
				if top, bottom := int(s.y(80, box.Dy())), int(s.y(20, box.Dy())); lo > top+1 || hi < bottom-1 {
					t.Errorf("at 12:40 the step covers rows %d..%d, want %d..%d", lo, hi, top, bottom)
				}
			}
		})
	}
}

func TestEveryPenHoldsItsLastValueToNow(t *testing.T) {
	for _, step := range []bool{true, false} {
		src := valueAtSource{newFakeSource()}
		src.data["A"] = []history.Point{{Time: t0.Add(5 * time.Minute), Value: 30}, {Time: t0.Add(10 * time.Minute), Value: 60}}
		r := newRig(t, src, Pen{Tag: "A", Min: 0, Max: 100, Step: step})
		img, box := r.win.Canvas().Capture(), r.plotBox()
		want := int(math.Round(scale{lo: 0, hi: 100}.y(60, box.Dy())))
		for _, m := range []time.Duration{20, 45, 59} {
			lo, hi, ok := rowsOf(img, box, xAt(box, t0.Add(m*time.Minute)), PenColors[0])
			if !ok || lo > want+1 || hi < want-1 {
				t.Errorf("step %v: at 12:%02d the pen covers rows %d..%d (drawn %v), want the held 60 at row %d", step, m, lo, hi, ok, want)
			}
		}
		// Nothing is drawn after now: a historical range that ends in the
		// future holds only up to now.
		r.chart.SetRange(t0.Add(30*time.Minute), t0.Add(90*time.Minute))
		r.settle()
		img, box = r.win.Canvas().Capture(), r.plotBox()
		future := image.Rect(box.Min.X+box.Dx()/2+3, box.Min.Y, box.Max.X, box.Max.Y)
		past := image.Rect(box.Min.X, box.Min.Y, box.Min.X+box.Dx()/2-3, box.Max.Y)
		if n := countColour(img, future, PenColors[0]); n != 0 {
			t.Errorf("step %v: %d pen pixels after now", step, n)
		}
		if n := countColour(img, past, PenColors[0]); n < past.Dx()*95/100 {
			t.Errorf("step %v: %d pen pixels before now, want the held value across", step, n)
		}
	}
}

// valueAtSource is a fakeSource that also tells the value in force at a time.
type valueAtSource struct{ *fakeSource }

func (s valueAtSource) ValueAt(_ context.Context, tag string, at time.Time) (history.Point, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pt, ok := valueAt(s.data[tag], at)
	if !ok {
		return history.Point{}, history.ErrNoData
	}
	return pt, nil
}

func TestAValueChangedBeforeTheRangeIsDrawnFromItsLeftEdge(t *testing.T) {
	src := valueAtSource{newFakeSource()}
	src.data["SP"] = []history.Point{{Time: t0.Add(-3 * time.Hour), Value: 90}, {Time: t0.Add(30 * time.Minute), Value: 50}}
	r := newRig(t, src, Pen{Tag: "SP", Min: 0, Max: 100, Step: true})
	img, box := r.win.Canvas().Capture(), r.plotBox()
	want := int(math.Round(scale{lo: 0, hi: 100}.y(90, box.Dy())))
	if lo, hi, ok := rowsOf(img, box, xAt(box, t0.Add(10*time.Minute)), PenColors[0]); !ok || lo > want+1 || hi < want-1 {
		t.Errorf("at 12:10 the pen covers rows %d..%d (drawn %v), want the 90 set before the range, row %d", lo, hi, ok, want)
	}
}

func TestTheCursorShowsItsTimeAndGoesAwayWithTheMouse(t *testing.T) {
	src := newFakeSource()
	src.data["A"] = []history.Point{{Time: t0.Add(10 * time.Minute), Value: 12.25}, {Time: t0.Add(40 * time.Minute), Value: 30}}
	r := newRig(t, src, Pen{Tag: "A", Label: "Level", Units: "%", Decimals: 1})
	box := r.plotBox()
	abs := r.chart.Position()
	at := fyne.NewPos(float32(xAt(box, t0.Add(30*time.Minute)))-abs.X, 60)
	r.chart.MouseIn(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: at}})
	if got := legend(r.chart); !strings.Contains(got, "Level 12.2 %") {
		t.Errorf("with the mouse at 12:30 the legend %q should show 12.2", got)
	}
	label := r.chart.Cursor().Format("15:04:05")
	if d := r.chart.Cursor().Sub(t0.Add(30 * time.Minute)); d.Abs() > 10*time.Second || !hasText(r.chart, label) {
		t.Errorf("the cursor at %v has no time label %q", r.chart.Cursor(), label)
	}
	r.chart.MouseOut()
	if !r.chart.Cursor().IsZero() || hasText(r.chart, label) {
		t.Errorf("the cursor (%v) or its time label stayed after the mouse left", r.chart.Cursor())
	}
	if got := legend(r.chart); !strings.Contains(got, "Level 30.0 %") {
		t.Errorf("after the mouse left the legend %q should show the value now", got)
	}
}

func hasText(c *Chart, prefix string) bool {
	for _, o := range test.WidgetRenderer(c).Objects() {
		if tx, ok := o.(*canvas.Text); ok && strings.HasPrefix(tx.Text, prefix) {
			return true
		}
	}
	return false
}

func TestTheLegendWrapsToShowEveryPen(t *testing.T) {
	r := newRig(t, newFakeSource())
	for i := 0; i < MaxPens; i++ {
		if err := r.chart.AddPen(Pen{Tag: "Area1.Pen" + string(rune('A'+i)), Units: "%"}); err != nil {
			t.Fatal(err)
		}
	}
	r.settle()
	entries := strings.Split(legend(r.chart), " | ")
	if len(entries) != MaxPens {
		t.Fatalf("%d legend entries %q, want %d", len(entries), entries, MaxPens)
	}
	// Entries do not overlap one another.
	var boxes []image.Rectangle
	for _, o := range test.WidgetRenderer(r.chart).Objects() {
		if tx, ok := o.(*canvas.Text); ok && strings.HasPrefix(tx.Text, "■") {
			p, s := tx.Position(), tx.Size()
			boxes = append(boxes, image.Rect(int(p.X), int(p.Y), int(p.X+s.Width), int(p.Y+s.Height)))
		}
	}
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			if boxes[i].Overlaps(boxes[j]) {
				t.Errorf("legend entries %d %v and %d %v overlap", i, boxes[i], j, boxes[j])
			}
		}
	}
}

func TestABoolPenHasItsOwnAxisOfStateWords(t *testing.T) {
	src := newFakeSource()
	src.data["Mode"] = []history.Point{{Time: t0.Add(5 * time.Minute), Value: 0}, {Time: t0.Add(20 * time.Minute), Value: 1}}
	src.data["Level"] = wave(t0, 3600, 50, 20, 0)
	r := newRig(t, src, Pen{Tag: "Level", Units: "%", Min: 0, Max: 100}, Pen{Tag: "Mode", Step: true, States: map[int64]string{0: "MANUAL", 1: "AUTO"}})
	if !hasText(r.chart, "AUTO") || !hasText(r.chart, "MANUAL") {
		t.Error("the bool pen's axis does not show its state words")
	}
	if got := legend(r.chart); !strings.Contains(got, "Mode AUTO") {
		t.Errorf("legend %q should read the state word AUTO, not 1", got)
	}
	r.chart.mu.Lock()
	n := len(r.chart.scales)
	r.chart.mu.Unlock()
	if n != 2 {
		t.Errorf("%d axes, want the %% axis and the bool pen's own", n)
	}
}

func TestUnitLabelsClearTheTopTick(t *testing.T) {
	r := newRig(t, newFakeSource(), Pen{Tag: "A", Units: "%", Min: 0, Max: 100}, Pen{Tag: "B", Units: "bar", Min: 0, Max: 10})
	var boxes []image.Rectangle
	var names []string
	for _, o := range test.WidgetRenderer(r.chart).Objects() {
		if tx, ok := o.(*canvas.Text); ok && (tx.Text == "%" || tx.Text == "bar" || tx.Text == "100" || tx.Text == "10") {
			p, s := tx.Position(), tx.Size()
			boxes = append(boxes, image.Rect(int(p.X), int(p.Y), int(p.X+s.Width), int(p.Y+s.Height)))
			names = append(names, tx.Text)
		}
	}
	if len(boxes) != 4 {
		t.Fatalf("found %v, want both units and both top ticks", names)
	}
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			if boxes[i].Overlaps(boxes[j]) {
				t.Errorf("%q %v and %q %v overlap", names[i], boxes[i], names[j], boxes[j])
			}
		}
	}
	// Compact axes: two units take well under a fifth of the 800 px.
	if box := r.plotBox(); box.Min.X > 800/5 {
		t.Errorf("the axes take %d px", box.Min.X)
	}
}

func TestTheNightPaletteDarkensThePlot(t *testing.T) {
	src := newFakeSource()
	src.data["A"] = wave(t0, 3600, 50, 20, 0)
	r := newRig(t, src, Pen{Tag: "A"})
	fyne.CurrentApp().Settings().SetTheme(vtheme.New(true))
	r.chart.Refresh()
	img, box := r.win.Canvas().Capture(), r.plotBox()
	bg := color.NRGBAModel.Convert(img.At(box.Min.X+5, box.Max.Y-3)).(color.NRGBA)
	if bg != vtheme.Dark.Input {
		t.Errorf("night plot background %v, want the dark palette's %v", bg, vtheme.Dark.Input)
	}
	if n := countColour(img, box, PenColorsNight[0]); n < box.Dx()*9/10 {
		t.Errorf("%d pixels of the night pen colour, want a line across", n)
	}
}

func TestFitCutsALongLegendEntryToItsColumn(t *testing.T) {
	newRig(t, newFakeSource())
	long := "■ Area1.VeryLongTagName.With.Many.Parts 12345.6 m³/h"
	for _, w := range []float32{60, 120, 200} {
		got := fit(long, w)
		if measure(got).Width > w || !strings.HasSuffix(got, "…") {
			t.Errorf("fit to %v: %q is %v wide", w, got, measure(got).Width)
		}
		if longer := []rune(strings.TrimSuffix(got, "…")); len(longer) < len([]rune(long)) {
			if one := string([]rune(long)[:len(longer)+1]) + "…"; measure(one).Width <= w {
				t.Errorf("fit to %v cut %q, but %q fits too", w, got, one)
			}
		}
	}
	if got := fit("■ A 1 %", 200); got != "■ A 1 %" {
		t.Errorf("a short entry was cut: %q", got)
	}
}
