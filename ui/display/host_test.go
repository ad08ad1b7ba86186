package display

import (
	"math"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/ui/prefs"
	"github.com/vigil-hmi/vigil/ui/theme"
)

const tree = `displays:
  - {name: tanks, title: Tanks, level: 2, parent: plant}
  - {name: pump-diag, title: Pump diagnostics, level: 4, parent: pumps}
  - {name: pumps, title: Pumps, level: 2, parent: plant}
  - {name: plant, title: Plant, level: 1}
  - {name: notes, title: Notes, level: 3}
`

func TestTheTreeIsOrderedByLevelDepthFirst(t *testing.T) {
	set := compile(t, tree, testTags())
	var got []string
	for _, e := range Ordered(set) {
		got = append(got, e.Display.Name+"/"+string(rune('0'+e.Depth)))
	}
	want := []string{"plant/0", "tanks/1", "pumps/1", "pump-diag/2", "notes/0"}
	if len(got) != len(want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("tree %v, want %v", got, want)
		}
	}
}

func TestBackAndForwardRetraceTheDisplaysShown(t *testing.T) {
	test.NewTempApp(t)
	set := compile(t, tree, testTags())
	h := NewHost(set, Deps{})
	w := test.NewTempWindow(t, h.Content())
	h.BindKeys(w.Canvas())
	if h.Current() != "plant" || h.Back() {
		t.Fatalf("starts on %q with a back step; want plant and none", h.Current())
	}
	h.Show("tanks")
	h.Show("pumps")
	if !h.Show("pumps") || h.Show("nowhere") {
		t.Fatal("Show reports wrongly")
	}
	altLeft := func() {
		w.Canvas().(interface {
			TypedShortcut(fyne.Shortcut)
		}).TypedShortcut(&desktopShortcutLeft)
	}
	altLeft()
	if h.Current() != "tanks" {
		t.Fatalf("Alt+Left shows %q, want tanks", h.Current())
	}
	h.Back()
	if h.Current() != "plant" || h.Back() {
		t.Fatalf("second Back shows %q", h.Current())
	}
	h.Forward()
	h.Forward()
	if h.Current() != "pumps" || h.Forward() {
		t.Fatalf("Forward twice shows %q, want pumps and no more", h.Current())
	}
	h.Back()
	h.Show("notes") // a new step drops the forward history
	if h.Forward() {
		t.Error("Forward after a new display went somewhere")
	}
	if v := h.View(); v == nil || v.Display().Name != "notes" {
		t.Error("the view is not the display shown")
	}
}

var desktopShortcutLeft = desktop.CustomShortcut{KeyName: fyne.KeyLeft, Modifier: fyne.KeyModifierAlt}

func TestReloadKeepsTheDisplayShownAndForgetsWhatIsGone(t *testing.T) {
	test.NewTempApp(t)
	tags := testTags()
	h := NewHost(compile(t, tree, tags), Deps{})
	h.Show("tanks")
	h.Show("pumps")
	old := h.View()
	h.SetProblems("d.yaml:3: displays[x].elements[0].kind: unknown kind \"reactor\"")
	if h.Problems() == "" {
		t.Fatal("the reload's errors are not shown")
	}
	h.Reload(compile(t, `displays:
  - {name: plant, title: Plant, level: 1}
  - {name: pumps, title: Pumps again, level: 2, parent: plant}
`, tags))
	if h.Current() != "pumps" || h.View() == old || h.title.Text != "Pumps again" {
		t.Fatalf("after reload: %q (new view %v, title %q), want the new pumps", h.Current(), h.View() != old, h.title.Text)
	}
	if h.Problems() != "" {
		t.Errorf("a good reload keeps showing %q", h.Problems())
	}
	if len(h.tree.Objects) != 2 {
		t.Errorf("the tree has %d entries, want 2", len(h.tree.Objects))
	}
	if !h.Back() || h.Current() != "plant" {
		t.Errorf("Back went to %q; tanks is gone, so plant (the start) remains", h.Current())
	}
}

func TestDraggingInEditModeMovesAnElementOnTheGrid(t *testing.T) {
	type move struct {
		e  *displays.Element
		at displays.Point
	}
	var moves []move
	ed := &fakeEditor{move: func(e *displays.Element, at displays.Point) { moves = append(moves, move{e, at}) }}
	v, _, _ := newTestView(t, false, Deps{Edit: ed})
	// As the window's driver sends it: the pointer where it is now, and how
	// far it moved; from inside the pump at [220, 220] (in the group box).
	drag := func() {
		v.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(250+20, 250+10)}, Dragged: fyne.Delta{DX: 20, DY: 10}})
		v.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(250+33, 250+18)}, Dragged: fyne.Delta{DX: 13, DY: 8}})
		v.DragEnd()
	}
	drag()
	if len(moves) != 0 {
		t.Fatal("a drag outside edit mode moved an element")
	}
	v.SetEditing(true)
	drag()
	if len(moves) != 1 || moves[0].e.Kind != displays.Pump || moves[0].at != (displays.Point{X: 250, Y: 240}) {
		t.Fatalf("moves %v, want the pump to [250, 240] (220+33, 220+18 on the 10-unit grid)", moves)
	}
	if v.sel.Visible() {
		t.Error("the selection box stays after the drop of an element not selected")
	}
}

