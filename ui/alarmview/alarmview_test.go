package alarmview

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui/internal/uitest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)

type plant struct {
	clk *clockwork.FakeClock
	eng *alarms.Engine
	st  *history.Store
}

func tags() []*datasource.Tag {
	return []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Group: "Area1", Type: datasource.TypeFloat32, Units: "%", Alarms: []datasource.AlarmDef{
			{Name: "HiHi", Kind: datasource.AlarmHiHi, Limit: 90, Priority: datasource.PriorityCritical, Message: "level very high {value}", ShelveMax: 10 * time.Minute}}},
		{ID: 1, Name: "Boiler.Temp", Group: "Area2", Type: datasource.TypeFloat32, Units: "C", Alarms: []datasource.AlarmDef{
			{Name: "Hi", Kind: datasource.AlarmHi, Limit: 80, Priority: datasource.PriorityMedium, Message: "temp high"}}},
		{ID: 2, Name: "Line.Press", Group: "Area2", Type: datasource.TypeFloat32, Units: "bar", Alarms: []datasource.AlarmDef{
			{Name: "Lo", Kind: datasource.AlarmLo, Limit: 1, Priority: datasource.PriorityLow, Message: "pressure low"}}},
	}
}

// newPlant builds a real engine journaling into a real history store and
// raises all three alarms, a second apart (Tank1 first).
func newPlant(t *testing.T) *plant {
	t.Helper()
	clk := clockwork.NewFakeClockAt(t0)
	st, err := history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{NoSync: true, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := alarms.New(tags(), alarms.Options{Clock: clk, Journal: st})
	if err != nil {
		t.Fatal(err)
	}
	p := &plant{clk: clk, eng: eng, st: st}
	for i, v := range []float64{95, 85, 0.5} {
		p.eng.Process([]datasource.Sample{{Tag: datasource.TagID(i), Value: datasource.Float(v), Time: clk.Now()}})
		clk.Advance(time.Second)
		p.eng.Tick(clk.Now())
	}
	return p
}

func (p *plant) id(t *testing.T, tag, name string) alarms.ID {
	id, ok := p.eng.Lookup(tag, name)
	if !ok {
		t.Fatalf("no alarm %s/%s", tag, name)
	}
	return id
}

func names(as []alarms.Alarm) string {
	var s []string
	for _, a := range as {
		s = append(s, a.Tag)
	}
	return strings.Join(s, ",")
}

func TestBannerShowsMostImportantFirstAndFlashes(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	b := NewBanner(p.eng, BannerOptions{})
	w := test.NewTempWindow(t, b.Object())
	_ = w
	var picked alarms.Alarm
	b.OnSelect = func(a alarms.Alarm) { picked = a }
	b.Update(t0)
	if got := names(b.Shown()); got != "Tank1.Level,Boiler.Temp,Line.Press" {
		t.Fatalf("banner order = %s", got)
	}
	if got := b.Counts(); got != [4]string{"1", "0", "1", "1"} {
		t.Fatalf("counts = %v", got)
	}
	if !strings.Contains(bannerText(b.Shown()[0]), "level very high") {
		t.Fatalf("text = %q", bannerText(b.Shown()[0]))
	}
	on := b.IndicatorsLit()
	b.Update(t0.Add(500 * time.Millisecond))
	off := b.IndicatorsLit()
	if !on[0] || off[0] {
		t.Fatalf("unacked indicator did not flash: %v then %v", on, off)
	}
	// The flash recolours the shape's own lines and rectangles and shows
	// or hides nothing: hiding changed the header's layout at every flash
	// and Fyne painted the window twice (issue 16, idle CPU).
	e := b.items[0]
	lineColours := func() (lit, clear int) {
		for _, o := range e.flashing().Objects[0].(*fyne.Container).Objects {
			if l, ok := o.(*canvas.Line); ok {
				if l.StrokeColor == color.Transparent {
					clear++
				} else {
					lit++
				}
			}
		}
		return lit, clear
	}
	if !e.fill.Visible() || !e.outline.Visible() {
		t.Error("the off phase hid the shape instead of clearing its colours")
	}
	if lit, clear := lineColours(); lit != 0 || clear == 0 {
		t.Errorf("off phase: %d lines of the flashing shape coloured, %d transparent; want all transparent", lit, clear)
	}
	b.Update(t0.Add(time.Second))
	if lit, clear := lineColours(); clear != 0 || lit == 0 {
		t.Errorf("on phase: %d lines coloured, %d transparent; want all coloured", lit, clear)
	}
	if err := p.eng.Ack("op", p.id(t, "Tank1.Level", "HiHi"), ""); err != nil {
		t.Fatal(err)
	}
	b.Update(t0.Add(time.Second))
	if got := names(b.Shown()); got != "Boiler.Temp,Line.Press" {
		t.Fatalf("acked alarm still in banner: %s", got)
	}
	test.Tap(b.items[1])
	if picked.Tag != "Line.Press" {
		t.Fatalf("tapping the second banner alarm selected %q", picked.Tag)
	}
}

func newSummary(t *testing.T, p *plant) *Summary {
	t.Helper()
	s := NewSummary(p.eng, Deps{User: func() string { return "op1" }, Journal: p.st})
	t.Cleanup(s.Close)
	test.NewTempWindow(t, s.Object())
	s.Update(p.clk.Now())
	return s
}

func TestSummaryListsSortsAndFilters(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	s := newSummary(t, p)
	tests := []struct {
		name             string
		sort             int
		prio, area, text string
		want             string
	}{
		{"by default the list is ordered by priority", 0, "All", "", "", "Tank1.Level,Boiler.Temp,Line.Press"},
		{"sorting by tag orders alphabetically", 2, "All", "", "", "Boiler.Temp,Line.Press,Tank1.Level"},
		{"sorting by time shows the newest first", 1, "All", "", "", "Line.Press,Boiler.Temp,Tank1.Level"},
		{"filtering by priority 3 shows only medium alarms", 0, "3", "", "", "Boiler.Temp"},
		{"filtering by area shows only that area", 0, "All", "area2", "", "Boiler.Temp,Line.Press"},
		{"filtering by text matches the message", 0, "All", "", "pressure", "Line.Press"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.SetFilter(tc.prio, tc.area, tc.text)
			s.SortBy(tc.sort)
			if got := names(s.Visible()); got != tc.want {
				t.Fatalf("visible = %s, want %s", got, tc.want)
			}
		})
	}
}

