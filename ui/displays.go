package ui

import (
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
	"github.com/vigil-hmi/vigil/datasource/tagcsv"
	"github.com/vigil-hmi/vigil/ui/display"
	"github.com/vigil-hmi/vigil/ui/overview"
)

// overviewScreen is the F2 screen: the project's own displays (package
// ui/display) with their tree in the navigation column, or for a project
// without displays the generated overview of its tag groups.
func (s *Shell) overviewScreen(active func() []alarms.Alarm) *screen {
	d := s.deps
	if d.Displays.Len() == 0 {
		s.overview = s.newOverview()
		// The overview keeps sparklines, so it follows the values while hidden.
		return &screen{name: "Overview", key: fyne.KeyF2, content: s.overview.Content(), update: s.overview.Update, follow: s.overview.Feed}
	}
	dd := display.Deps{Theme: s.theme, OnOpen: s.OpenFaceplate, OnWrite: s.writeFromDisplay, Prefs: d.Prefs, PrefPrefix: d.PrefPrefix}
	if d.CanEditDisplays != nil {
		dd.Edit = &displayEdits{s: s}
	}
	s.host = display.NewHost(d.Displays, dd)
	s.host.BindKeys(s.win.Canvas())
	s.displaysUserChanged()
	update := func(snap []datasource.Sample, now time.Time) {
		var as []alarms.Alarm
		if active != nil {
			as = active()
		}
		s.host.Update(snap, as, now)
	}
	return &screen{name: "Overview", key: fyne.KeyF2, content: s.host.Content(), update: update}
}

// writeFromDisplay is a display's write button: the tag's faceplate opens
// and asks to confirm the value, so the write takes the faceplate's path
// (permission, limits, confirmation, write, read-back, audit).
func (s *Shell) writeFromDisplay(tag *datasource.Tag, v datasource.Value) {
	s.OpenFaceplate(tag)
	if s.face != nil {
		s.face.Propose(v)
	}
}

// showDisplay shows the named display on the Overview screen; it reports
// false when the project has no such display.
func (s *Shell) showDisplay(name string) bool {
	if s.host == nil || !s.host.Show(name) {
		return false
	}
	s.show(s.screenIndex("Overview"))
	return true
}

// Displays returns the view of the display shown, or nil without displays.
func (s *Shell) Display() *display.View {
	if s.host == nil {
		return nil
	}
	return s.host.View()
}

// ReloadDisplays shows a new compile of the project's displays (a saved
// display or project file; `vigil open` watches them), or err's problems
// above the display, which then stays as it was. Call it on the UI
// goroutine. tags are the reloaded project's: when they are not the tags
// the window runs on (a tag added, removed or renamed, which needs the
// engine restarted), the displays stay as they were and the banner says so.
func (s *Shell) ReloadDisplays(set *displays.Set, tags []*datasource.Tag, err error) {
	if s.host == nil {
		// The window started on the generated overview; its displays need
		// the navigation tree, which is built once: a restart shows them.
		return
	}
	switch {
	case err != nil:
		s.host.SetProblems(err.Error())
	case !sameTags(tags, s.deps.Tags):
		s.host.SetProblems("the project's tags or devices changed: restart vigil to apply them")
	case set.Len() == 0:
		s.host.SetProblems("the project has no displays any more: restart vigil for the generated overview")
	default:
		s.host.Reload(set)
		s.refresh()
	}
}

