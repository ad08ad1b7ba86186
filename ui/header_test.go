package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/horn"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// TestAlarmsWithLongMessagesNeverWidenTheWindow is issue 16 item 1: the
// window's content asks for no more width than a 1024×768 screen has,
// however long the alarm texts in the banner are.
func TestAlarmsWithLongMessagesNeverWidenTheWindow(t *testing.T) {
	long := strings.Repeat("a very long alarm message that no banner can hold ", 8)
	p := newPlantShell(t, func(p *plantShell, d *Deps) {
		for _, tag := range p.tags {
			tag.Alarms = append(tag.Alarms, datasource.AlarmDef{Name: "Hi", Kind: datasource.AlarmHi, Limit: 1, Priority: datasource.PriorityHigh, Message: long})
		}
		var err error
		if p.alarms, err = alarms.New(p.tags, alarms.Options{Clock: p.clk}); err != nil {
			t.Fatal(err)
		}
		d.Alarms = p.alarms
	})
	p.win.Resize(fyne.NewSize(1024, 768))
	for id := range p.tags {
		p.alarms.Process([]datasource.Sample{{Tag: datasource.TagID(id), Value: datasource.Float(95), Time: p.clk.Now()}})
	}
	p.alarms.Tick(p.clk.Now())
	p.shell.refresh()
	if n := len(p.shell.banner.Shown()); n != 3 {
		t.Fatalf("the banner shows %d alarms, want 3", n)
	}
	for _, screen := range p.shell.Screens() {
		p.shell.ShowScreen(screen)
		if w := p.win.Content().MinSize().Width; w > 1024 {
			t.Errorf("on %s the window asks for %.0f px, more than the 1024 px it has", screen, w)
		}
	}
	text, digit, shape := p.shell.banner.Entry(1) // after Tank1.Level's critical HiHi
	if digit != "2" || !shape || !strings.Contains(text, long) {
		t.Errorf("the first banner entry reads %q %q (shape %v)", digit, text, shape)
	}
}

// TestTheBannerShowsABadTagsAlarmWithItsShapeAndDigit is issue 16 item 3:
// an alarm of a tag whose quality is Bad shows its priority like any other.
func TestTheBannerShowsABadTagsAlarmWithItsShapeAndDigit(t *testing.T) {
	p := newPlantShell(t)
	p.alarms.Process([]datasource.Sample{{Tag: 0, Value: datasource.Float(95), Time: p.clk.Now(), Quality: datasource.BadQuality(datasource.NotConnected)}})
	p.alarms.Process([]datasource.Sample{{Tag: 0, Value: datasource.Float(95), Time: p.clk.Now()}})
	p.alarms.Process([]datasource.Sample{{Tag: 0, Value: datasource.Float(95), Time: p.clk.Now(), Quality: datasource.BadQuality(datasource.NotConnected)}})
	p.alarms.Tick(p.clk.Now())
	p.shell.refresh()
	if len(p.shell.banner.Shown()) == 0 {
		t.Fatal("the alarm of a Bad tag is not in the banner")
	}
	if _, digit, shape := p.shell.banner.Entry(0); digit != "1" || !shape {
		t.Errorf("the alarm of a Bad tag shows digit %q, shape %v", digit, shape)
	}
}

// TestFunctionKeysWorkWhateverHasTheFocus is issue 16 item 2 for the
// shell's part: Key acts while an entry or a check box has the focus (the
// program routes every key press through it, cmd/vigil/keys.go).
func TestFunctionKeysWorkWhateverHasTheFocus(t *testing.T) {
	p := newPlantShell(t)
	p.raise()
	p.shell.FindTag() // the Tags screen, focus in its search entry
	if _, ok := p.win.Canvas().Focused().(*widget.Entry); !ok {
		t.Fatal("the search entry took no focus")
	}
	if !p.shell.Key(fyne.KeyF3, 0) || p.shell.Screen() != "Trends" {
		t.Fatalf("F3 with an entry focused shows %q", p.shell.Screen())
	}
	if p.win.Canvas().Focused() != nil {
		t.Error("the focus stayed on the control of the screen left")
	}
	p.win.Canvas().Focus(p.shell.night)
	if !p.shell.Key(fyne.KeyF9, 0) || !p.alarms.Active()[0].Acked {
		t.Fatal("F9 with a check box focused did not acknowledge the banner's alarm")
	}
	if !p.shell.Key(fyne.KeyF, fyne.KeyModifierShortcutDefault) || p.shell.Screen() != "Tags" {
		t.Fatalf("Ctrl+F shows %q, want Tags", p.shell.Screen())
	}
	if p.shell.Key(fyne.KeyA, 0) || p.shell.Key(fyne.KeyF4, fyne.KeyModifierAlt) || p.shell.Key(fyne.KeyN, fyne.KeyModifierShortcutDefault) {
		t.Error("the shell took a key that is not its shortcut (a letter, Alt+F4, Ctrl+N without a NewWindow)")
	}
	opened := 0
	p.shell.deps.NewWindow = func() { opened++ }
	if !p.shell.Key(fyne.KeyN, fyne.KeyModifierShortcutDefault) || opened != 1 {
		t.Errorf("Ctrl+N opened %d windows, want 1", opened)
	}
}

