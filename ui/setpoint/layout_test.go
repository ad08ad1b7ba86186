package setpoint

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// popupOf returns the faceplate's popup: the window's top overlay.
func popupOf(t *testing.T, win fyne.Window) *widget.PopUp {
	t.Helper()
	p, ok := win.Canvas().Overlays().Top().(*widget.PopUp)
	if !ok {
		t.Fatal("no faceplate popup")
	}
	return p
}

func TestTheFaceplateFitsItsContentAndKeepsItsSizeAsYouType(t *testing.T) {
	f, win := open(t, levelSP(), &fakeWriter{})
	pop := popupOf(t, win)
	size := pop.Content.Size()
	if size.Width < Width {
		t.Errorf("the faceplate is %v wide, want at least %v", size.Width, Width)
	}
	ph := fyne.MeasureText(f.entry.PlaceHolder, theme.New(false).Size("text"), fyne.TextStyle{})
	if f.entry.Size().Width < ph.Width+20 {
		t.Errorf("the entry is %v wide, its placeholder needs %v", f.entry.Size().Width, ph.Width)
	}
	for _, typed := range []string{"abc", "55,5", "1e3", "150", "55", ""} {
		f.entry.SetText(typed)
		if got := pop.Content.Size(); got != size {
			t.Errorf("after typing %q the faceplate is %v, was %v", typed, got, size)
		}
	}
}

func TestTheEntryHasTheFocusWhenTheFaceplateOpens(t *testing.T) {
	f, win := open(t, levelSP(), &fakeWriter{})
	if win.Canvas().Focused() != f.entry {
		t.Errorf("focus is on %v, want the setpoint entry", win.Canvas().Focused())
	}
	test.Type(win.Canvas().Focused(), "55")
	if f.entry.Text != "55" {
		t.Errorf("typing straight away gave %q", f.entry.Text)
	}
}

// fakeHistory answers the sparkline's query with an hour of points.
type fakeHistory struct {
	mu       sync.Mutex
	tag      string
	from, to time.Time
}

func (h *fakeHistory) Query(_ context.Context, tag string, from, to time.Time, _ int) ([]history.Point, error) {
	h.mu.Lock()
	h.tag, h.from, h.to = tag, from, to
	h.mu.Unlock()
	var pts []history.Point
	for i := 0; i < 60; i++ {
		pts = append(pts, history.Point{Time: from.Add(time.Duration(i) * time.Minute), Value: float64(i)})
	}
	return pts, nil
}

func TestTheSparklineShowsTheLastHourFromHistory(t *testing.T) {
	test.NewTempApp(t)
	h := &fakeHistory{}
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(600, 600))
	f, closer := Show(win, levelSP(), Deps{History: h})
	defer closer()
	f.wg.Wait() // the query ran
	h.mu.Lock()
	tag, span := h.tag, h.to.Sub(h.from)
	h.mu.Unlock()
	if tag != "Tank1.LevelSP" || span != time.Hour {
		t.Fatalf("queried %q over %v, want the tag's last hour", tag, span)
	}
	r := test.WidgetRenderer(f.spark).Objects()[0].(*canvas.Raster)
	img := r.Generator(200, 40)
	drawn := 0
	for x := 0; x < 200; x++ {
		for y := 0; y < 40; y++ {
			if _, _, _, a := img.At(x, y).RGBA(); a > 0 {
				drawn++
				break
			}
		}
	}
	if drawn < 100 {
		t.Errorf("the sparkline draws %d of 200 columns, want most of the hour drawn", drawn)
	}
}

func TestTheAlarmLimitsAreListedEvenWhenNoneIsActive(t *testing.T) {
	test.NewTempApp(t)
	f := New(levelSP(), Deps{})
	defer f.Close()
	var got []string
	for _, o := range f.alarms.Objects {
		got = append(got, o.(*canvas.Text).Text)
	}
	if want := []string{"▲2 Hi 90 % · Normal", "◆4 Lo 10 % · Normal"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("alarm lines %q, want %q", got, want)
	}
}

func TestCommandButtonsAreNamedByTheActionAndTheCurrentOneIsDisabled(t *testing.T) {
	tag := &datasource.Tag{ID: 7, Name: "Pump1.Running", Type: datasource.TypeBool, Writable: true,
		States: map[int64]string{0: "STOPPED", 1: "RUNNING"}}
	f, _ := open(t, tag, &fakeWriter{})
	if len(f.commands) != 2 || f.commands[0].Text != "START" || f.commands[1].Text != "STOP" {
		t.Fatalf("command buttons %q %q, want START STOP", f.commands[0].Text, f.commands[1].Text)
	}
	good := datasource.Quality{Status: datasource.Good}
	tests := []struct {
		name            string
		s               datasource.Sample
		startOn, stopOn bool
	}{
		{"running: START is disabled", datasource.Sample{Tag: 7, Value: datasource.Bool(true), Quality: good, Time: time.Now()}, false, true},
		{"stopped: STOP is disabled", datasource.Sample{Tag: 7, Value: datasource.Bool(false), Quality: good, Time: time.Now()}, true, false},
		{"unknown (bad quality): both are enabled", datasource.Sample{Tag: 7, Value: datasource.Bool(false), Quality: datasource.BadQuality(datasource.NotConnected)}, true, true},
	}
	for _, tc := range tests {
		f.Update(tc.s)
		if !f.commands[0].Disabled() != tc.startOn || !f.commands[1].Disabled() != tc.stopOn {
			t.Errorf("%s: START enabled %v, STOP enabled %v", tc.name, !f.commands[0].Disabled(), !f.commands[1].Disabled())
		}
	}
	if commandText(&datasource.Tag{States: map[int64]string{1: "AUTO"}}, true) != "AUTO" {
		t.Error("a state with no verb should name its button")
	}
}
