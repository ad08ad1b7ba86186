package e2e

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// firingDemo is the demo project with alarms that fire at start: the
// vibration transmitter fails at 0 s (a Bad tag with an unacknowledged
// medium alarm) and the tank's low-level alarms, with messages far longer
// than any banner, trip on the tank's normal level.
func firingDemo(t *testing.T) string {
	t.Helper()
	demo := string(assets.Demo)
	for _, r := range [][2]string{
		{"{kind: bad, tag: Pump1.Vibration, at: 20m, for: 30s}", "{kind: bad, tag: Pump1.Vibration, at: 0s, for: 1h}"},
		{"{kind: lo, limit: 15, deadband: 1, on_delay: 5s, priority: high, message: Tank 1 level low}",
			"{kind: lo, limit: 80, deadband: 1, on_delay: 0s, priority: high, message: Tank 1 level low - " + strings.Repeat("a deliberately long alarm message ", 6) + "}"},
		{"{kind: lolo, limit: 8, deadband: 1, on_delay: 2s, priority: critical, message: Tank 1 level very low - pump suction at risk}",
			"{kind: lolo, limit: 75, deadband: 1, on_delay: 0s, priority: critical, message: Tank 1 level very low - " + strings.Repeat("another long alarm message ", 8) + "}"},
	} {
		if !strings.Contains(demo, r[0]) {
			t.Fatalf("the demo no longer has %q", r[0])
		}
		demo = strings.Replace(demo, r[0], r[1], 1)
	}
	p := filepath.Join(t.TempDir(), "firing.yaml")
	if err := os.WriteFile(p, []byte(demo), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// xdo runs xdotool on the session's display and returns its output.
func (s *session) xdo(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(need(s.t, "xdotool"), args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// windows lists vigil's top-level windows (X ids), in creation order.
func (s *session) windows() []string {
	s.t.Helper()
	cmd := exec.Command(need(s.t, "xdotool"), "search", "--onlyvisible", "--pid", strconv.Itoa(s.cmd.Process.Pid), "--name", "Vigil")
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	out, _ := cmd.Output() // no match exits 1 with no output
	return strings.Fields(string(out))
}

// size returns window id's size in pixels.
func (s *session) size(id string) (w, h int) {
	s.t.Helper()
	out := s.xdo("getwindowgeometry", "--shell", id)
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "WIDTH="); ok {
			w, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(l, "HEIGHT="); ok {
			h, _ = strconv.Atoi(v)
		}
	}
	return w, h
}

// key presses keys in vigil's window (X delivers them to the focused one).
func (s *session) key(keys ...string) {
	s.t.Helper()
	s.xdo(append([]string{"key", "--delay", "100"}, keys...)...)
}

// bannerShows checks the first banner entry (its colour band) is of
// priority p.
func bannerShows(img image.Image, p datasource.Priority) string {
	band := image.Rect(0, 0, 12, 40)
	if n := count(img, band, theme.PriorityColor(p), 24); n < 60 {
		return fmt.Sprintf("the first banner entry is not of priority %d (%d band pixels)", p, n)
	}
	return ""
}

// TestShellUnderXvfb drives the real binary as an operator would (issue
// 16): alarms firing at start with long messages leave the window exactly
// the size it opened at; F9 acknowledges after a check box was clicked; F3
// switches screens while an entry has the focus; Ctrl+N opens a second
// window on Alarms, in the same process, while the first keeps its screen;
// the next start opens both again, on their screens.
func TestShellUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	display := startXvfb(t)
	need(t, "import")
	need(t, "xdotool")
	dir := t.TempDir()
	bin := buildVigil(t, dir)
	home := t.TempDir()
	proj := firingDemo(t)
	s := start(t, bin, display, home, "open", proj, "--screen", "Overview", "--history", filepath.Join(home, "h.db"))

	// The window opens at 1280×800 (the default) and shows the critical
	// alarm first in the banner.
	s.waitFor(func(img image.Image) string {
		return all(window(img), selected(img, 0), bannerShows(img, datasource.PriorityCritical))
	})
	wins := s.windows()
	if len(wins) != 1 {
		t.Fatalf("vigil shows %d windows, want 1", len(wins))
	}
	w0, h0 := s.size(wins[0])
	time.Sleep(10 * time.Second)
	if w, h := s.size(wins[0]); w != w0 || h != h0 {
		t.Fatalf("with alarms firing the window went from %d×%d to %d×%d; it must keep its size", w0, h0, w, h)
	}
	if w0 != 1280 || h0 != 800 {
		t.Errorf("the window opened at %d×%d, want 1280×800", w0, h0)
	}

	t.Run("F9 acknowledges after a check box was clicked", func(t *testing.T) {
		s.t = t
		// The Night check box at the right of the status line: clicking it
		// gives it the keyboard focus (and the night palette, which shows
		// the click landed).
		s.xdo("mousemove", "--window", wins[0], strconv.Itoa(nightX), strconv.Itoa(nightY), "click", "1")
		s.waitFor(func(img image.Image) string {
			if n := count(img, content, theme.Dark.Background, 4); n < 200000 {
				return fmt.Sprintf("the Night check box (at %d,%d) did not switch to the night palette (%d dark pixels)", nightX, nightY, n)
			}
			return ""
		})
		s.key("F9") // not on the Alarms screen: the banner's first alarm
		s.waitFor(func(img image.Image) string { return bannerShows(img, datasource.PriorityHigh) })
		// Back to the day palette, which the other checks read.
		s.xdo("mousemove", "--window", wins[0], strconv.Itoa(nightX), strconv.Itoa(nightY), "click", "1")
		s.waitFor(window)
	})

	t.Run("F3 switches screens while an entry has the focus", func(t *testing.T) {
		s.t = t
		s.key("ctrl+f") // the Tags screen, focus in its search entry
		s.waitFor(func(img image.Image) string { return selected(img, 4) })
		s.xdo("type", "--delay", "50", "Tank")
		s.key("F3")
		s.waitFor(func(img image.Image) string { return selected(img, 1) })
	})

	t.Run("Ctrl+N opens a second window on Alarms in the same process", func(t *testing.T) {
		s.t = t
		s.key("ctrl+n")
		var all2 []string
		for i := 0; i < 40 && len(all2) < 2; i++ {
			time.Sleep(250 * time.Millisecond)
			all2 = s.windows()
		}
		if len(all2) != 2 {
			t.Fatalf("after Ctrl+N vigil shows %d windows, want 2", len(all2))
		}
		second := all2[1]
		if all2[0] == second {
			second = all2[0]
		}
		if pid := s.xdo("getwindowpid", second); pid != strconv.Itoa(s.cmd.Process.Pid) {
			t.Fatalf("the second window belongs to process %s, not vigil's %d", pid, s.cmd.Process.Pid)
		}
		s.xdo("windowraise", second)
		s.waitFor(func(img image.Image) string { return selected(img, 2) })
		s.xdo("windowraise", wins[0])
		s.waitFor(func(img image.Image) string { return selected(img, 1) }) // still on Trends
		// One process holds the history file: a second engine would have
		// been refused its lock and ended the program.
		if out, err := exec.Command("pgrep", "-c", "-f", bin).Output(); err == nil && strings.TrimSpace(string(out)) != "1" {
			t.Errorf("%s vigil processes run, want 1", strings.TrimSpace(string(out)))
		}
	})
	s.t = t
	s.interrupt()

	t.Run("the next start restores both windows on their screens", func(t *testing.T) {
		again := start(t, bin, display, home, "open", proj, "--history", filepath.Join(home, "h.db"))
		var ws []string
		for i := 0; i < 80 && len(ws) < 2; i++ {
			time.Sleep(250 * time.Millisecond)
			ws = again.windows()
		}
		if len(ws) != 2 {
			t.Fatalf("the next start shows %d windows, want the 2 that were open", len(ws))
		}
		for _, id := range ws {
			if w, h := again.size(id); w != 1280 || h != 800 {
				t.Errorf("window %s restored at %d×%d, want 1280×800", id, w, h)
			}
		}
		again.xdo("windowraise", ws[1])
		again.waitFor(func(img image.Image) string { return selected(img, 2) }) // Alarms
		again.xdo("windowraise", ws[0])
		again.waitFor(func(img image.Image) string { return selected(img, 1) }) // Trends
		again.interrupt()
	})
}

// Where the Night check box is in a 1280×800 window of the demo in
// single-operator mode: at the right of the status line, left of the login
// part ("operator (operator) · single-operator mode").
var nightX, nightY = 876, 780

// TestTheWindowFitsASmallScreenUnderXvfb opens the demo, with no window
// size kept, on a 1024×768 screen (a panel PC): the default 1280×800 must
// shrink to the screen, so that the status line at the window's foot is
// on the screen and not below it.
func TestTheWindowFitsASmallScreenUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	display := startXvfbSized(t, "1024x768x24")
	need(t, "import")
	need(t, "xdotool")
	bin := buildVigil(t, t.TempDir())
	s := start(t, bin, display, t.TempDir(), "--screen", "Overview")
	status := image.Rect(0, 728, 600, 768) // the status line: "devices 1/1 ok · tags …"
	s.waitFor(func(img image.Image) string {
		ws := s.windows()
		if len(ws) != 1 {
			return fmt.Sprintf("%d windows", len(ws))
		}
		if w, h := s.size(ws[0]); w > 1024 || h > 768 {
			return fmt.Sprintf("the window is %d×%d on a 1024×768 screen", w, h)
		}
		if n := count(img, status, color.Black, 0x50); n < 300 {
			return fmt.Sprintf("no status line at the screen's foot (%d dark pixels)", n)
		}
		return window(img)
	})
	s.interrupt()
}
