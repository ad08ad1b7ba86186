package main

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/cmd/vigil/internal/cli"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/datasource/project/reload"
	"github.com/vigil-hmi/vigil/ui"
)

// watchDisplays reloads the displays of the project at path into the shells
// of every open window (shells is called on the UI goroutine) when
// the project file or one of its display files is saved (docs/displays.md,
// live reload), until the returned stop is called or ctx ends. The engine,
// history and alarms keep running: only the displays change.
func watchDisplays(ctx context.Context, path string, p *project.Project, shells func() []*ui.Shell) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		reload.New(path, p).Run(ctx, reload.DefaultInterval, func(np *project.Project, err error) {
			fyne.Do(func() {
				for _, shell := range shells() {
					if err != nil {
						shell.ReloadDisplays(nil, nil, err)
						continue
					}
					shell.ReloadDisplays(np.Displays, np.Tags, nil)
				}
			})
		})
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// canEditDisplays is who may use the displays' edit mode: an engineer or
// administrator, or whoever sits at a single-operator panel (docs/displays.md).
func canEditDisplays(rt *cli.Runtime, s *access.Session) bool {
	if s == nil {
		return false
	}
	return (rt.Users != nil && rt.Users.SingleOperator()) || s.Role() >= access.Engineer
}
