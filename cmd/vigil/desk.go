package main

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/cmd/vigil/internal/cli"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/ui/guard"
	"github.com/vigil-hmi/vigil/ui/login"
)

// desk is the operator at the window: who is logged in (ui/login) and the
// write path their faceplates use (ui/guard).
type desk struct {
	login  *login.Manager
	writer *guard.Writer
}

// newDesk builds the login and write path of win on rt; onChange runs on
// the UI goroutine after every login, logout and idle logoff. The login is
// the station's: first is the first window's, which the others join, so
// one operator is logged in at every window of the station (nil for the
// first window itself).
func newDesk(rt *cli.Runtime, trail *guard.Trail, win fyne.Window, first *login.Manager, onChange func()) *desk {
	d := &desk{}
	changed := func(*access.Session) { onChange() }
	if first != nil {
		d.login = first.Join(win, changed)
	} else {
		ld := login.Deps{Directory: rt.Users, Window: win, Now: rt.Clock.Now, OnChange: changed}
		if trail != nil { // a nil *guard.Trail must not become a non-nil Recorder
			ld.Audit = trail
		}
		d.login = login.New(ld)
	}
	d.writer = &guard.Writer{Tags: rt.Project.Tags, Session: d.login.Session, Path: rt.Writes, Reauth: d.sign}
	return d
}

// sign asks the operator for their password before a write to a critical
// tag (electronic signature). It runs on the write's goroutine and waits for
// the prompt on the UI goroutine; a cancelled prompt never answers, so the
// write's own timeout ends the wait.
func (d *desk) sign(ctx context.Context, tag *datasource.Tag) (string, error) {
	answer := make(chan string, 1)
	fyne.Do(func() {
		d.login.Reauthenticate("write "+tag.Name, func(password string) { answer <- password })
	})
	select {
	case pw := <-answer:
		return pw, nil
	case <-ctx.Done():
		return "", fmt.Errorf("no signature given: %w", ctx.Err())
	}
}
