package setpoint

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

func TestBarPlacesMarkerAndLimits(t *testing.T) {
	cases := []struct {
		name    string
		value   float64
		markerX float32 // left edge of the 4-px marker
	}{
		{"the value in the middle of the span sits in the middle", 50, 98},
		{"a value above the span is clamped to the right end", 150, 196},
		{"a value below the span is clamped to the left end", -20, 0},
		{"the value at 25 % of the span sits at a quarter", 25, 48},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			b := NewTagBar(theme.New(false), levelSP())
			b.SetValue(datasource.Sample{Value: datasource.Float(c.value)})
			w := test.NewTempWindow(t, b)
			w.SetPadded(false)
			b.Resize(fyne.NewSize(200, 14))
			r := test.TempWidgetRenderer(t, b).(*barRenderer)
			if r.marker.Hidden {
				t.Fatal("the marker is hidden for a valid value")
			}
			if got := r.marker.Position().X; got != c.markerX {
				t.Errorf("marker at x=%v, want %v", got, c.markerX)
			}
			if x := r.marker.Position().X; x < 0 || x+r.marker.Size().Width > 200 {
				t.Errorf("marker [%v, %v] leaves the bar", x, x+r.marker.Size().Width)
			}
			if len(r.ticks) != 2 || r.ticks[0].Position1.X != 180 || r.ticks[1].Position1.X != 20 {
				t.Errorf("limit ticks at %v, want Hi at 180 and Lo at 20", tickXs(r))
			}
			if r.ticks[0].StrokeColor != theme.High || r.ticks[1].StrokeColor != theme.Low {
				t.Error("limit ticks are not in their priority colours")
			}
			if r.normal.Position().X != 20 || r.normal.Size().Width != 160 {
				t.Errorf("normal range shaded from %v width %v, want 20 width 160", r.normal.Position().X, r.normal.Size().Width)
			}
		})
	}
}

func tickXs(r *barRenderer) []float32 {
	var xs []float32
	for _, l := range r.ticks {
		xs = append(xs, l.Position1.X)
	}
	return xs
}

func TestBarHidesMarkerWithoutValue(t *testing.T) {
	test.NewTempApp(t)
	b := NewBar(nil, datasource.Range{Min: 0, Max: 10})
	b.SetValue(datasource.Sample{})
	r := test.TempWidgetRenderer(t, b).(*barRenderer)
	if !r.marker.Hidden {
		t.Error("the marker shows a value that was never read")
	}
}
