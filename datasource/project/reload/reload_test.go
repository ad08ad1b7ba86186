package reload

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource/project"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const proj = `project: P
devices: [{name: plant, driver: sim}]
tags:
  - {name: Tank1.Level, device: plant, address: tank1.level, span: [0, 100]}
displays: [d.yaml]
`

func display(x int) string {
	return "displays:\n  - name: d\n    elements:\n      - {kind: tank, at: [" + strconv.Itoa(x) + ", 10], level: Tank1.Level}\n"
}

// write writes a file and moves its modification time on, so a change is
// seen whatever the file system's time resolution.
func write(t *testing.T, path, text string, age int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	mt := time.Unix(1_800_000_000+int64(age), 0)
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

func setup(t *testing.T) (string, *Watcher) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	write(t, path, proj, 0)
	write(t, filepath.Join(dir, "d.yaml"), display(10), 0)
	p, err := project.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, New(path, p)
}

func TestASavedDisplayFileReloadsTheProject(t *testing.T) {
	dir, w := setup(t)
	if _, changed, _ := w.Poll(); changed {
		t.Fatal("nothing was saved, yet Poll reloaded")
	}
	write(t, filepath.Join(dir, "d.yaml"), display(200), 1)
	p, changed, err := w.Poll()
	if !changed || err != nil {
		t.Fatalf("changed %v err %v, want a reload", changed, err)
	}
	d, _ := p.Displays.Display("d")
	if d.Elements[0].Box.X != 200 {
		t.Errorf("the reloaded tank is at x %g, want 200", d.Elements[0].Box.X)
	}
	if _, changed, _ := w.Poll(); changed {
		t.Error("a second Poll reloaded again")
	}
}

func TestABrokenSaveReportsItsErrorsAndTheFixReloads(t *testing.T) {
	dir, w := setup(t)
	write(t, filepath.Join(dir, "d.yaml"), strings.Replace(display(10), "Tank1.Level", "Tank9.Level", 1), 1)
	_, changed, err := w.Poll()
	if !changed || err == nil || !strings.Contains(err.Error(), "d.yaml:4: displays[d].elements[0].level: unknown tag \"Tank9.Level\"") {
		t.Fatalf("changed %v, err %v; want the file:line error", changed, err)
	}
	if _, changed, _ := w.Poll(); changed {
		t.Error("the broken file is reloaded again without a save")
	}
	write(t, filepath.Join(dir, "d.yaml"), display(30), 2)
	if p, changed, err := w.Poll(); !changed || err != nil || p == nil {
		t.Fatalf("fixing the file: changed %v err %v", changed, err)
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	dir, w := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	loads := make(chan error, 4)
	done := make(chan struct{})
	go func() {
		w.Run(ctx, time.Millisecond, func(_ *project.Project, err error) { loads <- err })
		close(done)
	}()
	write(t, filepath.Join(dir, "p.yaml"), proj+"\n# edited\n", 1)
	if err := <-loads; err != nil {
		t.Fatalf("reload after editing the project file: %v", err)
	}
	cancel()
	<-done
}
