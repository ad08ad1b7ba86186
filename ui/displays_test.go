package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
)

const shellDisplays = `displays:
  - name: plant
    title: Plant
    level: 1
    elements:
      - {kind: button, at: [20, 20], text: Tank, goto: tank}
  - name: tank
    title: Tank area
    parent: plant
    elements:
      - {kind: tank, at: [100, 100], level: Tank1.Level}
      - {kind: button, at: [400, 100], text: Fill, write: Tank1.LevelSP, value: 80}
`

// writeLog records the writes a display button made through the shell.
type writeLog struct{ reqs *[]poll.WriteRequest }

func (w writeLog) Write(_ context.Context, req poll.WriteRequest) (poll.WriteResult, error) {
	*w.reqs = append(*w.reqs, req)
	return poll.WriteResult{Tag: req.Tag, Requested: req.Value, Match: true, ReadBack: datasource.Sample{Tag: req.Tag, Value: req.Value}}, nil
}

func displayShell(t *testing.T) (*Shell, fyne.Window, *[]poll.WriteRequest, chan func()) {
	t.Helper()
	tags := plantTags()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("[d.yaml]"), &doc); err != nil {
		t.Fatal(err)
	}
	set, errs := displays.Compile(displays.Input{File: "p.yaml", Node: doc.Content[0], Tags: tags,
		FS: fstest.MapFS{"d.yaml": {Data: []byte(shellDisplays)}}})
	if errs != nil {
		t.Fatal(errs)
	}
	var writes []poll.WriteRequest
	queue := make(chan func(), 64)
	app := test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	s := Create(app, win, Deps{Project: "Plant", Tags: tags, Values: datasource.NewTable(tags),
		Devices: func() []poll.DeviceStatus { return nil }, Refresh: time.Hour, Displays: set,
		Writer: writeLog{&writes}, User: func() string { return "anna" }, CanWrite: func(t *datasource.Tag) bool { return t.Writable },
		Do: func(f func()) { queue <- f }})
	t.Cleanup(func() {
		s.Stop()
		for len(queue) > 0 {
			(<-queue)()
		}
	})
	win.Resize(fyne.NewSize(1280, 800))
	return s, win, &writes, queue
}

func TestTheOverviewShowsTheProjectsDisplaysAndTheirTree(t *testing.T) {
	s, _, _, _ := displayShell(t)
	if s.Screen() != "Overview" || s.Display() == nil || s.Display().Display().Name != "plant" {
		t.Fatalf("screen %q display %v, want the Overview on the level 1 display", s.Screen(), s.Display())
	}
	if !s.ShowScreen("tank") || s.Display().Display().Name != "tank" {
		t.Fatal("ShowScreen(\"tank\") (--screen tank) does not show the tank display")
	}
	if s.ShowScreen("nowhere") {
		t.Error("ShowScreen of an unknown name reports success")
	}
	s.host.Back()
	if s.Display().Display().Name != "plant" {
		t.Errorf("Back shows %s, want plant", s.Display().Display().Name)
	}
}

// highlighted returns the texts of the navigation column's buttons drawn
// as the current place (screen keys and display tree alike).
func highlighted(s *Shell) []string {
	var on []string
	for _, b := range s.nav {
		if b.Importance == widget.HighImportance {
			on = append(on, b.Text)
		}
	}
	for _, o := range s.host.Tree().(*fyne.Container).Objects {
		if b, ok := o.(*widget.Button); ok && b.Importance == widget.HighImportance {
			on = append(on, strings.TrimSpace(b.Text))
		}
	}
	return on
}

func TestTheNavigationColumnHighlightsOnlyWhereTheOperatorIs(t *testing.T) {
	s, _, _, _ := displayShell(t)
	if on := highlighted(s); len(on) != 2 || !strings.HasPrefix(on[0], "Overview") || on[1] != "Plant" {
		t.Fatalf("on the plant display, highlighted %q, want the Overview key and the Plant display", on)
	}
	s.ShowScreen("Tags")
	if on := highlighted(s); len(on) != 1 || !strings.HasPrefix(on[0], "Tags") {
		t.Fatalf("on the Tags screen, highlighted %q, want only the Tags key (no display)", on)
	}
	s.ShowScreen("tank")
	if on := highlighted(s); len(on) != 2 || !strings.HasPrefix(on[0], "Overview") || on[1] != "Tank area" {
		t.Fatalf("back on a display, highlighted %q, want the Overview key and the Tank area display", on)
	}
}

func TestADisplaysWriteButtonWritesThroughTheFaceplatesConfirmation(t *testing.T) {
	s, win, writes, queue := displayShell(t)
	s.ShowScreen("tank")
	test.TapCanvas(win.Canvas(), fyne.NewPos(1, 1)) // nothing: no element there
	var fill *widget.Button
	walk(t, s.Display(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Fill" {
			fill = b
		}
	})
	if fill == nil {
		t.Fatal("no Fill button on the tank display")
	}
	test.Tap(fill)
	if f, tag := s.Faceplate(); f == nil || tag.Name != "Tank1.LevelSP" {
		t.Fatal("the write button did not open Tank1.LevelSP's faceplate")
	}
	if len(*writes) != 0 {
		t.Fatal("the button wrote before the operator confirmed")
	}
	// The confirmation is the faceplate's own (its write path is tested in
	// ui/setpoint): the question names the tag and the button's value, and
	// Cancel, its default, writes nothing.
	var question string
	var cancel *widget.Button
	walk(t, win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			if strings.Contains(w.Text, "→") {
				question = w.Text
			}
		case *widget.Button:
			if w.Text == "Cancel" {
				cancel = w
			}
		}
	})
	if !strings.HasPrefix(question, "Tank1.LevelSP: ") || !strings.HasSuffix(question, "→ 80.0 %") || cancel == nil {
		t.Fatalf("confirmation %q (cancel %v), want Tank1.LevelSP: … → 80.0 %% with Cancel", question, cancel != nil)
	}
	test.Tap(cancel)
	for len(queue) > 0 {
		(<-queue)()
	}
	if len(*writes) != 0 {
		t.Errorf("Cancel wrote %v", *writes)
	}
}

