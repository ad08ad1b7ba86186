package display

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTags are a small plant: a tank with limits, a pump, a valve.
func testTags() []*datasource.Tag {
	mk := func(name string, typ datasource.DataType, units string, writable bool) *datasource.Tag {
		return &datasource.Tag{Name: name, Type: typ, Units: units, Writable: writable, Decimals: 1,
			Span: datasource.Range{Min: 0, Max: 100}, Group: "Plant"}
	}
	tags := []*datasource.Tag{
		mk("Tank1.Level", datasource.TypeFloat32, "%", false),
		mk("Tank1.LevelSP", datasource.TypeFloat32, "%", true),
		mk("Pump1.Running", datasource.TypeBool, "", false),
		mk("Pump1.Fault", datasource.TypeBool, "", false),
		mk("Pump1.Current", datasource.TypeFloat32, "A", false),
		mk("Valve1.Position", datasource.TypeFloat32, "%", false),
		mk("Pump1.Start", datasource.TypeBool, "", true),
	}
	tags[0].Alarms = []datasource.AlarmDef{
		{Name: "HiHi", Kind: datasource.AlarmHiHi, Limit: 95, Priority: datasource.PriorityCritical},
		{Name: "Hi", Kind: datasource.AlarmHi, Limit: 85, Priority: datasource.PriorityHigh},
		{Name: "Lo", Kind: datasource.AlarmLo, Limit: 10, Priority: datasource.PriorityMedium},
	}
	for i, t := range tags {
		t.ID = datasource.TagID(i)
	}
	return tags
}

// every element kind, in one 1000 x 460 display.
const gallery = `displays:
  - name: gallery
    size: [1000, 460]
    elements:
      - {kind: group, at: [10, 10], size: [980, 440], title: Gallery}
      - {kind: tank, at: [40, 50], size: [100, 220], level: Tank1.Level, label: Tank 1}
      - {kind: pipe, points: [[140, 250], [220, 250]], flow: Pump1.Running}
      - {kind: pump, at: [220, 220], running: Pump1.Running, fault: Pump1.Fault, label: P-101}
      - {kind: motor, at: [340, 60], running: Pump1.Running}
      - {kind: fan, at: [440, 60], running: Pump1.Running}
      - {kind: compressor, at: [540, 60], running: Pump1.Running}
      - {kind: valve, at: [340, 230], position: Valve1.Position, label: XV-1}
      - {kind: damper, at: [460, 230], position: Valve1.Position, vertical: true}
      - {kind: duct, points: [[640, 80], [760, 80]]}
      - {kind: value, at: [640, 130], tag: Pump1.Current, label: Current}
      - {kind: bar, at: [640, 180], tag: Tank1.Level, label: Level}
      - {kind: setpoint, at: [640, 240], tag: Tank1.LevelSP, label: SP}
      - {kind: sparkline, at: [640, 300], tag: Tank1.Level}
      - {kind: alarms, at: [860, 60], group: Plant}
      - {kind: text, at: [40, 330], text: Raw water}
      - {kind: button, at: [220, 380], text: Start, write: Pump1.Start, value: true}
      - {kind: image, at: [860, 330], size: [80, 80], file: logo.png}
`

// compile compiles display files given as text, with a logo.png.
func compile(t testing.TB, text string, tags []*datasource.Tag) *displays.Set {
	t.Helper()
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	f, err := os.Create(filepath.Join(dir, "logo.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, "d.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("[d.yaml]"), &doc); err != nil {
		t.Fatal(err)
	}
	set, errs := displays.Compile(displays.Input{File: filepath.Join(dir, "p.yaml"), Node: doc.Content[0], Tags: tags})
	for _, e := range errs {
		t.Error(e)
	}
	if errs != nil {
		t.FailNow()
	}
	return set
}

// condition is the state every tag of a golden image is put in.
type condition struct {
	name    string
	quality datasource.Quality
	prio    datasource.Priority // an acknowledged active alarm on every tag
	oos     bool
}

var conditions = []condition{
	{name: "normal"},
	{name: "alarm-critical", prio: datasource.PriorityCritical},
	{name: "alarm-high", prio: datasource.PriorityHigh},
	{name: "alarm-medium", prio: datasource.PriorityMedium},
	{name: "alarm-low", prio: datasource.PriorityLow},
	{name: "bad", quality: datasource.BadQuality(datasource.NotConnected)},
	{name: "uncertain", quality: datasource.UncertainQuality(datasource.Stale)},
	{name: "oos", oos: true},
}

var epoch = time.Unix(1_800_000_000, 0)

// snapshotOf gives every tag a value (running, 62 %) in condition c.
func snapshotOf(tags []*datasource.Tag, c condition) ([]datasource.Sample, []alarms.Alarm) {
	snap := make([]datasource.Sample, len(tags))
	var active []alarms.Alarm
	for i, t := range tags {
		v := datasource.Float(62)
		if t.Type == datasource.TypeBool {
			v = datasource.Bool(!strings.HasSuffix(t.Name, "Fault"))
		}
		snap[i] = datasource.Sample{Tag: t.ID, Value: v, Quality: c.quality, Time: epoch}
		if c.prio != 0 || c.oos {
			active = append(active, alarms.Alarm{Tag: t.Name, Group: t.Group, Priority: max(c.prio, datasource.PriorityLow),
				Active: true, Acked: true, OutOfService: c.oos})
		}
	}
	return snap, active
}

func newTestView(t *testing.T, dark bool, deps Deps) (*View, []*datasource.Tag, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	th := theme.New(dark)
	a.Settings().SetTheme(th)
	tags := testTags()
	set := compile(t, gallery, tags)
	d, _ := set.Display("gallery")
	deps.Theme, deps.Set = th, set
	v := New(d, deps)
	w := test.NewTempWindow(t, v)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(1000, 460))
	return v, tags, w
}

