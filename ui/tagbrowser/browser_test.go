package tagbrowser

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var now = time.Date(2026, 11, 28, 14, 2, 15, 0, time.Local)

func testTags() []*datasource.Tag {
	return []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Description: "Tank 1 level", Group: "Tanks", Units: "%", Decimals: 1},
		{ID: 1, Name: "Tank2.Level", Description: "Tank 2 level", Group: "Tanks", Units: "%", Decimals: 1},
		{ID: 2, Name: "Motor1.Speed", Description: "Feed pump motor", Group: "Pumps", Units: "rpm", Decimals: 0},
		{ID: 3, Name: "Motor1.State", Description: "Feed pump state", Group: "Pumps", States: map[int64]string{0: "STOPPED", 1: "RUNNING"}},
		{ID: 4, Name: "$sys.plc1.connected", Description: "PLC 1 link", System: true},
	}
}

func testSnapshot() []datasource.Sample {
	return []datasource.Sample{
		{Tag: 0, Value: datasource.Float(42.26), Time: now},
		{Tag: 1, Value: datasource.Float(17), Quality: datasource.BadQuality(datasource.NotConnected), Time: now},
		{Tag: 2, Value: datasource.Float(1480), Quality: datasource.UncertainQuality(datasource.Stale), Time: now},
		{Tag: 3, Value: datasource.Int(1), Time: now},
		{Tag: 4, Value: datasource.Bool(true), Time: now},
	}
}

type rig struct {
	b       *Browser
	win     fyne.Window
	opened  []string
	trended []string
	lined   []string // the tags whose sparkline OnLine was told of
}

func newRig(t *testing.T, tags []*datasource.Tag) *rig {
	t.Helper()
	a := test.NewTempApp(t)
	th := theme.New(false)
	a.Settings().SetTheme(th)
	r := &rig{}
	r.b = New(tags, Deps{
		Theme:   th,
		OnOpen:  func(t *datasource.Tag) { r.opened = append(r.opened, t.Name) },
		OnTrend: func(t *datasource.Tag) { r.trended = append(r.trended, t.Name) },
		Now:     func() time.Time { return now },
		OnLine:  func(t *datasource.Tag) { r.lined = append(r.lined, t.Name) },
	})
	r.win = test.NewTempWindow(t, r.b)
	r.win.Resize(fyne.NewSize(1000, 400))
	return r
}

// texts returns every visible canvas.Text, by text.
func (r *rig) texts() map[string]*canvas.Text {
	m := map[string]*canvas.Text{}
	for _, o := range test.LaidOutObjects(r.win.Content()) {
		if t, ok := o.(*canvas.Text); ok && t.Visible() && t.Text != "" {
			m[t.Text] = t
		}
	}
	return m
}

// names returns the tag names in the visible rows, in order.
func (r *rig) names() []string {
	var out []string
	for i := range r.b.Shown() {
		out = append(out, r.b.rowTag(i).Name)
	}
	return out
}

// tapText taps, through the canvas, the list row that shows text.
func (r *rig) tapText(t *testing.T, text string) {
	t.Helper()
	var item fyne.CanvasObject
	for _, o := range test.LaidOutObjects(r.win.Content()) {
		if _, ok := o.(fyne.Tappable); ok && o.Size().Width > 500 {
			item = o // a list row: texts after it belong to it
		}
		if txt, ok := o.(*canvas.Text); ok && txt.Text == text && txt.Visible() && item != nil {
			listPos := fyne.CurrentApp().Driver().AbsolutePositionForObject(r.b.list)
			test.TapCanvas(r.win.Canvas(), listPos.Add(item.Position()).Add(fyne.NewPos(5, 5)))
			return
		}
	}
	t.Fatalf("no visible row with %q", text)
}

func TestBrowserShowsValueQualityAndTime(t *testing.T) {
	r := newRig(t, testTags())
	r.b.Update(testSnapshot())
	p := theme.New(false).P
	got := r.texts()
	for _, tc := range []struct {
		name, text string
		want       any
	}{
		{name: "a good value shows decimals and units in the foreground colour", text: "42.3 %", want: p.Foreground},
		{name: "a bad value is dimmed", text: "17.0 %", want: p.Dim},
		{name: "a bad reading names its reason in the bad-quality colour", text: "Bad/NotConnected", want: p.BadQuality},
		{name: "an uncertain value carries a question mark", text: "1480 rpm ?", want: p.Foreground},
		{name: "an uncertain reading names its reason", text: "Uncertain/Stale", want: p.Uncertain},
		{name: "a digital value shows its state word", text: "RUNNING", want: p.Foreground},
		{name: "the time shows hours, minutes and seconds", text: "14:02:15", want: p.Dim},
	} {
		t.Run(tc.name, func(t *testing.T) {
			txt, ok := got[tc.text]
			if !ok {
				t.Fatalf("text %q not shown", tc.text)
			}
			if txt.Color != tc.want {
				t.Errorf("colour of %q = %v, want %v", tc.text, txt.Color, tc.want)
			}
		})
	}
}

