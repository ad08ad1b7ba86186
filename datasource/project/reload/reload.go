// Package reload watches a project file and the display files it names,
// and loads the project again when one of them is saved: `vigil open FILE`
// uses it so that an engineer's edit to a display appears in the running
// window within a second. It sits beside the project loader: it polls the
// files' size and modification time (no platform file-notification API, so
// it behaves the same on every OS and on network shares) and hands each
// new load, or its errors, to its owner.
package reload

import (
	"context"
	"os"
	"time"

	"github.com/vigil-hmi/vigil/datasource/project"
)

// DefaultInterval is how often Run looks at the files: well inside the
// one second a save may take to show.
const DefaultInterval = 250 * time.Millisecond

// Watcher polls one project's files.
type Watcher struct {
	path  string
	files []string // the project file, then its display files
	seen  map[string]stamp
	// Load loads the project; project.Load unless a test replaces it.
	Load func(path string) (*project.Project, error)
}

// stamp is what tells a file changed.
type stamp struct {
	size    int64
	modTime time.Time
	missing bool
}

// New watches the project at path, whose current load is p (its display
// files are watched too).
func New(path string, p *project.Project) *Watcher {
	w := &Watcher{path: path, Load: project.Load}
	w.track(p)
	return w
}

// track sets the files to watch from a loaded project and notes their
// current state.
func (w *Watcher) track(p *project.Project) {
	w.files = []string{w.path}
	if p != nil && p.Displays != nil {
		w.files = append(w.files, p.Displays.Files...)
	}
	w.seen = make(map[string]stamp, len(w.files))
	for _, f := range w.files {
		w.seen[f] = stampOf(f)
	}
}

func stampOf(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{missing: true}
	}
	return stamp{size: fi.Size(), modTime: fi.ModTime()}
}

// Poll looks at the files once. When one changed it loads the project and
// returns the load (changed true); a load that fails returns its error and
// keeps watching the same files, so fixing the file reloads it.
func (w *Watcher) Poll() (p *project.Project, changed bool, err error) {
	for _, f := range w.files {
		if stampOf(f) != w.seen[f] {
			changed = true
			break
		}
	}
	if !changed {
		return nil, false, nil
	}
	p, err = w.Load(w.path)
	if err != nil {
		for _, f := range w.files {
			w.seen[f] = stampOf(f)
		}
		return nil, true, err
	}
	w.track(p)
	return p, true, nil
}

// Run polls every interval until ctx ends and calls onLoad with each new
// load or its error, on Run's goroutine.
func (w *Watcher) Run(ctx context.Context, interval time.Duration, onLoad func(*project.Project, error)) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if p, changed, err := w.Poll(); changed {
				onLoad(p, err)
			}
		}
	}
}
