package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
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
	s.host = display.NewHost(d.Displays, display.Deps{Theme: s.theme, OnOpen: s.OpenFaceplate, OnWrite: s.writeFromDisplay})
	s.host.BindKeys(s.win.Canvas())
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
