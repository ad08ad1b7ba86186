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

// TestTheStatusLineShowsTheNoticeOfADamagedHistory: when the history file
// was set aside (Deps.Notice), a dialog says so when the window opens, and
// the status line keeps a short mark of it before the device counts.
func TestTheStatusLineShowsTheNoticeOfADamagedHistory(t *testing.T) {
	tags := plantTags()
	app := test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	queue := make(chan func(), 64)
	const notice = "history plant.db was damaged: moved it to plant.damaged-20261206T131500Z.db"
	s := Create(app, win, Deps{
		Project: "Plant",
		Tags:    tags,
		Values:  datasource.NewTable(tags),
		Devices: func() []poll.DeviceStatus { return nil },
		Now:     func() time.Time { return time.Date(2026, 12, 6, 13, 15, 0, 0, time.UTC) },
		Refresh: time.Hour,
		Notice:  notice,
		Do:      func(f func()) { queue <- f },
	})
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
	tags := plantTags()
	app := test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	why := "history not written for 2m0s: no space left on device"
	s := Create(app, win, Deps{
		Project:        "Plant",
		Tags:           tags,
		Values:         datasource.NewTable(tags),
		Devices:        func() []poll.DeviceStatus { return nil },
		Now:            func() time.Time { return time.Date(2026, 12, 6, 13, 15, 0, 0, time.UTC) },
		Refresh:        time.Hour,
		HistoryFailing: func() string { return why },
		Do:             func(f func()) { f() },
	})
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
