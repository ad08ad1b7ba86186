package display

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// bigDisplay is a display file of n elements cycling through the kinds
// that show tags, on a 1600 x 900 canvas.
func bigDisplay(n int) string {
	var b strings.Builder
	b.WriteString("displays:\n  - name: big\n    elements:\n")
	kinds := []string{
		"{kind: tank, at: [%d, %d], size: [40, 40], level: Tank1.Level}",
		"{kind: pump, at: [%d, %d], size: [40, 40], running: Pump1.Running, fault: Pump1.Fault}",
		"{kind: valve, at: [%d, %d], size: [30, 30], position: Valve1.Position}",
		"{kind: value, at: [%d, %d], size: [60, 20], tag: Pump1.Current}",
		"{kind: bar, at: [%d, %d], size: [60, 30], tag: Tank1.Level}",
	}
	for i := 0; i < n; i++ {
		x, y := 10+(i%25)*62, 10+(i/25)*44
		fmt.Fprintf(&b, "      - "+kinds[i%len(kinds)]+"\n", x, y)
	}
	return b.String()
}

// BenchmarkDisplayRender is one refresh of a 500-element display whose
// every tag changed, at 1600 x 900: ms/update is Vigil's work for a frame
// (every element's state, text and shapes brought up to date), which is
// what must fit a 16 ms frame; the GL painter's own time needs a GPU and
// is not measured here. Each iteration also paints the frame with Fyne's
// test painter (ms/swpaint), a software rasteriser in Go that is much
// slower than the GL painter of a real window and only shows the frame is
// drawable.
func BenchmarkDisplayRender(b *testing.B) {
	test.NewTempApp(b).Settings().SetTheme(theme.New(false))
	tags := testTags()
	set := compile(b, bigDisplay(500), tags)
	d, _ := set.Display("big")
	v := New(d, Deps{})
	w := test.NewTempWindow(b, v)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(1600, 900))
	snap, _ := snapshotOf(tags, conditions[0])
	b.ResetTimer()
	var update time.Duration
	for i := 0; i < b.N; i++ {
		for j := range snap {
			if tags[j].Type == datasource.TypeBool {
				snap[j].Value = datasource.Bool(i%2 == 0)
			} else {
				snap[j].Value = datasource.Float(float64(i % 100))
			}
		}
		t0 := time.Now()
		v.Update(snap, nil, epoch.Add(time.Duration(i)*time.Second))
		update += time.Since(t0)
		w.Canvas().Capture()
	}
	b.ReportMetric(float64((b.Elapsed()-update).Microseconds())/1000/float64(b.N), "ms/swpaint")
	b.ReportMetric(float64(update.Microseconds())/1000/float64(b.N), "ms/update")
}