// sameTags reports whether a reload's tags are those the window runs on:
// the same names in the same order, so TagIDs index the same table.
func sameTags(a, b []*datasource.Tag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

// displaysUserChanged shows the Edit switch to an operator who may edit.
func (s *Shell) displaysUserChanged() {
	if s.host != nil {
		s.host.SetEditable(s.canEditDisplays())
	}
}

func (s *Shell) canEditDisplays() bool {
	return s.deps.CanEditDisplays != nil && s.deps.CanEditDisplays()
}

// displayEdits is edit mode's way to the display files (display.Editor):
// each edit is one minimal change of a file's text (package displays),
// checked by compiling the displays with it before the file is written,
// audited as display_edit, and kept for undo. The watcher's reload then
// shows it.
type displayEdits struct {
	s          *Shell
	undo, redo []fileEdit
}

// fileEdit is one edit made, for undo and redo.
type fileEdit struct {
	file, display string
	what          string // as the audit trail says it: "elements[3].at: [420, 350]"
	c             displays.Change
}

// MaxUndo bounds the edits kept for undo.
const MaxUndo = 100

// fileOf is the file element e is written in (its instance's for an
// element of a template).
func fileOf(e *displays.Element) string {
	if e.Via.Line != 0 {
		return e.Via.File
	}
	return e.Pos.File
}

func (x *displayEdits) Move(d *displays.Display, e *displays.Element, at displays.Point) error {
	return x.do(d.Name, fileOf(e), fmt.Sprintf("elements[%d].at: [%g, %g]", e.Index, at.X, at.Y), func(b []byte) (displays.Change, error) {
		return displays.PairChange(b, d.Name, e.Index, "at", at.X, at.Y)
	})
}

func (x *displayEdits) Resize(d *displays.Display, e *displays.Element, size displays.Size) error {
	what := fmt.Sprintf("elements[%d].size: [%g, %g]", e.Index, size.W, size.H)
	if e.Via.Line != 0 {
		return fmt.Errorf("%s: the element is made by a template; resize it in the template at %s", what, e.Pos)
	}
	return x.do(d.Name, fileOf(e), what, func(b []byte) (displays.Change, error) {
		return displays.PairChange(b, d.Name, e.Index, "size", size.W, size.H)
	})
}

func (x *displayEdits) SetField(d *displays.Display, e *displays.Element, key, value string) error {
	what := fmt.Sprintf("elements[%d].%s: %q", e.Index, key, value)
	if e.Via.Line != 0 {
		return fmt.Errorf("%s: the element is made by a template; edit the template at %s", what, e.Pos)
	}
	return x.do(d.Name, fileOf(e), what, func(b []byte) (displays.Change, error) {
		return displays.FieldChange(b, d.Name, e.Index, key, value)
	})
}

func (x *displayEdits) Add(d *displays.Display, text string) error {
	return x.do(d.Name, d.Pos.File, "elements: + "+text, func(b []byte) (displays.Change, error) {
		return displays.AddElement(b, d.Name, text)
	})
}

func (x *displayEdits) Values(d *displays.Display, e *displays.Element) (map[string]string, error) {
	data, err := os.ReadFile(fileOf(e))
	if err != nil {
		return nil, err
	}
	return displays.Values(data, d.Name, e.Index)
}

func (x *displayEdits) Tags() []*datasource.Tag { return x.s.deps.Tags }

// do makes one edit of file, audits it and keeps it for undo.
func (x *displayEdits) do(display, file, what string, edit func([]byte) (displays.Change, error)) error {
	var c displays.Change
	saved, err := x.write(display, file, what, func(b []byte) ([]byte, error) {
		var err error
		if c, err = edit(b); err != nil {
			return nil, err
		}
		out, err := c.Apply(b)
		if err != nil {
			return nil, err
		}
		// Refused before writing: the compiler's file:line messages.
		if err := x.s.host.Set().Check(file, out); err != nil {
			return nil, fmt.Errorf("not saved, the displays would not load:\n%w", err)
		}
		return out, nil
	})
	if saved {
		x.undo = append(x.undo, fileEdit{file: file, display: display, what: what, c: c})
		if len(x.undo) > MaxUndo {
			x.undo = x.undo[1:]
		}
		x.redo = x.redo[:0]
	}
	return err
}

// Undo undoes the last edit: its inverse change, which must find the file
// as the edit left it.
func (x *displayEdits) Undo() error { return x.step(&x.undo, &x.redo, "undo ", true) }

// Redo makes the last undone edit again.
func (x *displayEdits) Redo() error { return x.step(&x.redo, &x.undo, "redo ", false) }

func (x *displayEdits) step(from, to *[]fileEdit, verb string, inverse bool) error {
	if len(*from) == 0 {
		return fmt.Errorf("nothing to %s", strings.TrimSpace(verb))
	}
	fe := (*from)[len(*from)-1]
	c := fe.c
	if inverse {
		c = c.Inverse()
	}
	saved, err := x.write(fe.display, fe.file, verb+fe.what, c.Apply)
	if saved {
		*from = (*from)[:len(*from)-1]
		*to = append(*to, fe)
	}
	return err
}

// write edits file with edit when the operator may, and audits the edit
// (or its refusal). saved is true when the file was written, even if the
// audit then failed: the edit is kept for undo all the same.
func (x *displayEdits) write(display, file, what string, edit func([]byte) ([]byte, error)) (saved bool, err error) {
	s := x.s
	s.activity()
	if !s.canEditDisplays() {
		err = fmt.Errorf("%s may not edit displays", s.deps.User())
	} else {
		err = editFile(file, edit)
	}
	saved = err == nil
	if s.deps.OnDisplayEdit != nil {
		if aerr := s.deps.OnDisplayEdit(s.deps.User(), display, file, what, err); aerr != nil && err == nil {
			err = fmt.Errorf("%s: saved, but the audit trail failed: %w", what, aerr)
		}
	}
	return saved, err
}

// editFile applies edit to the file's text and replaces the file
// atomically.
func editFile(path string, edit func([]byte) ([]byte, error)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := edit(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return tagcsv.WriteFile(path, out)
}

// newOverview makes the generated overview, whose sparklines are filled
// from history as they are made (wantFill).
func (s *Shell) newOverview() *overview.Overview {
	var active func() []alarms.Alarm
	if s.deps.Alarms != nil {
		active = s.deps.Alarms.Active
	}
	return overview.New(s.deps.Tags, overview.Deps{Theme: s.theme, OnOpen: s.OpenFaceplate, Alarms: active, OnLine: s.wantFill})
}
