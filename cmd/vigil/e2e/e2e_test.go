package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/cmd/vigil/internal/sockets"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/theme"
	"github.com/vigil-hmi/vigil/ui/trend"
)

// required is true when the environment promises Xvfb (make test sets
// VIGIL_E2E=1): then a missing tool fails the test instead of skipping it.
var required = os.Getenv("VIGIL_E2E") == "1"

func need(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if required {
			t.Fatalf("%s not found but VIGIL_E2E=1: install it (make test does)", tool)
		}
		t.Skipf("%s not found; set VIGIL_E2E=1 to require it", tool)
	}
	return p
}

// buildVigil builds the real binary (cgo, GL) into dir; the Go build cache
// makes this cheap after the first time.
func buildVigil(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "vigil")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/vigil-hmi/vigil/cmd/vigil")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startXvfb starts a virtual X server on a free display and returns its name.
// displayFree reports whether X display n can be used: no lock file, or a
// stale one, whose server is gone (an Xvfb killed with SIGKILL leaves its
// lock file and socket behind); the stale files are removed.
func displayFree(n int) bool {
	lock, sock := fmt.Sprintf("/tmp/.X%d-lock", n), fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	data, err := os.ReadFile(lock)
	if err == nil {
		pid, perr := strconv.Atoi(strings.TrimSpace(string(data)))
		if perr != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			return false // a server runs there, or a lock we cannot read
		}
		if os.Remove(lock) != nil {
			return false
		}
		_ = os.Remove(sock)
	}
	_, err = os.Stat(sock)
	return os.IsNotExist(err)
}

func startXvfb(t *testing.T) string {
	t.Helper()
	return startXvfbSized(t, "1280x800x24")
}

// startXvfbSized starts Xvfb with one screen of screen (WxHxDepth) on a
// free display number and returns the display.
func startXvfbSized(t *testing.T, screen string) string {
	t.Helper()
	xvfb := need(t, "Xvfb")
	for n := 90; n < 140; n++ {
		if !displayFree(n) {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		cmd := exec.Command(xvfb, display, "-screen", "0", screen, "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		t.Cleanup(func() {
			// SIGTERM, so that Xvfb removes its lock file and socket: a
			// killed one leaves them, and a machine that runs the tests
			// often ran out of display numbers.
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		})
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(sock); err == nil {
				return display
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("Xvfb %s did not create %s", display, sock)
	}
	t.Fatal("no free X display number")
	return ""
}

// screenshot grabs the whole X screen as an image.
func screenshot(t *testing.T, display string) (image.Image, []byte) {
	t.Helper()
	imp := need(t, "import")
	out, err := exec.Command(imp, "-display", display, "-window", "root", "png:-").Output()
	if err != nil {
		t.Fatalf("import screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	return img, out
}

// screenFacts are what the test reads off a screenshot.
type screenFacts struct {
	background float64 // share of pixels in the HMI grey #DCDCDC (±4)
	text       float64 // share of near-black pixels (text)
	colours    int     // distinct colours
}

func (f screenFacts) String() string {
	return fmt.Sprintf("background %.1f%%, text %.2f%%, %d colours", 100*f.background, 100*f.text, f.colours)
}

func near(c, want uint32) bool { return c+4 >= want && c <= want+4 }

func inspect(img image.Image) screenFacts {
	b := img.Bounds()
	total := float64(b.Dx() * b.Dy())
	var bg, text int
	seen := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r8, g8, b8 := r>>8, g>>8, bl>>8
			if len(seen) < 1000 {
				seen[r8<<16|g8<<8|b8] = true
			}
			switch {
			case near(r8, 0xDC) && near(g8, 0xDC) && near(b8, 0xDC):
				// The GL painter lands within a few steps of the theme's
				// #DCDCDC (it draws #DEDEDE under Xvfb's software GL).
				bg++
			case r8 < 0x50 && g8 < 0x50 && b8 < 0x50:
				text++
			}
		}
	}
	return screenFacts{background: float64(bg) / total, text: float64(text) / total, colours: len(seen)}
}

// session is one run of the real binary in a real window under Xvfb.
type session struct {
	t       *testing.T
	display string
	cmd     *exec.Cmd
	stderr  lockedBuffer // read while the process writes (a failure message)
	exited  chan error
}

// start runs `vigil args...` on display with its own HOME (preferences,
// history) in home.
func start(t *testing.T, bin, display, home string, args ...string) *session {
	t.Helper()
	s := &session{t: t, display: display, exited: make(chan error, 1)}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		// Fyne's check that every widget call is on the UI goroutine, which
		// vigil turns off for speed: interrupt() fails on what it reports.
		"VIGIL_FYNE_THREAD_CHECK=1")
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// waitFor takes screenshots until ok accepts one (it returns "" then, or
// what it misses), and fails the test with the last reason after 45 s.
func (s *session) waitFor(ok func(img image.Image) string) image.Image {
	s.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		select {
		case err := <-s.exited:
			s.t.Fatalf("vigil exited early (%v)\nstderr:\n%s", err, s.stderr.String())
		case <-time.After(time.Second):
		}
		img, shot := screenshot(s.t, s.display)
		why := ok(img)
		if why == "" {
			saveShot(s.t, shot)
			return img
		}
		if time.Now().After(deadline) {
			saveShot(s.t, shot)
			s.t.Fatalf("the screen never showed what it should: %s (%v)\nstderr:\n%s", why, inspect(img), s.stderr.String())
		}
	}
}

