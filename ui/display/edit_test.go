package display

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
)

// fakeEditor records what edit mode asks of the display files.
type fakeEditor struct {
	move   func(*displays.Element, displays.Point)
	calls  []string
	values map[string]string
	refuse error // SetField's answer
	tags   []*datasource.Tag
}

func (f *fakeEditor) Move(_ *displays.Display, e *displays.Element, at displays.Point) error {
	if f.move != nil {
		f.move(e, at)
	}
	f.calls = append(f.calls, fmt.Sprintf("move %d %v", e.Index, at))
	return nil
}

func (f *fakeEditor) Resize(_ *displays.Display, e *displays.Element, size displays.Size) error {
	f.calls = append(f.calls, fmt.Sprintf("resize %d %v", e.Index, size))
	return nil
}

func (f *fakeEditor) Values(_ *displays.Display, e *displays.Element) (map[string]string, error) {
	return f.values, nil
}

func (f *fakeEditor) SetField(_ *displays.Display, e *displays.Element, key, value string) error {
	if f.refuse != nil {
		return f.refuse
	}
	f.calls = append(f.calls, fmt.Sprintf("set %d %s=%s", e.Index, key, value))
	return nil
}

func (f *fakeEditor) Add(_ *displays.Display, text string) error {
	f.calls = append(f.calls, "add "+text)
	return nil
}

func (f *fakeEditor) Undo() error             { f.calls = append(f.calls, "undo"); return nil }
func (f *fakeEditor) Redo() error             { f.calls = append(f.calls, "redo"); return nil }
func (f *fakeEditor) Tags() []*datasource.Tag { return f.tags }

// editHost is a host of the gallery in a window, with edit mode on.
func editHost(t *testing.T, ed *fakeEditor) (*Host, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	tags := testTags()
	ed.tags = tags
	h := NewHost(compile(t, gallery, tags), Deps{Edit: ed})
	w := test.NewTempWindow(t, h.Content())
	w.SetPadded(false)
	w.Resize(fyne.NewSize(1300, 600))
	h.SetEditable(true)
	test.Tap(h.edit)
	if !h.View().Editing() || !h.ed.panel.Visible() || !h.ed.bar.Visible() {
		t.Fatal("the Edit switch did not show the edit bar and panel")
	}
	return h, w
}

// tapAt taps the view at display units (x, y).
func tapAt(v *View, x, y float64) {
	v.Tapped(&fyne.PointEvent{Position: v.m.pos(x, y)})
}

func TestATapInEditModeSelectsAndTheFieldsAreSaved(t *testing.T) {
	opened := 0
	ed := &fakeEditor{values: map[string]string{"kind": "pump", "running": "Pump1.Running", "fault": "Pump1.Fault", "label": "P-101"}}
	h, _ := editHost(t, ed)
	h.deps.OnOpen = func(*datasource.Tag) { opened++ }
	h.View().deps.OnOpen = h.deps.OnOpen
	v := h.View()
	tapAt(v, 240, 240) // the pump, inside the group box
	if opened != 0 {
		t.Error("a tap in edit mode opened a faceplate")
	}
	if e := v.Selected(); e == nil || e.Kind != displays.Pump || !v.sel.Visible() || !v.handle.Visible() {
		t.Fatalf("selected %v (outline %v, handle %v), want the pump outlined", v.Selected(), v.sel.Visible(), v.handle.Visible())
	}
	if got := v.sel.Position(); got != v.m.pos(220, 220) {
		t.Errorf("the outline is at %v, want the pump's corner %v", got, v.m.pos(220, 220))
	}
	if h.ed.propsTitle.Text != "pump · elements[3]" || h.ed.propEntries["label"].Text != "P-101" || h.ed.propEntries["running"].Text != "Pump1.Running" {
		t.Fatalf("panel %q with label %q", h.ed.propsTitle.Text, h.ed.propEntries["label"].Text)
	}
	h.ed.propEntries["label"].SetText("P-102")
	test.Tap(h.ed.apply)
	if len(ed.calls) != 1 || ed.calls[0] != "set 3 label=P-102" {
		t.Fatalf("saved %q, want only the changed label", ed.calls)
	}
	ed.refuse = errors.New("d.yaml:7: displays[gallery].elements[3].running: unknown tag \"Pump9.Running\"")
	h.ed.propEntries["running"].SetText("Pump9.Running")
	test.Tap(h.ed.apply)
	if !strings.Contains(h.EditMessage(), "d.yaml:7:") {
		t.Errorf("a refused field shows %q, want the compiler's message", h.EditMessage())
	}
	tapAt(v, 5, 455) // the background
	if v.Selected() != nil || v.sel.Visible() || h.ed.propsTitle.Text != "Nothing selected" {
		t.Error("a tap on the background kept the selection")
	}
	test.Tap(h.edit)
	tapAt(v, 240, 240)
	if opened != 1 || v.Selected() != nil {
		t.Errorf("out of edit mode a tap opened %d faceplates, selected %v", opened, v.Selected())
	}
}

