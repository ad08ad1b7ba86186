package display

import (
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// Host shows a project's displays one at a time: the navigation tree (by
// level), back and forward, and the current display. A display's View is
// built the first time it is shown and kept for the Host's life (one load
// of the project); only the shown one is refreshed.
type Host struct {
	set   *displays.Set
	deps  Deps
	views map[string]*View
	cur   *View
	back  []string
	fwd   []string

	stack           *fyne.Container
	title           *widget.Label
	backB, forwardB *widget.Button
	tree            *fyne.Container
	treeButtons     map[string]*widget.Button
	problems        *widget.Label // a reload's errors; hidden when none
	edit            *widget.Check // edit mode; shown only to who may edit
	ed              *editUI
	content         fyne.CanvasObject

	// The last refresh's input, so a display shown between refreshes is
	// drawn at once.
	snap    []datasource.Sample
	active  []alarms.Alarm
	now     time.Time
	palette theme.Palette // the views' colours; a new palette rebuilds them
	// kept is the zoom and pan of views dropped by a reload or a new
	// palette, by display name, for the views built again.
	kept map[string]zoomState
	// hidden: the shell shows another screen (Tags, Alarms…), so no
	// display is highlighted in the tree: one highlighted entry in the
	// navigation column is where the operator is.
	hidden bool
}

// zoomState is where the operator left a display.
type zoomState struct {
	zoom float32
	pan  fyne.Position
}

// dropViews forgets the built views, keeping their zoom and pan.
func (h *Host) dropViews() {
	if h.kept == nil {
		h.kept = map[string]zoomState{}
	}
	for name, v := range h.views {
		h.kept[name] = zoomState{v.zoom, v.pan}
	}
	h.views = map[string]*View{}
}

// NewHost makes the host of set's displays and shows the first display of
// the lowest level. deps.OnGoto is the host's own navigation.
func NewHost(set *displays.Set, deps Deps) *Host {
	h := &Host{set: set, views: map[string]*View{}, treeButtons: map[string]*widget.Button{}}
	deps.Set = set
	deps.OnGoto = func(name string) { h.Show(name) }
	deps.onSelect = func(e *displays.Element) { h.selected(e) }
	deps.onError = func(err error) { h.editDone(err) }
	if deps.Theme == nil {
		deps.Theme = theme.New(false)
	}
	h.deps, h.palette = deps, deps.Theme.P
	h.stack = container.NewStack()
	h.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.backB = widget.NewButton("◀ Back", func() { h.Back() })
	h.forwardB = widget.NewButton("Forward ▶", func() { h.Forward() })
	h.backB.Importance, h.forwardB.Importance = widget.LowImportance, widget.LowImportance
	h.problems = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.problems.Wrapping = fyne.TextWrapWord
	h.problems.Hide()
	h.edit = widget.NewCheck("Edit", func(on bool) { h.setEditing(on) })
	h.newEditUI()
	h.edit.Hide()
	whole := widget.NewButton("Whole", func() {
		if h.cur != nil {
			h.cur.Fit()
		}
	})
	whole.Importance = widget.LowImportance
	h.content = container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, container.NewHBox(h.backB, h.forwardB, h.title),
		container.NewHBox(whole, h.edit)), h.ed.bar, h.problems),
		nil, nil, h.ed.panel, h.stack)
	h.tree = container.NewVBox()
	h.build("")
	return h
}

