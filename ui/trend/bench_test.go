package trend

import (
	"context"
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui/internal/uitest"
)

// weekSource is a week of 1 s samples per tag, computed on demand and
// decimated with M4 like history.Store: 604,800 samples per pen, with a bad
// quarter hour every 6 h so gaps are drawn too.
type weekSource struct{ start time.Time }

func (s weekSource) Query(_ context.Context, tag string, from, to time.Time, maxPoints int) ([]history.Point, error) {
	phase := float64(len(tag)) + float64(tag[len(tag)-1])
	first := max(int(math.Ceil(from.Sub(s.start).Seconds())), 0)
	last := min(int(math.Floor(to.Sub(s.start).Seconds())), 7*24*3600)
	n := last - first + 1
	at := func(k int) history.Point {
		i := first + k
		p := history.Point{Time: s.start.Add(time.Duration(i) * time.Second)}
		if i%(6*3600) < 900 {
			p.Value, p.Quality = math.NaN(), datasource.BadQuality(datasource.NotConnected)
			return p
		}
		p.Value = 50 + 30*math.Sin(float64(i)/5000+phase) + 5*math.Sin(float64(i)/7+phase)
		return p
	}
	return m4(n, at, from, to, maxPoints/4), nil
}

// BenchmarkTrendRender measures one frame of 8 pens × a week of 1 s data
// decimated to a 2000-pixel plot: the plot image plus the labels.
func BenchmarkTrendRender(b *testing.B) {
	test.NewTempApp(b)
	start := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	end := start.Add(7 * 24 * time.Hour)
	ui := uitest.NewQueue()
	c := newChart(weekSource{start: start}, Options{Now: func() time.Time { return end }, Window: 7 * 24 * time.Hour, Location: time.UTC}, ui.Do)
	b.Cleanup(c.Close)
	w := test.NewTempWindow(b, c)
	w.SetPadded(false)
	units := []string{"%", "bar", "°C", "m³/h"}
	for i := 0; i < MaxPens; i++ {
		if err := c.AddPen(Pen{Tag: "Pen" + string(rune('A'+i)), Units: units[i%len(units)], Limits: []float64{80}}); err != nil {
			b.Fatal(err)
		}
	}
	c.SelectPen("PenA")
	w.Resize(fyne.NewSize(2200, 700))
	r := &rig{chart: c, ui: ui}
	settleB(b, r)
	// The axes are as wide as their labels: widen the window so the plot
	// itself is 2000 px.
	c.mu.Lock()
	g := c.geo
	c.mu.Unlock()
	w.Resize(fyne.NewSize(g.size.Width+2000-g.plotSize.Width, 700))
	settleB(b, r)
	c.SetCursor(start.Add(3 * 24 * time.Hour))
	rend := test.WidgetRenderer(c).(*renderer)
	pts := 0
	for _, p := range c.pens {
		pts += len(p.pts)
	}
	if c.plotW != 2000 || pts < MaxPens*2000 {
		b.Fatalf("plot %d px with %d points, want 2000 px and >= %d points", c.plotW, pts, MaxPens*2000)
	}
	b.ResetTimer()
	t0 := time.Now()
	for b.Loop() {
		rend.rebuild(false)
		rend.paint(c.plotW, c.plotH)
	}
	b.ReportMetric(float64(time.Since(t0).Microseconds())/1000/float64(b.N), "ms/frame")
	b.ReportMetric(float64(pts)/MaxPens, "points/pen")
}

// settleB drains the chart's UI callbacks until its loads are applied.
func settleB(b *testing.B, r *rig) {
	r.ui.Settle(b, "the week's data", 60*time.Second, r.chart.loaded)
}