func TestANewPaletteRebuildsTheDisplayInItsColours(t *testing.T) {
	test.NewTempApp(t)
	th := theme.New(false)
	tags := testTags()
	h := NewHost(compile(t, gallery, tags), Deps{Theme: th})
	snap, _ := snapshotOf(tags, conditions[0])
	h.Update(snap, nil, epoch)
	day := h.View()
	th.P = theme.Dark
	h.Update(snap, nil, epoch)
	if h.View() == day || h.View().parts[0].(*groupPart).edges[0].StrokeColor != theme.Dark.Line {
		t.Fatal("the night palette did not rebuild the display in its colours")
	}
	if tank := h.View().parts[1].(*tank); tank.body.StrokeColor != theme.Dark.Line || tank.value.Text != "62.0 %" {
		t.Errorf("rebuilt tank: outline %v, value %q", tank.body.StrokeColor, tank.value.Text)
	}
}

// wideDisplay is a display wider than the tree's, for zoom and pan.
const wideDisplay = `  - name: big
    size: [1000, 460]
    elements:
      - {kind: tank, at: [500, 100], level: Tank1.Level}
`

func TestTheWheelZoomsAroundThePointerAndEachDisplayKeepsItsZoom(t *testing.T) {
	test.NewTempApp(t)
	set := compile(t, tree+wideDisplay, testTags())
	h := NewHost(set, Deps{})
	w := test.NewTempWindow(t, h.Content())
	w.SetPadded(false)
	h.Show("big")
	w.Resize(fyne.NewSize(1000, 520))
	v := h.View()
	under := func(p fyne.Position) (float32, float32) {
		return (p.X - v.m.origin.X) / v.m.scale, (p.Y - v.m.origin.Y) / v.m.scale
	}
	at := fyne.NewPos(520, 260)
	x0, y0 := under(at)
	v.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: at}, Scrolled: fyne.Delta{DY: 70}})
	if v.Zoom() <= 1.5 {
		t.Fatalf("zoom %v after seven notches in", v.Zoom())
	}
	if x1, y1 := under(at); math.Abs(float64(x1-x0)) > 0.5 || math.Abs(float64(y1-y0)) > 0.5 {
		t.Errorf("the point under the pointer moved from (%v, %v) to (%v, %v)", x0, y0, x1, y1)
	}
	origin := v.m.origin
	v.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: at}, Dragged: fyne.Delta{DX: -30, DY: 0}})
	if v.m.origin.X != origin.X-30 {
		t.Errorf("a drag on a zoomed display moved the origin from %v to %v, want 30 px left", origin, v.m.origin)
	}
	for i := 0; i < 50; i++ {
		v.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: at}, Scrolled: fyne.Delta{DY: -10}})
	}
	if v.Zoom() != 1 {
		t.Errorf("zoomed out to %v, want no less than the whole display", v.Zoom())
	}
	v.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: at}, Scrolled: fyne.Delta{DY: 40}})
	z := v.Zoom()
	h.Show("plant")
	h.Show("big")
	if h.View() != v || v.Zoom() != z {
		t.Error("the display did not keep its zoom while another was shown")
	}
	h.Reload(set)
	if h.View() == v || h.View().Zoom() != z {
		t.Errorf("after a reload the zoom is %v, want %v", h.View().Zoom(), z)
	}
	var whole *widget.Button
	for _, o := range test.LaidOutObjects(h.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Whole" {
			whole = b
		}
	}
	if whole == nil {
		t.Fatal("no Whole button")
	}
	test.Tap(whole)
	if h.View().Zoom() != 1 {
		t.Error("Whole does not show the whole display again")
	}
}

// A display's zoom and scroll outlive the window: the preferences keep the
// zoom and the display point at the middle of the view, so a restart (a
// new host on the store read again from its file) in a window of another
// size shows the same part of the display at the same zoom. Fit is
// remembered too, and a damaged entry is ignored.
func TestZoomAndScrollAreKeptAcrossRestarts(t *testing.T) {
	test.NewTempApp(t)
	set := compile(t, tree+wideDisplay, testTags())
	file := filepath.Join(t.TempDir(), "prefs.json")
	open := func(size fyne.Size) (*Host, *View) {
		t.Helper()
		st, err := prefs.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		h := NewHost(set, Deps{Prefs: st, PrefPrefix: "window.0."})
		w := test.NewTempWindow(t, h.Content())
		w.SetPadded(false)
		h.Show("big")
		w.Resize(size)
		return h, h.View()
	}
	middle := func(v *View) (float32, float32) {
		return (v.size.Width/2 - v.m.origin.X) / v.m.scale, (v.size.Height/2 - v.m.origin.Y) / v.m.scale
	}
	_, v := open(fyne.NewSize(1000, 520))
	v.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(700, 200)}, Scrolled: fyne.Delta{DY: 70}})
	v.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(500, 200)}, Dragged: fyne.Delta{DX: -40, DY: 25}})
	v.DragEnd()
	z := v.Zoom()
	x0, y0 := middle(v)
	if z <= 1.5 {
		t.Fatalf("zoom %v after seven notches in", z)
	}

	_, v2 := open(fyne.NewSize(800, 600))
	if v2.Zoom() != z {
		t.Errorf("after a restart the zoom is %v, want %v", v2.Zoom(), z)
	}
	if x1, y1 := middle(v2); math.Abs(float64(x1-x0)) > 1 || math.Abs(float64(y1-y0)) > 1 {
		t.Errorf("after a restart the middle of the view shows (%.1f, %.1f), want (%.1f, %.1f)", x1, y1, x0, y0)
	}
	v2.Fit()
	if _, v3 := open(fyne.NewSize(800, 600)); v3.Zoom() != 1 {
		t.Errorf("Whole was not remembered: zoom %v after a restart", v3.Zoom())
	}

	st, err := prefs.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	st.SetFloatList("window.0.display.big.view", []float64{1e9, 0, 0})
	if _, v4 := open(fyne.NewSize(800, 600)); v4.Zoom() != 1 {
		t.Errorf("a zoom of 1e9 in the preferences gave %v, want it ignored", v4.Zoom())
	}
}
