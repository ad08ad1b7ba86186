package overview

import (
	"flag"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/ui/theme"
)

var save = flag.String("save", "", "write the normal plant's capture to this PNG file")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func demoTags(t *testing.T) []*datasource.Tag {
	t.Helper()
	p, err := project.Parse(assets.DemoFile, assets.Demo)
	if err != nil {
		t.Fatal(err)
	}
	return p.Tags
}

func find(tags []*datasource.Tag, name string) *datasource.Tag {
	for _, t := range tags {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// normal returns a snapshot of plausible in-range Good values.
func normal(tags []*datasource.Tag, now time.Time) []datasource.Sample {
	var out []datasource.Sample
	for _, t := range tags {
		v := datasource.Float((t.Span.Min + t.Span.Max) / 2)
		switch {
		case t.Type == datasource.TypeBool:
			v = datasource.Bool(t.Name == "Pump1.Running")
		case !t.Type.Numeric():
			v = datasource.String("x")
		}
		out = append(out, datasource.Sample{Tag: t.ID, Value: v, Time: now})
	}
	return out
}

func setup(t *testing.T, tags []*datasource.Tag, deps Deps) (*Overview, fyne.Window) {
	t.Helper()
	return setupTB(t, tags, deps)
}

func setupTB(t testing.TB, tags []*datasource.Tag, deps Deps) (*Overview, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	if deps.Theme == nil {
		deps.Theme = theme.New(false)
	}
	a.Settings().SetTheme(deps.Theme)
	o := New(tags, deps)
	w := test.NewTempWindow(t, o.Content())
	w.Resize(fyne.NewSize(1200, 800))
	return o, w
}

// cellOf scrolls the list to tag's row and returns the cell bound to it.
func cellOf(t *testing.T, o *Overview, tag *datasource.Tag) *cell {
	t.Helper()
	for i, r := range o.rows {
		if r.tag == tag {
			o.list.ScrollTo(i)
		}
	}
	for _, c := range o.cells {
		if c.tag == tag {
			return c
		}
	}
	t.Fatalf("no row shows %s", tag.Name)
	return nil
}

func TestRowsShowValuesUnitsAndStateWords(t *testing.T) {
	tags := demoTags(t)
	o, _ := setup(t, tags, Deps{})
	now := time.Unix(1_800_000_000, 0)
	o.Update(normal(tags, now), now)
	for _, c := range []struct{ tag, value, units string }{
		{"Tank1.Level", "50.0", "%"},
		{"Pump1.Running", "RUNNING", ""},
		{"Pump1.Vibration", "6.00", "mm/s"},
	} {
		cl := cellOf(t, o, find(tags, c.tag))
		if cl.value.Text != c.value || cl.units.Text != c.units {
			t.Errorf("%s shows %q %q, want %q %q", c.tag, cl.value.Text, cl.units.Text, c.value, c.units)
		}
	}
}

func TestTappingTankLevelOpensItsFaceplate(t *testing.T) {
	tags := demoTags(t)
	var opened *datasource.Tag
	o, _ := setup(t, tags, Deps{OnOpen: func(tg *datasource.Tag) { opened = tg }})
	test.Tap(cellOf(t, o, find(tags, "Tank1.Level")))
	if opened == nil || opened.Name != "Tank1.Level" {
		t.Fatalf("OnOpen got %v, want Tank1.Level", opened)
	}
}

func TestAlarmIndicatorFlashesUntilAcknowledged(t *testing.T) {
	tags := demoTags(t)
	a := alarms.Alarm{Tag: "Pump1.Vibration", Name: "Hi", Priority: datasource.PriorityMedium, Active: true}
	o, _ := setup(t, tags, Deps{Alarms: func() []alarms.Alarm { return []alarms.Alarm{a} }})
	cl := cellOf(t, o, find(tags, "Pump1.Vibration"))
	t0 := time.Unix(1_800_000_000, 0)
	var vis [2]bool
	for i := range vis {
		o.Update(normal(tags, t0), t0.Add(time.Duration(i)*500*time.Millisecond))
		col, filled, v := cl.indicator()
		vis[i] = v
		if cl.digit.Text != "3" || col != theme.Medium || !filled {
			t.Fatalf("indicator digit %q colour %v filled %v, want 3 medium filled", cl.digit.Text, col, filled)
		}
		// The digit is read, not flashed: the text colour in both phases,
		// beside the yellow shape (a yellow "3" on grey was unreadable).
		if cl.digit.Color != o.deps.Theme.P.Foreground {
			t.Fatalf("phase %d: digit drawn in %v, want the text colour %v", i, cl.digit.Color, o.deps.Theme.P.Foreground)
		}
		img := cl.drawShape(14, 14)
		if got := img.At(7, 2); v && got == (image.NewNRGBA(image.Rect(0, 0, 1, 1)).At(0, 0)) {
			t.Error("the inverted triangle is not drawn at its wide top")
		}
	}
	if vis[0] == vis[1] {
		t.Errorf("unacknowledged alarm does not flash: visible %v then %v", vis[0], vis[1])
	}
	a.Acked = true
	for i := range 2 {
		o.Update(normal(tags, t0), t0.Add(time.Duration(i)*500*time.Millisecond))
		if _, _, v := cl.indicator(); !v {
			t.Error("acknowledged alarm is not steady")
		}
	}
}

func TestBadQualityDimsAndShowsReason(t *testing.T) {
	tags := demoTags(t)
	o, _ := setup(t, tags, Deps{})
	now := time.Unix(1_800_000_000, 0)
	s := normal(tags, now)
	lv := find(tags, "Tank1.Level")
	s[lv.ID].Quality = datasource.BadQuality(datasource.NotConnected)
	up := find(tags, "Pump1.Current")
	s[up.ID].Quality = datasource.UncertainQuality(datasource.Stale)
	o.Update(s, now)
	c := cellOf(t, o, lv)
	if c.qual.Text != "NotConnected" || c.value.Color != o.deps.Theme.P.Dim || c.outline.StrokeColor != o.deps.Theme.P.BadQuality {
		t.Errorf("bad level shows reason %q colour %v outline %v", c.qual.Text, c.value.Color, c.outline.StrokeColor)
	}
	if u := cellOf(t, o, up); !strings.HasPrefix(u.qual.Text, "?") {
		t.Errorf("uncertain current shows %q, want a ? marker", u.qual.Text)
	}
}

func TestGenericProjectGetsGroupGrid(t *testing.T) {
	tags := []*datasource.Tag{
		{ID: 0, Name: "Boiler.Pressure", Group: "Boiler", Type: datasource.TypeFloat32, Units: "bar", Decimals: 1, Span: datasource.Range{Max: 10}},
		{ID: 1, Name: "Boiler.Temp", Group: "Boiler", Type: datasource.TypeFloat32, Units: "°C", Decimals: 0, Span: datasource.Range{Max: 200}},
		{ID: 2, Name: "Fan.Speed", Group: "Air", Type: datasource.TypeFloat32, Units: "rpm", Span: datasource.Range{Max: 3000}},
	}
	o, _ := setup(t, tags, Deps{})
	now := time.Unix(1_800_000_000, 0)
	o.Update(normal(tags, now), now)
	for _, tag := range tags {
		cellOf(t, o, tag)
	}
	if o.Rows() != 5 || len(o.sparks) != 3 {
		t.Fatalf("got %d rows and %d sparklines, want 2 groups + 3 tags and 3", o.Rows(), len(o.sparks))
	}
	if c := cellOf(t, o, tags[0]); c.value.Text != "5.0" || c.units.Text != "bar" {
		t.Errorf("card shows %q %q", c.value.Text, c.units.Text)
	}
}

func TestNormalPlantHasNoSaturatedColour(t *testing.T) {
	tags := demoTags(t)
	o, w := setup(t, tags, Deps{})
	now := time.Unix(1_800_000_000, 0)
	o.Update(normal(tags, now), now)
	img := w.Canvas().Capture()
	if *save != "" {
		f, err := os.Create(*save)
		if err == nil {
			_ = png.Encode(f, img) // a debugging aid only
			_ = f.Close()
		}
	}
	if n := saturated(img); n > 0 {
		t.Errorf("%d saturated pixels in a normal plant, want 0", n)
	}
	a := alarms.Alarm{Tag: "Tank1.Level", Priority: datasource.PriorityCritical, Active: true, Acked: true}
	o.deps.Alarms = func() []alarms.Alarm { return []alarms.Alarm{a} }
	cellOf(t, o, find(tags, a.Tag)) // the list is virtualized: bring the tag's row into view
	o.Update(normal(tags, now), now)
	if n := saturated(w.Canvas().Capture()); n == 0 {
		t.Error("an alarm shows no colour")
	}
}

func saturated(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, bl)>>8, min(r, g, bl)>>8
			if hi-lo > 60 {
				n++
			}
		}
	}
	return n
}