// interrupt sends Ctrl+C and checks vigil ends cleanly, without Fyne
// reporting a call from a wrong thread.
func (s *session) interrupt() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		if err != nil {
			s.t.Errorf("vigil exited with %v after Ctrl+C, want 0\nstderr:\n%s", err, s.stderr.String())
		}
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		s.t.Fatalf("vigil did not stop within 20 s of Ctrl+C\nstderr:\n%s", s.stderr.String())
	}
	if strings.Contains(s.stderr.String(), "Error in Fyne call thread") {
		s.t.Errorf("Fyne reported a call from the wrong thread:\n%s", s.stderr.String())
	}
}

// window checks the HMI window is up: the grey fills most of the screen,
// with text on it.
func window(img image.Image) string {
	f := inspect(img)
	if f.background > 0.30 && f.text > 0.003 && f.colours > 8 {
		return ""
	}
	return "no HMI window (grey background and text)"
}

// count counts the pixels of rect (clipped to img) within ±tol of c in
// every channel.
func count(img image.Image, rect image.Rectangle, c color.Color, tol uint32) int {
	cr, cg, cb, _ := c.RGBA()
	cr, cg, cb = cr>>8, cg>>8, cb>>8
	within := func(v, want uint32) bool { return v+tol >= want && v <= want+tol }
	n := 0
	r := rect.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if within(pr>>8, cr) && within(pg>>8, cg) && within(pb>>8, cb) {
				n++
			}
		}
	}
	return n
}

// Regions of the 1280×800 screen the window fills: the header strip with
// the alarm banner, the navigation column, and the screen's own area.
var (
	header  = image.Rect(0, 0, 1280, 40)
	nav     = image.Rect(0, 40, 110, 240)
	content = image.Rect(110, 40, 1280, 760)
)

// selected checks that the navigation shows screen as the current one:
// the focus colour fills the button in row i (0 = F2) of the navigation.
func selected(img image.Image, row int) string {
	r := image.Rect(nav.Min.X, nav.Min.Y+row*39, nav.Max.X, nav.Min.Y+(row+1)*39)
	if n := count(img, r, theme.Light.Focus, 8); n < 1000 {
		return fmt.Sprintf("navigation row %d is not the selected one (%d focus-colour pixels)", row, n)
	}
	return ""
}

func all(checks ...string) string {
	for _, c := range checks {
		if c != "" {
			return c
		}
	}
	return ""
}

