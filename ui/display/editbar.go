package display

import (
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
)

// The host's edit mode: a bar with Undo and Redo above the display, and a
// panel beside it with the selected element's properties and the palette
// of element kinds. Every change goes through Deps.Edit, one minimal edit
// of a file's text each.

// maxPicks is how many tags the tag picker lists at a time.
const maxPicks = 8

// editUI is the host's edit bar and panel.
type editUI struct {
	bar, panel  *fyne.Container
	undo, redo  *widget.Button
	propsTitle  *widget.Label
	props       *widget.Form
	propEntries map[string]*widget.Entry
	propValues  map[string]string
	// propPicks lists the project's tags matching the tag field being
	// typed (propPicking), a tap writing one into it.
	propPicks   *fyne.Container
	propPicking string
	apply       *widget.Button
	message     *widget.Label // why an edit was refused

	kind     *widget.Select // the palette
	search   *widget.Entry  // the tag picker's search
	picks    *fyne.Container
	tag      *widget.Label // the tag picked
	text     *widget.Entry // the new element's text, title or file
	add      *widget.Button
	picked   string
	selIndex int    // the selected element's index, for after a reload; -1 none
	selIn    string // the display it is in

	// hay is each tag's name and description in lower case, for the tag
	// pickers; made once for the tags it was made from.
	hay     []string
	hayFrom []*datasource.Tag
	names   map[string]bool // the tags' names
}

