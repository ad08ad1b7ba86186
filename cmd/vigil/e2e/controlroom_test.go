package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/mqtt"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
)

// TestControlRoomThroughMosquitto runs the control room of
// docs/control-room.md with real processes: Debian's mosquitto on a free
// loopback port, one `vigil run` acquiring from the simulated plant and
// publishing it (publish: writes: true), one `vigil run` viewing it through
// the mqtt driver. A write from a viewing station (this test, with the same
// driver in-process: `vigil run` has no write command) lands in the plant,
// and the viewing process shows the new value; a refusal of the acquiring
// station comes back verbatim; when the acquiring station stops, the viewing
// process shows its tags Bad/NotConnected.
func TestControlRoomThroughMosquitto(t *testing.T) {
	// Registered first, so it runs after every other cleanup: the processes
	// and the goroutines that wait for them are gone by then.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	broker := needMosquitto(t)
	dir := t.TempDir()
	url := startMosquitto(t, broker, dir)
	bin := buildVigil(t, dir)

	acq := filepath.Join(dir, "acquirer.yaml")
	writeFile(t, acq, string(assets.Demo)+fmt.Sprintf(`
publish:
  broker: %s
  group: e2e
  node: plant-station
  writes: true
`, url))
	view := filepath.Join(dir, "viewer.yaml")
	writeFile(t, view, fmt.Sprintf(`project: Viewer
devices:
  - name: plant-station
    driver: mqtt
    address: %s
    backoff: {min: 100ms, max: 1s}
    mqtt: {group: e2e, node: plant-station}
tags:
  - {name: Tank1.Level, device: plant-station, address: plant/Tank1.Level, type: float32, decimals: 1}
  - {name: Tank1.LevelSP, device: plant-station, address: plant/Tank1.LevelSP, type: float32, decimals: 1, writable: true}
`, url))

	a := runVigil(t, bin, dir, "run", acq, "--values", "--history", filepath.Join(dir, "acquirer.db"))
	v := runVigil(t, bin, dir, "run", view, "--values", "--history", filepath.Join(dir, "viewer.db"))
	v.await(t, "the viewer shows the plant's level", func(l string) bool {
		return strings.Contains(l, " Tank1.Level ") && strings.HasSuffix(l, " Good")
	})

	eng, table, stop := viewingStation(t, url)
	defer stop()
	waitGood(t, table, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := eng.Write(ctx, poll.WriteRequest{Tag: 1, Value: datasource.Float(42.5), User: "e2e", Reason: "end-to-end test"})
	if err != nil || !res.Match {
		t.Fatalf("write from the viewing station: %+v, %v\nacquirer stderr:\n%s", res, err, a.stderr())
	}
	a.await(t, "the plant holds the written setpoint", func(l string) bool {
		return strings.HasSuffix(l, " Tank1.LevelSP 42.5 Good")
	})
	v.await(t, "the viewing process shows it", func(l string) bool {
		return strings.HasSuffix(l, " Tank1.LevelSP 42.5 Good")
	})

	_, err = eng.Write(ctx, poll.WriteRequest{Tag: 1, Value: datasource.Float(95), User: "e2e", Reason: "end-to-end test"})
	const refusal = "Tank1.LevelSP: 95 % is outside the write limits 10 .. 90 %"
	if err == nil || !strings.Contains(err.Error(), refusal) {
		t.Errorf("a write outside the acquirer's limits gave %v, want its refusal %q verbatim", err, refusal)
	}

	a.interrupt(t) // a clean stop publishes NDEATH
	v.await(t, "the viewing process shows the acquiring station gone", func(l string) bool {
		return strings.Contains(l, " Tank1.Level ") && strings.HasSuffix(l, " Bad/NotConnected")
	})
	v.interrupt(t)
}

// needMosquitto finds Debian's mosquitto (in /usr/sbin, often not on PATH).
func needMosquitto(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	if required {
		t.Fatal("mosquitto not found but VIGIL_E2E=1: install it (make test does)")
	}
	t.Skip("mosquitto not found; set VIGIL_E2E=1 to require it")
	return ""
}

// startMosquitto runs mosquitto on a free loopback port until the test
// ends and returns its URL.
func startMosquitto(t *testing.T, bin, dir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	writeFile(t, conf, "listener "+port+" 127.0.0.1\nallow_anonymous true\npersistence false\n")
	cmd := exec.Command(bin, "-c", conf)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // reaped here; the cleanup below waits for it
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})
	end := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return "tcp://" + addr
		}
		if time.Now().After(end) {
			t.Fatalf("mosquitto did not listen on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// lockedBuffer collects a process's output for messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// vigilProc is a running `vigil` whose stdout lines are read as they come.
type vigilProc struct {
	cmd    *exec.Cmd
	lines  chan string
	errOut lockedBuffer
	done   chan error
}

func runVigil(t *testing.T, bin, home string, args ...string) *vigilProc {
	t.Helper()
	p := &vigilProc{cmd: exec.Command(bin, args...), lines: make(chan string, 100_000), done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"))
	p.cmd.Stderr = &p.errOut
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads that far: drop
			}
		}
		_, _ = io.Copy(io.Discard, stdout) // a line too long for the scanner: drain so vigil never blocks
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *vigilProc) stderr() string { return p.errOut.String() }

// await reads lines until ok accepts one, failing after 30 s.
func (p *vigilProc) await(t *testing.T, what string, ok func(string) bool) {
	t.Helper()
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	for {
		select {
		case l := <-p.lines:
			if ok(l) {
				return
			}
		case err := <-p.done:
			t.Fatalf("%s: vigil %v exited (%v)\nstderr:\n%s", what, p.cmd.Args[1:], err, p.stderr())
		case <-timer.C:
			t.Fatalf("%s: not within 30 s\nstderr of vigil %v:\n%s", what, p.cmd.Args[1:], p.stderr())
		}
	}
}

// interrupt sends Ctrl+C and checks that vigil ends with exit 0.
func (p *vigilProc) interrupt(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("vigil %v exited with %v after Ctrl+C, want 0\nstderr:\n%s", p.cmd.Args[1:], err, p.stderr())
		}
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatalf("vigil %v did not stop within 20 s of Ctrl+C", p.cmd.Args[1:])
	}
}