func TestGoldenElementStates(t *testing.T) {
	for _, dark := range []bool{false, true} {
		palette := "day"
		if dark {
			palette = "night"
		}
		for _, c := range conditions {
			t.Run(palette+"-"+c.name, func(t *testing.T) {
				v, tags, w := newTestView(t, dark, Deps{})
				snap, active := snapshotOf(tags, c)
				v.Update(snap, active, epoch)
				test.AssertImageMatches(t, "gallery-"+palette+"-"+c.name+".png", w.Canvas().Capture())
			})
		}
	}
}

func TestStateIsShapeAndFillNotColour(t *testing.T) {
	v, tags, _ := newTestView(t, false, Deps{})
	snap, _ := snapshotOf(tags, conditions[0])
	v.Update(snap, nil, epoch)
	pump := v.parts[3].(*rotating)
	if pump.word.Text != "RUNNING" || pump.body.FillColor != grey(v.th) {
		t.Fatalf("running pump: %q fill %v, want RUNNING filled grey", pump.word.Text, pump.body.FillColor)
	}
	snap[2].Value = datasource.Bool(false)
	v.Update(snap, nil, epoch)
	if pump.word.Text != "STOPPED" || pump.body.FillColor != color.Transparent {
		t.Errorf("stopped pump: %q fill %v, want STOPPED hollow", pump.word.Text, pump.body.FillColor)
	}
	snap[3].Value = datasource.Bool(true)
	v.Update(snap, nil, epoch)
	if pump.word.Text != "FAULT" {
		t.Errorf("faulted pump says %q", pump.word.Text)
	}
	if pump.marks.shape.Visible() {
		t.Error("a fault without an alarm shows an alarm colour")
	}
}

func TestQualityIsNeverSilent(t *testing.T) {
	v, tags, _ := newTestView(t, false, Deps{})
	bad, active := snapshotOf(tags, conditions[5])
	// An alarm on a Bad tag stays visible.
	active = append(active, alarms.Alarm{Tag: "Tank1.Level", Priority: datasource.PriorityHigh, Active: true, Acked: true})
	v.Update(bad, active, epoch)
	tank := v.parts[1].(*tank)
	if !tank.marks.dash.Visible() || tank.marks.qual.Text != "BAD" || !tank.marks.shape.Visible() {
		t.Errorf("Bad tank in alarm: dashed %v, mark %q, alarm shown %v; want all", tank.marks.dash.Visible(), tank.marks.qual.Text, tank.marks.shape.Visible())
	}
	unc, _ := snapshotOf(tags, conditions[6])
	v.Update(unc, nil, epoch)
	if tank.marks.dash.Visible() || tank.marks.qual.Text != "?" || tank.marks.shape.Visible() {
		t.Errorf("Uncertain tank: dashed %v mark %q alarm %v, want only ?", tank.marks.dash.Visible(), tank.marks.qual.Text, tank.marks.shape.Visible())
	}
}