// build makes the tree of h.set and shows the display named current, or
// the first one when there is no such display.
func (h *Host) build(current string) {
	h.tree.Objects = nil
	clear(h.treeButtons)
	entries := Ordered(h.set)
	for _, o := range entries {
		d := o.Display
		b := widget.NewButton(strings.Repeat("    ", o.Depth)+d.Title, func() { h.Show(d.Name) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		h.treeButtons[d.Name] = b
		h.tree.Add(b)
	}
	h.tree.Refresh()
	if _, ok := h.set.Display(current); ok {
		h.show(current)
	} else if len(entries) > 0 {
		h.show(entries[0].Display.Name)
	} else {
		h.cur = nil
		h.stack.Objects = nil
		h.stack.Refresh()
	}
	h.buttons()
}

// Reload replaces the displays by a new compile of them (a saved display
// file): every view is built again, the display shown stays shown when it
// still exists, and Back and Forward forget displays that are gone. The
// new set's tags must be the ones the snapshot is indexed by.
func (h *Host) Reload(set *displays.Set) {
	h.set, h.deps.Set = set, set
	h.dropViews()
	keep := func(names []string) []string {
		out := names[:0]
		for _, n := range names {
			if _, ok := set.Display(n); ok {
				out = append(out, n)
			}
		}
		return out
	}
	h.back, h.fwd = keep(h.back), keep(h.fwd)
	h.SetProblems("")
	i, in := h.ed.selIndex, h.ed.selIn
	h.build(h.Current())
	h.reselect(i, in)
}

// SetEditable shows the Edit switch to an operator who may edit displays
// (and when Deps.Edit is set); false also leaves edit mode.
func (h *Host) SetEditable(on bool) {
	on = on && h.deps.Edit != nil
	if !on {
		h.edit.SetChecked(false)
		h.edit.Hide()
		return
	}
	h.edit.Show()
}

// SetProblems shows why the display files could not be reloaded (their
// errors, one file:line message per line) above the display, which stays
// as it was; "" hides it.
func (h *Host) SetProblems(text string) {
	if text == "" {
		h.problems.Hide()
		return
	}
	h.problems.SetText("Displays not reloaded:\n" + text)
	h.problems.Show()
}

// Problems returns the errors shown by SetProblems, "" when none.
func (h *Host) Problems() string {
	if !h.problems.Visible() {
		return ""
	}
	return h.problems.Text
}

// Entry is one line of the navigation tree.
type Entry struct {
	Display *displays.Display
	Depth   int // 0 for a root
}

// Ordered is the navigation tree, depth first: roots by level (then file
// order), each followed by its children by level.
func Ordered(set *displays.Set) []Entry {
	var out []Entry
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		kids := set.Children(parent)
		sort.SliceStable(kids, func(i, j int) bool { return kids[i].Level < kids[j].Level })
		for _, d := range kids {
			out = append(out, Entry{Display: d, Depth: depth})
			if depth < displays.LevelDiagnostic { // parents are validated; the bound guards a cycle
				walk(d.Name, depth+1)
			}
		}
	}
	walk("", 0)
	return out
}

// Content is the display area: back, forward, the title and the display.
func (h *Host) Content() fyne.CanvasObject { return h.content }

// Tree is the navigation tree, for the shell's navigation column.
func (h *Host) Tree() fyne.CanvasObject { return h.tree }

// Current returns the name of the display shown, "" when none.
func (h *Host) Current() string {
	if h.cur == nil {
		return ""
	}
	return h.cur.d.Name
}

// Set returns the displays shown (the last reload's).
func (h *Host) Set() *displays.Set { return h.set }

// View returns the view of the display shown, or nil.
func (h *Host) View() *View { return h.cur }

// Show shows the named display and remembers the one it replaces for Back;
// it reports false when there is no such display.
func (h *Host) Show(name string) bool {
	if _, ok := h.set.Display(name); !ok {
		return false
	}
	if cur := h.Current(); cur != "" && cur != name {
		h.back = append(h.back, cur)
		h.fwd = h.fwd[:0]
	}
	h.show(name)
	h.buttons()
	return true
}

// Back shows the display shown before (Alt+Left).
func (h *Host) Back() bool { return h.step(&h.back, &h.fwd) }

// Forward undoes Back (Alt+Right).
func (h *Host) Forward() bool { return h.step(&h.fwd, &h.back) }

// step shows the last display of from and remembers the current one in to.
func (h *Host) step(from, to *[]string) bool {
	if len(*from) == 0 {
		return false
	}
	name := (*from)[len(*from)-1]
	*from = (*from)[:len(*from)-1]
	*to = append(*to, h.Current())
	h.show(name)
	h.buttons()
	return true
}

// BindKeys adds Alt+Left and Alt+Right to the window's canvas, and in
// edit mode Ctrl+Z and Ctrl+Y.
func (h *Host) BindKeys(c fyne.Canvas) {
	h.bindEditKeys(c)
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyLeft, Modifier: fyne.KeyModifierAlt}, func(fyne.Shortcut) { h.Back() })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyRight, Modifier: fyne.KeyModifierAlt}, func(fyne.Shortcut) { h.Forward() })
}

func (h *Host) show(name string) {
	d, _ := h.set.Display(name)
	v := h.views[name]
	if v == nil {
		v = New(d, h.deps)
		if z, ok := h.kept[name]; ok {
			v.zoom, v.pan, v.centre = z.zoom, z.pan, nil
		}
		h.views[name] = v
	}
	h.cur = v
	v.SetEditing(h.edit.Checked)
	if h.edit.Checked {
		h.selected(v.Selected())
	}
	h.title.SetText(d.Title)
	h.stack.Objects = []fyne.CanvasObject{v}
	h.stack.Refresh()
	h.highlight()
	if h.snap != nil {
		v.Update(h.snap, h.active, h.now)
	}
}

// SetShown tells the host whether the shell shows it: while another
// screen is shown, the tree highlights no display.
func (h *Host) SetShown(shown bool) {
	if h.hidden == !shown {
		return
	}
	h.hidden = !shown
	h.highlight()
}

// highlight marks the current display's tree button, and only it, unless
// the host is hidden.
func (h *Host) highlight() {
	cur := h.Current()
	for n, b := range h.treeButtons {
		imp := widget.LowImportance
		if n == cur && !h.hidden {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
	}
}

func (h *Host) buttons() {
	if len(h.back) == 0 {
		h.backB.Disable()
	} else {
		h.backB.Enable()
	}
	if len(h.fwd) == 0 {
		h.forwardB.Disable()
	} else {
		h.forwardB.Enable()
	}
}

// Update refreshes the display shown; call it on the UI goroutine. After a
// change of palette (Night) the views are built again in its colours.
func (h *Host) Update(snap []datasource.Sample, active []alarms.Alarm, now time.Time) {
	h.snap, h.active, h.now = snap, active, now
	if h.deps.Theme.P != h.palette {
		h.palette = h.deps.Theme.P
		h.dropViews()
		if cur := h.Current(); cur != "" {
			h.show(cur)
			return
		}
	}
	if h.cur != nil {
		h.cur.Update(snap, active, now)
	}
}