func TestDraggingTheHandleResizesOnTheGrid(t *testing.T) {
	ed := &fakeEditor{values: map[string]string{}}
	h, _ := editHost(t, ed)
	v := h.View()
	tapAt(v, 60, 100) // the tank at [40, 50] size [100, 220]
	if v.Selected() == nil || v.Selected().Kind != displays.Tank {
		t.Fatal("the tank is not selected")
	}
	corner := v.m.pos(140, 270)
	step := func(dx, dy float32) {
		corner = corner.Add(fyne.NewPos(dx, dy))
		v.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: corner}, Dragged: fyne.Delta{DX: dx, DY: dy}})
	}
	step(v.m.scale*13, v.m.scale*4)
	step(v.m.scale*20, v.m.scale*-40)
	v.DragEnd()
	if len(ed.calls) != 1 || ed.calls[0] != "resize 1 {130 180}" {
		t.Fatalf("calls %q, want the tank resized to [130, 180] (100+33, 220-36 on the 10-unit grid)", ed.calls)
	}
	if !v.sel.Visible() || v.Selected() == nil {
		t.Error("the tank is no longer selected after the resize")
	}
	// A drag from inside the selected tank, not its handle, moves it.
	ed.calls = nil
	from := v.m.pos(90, 150)
	v.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: from.Add(fyne.NewPos(v.m.scale*20, 0))}, Dragged: fyne.Delta{DX: v.m.scale * 20}})
	v.DragEnd()
	if len(ed.calls) != 1 || ed.calls[0] != "move 1 {60 50}" {
		t.Errorf("calls %q, want the tank moved to [60, 50]", ed.calls)
	}
}

