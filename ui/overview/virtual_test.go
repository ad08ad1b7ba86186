package overview

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/datasource"
)

// bigProject is 10,000 float tags without decimals in 100 groups: the
// project of issue 15's report.
func bigProject() []*datasource.Tag {
	tags := make([]*datasource.Tag, 10_000)
	for i := range tags {
		typ := datasource.TypeFloat64
		if i%2 == 0 {
			typ = datasource.TypeFloat32
		}
		tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: fmt.Sprintf("Dev%02d.Tag%04d", i/500, i), Group: fmt.Sprintf("G%03d", i/100),
			Type: typ, Decimals: -1, Span: datasource.Range{Max: 100}, Scaling: datasource.Scaling{}}
	}
	return tags
}

func noisy(tags []*datasource.Tag, now time.Time) []datasource.Sample {
	snap := make([]datasource.Sample, len(tags))
	for i, t := range tags {
		snap[i] = datasource.Sample{Tag: t.ID, Value: datasource.Float(49.94546890258789), Time: now}
	}
	return snap
}

func TestOnlyVisibleRowsHoldWidgets(t *testing.T) {
	tags := bigProject()
	o, _ := setup(t, tags, Deps{})
	now := time.Unix(1_800_000_000, 0)
	o.Update(noisy(tags, now), now)
	if o.Rows() != 10_100 {
		t.Fatalf("%d rows, want 100 groups + 10,000 tags", o.Rows())
	}
	if n := len(o.cells); n == 0 || n > 100 {
		t.Fatalf("%d row widgets for a 800 px high window, want a screenful", n)
	}
	if n := len(o.sparks); n == 0 || n > 100 {
		t.Fatalf("%d sparklines before scrolling, want one per row shown", n)
	}
	if c := cellOf(t, o, tags[9_999]); c.value.Text != "49.9455" {
		t.Errorf("the last tag (float64, no decimals) shows %q, want 6 significant digits 49.9455", c.value.Text)
	}
	if c := cellOf(t, o, tags[5_000]); c.value.Text != "49.94547" {
		t.Errorf("a float32 tag without decimals shows %q, want its shortest float32 form 49.94547", c.value.Text)
	}
	if n := len(o.cells); n > 100 {
		t.Errorf("scrolling made %d row widgets; rows must be reused", n)
	}
}

// BenchmarkOverview10k builds the generated overview of 10,000 tags and
// refreshes it once: the first frame's work.
func BenchmarkOverview10k(b *testing.B) {
	tags := bigProject()
	now := time.Unix(1_800_000_000, 0)
	snap := noisy(tags, now)
	for b.Loop() {
		o, w := setupB(b, tags)
		o.Update(snap, now)
		w.Canvas().Refresh(o.Content())
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/first-frame")
}

func setupB(b *testing.B, tags []*datasource.Tag) (*Overview, fyne.Window) {
	return setupTB(b, tags, Deps{})
}