func TestUnacknowledgedAlarmsFlash(t *testing.T) {
	v, tags, _ := newTestView(t, false, Deps{})
	snap, _ := snapshotOf(tags, conditions[0])
	active := []alarms.Alarm{{Tag: "Pump1.Current", Priority: datasource.PriorityMedium, Active: true}}
	value := v.parts[10].(*valuePart)
	v.Update(snap, active, epoch)
	on := value.marks.alarmLit()
	v.Update(snap, active, epoch.Add(500*time.Millisecond))
	if value.marks.alarmLit() == on {
		t.Error("an unacknowledged alarm's indicator does not flash")
	}
	// The flash only repaints the shape: nothing appears or vanishes (that
	// laid the view out again and painted the window twice, issue 16), and
	// the digit is read steadily beside it.
	for _, at := range []time.Duration{0, 500 * time.Millisecond} {
		v.Update(snap, active, epoch.Add(at))
		if !value.marks.shape.Visible() || !value.marks.digit.Visible() || value.marks.digit.Text != "3" {
			t.Errorf("phase %v: shape shown %v, digit shown %v %q; want both, 3", at, value.marks.shape.Visible(), value.marks.digit.Visible(), value.marks.digit.Text)
		}
	}
	v.Update(snap, active, epoch.Add(500*time.Millisecond))
	if img := value.marks.shape.Generator(16, 16); img.At(8, 4).(color.NRGBA).A != 0 {
		t.Error("the off phase still draws the shape")
	}
	active[0].Acked = true
	for _, at := range []time.Duration{0, 500 * time.Millisecond} {
		v.Update(snap, active, epoch.Add(at))
		if !value.marks.alarmLit() {
			t.Error("an acknowledged alarm's indicator is not steady")
		}
	}
}

func TestRefreshChangesOnlyWhatChanged(t *testing.T) {
	v, tags, _ := newTestView(t, false, Deps{})
	snap, _ := snapshotOf(tags, conditions[0])
	v.Update(snap, nil, epoch)
	tank := v.parts[1].(*tank)
	pos, text := tank.fill.Position(), tank.value.Text
	v.Update(snap, nil, epoch.Add(time.Second))
	if tank.fill.Position() != pos || tank.value.Text != text {
		t.Error("an unchanged snapshot moved the tank")
	}
	snap[0].Value = datasource.Float(20)
	v.Update(snap, nil, epoch.Add(2*time.Second))
	if tank.fill.Position().Y <= pos.Y || tank.value.Text != "20.0 %" {
		t.Errorf("level 20: fill top %v (was %v), text %q", tank.fill.Position().Y, pos.Y, tank.value.Text)
	}
}

// A valve's body is repainted only when what it shows changes (closed,
// travelling, open), not at every tenth of a percent its position moves;
// its position text follows every change.
func TestValveRepaintsOnlyWhenItsFillChanges(t *testing.T) {
	v, tags, _ := newTestView(t, false, Deps{})
	snap, _ := snapshotOf(tags, conditions[0])
	valve := v.parts[7].(*valve)
	pos := 5 // Valve1.Position
	for i, c := range []struct {
		pct      float64
		repaints int
		text     string
	}{
		{40, 1, "40.0 %"}, {40.1, 1, "40.1 %"}, {60, 1, "60.0 %"}, {100, 2, "100.0 %"}, {99, 2, "99.0 %"}, {0, 3, "0.0 %"},
	} {
		snap[pos].Value = datasource.Float(c.pct)
		v.Update(snap, nil, epoch.Add(time.Duration(i)*time.Second))
		if valve.repaints != c.repaints || valve.pos.Text != c.text {
			t.Errorf("at %v %%: %d repaints, text %q; want %d, %q", c.pct, valve.repaints, valve.pos.Text, c.repaints, c.text)
		}
	}
	snap[pos].Quality = datasource.BadQuality(datasource.NotConnected)
	v.Update(snap, nil, epoch.Add(time.Minute))
	if valve.repaints != 4 || valveFill(valve.look) != -1 {
		t.Errorf("a Bad position: %d repaints, fill %d; want the body repainted hollow", valve.repaints, valveFill(valve.look))
	}
}

func TestCanvasScalesKeepingAspect(t *testing.T) {
	v, _, w := newTestView(t, false, Deps{})
	w.Resize(fyne.NewSize(500, 460)) // half as wide: scale 0.5, centred vertically
	tank := v.parts[1].(*tank)
	if v.m.scale != 0.5 || v.m.origin.X != 0 || v.m.origin.Y != (460-230)/2 {
		t.Fatalf("scale %v origin %v, want 0.5 at (0, 115)", v.m.scale, v.m.origin)
	}
	if got := tank.body.Size(); got != fyne.NewSize(50, 110) {
		t.Errorf("tank drawn %v, want 50 x 110", got)
	}
}