func TestASavedDisplayReplacesTheShownOneAndABrokenOneIsReported(t *testing.T) {
	s, _, _, _ := displayShell(t)
	s.ShowScreen("tank")
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("[d.yaml]"), &doc); err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(shellDisplays, "{kind: tank, at: [100, 100]", "{kind: tank, at: [300, 100]", 1)
	set, errs := displays.Compile(displays.Input{File: "p.yaml", Node: doc.Content[0], Tags: s.deps.Tags,
		FS: fstest.MapFS{"d.yaml": {Data: []byte(moved)}}})
	if errs != nil {
		t.Fatal(errs)
	}
	s.ReloadDisplays(nil, nil, errors.New("d.yaml:11: displays[tank].elements[0].level: unknown tag \"Tank9.Level\""))
	if !strings.Contains(s.host.Problems(), "d.yaml:11:") || s.Display().Display().Elements[0].Box.X != 100 {
		t.Fatalf("a broken save: banner %q, tank at %g; want the error and the old display", s.host.Problems(), s.Display().Display().Elements[0].Box.X)
	}
	s.ReloadDisplays(set, s.deps.Tags, nil)
	if s.Display().Display().Name != "tank" || s.Display().Display().Elements[0].Box.X != 300 || s.host.Problems() != "" {
		t.Fatalf("after the fix: %s with the tank at %g, banner %q", s.Display().Display().Name, s.Display().Display().Elements[0].Box.X, s.host.Problems())
	}
	s.ReloadDisplays(set, s.deps.Tags[:2], nil)
	if !strings.Contains(s.host.Problems(), "restart") {
		t.Errorf("changed tags: banner %q, want it to ask for a restart", s.host.Problems())
	}
}

func TestDisplayEditsAreMinimalUndoableCheckedAndAudited(t *testing.T) {
	dir := t.TempDir()
	text := "# tank area\n" + shellDisplays
	file := filepath.Join(dir, "d.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tags := plantTags()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("[d.yaml]"), &doc); err != nil {
		t.Fatal(err)
	}
	set, errs := displays.Compile(displays.Input{File: filepath.Join(dir, "p.yaml"), Node: doc.Content[0], Tags: tags})
	if errs != nil {
		t.Fatal(errs)
	}
	var audited []string
	allowed := true
	app := test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	s := Create(app, win, Deps{Project: "Plant", Tags: tags, Values: datasource.NewTable(tags),
		Devices: func() []poll.DeviceStatus { return nil }, Refresh: time.Hour, Displays: set,
		User: func() string { return "erin" }, CanEditDisplays: func() bool { return allowed },
		OnDisplayEdit: func(user, display, file, change string, err error) error {
			audited = append(audited, fmt.Sprintf("%s %s %s %s %v", user, display, filepath.Base(file), change, err))
			return nil
		}})
	t.Cleanup(s.Stop)
	s.ShowScreen("tank")
	d := s.Display().Display()
	ed := &displayEdits{s: s}
	if err := ed.Move(d, d.Elements[0], displays.Point{X: 120, Y: 140}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(text, "{kind: tank, at: [100, 100]", "{kind: tank, at: [120, 140]", 1)
	if string(got) != want {
		t.Fatalf("the file became\n%s\nwant only the tank's at changed:\n%s", got, want)
	}
	if len(audited) != 1 || audited[0] != "erin tank d.yaml elements[0].at: [120, 140] <nil>" {
		t.Errorf("audit trail %q", audited)
	}
	// Undo restores the file byte for byte; redo makes the edit again.
	if err := ed.Undo(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != text {
		t.Fatalf("undo left\n%s", got)
	}
	if err := ed.Redo(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != want {
		t.Fatalf("redo left\n%s", got)
	}
	if len(audited) != 3 || audited[1] != "erin tank d.yaml undo elements[0].at: [120, 140] <nil>" || audited[2] != "erin tank d.yaml redo elements[0].at: [120, 140] <nil>" {
		t.Errorf("audit trail of undo and redo %q", audited)
	}
	// A property the compiler refuses is not written.
	err = ed.SetField(d, d.Elements[0], "level", "Tank9.Level")
	if err == nil || !strings.Contains(err.Error(), "d.yaml:12: displays[tank].elements[0].level: ") {
		t.Fatalf("an unknown tag: %v, want the compiler's file:line message", err)
	}
	if got, _ := os.ReadFile(file); string(got) != want {
		t.Fatalf("a refused property changed the file:\n%s", got)
	}
	if err := ed.Undo(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != text {
		t.Fatal("undo after a refused edit did not restore the file")
	}
	allowed = false
	s.UserChanged()
	err = ed.Move(d, d.Elements[0], displays.Point{X: 300, Y: 300})
	if again, _ := os.ReadFile(file); string(again) != text {
		t.Error("an operator who may not edit moved an element")
	}
	if n := len(audited); !strings.Contains(audited[n-1], "may not edit displays") || err == nil || !strings.Contains(err.Error(), "may not edit") {
		t.Errorf("a refused edit: audit %q, error %v", audited, err)
	}
}
