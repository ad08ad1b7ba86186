package ui

import (
	"fmt"
	"os"
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
		s.overview = overview.New(d.Tags, overview.Deps{Theme: s.theme, OnOpen: s.OpenFaceplate, Alarms: active})
		// The overview keeps sparklines, so it follows the values while hidden.
		return &screen{name: "Overview", key: fyne.KeyF2, content: s.overview.Content(), update: s.overview.Update, follow: s.overview.Feed}
	}
	dd := display.Deps{Theme: s.theme, OnOpen: s.OpenFaceplate, OnWrite: s.writeFromDisplay}
	if d.CanEditDisplays != nil {
		dd.OnMove = s.moveElement
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

// moveElement is edit mode's drop: the element's at (an instance's for its
// elements) is changed in its display file's text, only that value's
// bytes, and the edit is audited. The watcher's reload then shows it.
func (s *Shell) moveElement(d *displays.Display, e *displays.Element, at displays.Point) {
	s.activity()
	file := e.Pos.File
	if e.Via.Line != 0 {
		file = e.Via.File
	}
	change := fmt.Sprintf("elements[%d].at: [%g, %g]", e.Index, at.X, at.Y)
	var err error
	if !s.canEditDisplays() {
		err = fmt.Errorf("%s may not edit displays", s.deps.User())
	} else {
		err = editFile(file, func(b []byte) ([]byte, error) { return displays.SetPair(b, d.Name, e.Index, "at", at.X, at.Y) })
	}
	if s.deps.OnDisplayEdit != nil {
		if aerr := s.deps.OnDisplayEdit(s.deps.User(), d.Name, file, change, err); aerr != nil && err == nil {
			err = fmt.Errorf("%s: saved, but the audit trail failed: %w", change, aerr)
		}
	}
	if err != nil {
		s.host.SetProblems(err.Error())
	}
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