func TestThePaletteAddsAnElementWithAPickedTag(t *testing.T) {
	ed := &fakeEditor{}
	h, w := editHost(t, ed)
	h.BindKeys(w.Canvas())
	h.ed.kind.SetSelected("bar")
	test.Tap(h.ed.add)
	if len(ed.calls) != 0 || !strings.Contains(h.EditMessage(), "needs a tag for tag") {
		t.Fatalf("added %q without a tag; message %q", ed.calls, h.EditMessage())
	}
	test.Type(h.ed.search, "tank1.le")
	var picks []string
	for _, o := range h.ed.picks.Objects {
		if b, ok := o.(*widget.Button); ok {
			picks = append(picks, b.Text)
		}
	}
	if len(picks) != 2 || picks[0] != "Tank1.Level" || picks[1] != "Tank1.LevelSP" {
		t.Fatalf("the picker offers %q", picks)
	}
	test.Tap(h.ed.picks.Objects[0].(*widget.Button))
	if h.ed.tag.Text != "tag: Tank1.Level" {
		t.Errorf("picked %q", h.ed.tag.Text)
	}
	test.Tap(h.ed.add)
	want := "add {kind: bar, at: [380, 210], size: [240, 40], tag: Tank1.Level}"
	if len(ed.calls) != 1 || ed.calls[0] != want || h.EditMessage() != "" {
		t.Fatalf("calls %q (message %q), want %q", ed.calls, h.EditMessage(), want)
	}
	h.ed.kind.SetSelected("text")
	if h.ed.search.Visible() || !h.ed.text.Visible() {
		t.Error("a text element asks for a tag, or not for its text")
	}
	test.Type(h.ed.text, "Raw water, north")
	test.Tap(h.ed.add)
	if want := `add {kind: text, at: [400, 220], size: [200, 30], text: "Raw water, north"}`; ed.calls[1] != want {
		t.Errorf("added %q, want %q", ed.calls[1], want)
	}
	test.Tap(h.ed.undo)
	test.Tap(h.ed.redo)
	if n := len(ed.calls); n != 4 || ed.calls[n-2] != "undo" || ed.calls[n-1] != "redo" {
		t.Errorf("the edit bar's buttons made %q", ed.calls[n-2:])
	}
	// Ctrl+Z and Ctrl+Y, as the window's driver sends them.
	keys := w.Canvas().(fyne.Shortcutable)
	keys.TypedShortcut(&fyne.ShortcutUndo{})
	keys.TypedShortcut(&fyne.ShortcutRedo{})
	if n := len(ed.calls); ed.calls[n-2] != "undo" || ed.calls[n-1] != "redo" || n != 6 {
		t.Errorf("Ctrl+Z, Ctrl+Y made %q", ed.calls)
	}
	// Reload selects the element just added (index 18: the gallery has 18).
	h.Reload(compile(t, gallery+"      - {kind: text, at: [400, 220], text: New}\n", testTags()))
	if e := h.View().Selected(); e == nil || e.Index != 18 || e.Label != "New" {
		t.Errorf("after the reload the selection is %v, want element 18", e)
	}
}

// The palette adds a trend with the pen picked, and a pipe as a straight
// line through the middle of the display: a pipe needs no tag and no
// text, so the picker and the text entry are hidden for it.
func TestThePaletteAddsATrendAndAPipe(t *testing.T) {
	ed := &fakeEditor{}
	h, _ := editHost(t, ed)
	h.ed.kind.SetSelected("trend")
	if !h.ed.search.Visible() || h.ed.text.Visible() {
		t.Fatal("a trend does not ask for its pen, or asks for a text")
	}
	test.Type(h.ed.search, "pump1.cur")
	test.Tap(h.ed.picks.Objects[0].(*widget.Button))
	if h.ed.tag.Text != "tags: Pump1.Current" {
		t.Errorf("picked %q", h.ed.tag.Text)
	}
	test.Tap(h.ed.add)
	h.ed.kind.SetSelected("pipe")
	if h.ed.search.Visible() || h.ed.text.Visible() {
		t.Error("a pipe asks for a tag or a text")
	}
	test.Tap(h.ed.add)
	want := []string{
		"add {kind: trend, at: [200, 80], size: [600, 300], tags: [Pump1.Current]}",
		"add {kind: pipe, points: [[400, 230], [600, 230]]}",
	}
	if strings.Join(ed.calls, "\n") != strings.Join(want, "\n") || h.EditMessage() != "" {
		t.Fatalf("calls\n%s\n(message %q), want\n%s", strings.Join(ed.calls, "\n"), h.EditMessage(), strings.Join(want, "\n"))
	}
	// Both compile where the palette put them, on the gallery's canvas.
	text := gallery + "      - " + strings.TrimPrefix(want[0], "add ") + "\n      - " + strings.TrimPrefix(want[1], "add ") + "\n"
	set := compile(t, text, testTags())
	d, _ := set.Display(h.Current())
	n := len(d.Elements)
	if d.Elements[n-1].Kind != displays.Pipe || d.Elements[n-2].Kind != displays.Trend {
		t.Fatalf("the added elements compile as %v and %v", d.Elements[n-2].Kind, d.Elements[n-1].Kind)
	}
	// Selected, the straight pipe is outlined with a margin: its box has
	// no height, and an outline of none would hide under the line.
	h.Reload(set)
	v := h.View()
	v.SelectIndex(n - 1)
	if sz := v.sel.Size(); !v.sel.Visible() || sz.Height < float32(2*lineMargin)*v.m.scale-1 || sz.Width <= float32(200)*v.m.scale {
		t.Errorf("the selected pipe's outline is %v (shown %v), want its line with a %d-unit margin", sz, v.sel.Visible(), lineMargin)
	}
}