func TestTapOpensTheFaceplateOfTheElement(t *testing.T) {
	var opened *datasource.Tag
	v, _, w := newTestView(t, false, Deps{OnOpen: func(t *datasource.Tag) { opened = t }})
	w.Resize(fyne.NewSize(2000, 920)) // scale 2
	test.TapCanvas(w.Canvas(), fyne.NewPos(250*2, 250*2))
	if opened == nil || opened.Name != "Pump1.Running" {
		t.Fatalf("tap on the pump opened %v", opened)
	}
	opened = nil
	v.Tapped(&fyne.PointEvent{Position: fyne.NewPos(5, 5)})
	if opened != nil {
		t.Errorf("a tap on empty canvas opened %s", opened.Name)
	}
}

func TestButtonsGoAndWrite(t *testing.T) {
	var wrote *datasource.Tag
	var value datasource.Value
	_, _, w := newTestView(t, false, Deps{OnWrite: func(t *datasource.Tag, v datasource.Value) { wrote, value = t, v }})
	test.TapCanvas(w.Canvas(), fyne.NewPos(280, 400))
	if wrote == nil || wrote.Name != "Pump1.Start" || !value.AsBool() {
		t.Fatalf("the write button asked to write %v %v, want Pump1.Start true", wrote, value)
	}
}

func TestAlarmIndicatorCountsItsArea(t *testing.T) {
	v, tags, _ := newTestView(t, false, Deps{})
	snap, active := snapshotOf(tags, conditions[2])
	active = append(active, alarms.Alarm{Tag: "Other", Group: "Elsewhere", Priority: datasource.PriorityCritical, Active: true})
	v.Update(snap, active, epoch)
	ind := v.parts[14].(*alarmCount)
	if ind.count.Text != "7" || ind.marks.look.prio != datasource.PriorityHigh {
		t.Errorf("area Plant: %s alarms, top %v; want 7, high", ind.count.Text, ind.marks.look.prio)
	}
}

func TestValueTextNeverShowsFloatNoise(t *testing.T) {
	f32 := &datasource.Tag{Type: datasource.TypeFloat32, Decimals: -1}
	f64 := &datasource.Tag{Type: datasource.TypeFloat64, Decimals: -1}
	for _, c := range []struct {
		tag  *datasource.Tag
		v    float64
		want string
	}{
		{f32, float64(float32(49.945469)), "49.94547"},
		{f64, 49.94546890258789, "49.9455"},
		{&datasource.Tag{Type: datasource.TypeFloat32, Decimals: 2}, 3.14159, "3.14"},
	} {
		if got := ValueText(c.tag, datasource.Float(c.v)); got != c.want {
			t.Errorf("%v (%s, decimals %d) shows %q, want %q", c.v, c.tag.Type, c.tag.Decimals, got, c.want)
		}
	}
}

// An alarm box's count and priority are sized to the box, not to the
// display's value size: on a 1600×900 display in a window of 900 px (the
// demo's overview at 1024×768) a box of the default 120×40 shows its count
// at least 12 px high, beside the priority's shape and digit, all inside
// the box.
func TestAlarmBoxIsLegibleOnASmallWindow(t *testing.T) {
	test.NewTempApp(t)
	tags := testTags()
	set := compile(t, `displays:
  - name: plant
    size: [1600, 900]
    elements:
      - {kind: alarms, at: [1200, 100], group: Plant}
`, tags)
	d, _ := set.Display("plant")
	v := New(d, Deps{})
	w := test.NewTempWindow(t, v)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(900, 506))
	snap, active := snapshotOf(tags, conditions[2])
	v.Update(snap, active, epoch)
	p := v.parts[0].(*alarmCount)
	if p.count.Text != "7" || p.count.TextSize < 12 || p.marks.digit.TextSize < 10 {
		t.Errorf("count %q at %.1f px, priority digit at %.1f px; want 7 at 12 px or more and the digit at 10 or more",
			p.count.Text, p.count.TextSize, p.marks.digit.TextSize)
	}
	box := fyne.NewPos(p.box.Position().X+p.box.Size().Width, p.box.Position().Y+p.box.Size().Height)
	for _, o := range []fyne.CanvasObject{p.count, p.marks.shape, p.marks.digit} {
		end := o.Position().Add(o.Size())
		if o.Position().X < p.box.Position().X || o.Position().Y < p.box.Position().Y-2 || end.X > box.X || end.Y > box.Y+2 {
			t.Errorf("%T at %v–%v is outside the box %v–%v", o, o.Position(), end, p.box.Position(), box)
		}
	}
}
