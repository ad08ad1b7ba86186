package ui

import (
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is a window on three tags and one device.
type fixture struct {
	shell  *Shell
	win    fyne.Window
	table  *datasource.Table
	status []poll.DeviceStatus
	now    time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	tags := []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Description: "Tank 1 level", Units: "%", Decimals: 1},
		{ID: 1, Name: "Pump1.Running", States: map[int64]string{0: "STOPPED", 1: "RUNNING"}, Type: datasource.TypeBool, Decimals: -1},
		{ID: 2, Name: "Pump1.Vibration", Units: "mm/s", Decimals: 2},
		{ID: 3, Name: datasource.ConnectedTagName("plant"), System: true},
	}
	f := &fixture{table: datasource.NewTable(tags), now: time.Date(2026, 11, 28, 14, 2, 15, 0, time.UTC)}
	f.status = []poll.DeviceStatus{{Name: "plant", Driver: "sim", State: poll.Connected, Tags: 3, Requests: 12}}
	a := test.NewTempApp(t)
	f.win = test.NewTempWindow(t, nil)
	f.shell = Create(a, f.win, Deps{
		Project: "Demo",
		Tags:    tags,
		Values:  f.table,
		Devices: func() []poll.DeviceStatus { return f.status },
		Now:     func() time.Time { return f.now },
		Refresh: time.Hour, // the test repaints by hand
		Prefs:   a.Preferences(),
	})
	t.Cleanup(f.shell.Stop)
	f.win.Resize(fyne.NewSize(1200, 600))
	return f
}

// press types a key on the window as an operator would with no widget
// focused.
func (f *fixture) press(key fyne.KeyName) {
	f.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: key})
}

// walk calls visit for every visible object under o, widgets through their
// renderers, as a user would see them.
func walk(t *testing.T, o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	visit(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(t, c, visit)
		}
	case fyne.Widget:
		for _, c := range test.TempWidgetRenderer(t, x).Objects() {
			walk(t, c, visit)
		}
	}
}

// texts returns every canvas.Text the window shows, by content.
func texts(t *testing.T, o fyne.CanvasObject) map[string]*canvas.Text {
	out := map[string]*canvas.Text{}
	walk(t, o, func(o fyne.CanvasObject) {
		if x, ok := o.(*canvas.Text); ok {
			out[x.Text] = x
		}
	})
	return out
}

func (f *fixture) publish(samples ...datasource.Sample) {
	for i := range samples {
		if samples[i].Time.IsZero() {
			samples[i].Time = f.now
		}
	}
	f.table.Publish(samples)
	f.shell.refresh()
}

func (f *fixture) shown(t *testing.T, want string) *canvas.Text {
	t.Helper()
	got := texts(t, f.win.Content())
	if txt, ok := got[want]; ok {
		return txt
	}
	var all []string
	for k := range got {
		all = append(all, k)
	}
	t.Fatalf("the window does not show %q; it shows %q", want, all)
	return nil
}

func TestGoodValueShowsDecimalsUnitsAndQuality(t *testing.T) {
	f := newFixture(t)
	f.press(fyne.KeyF6)
	f.publish(datasource.Sample{Tag: 0, Value: datasource.Float(42.1234)})
	f.shown(t, "42.1 %")
	f.shown(t, "Tank1.Level")
	f.shown(t, "Tank 1 level")
	if c := f.shown(t, "Good").Color; c != theme.Light.Dim {
		t.Errorf("Good quality drawn in %v; normal must not be coloured but quiet grey %v", c, theme.Light.Dim)
	}
}

func TestBadValueIsDimmedAndNamesTheReasonInTheBadQualityColour(t *testing.T) {
	f := newFixture(t)
	f.press(fyne.KeyF6)
	f.publish(datasource.Sample{Tag: 0, Value: datasource.Float(42.1234)})
	f.publish(datasource.Sample{Tag: 0, Value: datasource.Float(42.1234), Quality: datasource.BadQuality(datasource.NotConnected)})
	if c := f.shown(t, "Bad/NotConnected").Color; c != theme.Light.BadQuality {
		t.Errorf("bad quality drawn in %v, want %v", c, theme.Light.BadQuality)
	}
	if c := f.shown(t, "42.1 %").Color; c != theme.Light.Dim {
		t.Errorf("last value of a bad tag drawn in %v, want dimmed %v", c, theme.Light.Dim)
	}
}

func TestUncertainValueCarriesAQuestionMark(t *testing.T) {
	f := newFixture(t)
	f.press(fyne.KeyF6)
	f.publish(datasource.Sample{Tag: 2, Value: datasource.Float(3.5), Quality: datasource.UncertainQuality(datasource.Stale)})
	f.shown(t, "3.50 mm/s ?")
	if c := f.shown(t, "Uncertain/Stale").Color; c != theme.Light.Uncertain {
		t.Errorf("uncertain quality drawn in %v", c)
	}
}

