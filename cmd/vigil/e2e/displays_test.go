package e2e

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/ui/theme"
)

// grey is the fill of running equipment in the day palette.
var grey = theme.Light.Dim

// A project that is not the demo: one simulated device read under its own
// tag names, and a display file beside it with one big pump in the middle
// of its canvas.
const feedProject = `project: Feed line
devices:
  - name: line
    driver: sim
tags:
  - {name: Feed.Level, device: line, address: tank1.level, units: "%", decimals: 1, span: [0, 100], group: Feed}
  - {name: Feed.PumpRunning, description: Feed pump running, device: line, address: pump1.running, type: bool, states: {0: STOPPED, 1: RUNNING}, group: Feed}
displays: [displays/*.yaml]
`

const feedDisplay = `displays:
  - name: feed
    title: Feed line
    level: 1
    size: [1600, 900]
    elements:
      - {kind: tank, at: [100, 200], size: [200, 500], level: Feed.Level, label: Feed tank}
      - {kind: pipe, points: [[300, 650], [600, 650]], flow: Feed.PumpRunning}
      - {kind: pump, at: [600, 250], size: [400, 400], running: Feed.PumpRunning, label: Feed pump}
`

// TestUserDisplayUnderXvfb opens a display of a project file that is not
// the demo with the real binary; saves the display file with the pump moved
// and checks the screenshot changes (live reload); then clicks the pump and
// checks its faceplate opens (the modal faceplate dims the window behind
// it).
func TestUserDisplayUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	xdotool := need(t, "xdotool")
	display := startXvfb(t)
	need(t, "import")
	dir := t.TempDir()
	bin := buildVigil(t, dir)
	home := t.TempDir()
	proj := filepath.Join(home, "feed.vigil.yaml")
	writeFile(t, proj, feedProject)
	if err := os.MkdirAll(filepath.Join(home, "displays"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "displays", "feed.yaml"), feedDisplay)

	s := start(t, bin, display, home, "open", proj, "--screen", "feed")
	before := s.waitFor(func(img image.Image) string {
		return all(window(img), selected(img, 0), func() string {
			// The running pump is a filled grey disc in the middle of the
			// display area.
			if n := count(img, image.Rect(600, 330, 790, 520), grey, 6); n < 10000 {
				return fmt.Sprintf("no running pump drawn in the middle of the display (%d grey pixels)", n)
			}
			return ""
		}())
	})
	if f := inspect(before); f.background < 0.3 {
		t.Fatalf("the display is not on the HMI grey before the click: %v", f)
	}
	// Save the display with the pump moved 400 units right: the window
	// redraws it there without a restart.
	writeFile(t, filepath.Join(home, "displays", "feed.yaml"),
		strings.Replace(feedDisplay, "{kind: pump, at: [600, 250]", "{kind: pump, at: [1000, 250]", 1))
	s.waitFor(func(img image.Image) string {
		if n := count(img, image.Rect(600, 330, 790, 520), grey, 6); n > 2000 {
			return fmt.Sprintf("the pump is still drawn where it was (%d grey pixels)", n)
		}
		if n := count(img, image.Rect(890, 330, 1080, 520), grey, 6); n < 10000 {
			return fmt.Sprintf("the pump is not drawn where it moved (%d grey pixels)", n)
		}
		return ""
	})
	click := exec.Command(xdotool, "mousemove", "985", "425", "click", "1")
	click.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := click.CombinedOutput(); err != nil {
		t.Fatalf("xdotool: %v\n%s", err, out)
	}
	s.waitFor(func(img image.Image) string {
		// The faceplate is modal: the window behind it is dimmed, so the
		// HMI grey is left only on the faceplate itself (about 10 % of
		// the window; at least 30 % before the click).
		if f := inspect(img); f.background > 0.2 {
			return fmt.Sprintf("no faceplate over the display after clicking the pump (%v)", f)
		}
		return ""
	})
	s.interrupt()
}