func acked(p *plant) string {
	var out []string
	for _, a := range p.eng.Active() {
		if a.Acked {
			out = append(out, a.Tag)
		}
	}
	return strings.Join(out, ",")
}

func TestAcknowledgeOnlyWhatWasAsked(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	s := newSummary(t, p)

	s.AckSelected()
	if got := acked(p); got != "" {
		t.Fatalf("ack with nothing selected acknowledged %s", got)
	}
	s.AckOne(p.id(t, "Boiler.Temp", "Hi"))
	if got := acked(p); got != "Boiler.Temp" {
		t.Fatalf("ack one acknowledged %q", got)
	}
	s.Select(p.id(t, "Line.Press", "Lo"), true)
	s.AckSelected()
	if got := acked(p); got != "Boiler.Temp,Line.Press" {
		t.Fatalf("ack selected acknowledged %q", got)
	}
	p2 := newPlant(t)
	s2 := newSummary(t, p2)
	s2.SetFilter("All", "area2", "")
	s2.AckVisiblePage()
	if got := acked(p2); got != "Boiler.Temp,Line.Press" {
		t.Fatalf("ack visible page acknowledged %q", got)
	}
}

func TestShelveAndOutOfService(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	s := newSummary(t, p)
	id := p.id(t, "Tank1.Level", "HiHi")
	if err := s.Shelve(id, time.Hour, "maintenance"); err == nil || s.Status.Text != err.Error() {
		t.Fatalf("shelve beyond max: err %v, status %q", err, s.Status.Text)
	}
	if err := s.Shelve(id, 5*time.Minute, ""); err == nil || !strings.Contains(s.Status.Text, "reason") {
		t.Fatalf("shelve without reason: err %v, status %q", err, s.Status.Text)
	}
	if err := s.Shelve(id, 5*time.Minute, "sensor cleaning"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.ShelvedText(), "Tank1.Level/HiHi") || !strings.Contains(s.ShelvedText(), "sensor cleaning") {
		t.Fatalf("shelved tab = %q", s.ShelvedText())
	}
	if strings.Contains(names(s.Visible()), "Tank1.Level") {
		t.Fatal("shelved alarm still in the active list")
	}
	if err := s.Unshelve(id, "done"); err != nil || s.ShelvedText() != "" {
		t.Fatalf("unshelve: %v, shelved tab %q", err, s.ShelvedText())
	}
	if err := s.SetOutOfService(p.id(t, "Line.Press", "Lo"), true, "instrument removed"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.OutOfServiceText(), "Line.Press/Lo by op1: instrument removed") {
		t.Fatalf("out of service tab = %q", s.OutOfServiceText())
	}
}

