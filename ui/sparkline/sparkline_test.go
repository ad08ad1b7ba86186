package sparkline

import (
	"image"
	"image/color"
	"testing"
	"time"
	"unsafe"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)

func good(v float64, at time.Time) datasource.Sample {
	return datasource.Sample{Value: datasource.Float(v), Time: at}
}

func bad(at time.Time) datasource.Sample {
	return datasource.Sample{Quality: datasource.BadQuality(datasource.NotConnected), Time: at}
}

// columns returns, per pixel column of img, whether any pixel has colour c.
func columns(img image.Image, c color.NRGBA) []bool {
	b := img.Bounds()
	cols := make([]bool, b.Dx())
	for x := b.Min.X; x < b.Max.X; x++ {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == c {
				cols[x-b.Min.X] = true
				break
			}
		}
	}
	return cols
}

func render(t *testing.T, l *Line, w, h float32) image.Image {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(l.th)
	win := test.NewTempWindow(t, l)
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	l.Resize(fyne.NewSize(w, h))
	return win.Canvas().Capture()
}

func TestLineDrawsDataAndBreaksAtGaps(t *testing.T) {
	th := theme.New(false)
	l := New(Buckets*time.Second, th) // one bucket per second
	for i := range Buckets {
		at := t0.Add(time.Duration(i) * time.Second)
		if i >= 80 && i < 120 {
			l.Add(bad(at))
			continue
		}
		l.Add(good(float64(i%20), at))
	}
	img := render(t, l, Buckets, 40)
	cols := columns(img, th.P.Dim)
	for _, tc := range []struct {
		name string
		x    int
		want bool
	}{
		{"a column before the gap shows the line", 50, true},
		{"the first column of the gap is empty", 80, false},
		{"the middle of the gap is empty", 100, false},
		{"the last column of the gap is empty", 119, false},
		{"a column after the gap shows the line", 140, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if cols[tc.x] != tc.want {
				t.Errorf("column %d drawn = %v, want %v", tc.x, cols[tc.x], tc.want)
			}
		})
	}
}

func TestLineWithoutDataDrawsNothing(t *testing.T) {
	th := theme.New(false)
	l := New(time.Hour, th)
	img := render(t, l, 80, 20)
	for x, on := range columns(img, th.P.Dim) {
		if on {
			t.Fatalf("column %d drawn without data", x)
		}
	}
}

func TestLineDrawsLimitTicks(t *testing.T) {
	th := theme.New(false)
	l := New(time.Minute, th)
	l.SetRange(0, 100)
	l.SetLimits(90)
	img := render(t, l, 80, 20)
	n := 0
	for _, on := range columns(img, th.P.Line) {
		if on {
			n++
		}
	}
	if n == 0 || n == 80 {
		t.Errorf("limit tick covers %d of 80 columns, want a dashed line", n)
	}
}

func TestLineKeepsOnlyTheWindow(t *testing.T) {
	l := New(time.Hour, nil)
	for i := range 2 * 3600 {
		l.Add(good(float64(i), t0.Add(time.Duration(i)*time.Second)))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lo, hi, ok := l.yRange()
	if !ok {
		t.Fatal("no data in range")
	}
	// Only the last hour (values 3600..7199) may remain.
	if lo < 3600-float64(3600/Buckets) || hi != 7199 {
		t.Errorf("range = %v..%v, want about 3600..7199", lo, hi)
	}
}

func TestLineIgnoresSamplesOlderThanTheWindow(t *testing.T) {
	l := New(time.Hour, nil)
	l.Add(good(5, t0))
	l.Add(good(-1000, t0.Add(-2*time.Hour)))
	l.mu.Lock()
	defer l.mu.Unlock()
	if lo, _, _ := l.yRange(); lo < 0 {
		t.Errorf("an old sample entered the range: lo = %v", lo)
	}
}

func TestLineMemoryIsBounded(t *testing.T) {
	l := New(time.Hour, nil)
	allocs := testing.AllocsPerRun(1000, func() {
		t0 = t0.Add(10 * time.Millisecond)
		l.Add(good(1, t0))
	})
	if allocs != 0 {
		t.Errorf("Add allocates %v times per sample, want 0 (fixed ring)", allocs)
	}
}

func BenchmarkAdd(b *testing.B) {
	l := New(time.Hour, nil)
	at := t0
	for b.Loop() {
		at = at.Add(250 * time.Millisecond)
		l.Add(good(1, at))
	}
	b.ReportMetric(float64(unsafe.Sizeof(Line{})), "B/line")
}

func TestLineIsNotJoinedAcrossAGap(t *testing.T) {
	th := theme.New(false)
	l := New(Buckets*time.Second, th)
	l.SetRange(0, 10)
	for i := range Buckets {
		at := t0.Add(time.Duration(i) * time.Second)
		switch {
		case i < 80:
			l.Add(good(10, at)) // top row
		case i < 82:
			l.Add(bad(at))
		default:
			l.Add(good(0, at)) // bottom row
		}
	}
	img := render(t, l, Buckets, 40)
	for y := range 20 { // the top half of the first column after the gap
		if color.NRGBAModel.Convert(img.At(82, y)).(color.NRGBA) == th.P.Dim {
			t.Fatalf("pixel (82,%d) drawn: the line was joined across the gap", y)
		}
	}
	if color.NRGBAModel.Convert(img.At(82, 39)).(color.NRGBA) != th.P.Dim {
		t.Error("the first sample after the gap is not drawn at the bottom")
	}
	if color.NRGBAModel.Convert(img.At(79, 0)).(color.NRGBA) != th.P.Dim {
		t.Error("the last sample before the gap is not drawn at the top")
	}
}

func TestAValueHoldsUntilTheNextSample(t *testing.T) {
	th := theme.New(false)
	l := New(Buckets*time.Second, th) // one bucket per second
	l.SetRange(0, 100)
	l.Add(good(10, t0))                                           // a setpoint written once...
	l.Add(good(90, t0.Add(time.Duration(Buckets-1)*time.Second))) // ...and changed at the end
	img := render(t, l, Buckets, 40)
	cols := columns(img, th.P.Dim)
	for x := 0; x < Buckets; x++ {
		if !cols[x] {
			t.Fatalf("column %d is empty: the value 10 should hold until the change", x)
		}
	}
}