func TestBrowserSearch(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"an empty search lists every non-system tag", "", []string{"Motor1.Speed", "Motor1.State", "Tank1.Level", "Tank2.Level"}},
		{"a name fragment matches case-insensitively", "tank1", []string{"Tank1.Level"}},
		{"a description word matches", "PUMP", []string{"Motor1.Speed", "Motor1.State"}},
		{"units match", "rpm", []string{"Motor1.Speed"}},
		{"a group matches", "tanks", []string{"Tank1.Level", "Tank2.Level"}},
		{"several words must all match", "feed state", []string{"Motor1.State"}},
		{"words that match no single tag show nothing", "tank rpm", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, testTags())
			test.Type(r.b.search, tc.query)
			if got := r.names(); !slices.Equal(got, tc.want) {
				t.Errorf("shown %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBrowserGroupFilter(t *testing.T) {
	r := newRig(t, testTags())
	r.b.group.SetSelected("Pumps")
	if got, want := r.names(), []string{"Motor1.Speed", "Motor1.State"}; !slices.Equal(got, want) {
		t.Errorf("group Pumps shows %v, want %v", got, want)
	}
	test.Type(r.b.search, "speed")
	if got, want := r.names(), []string{"Motor1.Speed"}; !slices.Equal(got, want) {
		t.Errorf("group Pumps + search shows %v, want %v", got, want)
	}
	r.b.group.SetSelected(allGroups)
	r.b.search.SetText("")
	if got := r.b.Shown(); got != 4 {
		t.Errorf("all groups shows %d tags, want 4", got)
	}
}

func TestBrowserSystemTagsHiddenByDefault(t *testing.T) {
	r := newRig(t, testTags())
	if slices.Contains(r.names(), "$sys.plc1.connected") {
		t.Fatal("system tag listed by default")
	}
	test.Tap(r.b.system)
	if !slices.Contains(r.names(), "$sys.plc1.connected") {
		t.Error("system tag not listed with the check on")
	}
}

func TestBrowserTapRowOpensFaceplate(t *testing.T) {
	r := newRig(t, testTags())
	r.b.Update(testSnapshot())
	r.tapText(t, "Tank1.Level")
	r.tapText(t, "Motor1.Speed")
	r.tapText(t, "Motor1.Speed") // a second tap on the same row opens again
	if want := []string{"Tank1.Level", "Motor1.Speed", "Motor1.Speed"}; !slices.Equal(r.opened, want) {
		t.Errorf("opened %v, want %v", r.opened, want)
	}
}

func TestBrowserTrendButtonAddsTagToTrend(t *testing.T) {
	r := newRig(t, testTags())
	test.Type(r.b.search, "tank2")
	var btn *widget.Button
	for _, o := range test.LaidOutObjects(r.win.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Trend" && b.Visible() {
			btn = b
			break
		}
	}
	if btn == nil {
		t.Fatal("no Trend button shown")
	}
	test.Tap(btn)
	if want := []string{"Tank2.Level"}; !slices.Equal(r.trended, want) {
		t.Errorf("trended %v, want %v", r.trended, want)
	}
	if len(r.opened) != 0 {
		t.Errorf("Trend also opened a faceplate: %v", r.opened)
	}
}

func TestBrowserFocusSearch(t *testing.T) {
	r := newRig(t, testTags())
	r.b.FocusSearch()
	if r.win.Canvas().Focused() != r.b.search {
		t.Fatal("search entry not focused")
	}
	test.Type(r.win.Canvas().Focused(), "motor1 speed")
	if got, want := r.names(), []string{"Motor1.Speed"}; !slices.Equal(got, want) {
		t.Errorf("typing after FocusSearch shows %v, want %v", got, want)
	}
}

func manyTags(n int) ([]*datasource.Tag, []datasource.Sample) {
	tags := make([]*datasource.Tag, n)
	snap := make([]datasource.Sample, n)
	for i := range tags {
		tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: fmt.Sprintf("Area%02d.Tag%05d", i%50, i),
			Description: "generated", Group: fmt.Sprintf("Area%02d", i%50), Units: "bar", Decimals: 2}
		snap[i] = datasource.Sample{Tag: datasource.TagID(i), Value: datasource.Float(float64(i)), Time: now}
	}
	return tags, snap
}