// sink records the horn's tones.
type sink struct{ tone datasource.Priority }

func (s *sink) Sound(p datasource.Priority) { s.tone = p }

// TestF8AndTheSilenceButtonSilenceTheHorn is issue 16 item 12 for the
// shell: the button is live while the horn sounds, F8 silences it, and a
// station without audio says so and goes on.
func TestF8AndTheSilenceButtonSilenceTheHorn(t *testing.T) {
	var noAudio error
	out := &sink{}
	p := newPlantShell(t, func(p *plantShell, d *Deps) {
		d.Horn = horn.New(p.alarms, out, horn.Options{})
		d.HornErr = func() error { return noAudio }
	})
	if !p.shell.silence.Disabled() {
		t.Fatal("Silence is offered while nothing sounds")
	}
	p.raise()
	if out.tone != datasource.PriorityCritical || p.shell.silence.Disabled() {
		t.Fatalf("a critical alarm: tone %v, Silence disabled %v", out.tone, p.shell.silence.Disabled())
	}
	p.press(fyne.KeyF8)
	if out.tone != 0 || !p.shell.silence.Disabled() {
		t.Fatalf("after F8: tone %v, Silence disabled %v", out.tone, p.shell.silence.Disabled())
	}
	noAudio = errNoAudio
	p.shell.refresh()
	if p.shell.silence.Text != "No sound" || !strings.Contains(p.shell.status.Text, "horn: no sound") {
		t.Errorf("without audio: button %q, status %q", p.shell.silence.Text, p.shell.status.Text)
	}
}

var errNoAudio = errorString("no audio device")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestTheNightSwitchOfOneWindowTurnsEveryWindow: windows of a station share
// the palette.
func TestTheNightSwitchOfOneWindowTurnsEveryWindow(t *testing.T) {
	shared := theme.New(false)
	a := newPlantShell(t, func(_ *plantShell, d *Deps) { d.Theme = shared })
	b := newPlantShell(t, func(_ *plantShell, d *Deps) { d.Theme = shared; d.PrefPrefix = "window.1." })
	oldA, oldB := a.shell.overview, b.shell.overview
	a.shell.SetDark(true)
	b.shell.refresh()
	if !b.shell.night.Checked || b.shell.theme.P != theme.Dark {
		t.Fatal("the other window's Night switch did not follow")
	}
	// The overview takes its drawing colours when it is built: both
	// windows build theirs again in the night palette.
	if a.shell.overview == oldA || b.shell.overview == oldB {
		t.Error("an overview drawn in the day palette stayed at night")
	}
	if a.shell.screens[0].content != a.shell.overview.Content() || a.shell.body.Objects[0] != a.shell.overview.Content() {
		t.Error("the window does not show the overview built for the night")
	}
	a.shell.ShowScreen("Alarms")
	b.shell.ShowScreen("Tags")
	if got := a.app.Preferences().String("ui.screen"); got != "Alarms" {
		t.Errorf("window 0 remembers %q", got)
	}
	if got := b.app.Preferences().String("window.1.ui.screen"); got != "Tags" {
		t.Errorf("window 1 remembers %q", got)
	}
}

// TestAScreenWiderThanTheWindowScrollsInsteadOfWideningIt: whatever a
// screen asks for (a register inspector's long error was 2042 px), the
// window's content does not ask for more than the window has.
func TestAScreenWiderThanTheWindowScrollsInsteadOfWideningIt(t *testing.T) {
	p := newPlantShell(t)
	p.win.Resize(fyne.NewSize(1024, 768))
	wide := canvas.NewRectangle(theme.Critical)
	wide.SetMinSize(fyne.NewSize(2042, 1500))
	i := p.shell.screenIndex("Devices")
	p.shell.screens[i].content = wide
	p.shell.ShowScreen("Devices")
	if m := p.win.Content().MinSize(); m.Width > 1024 || m.Height > 768 {
		t.Fatalf("a 2042×1500 screen makes the window ask for %.0f×%.0f", m.Width, m.Height)
	}
}
