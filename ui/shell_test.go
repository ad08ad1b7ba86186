package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"github.com/vigil-hmi/vigil/datasource/modbus/modbustest"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui/internal/uitest"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// plantShell is a window on a small plant with a real alarm engine, a real
// history store and a logged-in operator.
type plantShell struct {
	shell  *Shell
	win    fyne.Window
	app    fyne.App
	clk    *clockwork.FakeClock
	alarms *alarms.Engine
	tags   []*datasource.Tag
	writes []poll.WriteRequest
	user   string
	queue  chan func()
}

func plantTags() []*datasource.Tag {
	return []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Group: "Tank1", Description: "Tank 1 level", Type: datasource.TypeFloat64, Units: "%", Decimals: 1,
			Span: datasource.Range{Max: 100}, History: datasource.HistorySettings{Enabled: true},
			Alarms: []datasource.AlarmDef{{Name: "HiHi", Kind: datasource.AlarmHiHi, Limit: 90, Priority: datasource.PriorityCritical, Message: "level very high"}}},
		{ID: 1, Name: "Tank1.LevelSP", Group: "Tank1", Type: datasource.TypeFloat64, Units: "%", Decimals: 1, Writable: true,
			Span: datasource.Range{Max: 100}, History: datasource.HistorySettings{Enabled: true}},
		{ID: 2, Name: "Pump1.Vibration", Group: "Pump1", Type: datasource.TypeFloat64, Units: "mm/s", Decimals: 2,
			Span: datasource.Range{Max: 10}, History: datasource.HistorySettings{Enabled: true}},
	}
}

// recordWrites is the setpoint writer of the tests: it records what the
// faceplate asked and answers with a matching read-back.
type recordWrites struct{ p *plantShell }

func (r recordWrites) Write(_ context.Context, req poll.WriteRequest) (poll.WriteResult, error) {
	r.p.writes = append(r.p.writes, req)
	return poll.WriteResult{Tag: req.Tag, Requested: req.Value, Match: true, ReadBack: datasource.Sample{Tag: req.Tag, Value: req.Value}}, nil
}

// newPlantShell opens the plant's window; each tune, if any, changes the
// window's deps before it is created.
func newPlantShell(t *testing.T, tune ...func(*plantShell, *Deps)) *plantShell {
	t.Helper()
	p := &plantShell{clk: clockwork.NewFakeClockAt(time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)), tags: plantTags(), user: "anna",
		queue: make(chan func(), 1024)}
	var err error
	p.alarms, err = alarms.New(p.tags, alarms.Options{Clock: p.clk})
	if err != nil {
		t.Fatal(err)
	}
	store, err := history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{NoSync: true, Clock: p.clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	table := datasource.NewTable(p.tags)
	p.app = test.NewTempApp(t)
	p.win = test.NewTempWindow(t, nil)
	deps := Deps{
		Project:  "Plant",
		Tags:     p.tags,
		Values:   table,
		Devices:  func() []poll.DeviceStatus { return nil },
		Now:      p.clk.Now,
		Refresh:  time.Hour,
		Prefs:    p.app.Preferences(),
		History:  store,
		Alarms:   p.alarms,
		Writer:   recordWrites{p},
		User:     func() string { return p.user },
		CanWrite: func(tag *datasource.Tag) bool { return p.user == "anna" && tag.Writable },
		Do:       func(f func()) { p.queue <- f },
	}
	for _, f := range tune {
		f(p, &deps)
	}
	p.shell = Create(p.app, p.win, deps)
	t.Cleanup(func() {
		p.shell.Stop()
		p.drain()
	})
	p.win.Resize(fyne.NewSize(1280, 800))
	return p
}

// drain runs the background results queued for the UI goroutine.
func (p *plantShell) drain() {
	for {
		select {
		case f := <-p.queue:
			f()
		default:
			return
		}
	}
}

func (p *plantShell) press(key fyne.KeyName) { p.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: key}) }

// raise drives Tank1.Level over its HiHi limit.
func (p *plantShell) raise() {
	p.alarms.Process([]datasource.Sample{{Tag: 0, Value: datasource.Float(95), Time: p.clk.Now()}})
	p.alarms.Tick(p.clk.Now())
	p.shell.refresh()
}