func BenchmarkBrowserUpdate(b *testing.B) {
	a := test.NewTempApp(b)
	tags, snap := manyTags(10000)
	clock := now
	br := New(tags, Deps{Theme: theme.New(false), Now: func() time.Time { return clock }})
	w := test.NewTempWindow(b, br)
	w.Resize(fyne.NewSize(1000, 600))
	_ = a
	start := time.Now()
	for b.Loop() {
		clock = clock.Add(250 * time.Millisecond)
		br.Update(snap)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/update")
}

func BenchmarkBrowserFilter(b *testing.B) {
	test.NewTempApp(b)
	tags, _ := manyTags(10000)
	br := New(tags, Deps{Theme: theme.New(false)})
	w := test.NewTempWindow(b, br)
	w.Resize(fyne.NewSize(1000, 600))
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		br.search.SetText(fmt.Sprintf("area%02d bar", i%50))
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/filter")
}

func TestTheColumnTitlesSortTheListAndShowTheOrder(t *testing.T) {
	r := newRig(t, testTags())
	r.b.Update(testSnapshot())
	if got := strings.Join(r.names(), ","); got != "Motor1.Speed,Motor1.State,Tank1.Level,Tank2.Level" {
		t.Fatalf("first order %s, want by name", got)
	}
	if _, ok := r.texts()["Name ▲"]; !ok {
		t.Fatal("the Name title does not show that the list is sorted by it")
	}
	value := r.b.heads[colValue]
	test.Tap(value)
	if got := strings.Join(r.names(), ","); got != "Tank2.Level,Tank1.Level,Motor1.Speed,Motor1.State" {
		t.Errorf("by value: %s, want numbers ascending (17, 42.3, 1480), then the state word", got)
	}
	test.Tap(value)
	if got := strings.Join(r.names(), ","); got != "Motor1.State,Motor1.Speed,Tank1.Level,Tank2.Level" {
		t.Errorf("by value descending: %s", got)
	}
	if value.Text != "Value ▼" || r.b.heads[colName].Text != "Name" {
		t.Errorf("titles %q and %q", value.Text, r.b.heads[colName].Text)
	}
	test.Tap(r.b.heads[colQuality])
	if got := r.names(); got[0] != "Tank2.Level" || got[1] != "Motor1.Speed" {
		t.Errorf("by quality: %v, want the Bad one first, then the Uncertain one", got)
	}
	r.b.search.SetText("tank") // a new filter keeps the chosen order
	if col, _ := r.b.Sorted(); col != colQuality || strings.Join(r.names(), ",") != "Tank2.Level,Tank1.Level" {
		t.Errorf("after a search: sorted by %d, rows %v", col, r.names())
	}
}

func TestUnitsKeepTheirDistanceFromTheQuality(t *testing.T) {
	r := newRig(t, testTags())
	r.b.Update(testSnapshot())
	got := r.texts()
	v, q := got["1480 rpm ?"], got["Uncertain/Stale"]
	if v == nil || q == nil {
		t.Fatal("value or quality not shown")
	}
	end := v.Position().X + v.Size().Width
	if gap := q.Position().X - end; gap < 10 {
		t.Errorf("the value's cell ends %.0f px before the quality: units run into it", gap)
	}
}

// drawnColumns counts the pixel columns the sparkline of tag row i draws
// in, at 160 px wide.
func drawnColumns(t *testing.T, b *Browser, i int) int {
	t.Helper()
	r := test.TempWidgetRenderer(t, b.lines[i])
	raster := r.Objects()[0].(*canvas.Raster)
	img := raster.Generator(160, 20)
	n := 0
	for x := 0; x < 160; x++ {
		for y := 0; y < 20; y++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0 {
				n++
				break
			}
		}
	}
	return n
}