// TestScreensUnderXvfb runs the real binary on the demo project, each time
// opened on one screen with --screen (the documented test hook, also what a
// wall display uses), and checks the screenshot shows that screen: the
// overview's process graphic and values, a trend pen drawn from history,
// and the alarm of a transmitter failure in the banner and the list, in its
// priority colour. Ctrl+C ends each run cleanly.
func TestScreensUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	display := startXvfb(t)
	need(t, "import")
	dir := t.TempDir()
	bin := buildVigil(t, dir)

	t.Run("Overview", func(t *testing.T) {
		s := start(t, bin, display, t.TempDir(), "--screen", "Overview")
		s.waitFor(func(img image.Image) string {
			return all(window(img), selected(img, 0), func() string {
				// The key values of the plant overview display: a level 1
				// display is deliberately sparse (ISA-101), about 2,600 dark
				// pixels of values at 1280×800.
				if n := count(img, content, color.Black, 0x50); n < 2000 {
					return fmt.Sprintf("the overview shows little text (%d dark pixels)", n)
				}
				return ""
			}())
		})
		// The GUI's network surface: outgoing connections only.
		if ls, err := sockets.Listening(strconv.Itoa(s.cmd.Process.Pid)); err != nil {
			t.Errorf("listing the GUI's sockets: %v", err)
		} else if len(ls) != 0 {
			t.Errorf("the GUI listens on %v; it must open no listening socket", ls)
		}
		s.interrupt()
	})

	t.Run("Trends", func(t *testing.T) {
		home := t.TempDir()
		// An hour of Tank1.Level in the history file the demo will use.
		var csv strings.Builder
		now := time.Now()
		for i := 3600; i > 0; i -= 5 {
			fmt.Fprintf(&csv, "%s,Tank1.Level,%.2f\n", now.Add(-time.Duration(i)*time.Second).UTC().Format(time.RFC3339), 50+20*math.Sin(float64(i)/300))
		}
		csvPath := filepath.Join(home, "level.csv")
		if err := os.WriteFile(csvPath, []byte(csv.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(home, "demo.db")
		if out, err := exec.Command(bin, "history", "import", db, csvPath).CombinedOutput(); err != nil {
			t.Fatalf("vigil history import: %v\n%s", err, out)
		}
		s := start(t, bin, display, home, "--screen", "Trends", "--history", db)
		s.waitFor(func(img image.Image) string {
			return all(window(img), selected(img, 1), func() string {
				if n := count(img, content, color.White, 2); n < 200000 {
					return fmt.Sprintf("no white plot area (%d white pixels)", n)
				}
				// The first pen, Tank1.Level, drawn across the hour.
				if n := count(img, content, trend.PenColors[0], 40); n < 800 {
					return fmt.Sprintf("the Tank1.Level pen is hardly drawn (%d pixels)", n)
				}
				return ""
			}())
		})
		s.interrupt()
	})

	t.Run("Alarms", func(t *testing.T) {
		// The demo with its vibration transmitter failing after 1 s, not 20 min.
		demo := strings.Replace(string(assets.Demo), "{kind: bad, tag: Pump1.Vibration, at: 20m, for: 30s}",
			"{kind: bad, tag: Pump1.Vibration, at: 1s, for: 10m}", 1)
		if demo == string(assets.Demo) {
			t.Fatal("the demo's vibration fault is not where this test expects it")
		}
		home := t.TempDir()
		proj := filepath.Join(home, "alarm-demo.yaml")
		if err := os.WriteFile(proj, []byte(demo), 0o600); err != nil {
			t.Fatal(err)
		}
		s := start(t, bin, display, home, "open", proj, "--screen", "Alarms")
		medium := theme.PriorityColor(datasource.PriorityMedium)
		s.waitFor(func(img image.Image) string {
			return all(window(img), selected(img, 2), func() string {
				if n := count(img, header, medium, 24); n < 40 {
					return fmt.Sprintf("no medium-priority indicator in the header (%d pixels)", n)
				}
				// The list's row shape, below the filters and column titles.
				if n := count(img, image.Rect(110, 160, 220, 200), medium, 24); n < 40 {
					return fmt.Sprintf("no medium-priority shape in the alarm list (%d pixels)", n)
				}
				return ""
			}())
		})
		s.interrupt()
	})
}

// saveShot keeps the screenshot for a person to look at: in VIGIL_E2E_OUT
// when set, else in the test's log directory.
func saveShot(t *testing.T, png []byte) {
	dir := os.Getenv("VIGIL_E2E_OUT")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Log(err)
		return
	}
	p := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "-")+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Log(err)
		return
	}
	t.Logf("screenshot saved to %s", p)
}