func TestTheOverviewIsTheFirstScreenAndEveryScreenHasItsKey(t *testing.T) {
	p := newPlantShell(t)
	if got := p.shell.Screen(); got != "Overview" {
		t.Fatalf("first screen %q, want Overview", got)
	}
	for key, want := range map[fyne.KeyName]string{fyne.KeyF2: "Overview", fyne.KeyF3: "Trends", fyne.KeyF4: "Alarms", fyne.KeyF5: "Devices", fyne.KeyF6: "Tags"} {
		p.press(key)
		if got := p.shell.Screen(); got != want {
			t.Errorf("%s shows %q, want %q", key, got, want)
		}
	}
}

func TestTheBannerShowsAnUnacknowledgedAlarmAndF9AcknowledgesIt(t *testing.T) {
	p := newPlantShell(t)
	p.raise()
	if shown := p.shell.banner.Shown(); len(shown) != 1 || shown[0].Tag != "Tank1.Level" {
		t.Fatalf("banner shows %v, want the Tank1.Level alarm", shown)
	}
	p.press(fyne.KeyF9)
	a := p.alarms.Active()
	if len(a) != 1 || !a[0].Acked {
		t.Fatalf("after F9 the alarm is %+v, want acknowledged", a)
	}
	if shown := p.shell.banner.Shown(); len(shown) != 0 {
		t.Fatalf("banner still shows %v after the acknowledge", shown)
	}
}

func TestTappingABannerAlarmOpensTheAlarmsScreenWithItSelected(t *testing.T) {
	p := newPlantShell(t)
	p.raise()
	p.shell.banner.OnSelect(p.shell.banner.Shown()[0])
	if got := p.shell.Screen(); got != "Alarms" {
		t.Fatalf("a tap on the banner shows %q, want Alarms", got)
	}
	p.shell.summary.AckSelected()
	if a := p.alarms.Active(); !a[0].Acked {
		t.Fatal("the tapped alarm was not the selected one: acknowledging the selection left it unacknowledged")
	}
}

func TestShiftF9OnTheAlarmsScreenAcknowledgesTheVisiblePageOnly(t *testing.T) {
	p := newPlantShell(t)
	p.raise()
	p.press(fyne.KeyF9) // not on the Alarms screen: the banner's first
	p.alarms.Process([]datasource.Sample{{Tag: 0, Value: datasource.Float(10), Time: p.clk.Now()}})
	p.alarms.Process([]datasource.Sample{{Tag: 0, Value: datasource.Float(96), Time: p.clk.Now()}})
	p.alarms.Tick(p.clk.Now())
	p.press(fyne.KeyF4)
	p.shell.refresh()
	p.shell.shift = true
	p.press(fyne.KeyF9)
	p.shell.shift = false
	for _, a := range p.alarms.Active() {
		if !a.Acked {
			t.Fatalf("Shift+F9 on the alarm page left %s unacknowledged", a.Tag)
		}
	}
}

func TestAFaceplateOffersTheEntryOnlyToAnOperatorAllowedToWrite(t *testing.T) {
	p := newPlantShell(t)
	p.shell.OpenFaceplate(p.tags[1])
	if f, tag := p.shell.Faceplate(); f == nil || tag.Name != "Tank1.LevelSP" {
		t.Fatal("no faceplate open for Tank1.LevelSP")
	}
	if n := entries(t, p.win.Canvas().Overlays().Top()); n == 0 {
		t.Fatal("the faceplate of a writable tag shows no entry to the operator allowed to write it")
	}
	p.user = "viewer"
	p.shell.UserChanged()
	if f, _ := p.shell.Faceplate(); f != nil {
		t.Fatal("a faceplate stayed open across a change of user")
	}
	p.shell.OpenFaceplate(p.tags[1])
	if n := entries(t, p.win.Canvas().Overlays().Top()); n != 0 {
		t.Fatalf("a viewer gets %d entries on the faceplate, want none", n)
	}
}

// entries counts the (visible) text entries under o.
func entries(t *testing.T, o fyne.CanvasObject) int {
	n := 0
	walk(t, o, func(o fyne.CanvasObject) {
		if _, ok := o.(interface{ SetPlaceHolder(string) }); ok { // a widget.Entry, or one embedding it
			n++
		}
	})
	return n
}