func TestBackfillDrawsTheLastHourFromHistoryAtOnce(t *testing.T) {
	r := newRig(t, testTags())
	r.b.Update(testSnapshot()) // one live value: one column
	i := slices.IndexFunc(r.b.tags, func(tg *datasource.Tag) bool { return tg.Name == "Tank1.Level" })
	before := drawnColumns(t, r.b, i)
	var samples []datasource.Sample
	for m := 59; m >= 1; m-- {
		samples = append(samples, datasource.Sample{Tag: 0, Time: now.Add(-time.Duration(m) * time.Minute), Value: datasource.Float(float64(40 + m%7))})
	}
	samples = append(samples, datasource.Sample{Tag: 99, Time: now, Value: datasource.Float(1)}) // no such tag: ignored
	r.b.Backfill(samples)
	// A point a minute: one column in 2.7 of the 160.
	if after := drawnColumns(t, r.b, i); after < 55 || before > 5 {
		t.Errorf("the sparkline draws %d columns before the backfill and %d after, want one, then one per minute of the hour", before, after)
	}
}

// Over EagerLines tags the browser makes a tag's sparkline when its row is
// first shown, not one per tag (340 MB for 100,000 tags); the line starts
// with the tag's value then and follows it.
func TestALargeProjectsSparklinesAreMadeForTheRowsShown(t *testing.T) {
	tags := make([]*datasource.Tag, EagerLines+1)
	for i := range tags {
		tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: fmt.Sprintf("T%06d", i), Units: "%"}
	}
	r := newRig(t, tags)
	snap := make([]datasource.Sample, len(tags))
	for i := range snap {
		snap[i] = datasource.Sample{Tag: datasource.TagID(i), Value: datasource.Float(50), Quality: datasource.QualityGood, Time: now}
	}
	r.b.Update(snap)
	made := 0
	for _, l := range r.b.lines {
		if l != nil {
			made++
		}
	}
	if made == 0 || made > 100 {
		t.Fatalf("%d sparklines made for %d tags, want only the rows on screen", made, len(tags))
	}
	if len(r.lined) != made || r.lined[0] != "T000000" {
		t.Errorf("OnLine was told of %d lines (first %v), want the %d made, to fill them from history", len(r.lined), r.lined[:min(1, len(r.lined))], made)
	}
	if r.b.lines[0] == nil || drawnColumns(t, r.b, 0) == 0 {
		t.Error("the first row's sparkline is not made or does not draw its value")
	}
	if r.b.lines[len(tags)-1] != nil {
		t.Error("the last row, never shown, has a sparkline")
	}
	r.b.Backfill([]datasource.Sample{{Tag: datasource.TagID(len(tags) - 1), Time: now, Value: datasource.Float(1)}})
	if r.b.lines[len(tags)-1] != nil {
		t.Error("a backfill made the sparkline of a row never shown")
	}
}

// TestColumnsGiveWayOnASmallWindow: in a list 880 px wide (a 1024×768
// window less the navigation column) every cell of a row, the Trend button
// included, is inside the list, the description gave way first, and the
// header's titles stand over their columns. On a wide window the columns
// keep their full widths.
func TestColumnsGiveWayOnASmallWindow(t *testing.T) {
	r := newRig(t, testTags())
	r.b.Update(testSnapshot())
	r.win.Resize(fyne.NewSize(880, 400))
	r.b.Update(testSnapshot())
	header := r.b.headRow.Objects
	var row []fyne.CanvasObject
	for _, o := range test.LaidOutObjects(r.b.list) {
		if c, ok := o.(*fyne.Container); ok && len(c.Objects) == colTrend+1 {
			row = c.Objects
			break
		}
	}
	if row == nil {
		t.Fatal("no row laid out")
	}
	listW := r.b.list.Size().Width
	trend := row[colTrend]
	if end := trend.Position().X + trend.Size().Width; end > listW {
		t.Errorf("the Trend button ends at %.0f px in a list %.0f px wide", end, listW)
	}
	if d := row[colDescription].Size().Width; d >= colWidths[colDescription] {
		t.Errorf("the description is %.0f px wide: it did not give way", d)
	}
	for col := colName; col <= colSpark; col++ {
		if hx, rx := header[col].Position().X, row[col].Position().X; hx-rx > 2 || rx-hx > 2 {
			t.Errorf("column %d: title at %.0f px, cells at %.0f px", col, hx, rx)
		}
	}
	// A long description is cut to its narrower column.
	if txt := row[colDescription].(*canvas.Text); fyne.MeasureText(txt.Text, txt.TextSize, txt.TextStyle).Width > row[colDescription].Size().Width {
		t.Errorf("description %q overflows its %.0f px", txt.Text, row[colDescription].Size().Width)
	}

	r.win.Resize(fyne.NewSize(1400, 400))
	if w := widthsFor(r.b.list.Size().Width, trailWidth(row), len(row)); w != colWidths {
		t.Errorf("at %.0f px the columns are %v, want their full widths %v", r.b.list.Size().Width, w, colWidths)
	}
}