// newEditUI builds the edit bar and panel of h; both start hidden.
func (h *Host) newEditUI() {
	u := &editUI{propEntries: map[string]*widget.Entry{}, selIndex: -1}
	h.ed = u
	u.undo = widget.NewButton("Undo", func() { h.editDone(h.deps.Edit.Undo()) })
	u.redo = widget.NewButton("Redo", func() { h.editDone(h.deps.Edit.Redo()) })
	u.bar = container.NewHBox(u.undo, u.redo, widget.NewLabel("Tap: select · drag: move · drag the corner: resize"))
	u.bar.Hide()

	u.propsTitle = widget.NewLabelWithStyle("Nothing selected", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	u.props = widget.NewForm()
	u.propPicks = container.NewVBox()
	u.apply = widget.NewButton("Save", func() { h.saveProps() })
	u.apply.Disable()
	u.message = widget.NewLabel("")
	u.message.Wrapping = fyne.TextWrapWord
	u.message.Hide()

	u.kind = widget.NewSelect(displays.PaletteKinds(), func(string) { h.paletteKind() })
	u.search = widget.NewEntry()
	u.search.SetPlaceHolder("search tags")
	u.search.OnChanged = func(string) { h.pickTags() }
	u.picks = container.NewVBox()
	u.tag = widget.NewLabel("")
	u.text = widget.NewEntry()
	u.add = widget.NewButton("Add", func() { h.addElement() })
	u.kind.SetSelected("value")

	col := container.NewVBox(u.propsTitle, u.props, u.propPicks, u.apply, u.message, widget.NewSeparator(),
		widget.NewLabelWithStyle("Add an element", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		u.kind, u.search, u.picks, u.tag, u.text, u.add)
	scroll := container.NewVScroll(col)
	scroll.SetMinSize(fyne.NewSize(260, 0))
	u.panel = container.NewStack(scroll)
	u.panel.Hide()
}

// setEditing shows or hides the edit bar and panel.
func (h *Host) setEditing(on bool) {
	if h.cur != nil {
		h.cur.SetEditing(on)
	}
	if on {
		h.ed.bar.Show()
		h.ed.panel.Show()
	} else {
		h.ed.bar.Hide()
		h.ed.panel.Hide()
	}
}

// bindEditKeys adds Ctrl+Z (undo) and Ctrl+Y (redo) in edit mode. The
// window's driver sends those keys as fyne.ShortcutUndo and ShortcutRedo
// (a focused entry takes them for its own text first).
func (h *Host) bindEditKeys(c fyne.Canvas) {
	c.AddShortcut(&fyne.ShortcutUndo{}, func(fyne.Shortcut) { h.Undo() })
	c.AddShortcut(&fyne.ShortcutRedo{}, func(fyne.Shortcut) { h.Redo() })
}

// Undo undoes the last display edit, in edit mode.
func (h *Host) Undo() {
	if h.edit.Checked && h.deps.Edit != nil {
		h.editDone(h.deps.Edit.Undo())
	}
}

// Redo redoes the last undone display edit, in edit mode.
func (h *Host) Redo() {
	if h.edit.Checked && h.deps.Edit != nil {
		h.editDone(h.deps.Edit.Redo())
	}
}

// editDone shows why an edit was refused, or clears the last refusal.
func (h *Host) editDone(err error) {
	if err == nil {
		h.ed.message.Hide()
		return
	}
	h.ed.message.SetText(err.Error())
	h.ed.message.Show()
}

// EditMessage returns why the last edit was refused, "" when it was not.
func (h *Host) EditMessage() string {
	if !h.ed.message.Visible() {
		return ""
	}
	return h.ed.message.Text
}

// selected fills the property panel with e's fields (nil: nothing
// selected).
func (h *Host) selected(e *displays.Element) {
	u := h.ed
	u.props.Items = nil
	clear(u.propEntries)
	u.propValues = nil
	h.showPropPicks("", nil)
	u.apply.Disable()
	u.selIndex = -1
	if e == nil {
		u.propsTitle.SetText("Nothing selected")
		u.props.Refresh()
		return
	}
	u.selIndex, u.selIn = e.Index, h.Current()
	if e.Via.Line != 0 {
		u.propsTitle.SetText(fmt.Sprintf("elements[%d]: made by a template; edit the template's file", e.Index))
		u.props.Refresh()
		return
	}
	u.propsTitle.SetText(fmt.Sprintf("%s · elements[%d]", e.Kind, e.Index))
	vals, err := h.deps.Edit.Values(h.cur.d, e)
	if err != nil {
		h.editDone(err)
		u.props.Refresh()
		return
	}
	u.propValues = vals
	for _, f := range displays.Fields(e.Kind.String()) {
		if f.List {
			continue
		}
		en := widget.NewEntry()
		en.SetText(vals[f.Key])
		en.OnSubmitted = func(string) { h.saveProps() }
		if f.Tag {
			key := f.Key
			en.SetPlaceHolder("type to search tags")
			en.OnChanged = func(text string) { h.propTagTyped(key, text) }
		}
		u.propEntries[f.Key] = en
		u.props.Append(f.Key, en)
	}
	u.apply.Enable()
	u.props.Refresh()
}

// saveProps saves each changed field of the selected element, one edit
// each; it stops at the first refused.
func (h *Host) saveProps() {
	u := h.ed
	e := h.cur.Selected()
	if e == nil || u.propValues == nil {
		return
	}
	keys := make([]string, 0, len(u.propEntries))
	for k := range u.propEntries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		text := u.propEntries[k].Text
		if text == u.propValues[k] {
			continue
		}
		if err := h.deps.Edit.SetField(h.cur.d, e, k, text); err != nil {
			h.editDone(err)
			return
		}
		u.propValues[k] = text
	}
	h.editDone(nil)
}

// paletteKind shows the palette's fields for the kind chosen: the tag
// picker when it needs a tag, the text entry when it needs a text.
func (h *Host) paletteKind() {
	u := h.ed
	tagKey, textKey := paletteFields(u.kind.Selected)
	if tagKey == "" {
		u.search.Hide()
		u.picks.Hide()
		u.tag.Hide()
	} else {
		u.search.Show()
		u.picks.Show()
		u.tag.Show()
		u.tag.SetText(tagKey + ": " + u.picked)
	}
	if textKey == "" {
		u.text.Hide()
	} else {
		u.text.SetPlaceHolder(textKey)
		u.text.Show()
	}
}

// paletteFields are the fields the palette asks for a new element of
// kind: its first required tag field and its first required other field.
func paletteFields(kind string) (tagKey, textKey string) {
	for _, f := range displays.Fields(kind) {
		switch {
		case !f.Required:
		case f.Tag && tagKey == "": // a trend's tags too: its first pen
			tagKey = f.Key
		case f.List: // a pipe's points: a straight line, bent in the file
		case !f.Tag && textKey == "":
			textKey = f.Key
		}
	}
	return tagKey, textKey
}

// pickTags lists the project's tags whose name or description holds the
// search text, the first maxPicks of them; a tap picks one.
func (h *Host) pickTags() {
	u := h.ed
	fillPicks(u.picks, h.matchTags(u.search.Text), h.Pick)
}

// fillPicks makes picks list names as buttons calling pick, with a line
// saying there are more when matchTags cut the list.
func fillPicks(picks *fyne.Container, names []string, pick func(string)) {
	picks.Objects = picks.Objects[:0]
	for i, name := range names {
		if i == maxPicks {
			picks.Add(widget.NewLabel("… more: type more of the name"))
			break
		}
		b := widget.NewButton(name, func() { pick(name) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		picks.Add(b)
	}
	picks.Refresh()
}

// matchTags returns the names of the project's tags whose name or
// description holds every word of query (case ignored), in project order:
// at most maxPicks+1, the last saying there are more. An empty query
// matches nothing. At 10,000 tags it is a scan of strings made once
// (BenchmarkTagPicker10k).
func (h *Host) matchTags(query string) []string {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 || h.deps.Edit == nil {
		return nil
	}
	tags := h.haystack()
	u := h.ed
	var out []string
next:
	for i, t := range tags {
		for _, w := range words {
			if !strings.Contains(u.hay[i], w) {
				continue next
			}
		}
		out = append(out, t.Name)
		if len(out) > maxPicks {
			break
		}
	}
	return out
}

// haystack returns the project's tags, with u.hay and u.names made for
// them once.
func (h *Host) haystack() []*datasource.Tag {
	tags := h.deps.Edit.Tags()
	u := h.ed
	if len(u.hayFrom) != len(tags) || len(tags) > 0 && &u.hayFrom[0] != &tags[0] {
		u.hay, u.hayFrom, u.names = make([]string, len(tags)), tags, make(map[string]bool, len(tags))
		for i, t := range tags {
			u.hay[i] = strings.ToLower(t.Name + "\x00" + t.Description)
			u.names[t.Name] = true
		}
	}
	return tags
}

// propTagTyped offers the tags matching what is typed in the panel's tag
// field key; nothing once the field holds a tag's whole name (picked, or
// as loaded).
func (h *Host) propTagTyped(key, text string) {
	names := h.matchTags(text)
	if h.ed.names[strings.TrimSpace(text)] {
		names = nil
	}
	h.showPropPicks(key, names)
}

// showPropPicks lists names under the panel's fields for its tag field
// key (none: hidden).
func (h *Host) showPropPicks(key string, names []string) {
	u := h.ed
	u.propPicking = key
	fillPicks(u.propPicks, names, func(name string) {
		if en := u.propEntries[u.propPicking]; en != nil {
			en.SetText(name) // its OnChanged hides the list: a whole name
			en.CursorColumn = len([]rune(name))
			en.Refresh()
		}
	})
	if len(names) == 0 {
		u.propPicks.Hide()
	} else {
		u.propPicks.Show()
	}
}

// PropPicks returns the tags the property panel offers now for the tag
// field being typed.
func (h *Host) PropPicks() []string {
	var out []string
	for _, o := range h.ed.propPicks.Objects {
		if b, ok := o.(*widget.Button); ok && h.ed.propPicks.Visible() {
			out = append(out, b.Text)
		}
	}
	return out
}

// Pick sets the tag of the element the palette adds.
func (h *Host) Pick(tag string) {
	h.ed.picked = tag
	h.paletteKind()
}

// addElement adds an element of the palette's kind at the middle of the
// display, on the grid (a pipe or duct: a horizontal line through the
// middle); the reload selects it.
func (h *Host) addElement() {
	u := h.ed
	if h.cur == nil || u.kind.Selected == "" {
		return
	}
	d := h.cur.d
	kind := u.kind.Selected
	size := displays.DefaultSizeOf(kind)
	size.W = min(size.W, d.Size.W) // a pipe's line, on a narrow display
	at := displays.Point{X: max(snap((d.Size.W-size.W)/2, d.Grid), 0), Y: max(snap((d.Size.H-size.H)/2, d.Grid), 0)}
	var fields []string
	tagKey, textKey := paletteFields(kind)
	if tagKey != "" {
		if u.picked == "" {
			h.editDone(fmt.Errorf("a %s needs a tag for %s: search and pick one", kind, tagKey))
			return
		}
		fields = append(fields, tagKey, u.picked)
	}
	if textKey != "" {
		if strings.TrimSpace(u.text.Text) == "" {
			h.editDone(fmt.Errorf("a %s needs its %s", kind, textKey))
			return
		}
		fields = append(fields, textKey, u.text.Text)
	}
	next := 0
	for _, e := range d.Elements {
		next = max(next, e.Index+1)
	}
	err := h.deps.Edit.Add(d, displays.NewElement(kind, at, size, fields...))
	h.editDone(err)
	if err == nil {
		u.selIndex, u.selIn = next, d.Name
	}
}

// reselect selects again, after a reload, element i of display in: the
// one selected before, or the one just added.
func (h *Host) reselect(i int, in string) {
	if h.edit.Checked && h.cur != nil && i >= 0 && in == h.Current() {
		h.cur.SelectIndex(i)
	}
}
