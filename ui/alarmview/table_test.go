package alarmview

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
)

// drawn returns the visible labels and buttons drawn in w by text, with
// their x in the window. It walks containers and widget renderers itself:
// the table's cells live in a scroller test.LaidOutObjects skips, and the
// hidden tabs' tables must not count.
func drawn(w fyne.Window) map[string]drawnObj {
	w.Canvas().Capture() // paint: the table makes its cells when drawn
	out := map[string]drawnObj{}
	var walk func(o fyne.CanvasObject, x float32)
	walk = func(o fyne.CanvasObject, x float32) {
		if !o.Visible() {
			return
		}
		x += o.Position().X
		switch v := o.(type) {
		case *widget.Label:
			if v.Text != "" {
				out[v.Text] = drawnObj{o, x}
			}
			return
		case *widget.Button:
			out[v.Text] = drawnObj{o, x}
			return
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c, x)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c, x)
			}
		}
	}
	walk(w.Content(), 0)
	return out
}

type drawnObj struct {
	o fyne.CanvasObject
	x float32
}

// shown returns the x of every visible label and button text in w.
func shown(w fyne.Window) map[string]float32 {
	out := map[string]float32{}
	for k, v := range drawn(w) {
		out[k] = v.x
	}
	return out
}

// summaryIn is a summary in a window wide enough for its columns.
func summaryIn(t *testing.T, eng Engine, now func() time.Time) (*Summary, fyne.Window) {
	t.Helper()
	s := NewSummary(eng, Deps{User: func() string { return "op1" }, Now: now})
	t.Cleanup(s.Close)
	w := test.NewTempWindow(t, s.Object())
	w.Resize(fyne.NewSize(1200, 500))
	s.deps.Window = w
	s.Update(now())
	return s, w
}

func TestTheActiveTableAlignsReadableColumnsUnderSortableHeaders(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	s, w := summaryIn(t, p.eng, p.clk.Now)
	got := shown(w)
	for _, want := range []string{"Pri ▲", "Time", "Tag", "State", "Tank1.Level", "HiHi", "Active, unacked", "level very high 95"} {
		if _, ok := got[want]; !ok {
			t.Errorf("the table does not show %q; it shows %v", want, got)
		}
	}
	for text := range got {
		if text == "Unack" || text == "RTNUnack" {
			t.Errorf("the table shows the state code %q", text)
		}
	}
	// Cells line up under their headers (within the cell padding).
	for head, cell := range map[string]string{"Tag": "Tank1.Level", "State": "Active, unacked", "Time": "08:00:00"} {
		if d := got[cell] - got[head]; d < -1 || d > 12 {
			t.Errorf("%q at x=%v is not under its header %q at x=%v", cell, got[cell], head, got[head])
		}
	}
	// Tapping a header sorts by it and marks it; tapping again reverses.
	tapButton(t, w, "Tag")
	if got := names(s.Visible()); got != "Boiler.Temp,Line.Press,Tank1.Level" {
		t.Errorf("after tapping Tag the order is %s", got)
	}
	tapButton(t, w, "Tag ▲")
	if got := names(s.Visible()); got != "Tank1.Level,Line.Press,Boiler.Temp" {
		t.Errorf("after tapping Tag again the order is %s", got)
	}
	if _, ok := shown(w)["Tag ▼"]; !ok {
		t.Errorf("the reversed column is not marked ▼: %v", shown(w))
	}
}

func tapButton(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	if b, ok := drawn(w)[text].o.(*widget.Button); ok {
		test.Tap(b)
		return
	}
	t.Fatalf("no button %q", text)
}