func TestJournalSearchAndCSVExport(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	s := newSummary(t, p)
	s.AckOne(p.id(t, "Boiler.Temp", "Hi"))
	if err := p.eng.Flush(); err != nil {
		t.Fatal(err)
	}
	s.SearchJournal(t0.Add(-time.Hour), t0.Add(time.Hour), "Boiler")
	s.wg.Wait()
	if txt := s.JournalText(); !strings.Contains(txt, "Boiler.Temp") || strings.Contains(txt, "Tank1") {
		t.Fatalf("journal text = %q", txt)
	}
	var buf bytes.Buffer
	if err := s.ExportJournalCSV(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "journal.golden.csv")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Fatalf("csv =\n%s\nwant\n%s", buf.String(), want)
	}
}

// slowKPI is the alarm engine with a KPI read that waits for release, as
// one waits for a busy disk: the UI's own interface boundary, not the wire.
type slowKPI struct {
	Engine
	started chan struct{} // closed when KPI is called
	release chan struct{} // closed by the test to let KPI answer
	done    chan error    // KPI's result error, once it returns
}

func newSlowKPI(eng Engine) *slowKPI {
	return &slowKPI{Engine: eng, started: make(chan struct{}), release: make(chan struct{}), done: make(chan error, 1)}
}

func (e *slowKPI) KPI(ctx context.Context) (alarms.KPI, error) {
	close(e.started)
	var k alarms.KPI
	var err error
	select {
	case <-e.release:
		k, err = e.Engine.KPI(ctx)
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(10 * time.Second):
		// Only a RefreshKPI that waits for its read (the test cannot
		// release it) gets here: it then fails on the text it shows.
		err = errors.New("released by the fallback")
	}
	e.done <- err
	return k, err
}

// slowSummary is a summary of the plant whose KPI reads wait for the
// test, posting results to a queue the test drains.
func slowSummary(t *testing.T) (*Summary, *slowKPI, *uitest.Queue) {
	test.NewTempApp(t)
	p := newPlant(t)
	slow := newSlowKPI(p.eng)
	q := uitest.NewQueue()
	s := NewSummary(slow, Deps{Journal: p.st, Do: q.Do})
	test.NewTempWindow(t, s.Object())
	return s, slow, q
}

func TestKPIsAreReadInTheBackgroundAndPostedBack(t *testing.T) {
	s, slow, q := slowSummary(t)
	t.Cleanup(s.Close)

	s.RefreshKPI() // returns while the read waits
	<-slow.started
	if s.KPIText() != readingKPIs {
		t.Fatalf("while the KPIs are read the tab shows %q, want %q: the callback waited for the read", s.KPIText(), readingKPIs)
	}
	close(slow.release)
	if err := <-slow.done; err != nil {
		t.Fatal(err)
	}
	q.Settle(t, "the KPIs posted back", 10*time.Second, func() bool { return s.KPIText() != readingKPIs })
	if !strings.Contains(s.KPIText(), "standing 3") {
		t.Fatalf("kpi = %q", s.KPIText())
	}
}

func TestClosingTheScreenCancelsAKPIReadInFlight(t *testing.T) {
	s, slow, q := slowSummary(t)
	s.RefreshKPI()
	<-slow.started
	s.Close() // waits for the read, which only the cancel can end
	if err := <-slow.done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the read in flight ended with %v, want context.Canceled", err)
	}
	q.Drain()
	if s.KPIText() != readingKPIs {
		t.Errorf("after Close the tab changed to %q", s.KPIText())
	}
	s.RefreshKPI() // after Close: nothing starts
	if s.KPIText() != readingKPIs {
		t.Errorf("a refresh after Close changed the tab to %q", s.KPIText())
	}
}
