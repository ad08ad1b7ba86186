package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// statusShell is a shell of the plant's tags whose status line d's notices
// change (the rest of d is filled in), refreshed by hand.
func statusShell(t *testing.T, d Deps) (*Shell, fyne.Window) {
	tags := plantTags()
	app := test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	queue := make(chan func(), 64)
	d.Project, d.Tags, d.Values = "Plant", tags, datasource.NewTable(tags)
	d.Devices = func() []poll.DeviceStatus { return nil }
	d.Now = func() time.Time { return time.Date(2026, 12, 6, 13, 15, 0, 0, time.UTC) }
	d.Refresh = time.Hour
	d.Do = func(f func()) { queue <- f }
	return Create(app, win, d), win
}

// TestTheStatusLineShowsTheNoticeOfADamagedHistory: when the history file
// was set aside (Deps.Notice), a dialog says so when the window opens, and
// the status line keeps a short mark of it before the device counts.
func TestTheStatusLineShowsTheNoticeOfADamagedHistory(t *testing.T) {
	const notice = "history plant.db was damaged: moved it to plant.damaged-20261206T131500Z.db"
	s, win := statusShell(t, Deps{Notice: notice})
	defer s.Stop()
	s.refresh()
	if got := s.status.Text; !strings.HasPrefix(got, noticeMark) || !strings.Contains(got, "tags") {
		t.Fatalf("status line %q, want the notice's mark and then the tag counts", got)
	}
	// The whole notice is in a dialog over the window.
	found := false
	walk(t, win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && l.Text == notice {
			found = true
		}
	})
	if !found {
		t.Error("no dialog shows the whole notice")
	}
}

// TestTheStatusLineLeadsWithAHistoryThatIsNotWritten: while the history
// file cannot be written (a full disk), the status line says so first, and
// stops saying it when the file is written again.
func TestTheStatusLineLeadsWithAHistoryThatIsNotWritten(t *testing.T) {
	why := "history not written for 2m0s: no space left on device"
	s, _ := statusShell(t, Deps{HistoryFailing: func() string { return why }})
	defer s.Stop()
	s.refresh()
	if got := s.status.Text; !strings.HasPrefix(got, "HISTORY NOT WRITTEN for 2m0s: no space left on device · ") || !strings.Contains(got, "tags") {
		t.Fatalf("status line %q, want the failing history first, then the counts", got)
	}
	why = ""
	s.refresh()
	if got := s.status.Text; strings.Contains(got, "NOT WRITTEN") {
		t.Fatalf("status line %q after the history is written again", got)
	}
}