func TestDigitalTagShowsItsStateAsAWord(t *testing.T) {
	f := newFixture(t)
	f.press(fyne.KeyF6)
	f.publish(datasource.Sample{Tag: 1, Value: datasource.Bool(true)})
	f.shown(t, "RUNNING")
	f.publish(datasource.Sample{Tag: 1, Value: datasource.Bool(false)})
	f.shown(t, "STOPPED")
}

func TestTagWithoutAReadingShowsADashAndWaiting(t *testing.T) {
	f := newFixture(t)
	f.press(fyne.KeyF6)
	f.shell.refresh()
	f.shown(t, "—")
	f.shown(t, "Bad/WaitingForInitialData")
}

func TestSystemTagsAreNotListed(t *testing.T) {
	f := newFixture(t)
	f.press(fyne.KeyF6)
	f.shell.refresh()
	if _, ok := texts(t, f.win.Content())[datasource.ConnectedTagName("plant")]; ok {
		t.Fatal("the device's system tag is listed among the process tags")
	}
}

func label(t *testing.T, o fyne.CanvasObject, prefix string) string {
	var found string
	walk(t, o, func(o fyne.CanvasObject) {
		if x, ok := o.(*widget.Label); ok && strings.HasPrefix(x.Text, prefix) {
			found = x.Text
		}
	})
	return found
}

func TestStatusLineCountsDevicesAndQualities(t *testing.T) {
	f := newFixture(t)
	f.publish(
		datasource.Sample{Tag: 0, Value: datasource.Float(1)},
		datasource.Sample{Tag: 1, Value: datasource.Bool(true)},
		datasource.Sample{Tag: 2, Value: datasource.Float(1), Quality: datasource.BadQuality(datasource.CommFailure)},
	)
	want := "devices 1/1 ok · tags 2 good · 1 bad · 2026-11-28 14:02:15 (UTC+0)"
	if got := label(t, f.win.Content(), "devices"); got != want {
		t.Fatalf("status line %q, want %q", got, want)
	}
}

func TestDevicePanelShowsStateAndLastError(t *testing.T) {
	f := newFixture(t)
	f.press(fyne.KeyF5)
	f.status = []poll.DeviceStatus{{
		Name: "plant", Driver: "sim", State: poll.Backoff, Tags: 3, Requests: 40, Errors: 2,
		LastError: "dial tcp 127.0.0.1:502: connection refused", NextRetry: f.now.Add(4 * time.Second),
	}}
	f.shell.refresh()
	if got := label(t, f.win.Content(), "plant (sim)"); got != "plant (sim)" {
		t.Errorf("device title %q", got)
	}
	if got := label(t, f.win.Content(), "NO CONNECTION"); got != "NO CONNECTION · retry in 4s" {
		t.Errorf("device state %q", got)
	}
	detail := label(t, f.win.Content(), "3 tags")
	for _, want := range []string{"40 requests", "2 errors", "last error: dial tcp 127.0.0.1:502: connection refused"} {
		if !strings.Contains(detail, want) {
			t.Errorf("device detail %q lacks %q", detail, want)
		}
	}
}

func TestDarkPaletteKeepsAlarmColours(t *testing.T) {
	if theme.PriorityColor(datasource.PriorityCritical) != (color.NRGBA{0xD0, 0, 0, 0xFF}) {
		t.Fatal("critical is not red #D00000")
	}
	light, dark := theme.New(false), theme.New(true)
	if light.P.Background == dark.P.Background {
		t.Fatal("dark variant has the light background")
	}
}

func TestFunctionKeysSwitchScreensAndTheChoiceIsRemembered(t *testing.T) {
	f := newFixture(t)
	if got := f.shell.Screen(); got != "Overview" {
		t.Fatalf("first screen %q, want Overview when nothing is remembered", got)
	}
	f.press(fyne.KeyF5)
	if got := f.shell.Screen(); got != "Devices" {
		t.Fatalf("after F5 the screen is %q, want Devices", got)
	}
	f.shown(t, "Devices")
	if got := fyne.CurrentApp().Preferences().String(prefScreen); got != "Devices" {
		t.Fatalf("remembered screen %q, want Devices", got)
	}
	// A new window for the same operator opens where they left.
	w2 := test.NewTempWindow(t, nil)
	s2 := Create(fyne.CurrentApp(), w2, f.shell.deps)
	defer s2.Stop()
	if got := s2.Screen(); got != "Devices" {
		t.Fatalf("reopened on %q, want Devices", got)
	}
	f.press(fyne.KeyF6)
	f.shown(t, "Tank1.Level")
}