func TestADeviceCommunicationAlarmIsNamedByItsDeviceInTheTableAndTheBanner(t *testing.T) {
	test.NewTempApp(t)
	clk := clockwork.NewFakeClockAt(t0)
	sys := &datasource.Tag{ID: 0, Name: datasource.ConnectedTagName("plc2"), Type: datasource.TypeBool, System: true,
		Alarms: []datasource.AlarmDef{{Name: "Comm", Kind: datasource.AlarmComm, Priority: datasource.PriorityHigh, Message: "device plc2 communication failure"}}}
	eng, err := alarms.New([]*datasource.Tag{sys}, alarms.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	eng.Process([]datasource.Sample{{Tag: 0, Value: datasource.Bool(false), Time: clk.Now()}})
	clk.Advance(time.Second)
	eng.Tick(clk.Now())
	s, w := summaryIn(t, eng, clk.Now)
	if len(s.Visible()) != 1 {
		t.Fatalf("%d alarms listed, want the comm alarm", len(s.Visible()))
	}
	got := shown(w)
	for _, want := range []string{"plc2 (device)", "Communication"} {
		if _, ok := got[want]; !ok {
			t.Errorf("the table does not show %q", want)
		}
	}
	if _, ok := got["_sys.plc2.connected"]; ok {
		t.Error("the table shows the internal tag name")
	}
	b := NewBanner(eng, BannerOptions{})
	test.NewTempWindow(t, b.Object())
	b.Update(clk.Now())
	if len(b.Shown()) != 1 {
		t.Fatalf("the banner shows %d alarms, want the comm alarm", len(b.Shown()))
	}
	if text := bannerText(b.Shown()[0]); !strings.HasPrefix(text, "plc2 (device) Communication  device plc2 communication failure") {
		t.Errorf("the banner reads %q, not as the table does", text)
	}
}

func TestAnEmptyTableSaysWhy(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	s, w := summaryIn(t, p.eng, p.clk.Now)
	s.SetFilter("All", "", "no such alarm")
	if _, ok := shown(w)["No active alarm matches the filter."]; !ok {
		t.Error("a filter that matches nothing shows no explanation")
	}
	s.SetFilter("All", "", "")
	if _, ok := shown(w)["No active alarm matches the filter."]; ok {
		t.Error("the empty text stays over a list with alarms")
	}
	clk := clockwork.NewFakeClockAt(t0)
	quiet, err := alarms.New(tags(), alarms.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	_, w2 := summaryIn(t, quiet, clk.Now)
	if _, ok := shown(w2)["No active alarms."]; !ok {
		t.Error("an empty alarm list says nothing")
	}
}

func TestActionsClearTheSelectionAndUnshelveActsOnlyOnTheShelvedTab(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	s, _ := summaryIn(t, p.eng, p.clk.Now)
	tank, boiler := p.id(t, "Tank1.Level", "HiHi"), p.id(t, "Boiler.Temp", "Hi")
	s.Select(tank, true)
	if _, err := s.shelveIDs(s.Selected(), 5*time.Minute, "cleaning"); err != nil {
		t.Fatal(err)
	}
	if sel := s.Selected(); len(sel) != 0 {
		t.Fatalf("after shelving, %v is still selected", sel)
	}
	// The shelved alarm is not on the Active tab, so it cannot be selected there.
	s.Select(tank, true)
	if sel := s.Selected(); len(sel) != 0 {
		t.Fatalf("an alarm the active list does not show was selected: %v", sel)
	}
	s.Select(boiler, true)
	s.UnshelveSelected() // nothing selected on the Shelved tab: nothing happens
	if a, _ := p.eng.Get(tank); !a.Shelved {
		t.Fatal("Unshelve acted without a selection on the Shelved tab")
	}
	s.SelectShelved(tank, true)
	s.UnshelveSelected()
	if a, _ := p.eng.Get(tank); a.Shelved {
		t.Fatal("Unshelve on the Shelved tab did not unshelve the selected alarm")
	}
	if a, _ := p.eng.Get(boiler); a.Shelved || a.Acked {
		t.Fatalf("the alarm selected on the Active tab was acted on: %+v", a)
	}
	s.AckSelected()
	if sel := s.Selected(); len(sel) != 0 {
		t.Fatalf("after acknowledging, %v is still selected", sel)
	}
	if !strings.HasPrefix(s.Status.Text, "acknowledged 1 alarm") || strings.Contains(s.Status.Text, "(s)") {
		t.Errorf("status %q", s.Status.Text)
	}
}

func TestTheStatusMessageClearsAfterAFewSeconds(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	s, _ := summaryIn(t, p.eng, p.clk.Now)
	s.AckOne(p.id(t, "Boiler.Temp", "Hi"))
	if s.Status.Text != "acknowledged 1 alarm" {
		t.Fatalf("status %q", s.Status.Text)
	}
	p.clk.Advance(StatusFor - time.Second)
	s.Update(p.clk.Now())
	if s.Status.Text == "" {
		t.Fatal("the status cleared too early")
	}
	p.clk.Advance(time.Second)
	s.Update(p.clk.Now())
	if s.Status.Text != "" {
		t.Errorf("after %v the status still reads %q", StatusFor, s.Status.Text)
	}
}

func TestTheShelveDialogChecksAsYouTypeAndKeepsTheReason(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	s, _ := summaryIn(t, p.eng, p.clk.Now)
	tank := p.id(t, "Tank1.Level", "HiHi") // shelve_max 10 min
	s.Select(tank, true)
	s.shelveSelected()
	sd := s.shelveDlg
	if sd == nil {
		t.Fatal("no shelve dialog")
	}
	if sd.dur.Text != "10 min" {
		t.Errorf("default duration %q, want the alarm's maximum 10 min in words", sd.dur.Text)
	}
	tests := []struct {
		dur, reason string
		ok          bool
		durMsg      string
	}{
		{"2 h", "cleaning", false, "too long: at most 10 min"},
		{"soon", "cleaning", false, "type a duration such as 30 min or 2 h"},
		{"5 min", "", false, "until 08:05"},
		{"5 min", "cleaning", true, "until 08:05"},
	}
	for _, tc := range tests {
		sd.dur.SetText(tc.dur)
		sd.reason.SetText(tc.reason)
		if sd.ok.Disabled() == tc.ok || sd.durMsg.Text != tc.durMsg {
			t.Errorf("%q %q: Shelve enabled %v, message %q; want %v, %q", tc.dur, tc.reason, !sd.ok.Disabled(), sd.durMsg.Text, tc.ok, tc.durMsg)
		}
	}
	if sd.reasonMsg.Text == "a reason is required" {
		t.Error("the reason message stayed after a reason was typed")
	}
	// Cancel keeps the reason for next time.
	sd.cancel()
	s.Select(tank, true)
	s.shelveSelected()
	if s.shelveDlg.reason.Text != "cleaning" {
		t.Errorf("the reason typed before Cancel is %q, want it kept", s.shelveDlg.reason.Text)
	}
	s.shelveDlg.dur.SetText("5 min")
	test.Tap(s.shelveDlg.ok)
	if a, _ := p.eng.Get(tank); !a.Shelved || a.ShelveReason != "cleaning" {
		t.Fatalf("after Shelve the alarm is %+v", a)
	}
	if s.Status.Text != "shelved 1 alarm for 5 min" || s.shelveDlg != nil {
		t.Errorf("status %q, dialog %v", s.Status.Text, s.shelveDlg)
	}
}

// TestTheMessageColumnFitsTheWindow: on a 1024×768 screen the table gets
// about 890 px; the message must end inside it, not off to the right, and
// a wide window gives the message the room.
func TestTheMessageColumnFitsTheWindow(t *testing.T) {
	test.NewTempApp(t)
	p := newPlant(t)
	_, w := summaryIn(t, p.eng, p.clk.Now)
	const msg = "level very high 95"
	// 840: the message at its least, the tag column narrowed.
	for _, width := range []float32{890, 840, 1600} {
		w.Resize(fyne.NewSize(width, 500))
		got := drawn(w)
		head, cell := got["Message"], got[msg]
		if head.o == nil || cell.o == nil {
			t.Fatalf("at %v px the table does not show the Message header or %q: %v", width, msg, shown(w))
		}
		if right := head.x + cell.o.Size().Width; right > width+1 {
			t.Errorf("at %v px the message cell ends at x=%v, off the window", width, right)
		}
		if width == 1600 && cell.o.Size().Width < 600 {
			t.Errorf("at %v px the message cell is %v wide; it should take the room left", width, cell.o.Size().Width)
		}
		if tag := got["Tank1.Level"]; tag.o == nil || tag.x < 0 || tag.x > width {
			t.Errorf("at %v px the tag is not on the screen: %+v", width, tag)
		}
	}
}