func TestCtrlFOpensTheTagBrowserWithTheFocusInItsSearch(t *testing.T) {
	p := newPlantShell(t)
	p.win.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault})
	if got := p.shell.Screen(); got != "Tags" {
		t.Fatalf("Ctrl+F shows %q, want Tags", got)
	}
	if _, ok := p.win.Canvas().Focused().(*widget.Entry); !ok {
		t.Fatalf("Ctrl+F focused %T, want the search entry", p.win.Canvas().Focused())
	}
}

func TestTheNightSwitchChangesThePaletteAndIsRemembered(t *testing.T) {
	p := newPlantShell(t)
	p.shell.night.SetChecked(true)
	if p.shell.theme.P != theme.Dark {
		t.Fatal("the Night switch left the day palette")
	}
	w2 := test.NewTempWindow(t, nil)
	s2 := Create(p.app, w2, p.shell.deps)
	defer s2.Stop()
	if s2.theme.P != theme.Dark {
		t.Fatal("a new window forgot the night palette")
	}
}

func TestTrendPensAreRememberedPerOperator(t *testing.T) {
	p := newPlantShell(t)
	pens := func() string {
		var names []string
		for _, pen := range p.shell.trends.chart.Pens() {
			names = append(names, pen.Tag)
		}
		return strings.Join(names, ",")
	}
	if got := pens(); got != "Tank1.Level,Tank1.LevelSP,Pump1.Vibration" {
		t.Fatalf("a new operator's pens %q, want the first trendable tags", got)
	}
	p.shell.trends.chart.RemovePen("Tank1.LevelSP")
	p.shell.trends.save()
	p.user = "ben"
	p.shell.UserChanged()
	if got := pens(); got != "Tank1.Level,Tank1.LevelSP,Pump1.Vibration" {
		t.Fatalf("ben gets %q, not his own (default) pens", got)
	}
	p.user = "anna"
	p.shell.UserChanged()
	if got := pens(); got != "Tank1.Level,Pump1.Vibration" {
		t.Fatalf("anna's pens came back as %q", got)
	}
}

func TestTheBrowsersTrendButtonAddsAPenAndShowsTrends(t *testing.T) {
	p := newPlantShell(t)
	p.shell.trends.chart.RemovePen("Pump1.Vibration")
	p.shell.trendTag(p.tags[2])
	if got := p.shell.Screen(); got != "Trends" {
		t.Fatalf("Trend shows %q, want Trends", got)
	}
	found := false
	for _, pen := range p.shell.trends.chart.Pens() {
		found = found || pen.Tag == "Pump1.Vibration"
	}
	if !found {
		t.Fatal("the tag did not become a pen")
	}
}

// TestTheRegisterInspectorReadsOnlyWhileTheDevicesScreenShows gives the
// shell a Modbus device served in-process: F5 starts the inspector's reads,
// leaving the screen stops them.
func TestTheRegisterInspectorReadsOnlyWhileTheDevicesScreenShows(t *testing.T) {
	srv := modbustest.New(t)
	dev := &datasource.Device{Name: "plc1", Driver: "modbus", Address: srv.URL(), Timeout: 2 * time.Second,
		Settings: modbus.Settings{Unit: 1}}
	eng := polltest.Start(t, poll.Config{Devices: []*datasource.Device{dev},
		Drivers: map[string]poll.Factory{"modbus": modbus.NewFactory()}, StaleCheck: -1})
	tags := plantTags()
	q := uitest.NewQueue()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	s := Create(a, w, Deps{Tags: tags, Values: datasource.NewTable(tags), Refresh: time.Hour,
		Devices: func() []poll.DeviceStatus { return nil }, Inspect: []*datasource.Device{dev}, Raw: eng, Do: q.Do})
	t.Cleanup(func() { s.Stop(); q.Drain() })
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("the inspector read %d times before its screen was shown", n)
	}
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyF5})
	q.Settle(t, "the inspector's first read", 5*time.Second, func() bool { return len(srv.Requests()) > 0 })
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyF2})
	time.Sleep(100 * time.Millisecond) // a read already sent may still arrive
	srv.ResetRequests()
	time.Sleep(1500 * time.Millisecond) // longer than the inspector's 1 s period
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("the inspector read %d times after its screen was left", n)
	}
}