// manyTags are the test tags and 10,000 more, as a large project has.
func manyTags() []*datasource.Tag {
	tags := testTags()
	for i := range 10_000 {
		tags = append(tags, &datasource.Tag{ID: datasource.TagID(len(tags)), Name: fmt.Sprintf("Dev%02d.Tag%04d", i/500, i),
			Description: fmt.Sprintf("sensor %d of line %d", i, i/500), Type: datasource.TypeFloat32})
	}
	return tags
}

// A tag field of the property panel offers the project's tags as it is
// typed (by name or description, every word), a tap writing the tag into
// the field, which Save then writes to the file.
func TestThePropertyPanelOffersTheProjectsTags(t *testing.T) {
	ed := &fakeEditor{values: map[string]string{"kind": "pump", "running": "Pump1.Running", "fault": "Pump1.Fault", "label": "P-101"}}
	h, _ := editHost(t, ed)
	ed.tags = manyTags()
	tapAt(h.View(), 240, 240) // the pump
	if len(h.PropPicks()) != 0 {
		t.Fatalf("the panel offers %q before anything is typed", h.PropPicks())
	}
	running := h.ed.propEntries["running"]
	running.SetText("")
	test.Type(running, "dev07 tag35")
	picks := h.PropPicks()
	if len(picks) != maxPicks || picks[0] != "Dev07.Tag3500" {
		t.Fatalf("typing %q offers %q, want the first %d of Dev07.Tag35xx", running.Text, picks, maxPicks)
	}
	if more := h.ed.propPicks.Objects[maxPicks].(*widget.Label); !strings.Contains(more.Text, "more") {
		t.Errorf("a long list ends with %q, want a line saying there are more", more.Text)
	}
	test.Tap(h.ed.propPicks.Objects[1].(*widget.Button))
	if running.Text != "Dev07.Tag3501" || len(h.PropPicks()) != 0 {
		t.Fatalf("after the tap the field holds %q and the panel offers %q", running.Text, h.PropPicks())
	}
	running.SetText("")
	test.Type(running, "LINE 19 sensor 9999")
	if picks := h.PropPicks(); len(picks) != 1 || picks[0] != "Dev19.Tag9999" {
		t.Errorf("searching the description offers %q", picks)
	}
	test.Tap(h.ed.propPicks.Objects[0].(*widget.Button))
	test.Tap(h.ed.apply)
	if len(ed.calls) != 1 || ed.calls[0] != "set 3 running=Dev19.Tag9999" {
		t.Errorf("saved %q", ed.calls)
	}
	// The label is not a tag: typing in it offers nothing.
	test.Type(h.ed.propEntries["label"], " dev07")
	if len(h.PropPicks()) != 0 {
		t.Errorf("the label field offers tags %q", h.PropPicks())
	}
}

// BenchmarkTagPicker10k is one search of the tag pickers over 10,000
// tags that scans them all (the last tag matches): what each key typed in
// a tag field costs.
func BenchmarkTagPicker10k(b *testing.B) {
	test.NewTempApp(b)
	tags := manyTags()
	h := NewHost(compile(b, gallery, testTags()), Deps{Edit: &fakeEditor{tags: tags}})
	if got := h.matchTags("dev19 tag9999"); len(got) != 1 {
		b.Fatalf("matched %q", got)
	}
	b.ResetTimer()
	for range b.N {
		h.matchTags("dev19 tag9999")
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
}