// viewingStation is a second viewer in this process: the mqtt driver under
// a poll engine, as `vigil open` on a viewer project runs it.
func viewingStation(t *testing.T, url string) (*poll.Engine, *datasource.Table, func()) {
	t.Helper()
	dev := &datasource.Device{
		Name: "plant-station", Driver: "mqtt", Address: url, Timeout: 10 * time.Second,
		ScanClasses: []datasource.ScanClass{{Name: "default", Rate: time.Second}},
		Backoff:     datasource.Backoff{Min: 100 * time.Millisecond, Max: time.Second},
	}
	tags := []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Device: dev.Name, Address: "plant/Tank1.Level", Type: datasource.TypeFloat32},
		{ID: 1, Name: "Tank1.LevelSP", Device: dev.Name, Address: "plant/Tank1.LevelSP", Type: datasource.TypeFloat32, Writable: true},
	}
	table := datasource.NewTable(tags)
	eng, err := poll.New(poll.Config{
		Devices: []*datasource.Device{dev}, Tags: tags, Table: table, StaleCheck: -1,
		Drivers: map[string]poll.Factory{"mqtt": mqtt.Factory(mqtt.Options{Devices: map[string]mqtt.Settings{
			dev.Name: {Broker: sparkplug.Broker{URL: url}, Group: "e2e", Node: "plant-station"},
		}})},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := eng.Run(ctx); err != nil {
			t.Errorf("viewing station: %v", err)
		}
	}()
	return eng, table, func() {
		cancel()
		<-done
	}
}

// waitGood polls the table until tag id is Good (it follows broker traffic).
func waitGood(t *testing.T, table *datasource.Table, id datasource.TagID) {
	t.Helper()
	end := time.Now().Add(30 * time.Second)
	for !table.Get(id).Quality.IsGood() {
		if time.Now().After(end) {
			t.Fatalf("tag %d of the viewing station is %v after 30 s", id, table.Get(id).Quality)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