// lineImage draws tag's sparkline as the list would, 160 x 20 px.
func lineImage(t *testing.T, o *Overview, tag *datasource.Tag) image.Image {
	t.Helper()
	r := test.TempWidgetRenderer(t, o.sparks[tag.ID])
	return r.Objects()[0].(*canvas.Raster).Generator(160, 20)
}

// TestABackfillDrawsEachTagsHistoryInItsOwnLine: the shell hands the
// overview one tag's last hour at a time. Each sample goes to its own
// tag's line; fed as a snapshot (indexed by TagID), one tag's points went
// into the lines of the tags whose IDs were below their count, and every
// line on screen showed other tags' values.
func TestABackfillDrawsEachTagsHistoryInItsOwnLine(t *testing.T) {
	tags := []*datasource.Tag{
		{ID: 0, Name: "A.Level", Group: "A", Type: datasource.TypeFloat64, Units: "%"},
		{ID: 1, Name: "B.Flow", Group: "B", Type: datasource.TypeFloat64, Units: "m³/h"},
	}
	var made []string
	o, _ := setup(t, tags, Deps{OnLine: func(tag *datasource.Tag) { made = append(made, tag.Name) }})
	now := time.Unix(1_800_000_000, 0)
	o.Update([]datasource.Sample{{Tag: 0, Value: datasource.Float(10), Time: now}, {Tag: 1, Value: datasource.Float(500), Time: now}}, now)
	for _, tag := range tags {
		cellOf(t, o, tag)
	}
	if len(made) != 2 {
		t.Fatalf("OnLine was told of %v, want both lines as they were made", made)
	}
	a0, b0 := lineImage(t, o, tags[0]), lineImage(t, o, tags[1])
	var hour []datasource.Sample
	for m := 59; m >= 1; m-- {
		hour = append(hour, datasource.Sample{Tag: 1, Time: now.Add(-time.Duration(m) * time.Minute), Value: datasource.Float(float64(100 * (m % 9)))})
	}
	o.Backfill(hour)
	if !sameImage(a0, lineImage(t, o, tags[0])) {
		t.Error("B.Flow's history changed A.Level's line")
	}
	if sameImage(b0, lineImage(t, o, tags[1])) {
		t.Error("B.Flow's history did not reach its own line")
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}
