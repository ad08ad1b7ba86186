package cli

import (
	"bytes"
	"context"
	"errors"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// TestRunLogsWhyADeviceIsDownOncePerCause runs `vigil run` for a few
// seconds with a Modbus device whose port nothing listens on, an OPC UA
// device whose password the server refuses and one that does not trust the
// server's certificate, all retrying every 100-200 ms: stderr has one line
// for each, with its cause, not one per retry.
func TestRunLogsWhyADeviceIsDownOncePerCause(t *testing.T) {
	srv := opcuatest.Start(t, opcuatest.Options{Secure: true, ChangeEvery: -1, Users: map[string]string{"op": "right"}})
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir) // the PKI directory, where the rejected certificate goes
	path := filepath.Join(dir, "p.yaml")
	project := `project: Down
devices:
  - name: mb
    driver: modbus
    address: tcp://` + freeAddr(t) + `
    timeout: 500ms
    backoff: {min: 100ms, max: 200ms}
  - name: ua
    driver: opcua
    address: ` + srv.Endpoint() + `
    timeout: 2s
    backoff: {min: 100ms, max: 200ms}
    opcua: {username: op, password: wrong}
  - name: cert
    driver: opcua
    address: ` + srv.Endpoint() + `
    timeout: 2s
    backoff: {min: 100ms, max: 200ms}
    opcua: {security_policy: Basic256Sha256, security_mode: SignAndEncrypt, trust_dir: ` + filepath.Join(dir, "trusted") + `}
tags:
  - {name: M, device: mb, address: "40001", type: uint16}
  - {name: U, device: ua, address: "` + opcuatest.NodeID("Double") + `", type: float64}
  - {name: C, device: cert, address: "` + opcuatest.NodeID("Double") + `", type: float64}
`
	if err := os.WriteFile(path, []byte(project), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, context.Background(), Env{}, "run", path, "--for", "3s", "--no-history")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, tt := range []struct{ device, cause string }{
		{"mb", "connection refused"},
		{"ua", `login refused for user \"op\"`},
		{"cert", "server certificate is not trusted"},
	} {
		var got []string
		for _, l := range strings.Split(stderr, "\n") {
			if strings.Contains(l, "device="+tt.device+" ") || strings.HasSuffix(l, "device="+tt.device) {
				got = append(got, l)
			}
		}
		if len(got) != 1 || !strings.Contains(got[0], `msg="device failed to connect"`) || !strings.Contains(got[0], tt.cause) || !strings.Contains(got[0], "retry_in=") {
			t.Errorf("device %s: stderr lines\n%s\nwant one \"device failed to connect\" line with %q; stderr:\n%s", tt.device, strings.Join(got, "\n"), tt.cause, stderr)
		}
	}
	// The drivers say what they connected to, and the engine does not say
	// "connect" again in front of that.
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "device failed to connect") && (!strings.Contains(l, `cause="connect tcp://`) && !strings.Contains(l, `cause="connect opc.tcp://`) || strings.Contains(l, "connect: connect tcp:") || strings.Contains(l, "connect: connect opc")) {
			t.Errorf("cause %q, want it to start with \"connect\" and the address, once", l)
		}
	}
	// The refused certificate's line says where it was put and where to
	// move it to trust it.
	rejected, err := filepath.Glob(filepath.Join(dir, "vigil", "pki", "rejected", "*.der"))
	if err != nil || len(rejected) != 1 {
		t.Fatalf("rejected certificates %v (%v), want one", rejected, err)
	}
	if want := "move " + rejected[0] + " into " + filepath.Join(dir, "trusted"); !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

// TestSimKeepsLibraryLogLinesOutOfItsOutput runs `vigil sim`, whose OPC UA
// server library prints its node set import with the standard logger: at
// the default level those lines are nowhere, not on stdout between the
// register map lines, not on stderr, not on the standard logger's own
// output; with --log debug they are debug records on stderr.
func TestSimKeepsLibraryLogLinesOutOfItsOutput(t *testing.T) {
	var std bytes.Buffer
	old := log.Writer()
	log.SetOutput(&std)
	defer log.SetOutput(old)
	noise := []string{"New Node Set", "doing objects"}
	for _, level := range []string{"", "debug"} {
		std.Reset()
		args := []string{"sim", "--modbus", freeAddr(t), "--opcua", freeAddr(t), "--for", "2s"}
		if level != "" {
			args = append(args, "--log", level)
		}
		var out, errOut syncBuffer
		if code := Main(context.Background(), Env{Stdout: &out, Stderr: &errOut}, args); code != ExitOK {
			t.Fatalf("vigil sim %v: exit %d\n%s", args, code, errOut.String())
		}
		if !strings.Contains(out.String(), "register map:") || !strings.Contains(out.String(), "serving;") {
			t.Fatalf("stdout lacks the register map and the serving line:\n%s", out.String())
		}
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if strings.Contains(l, "level=") || strings.HasPrefix(l, "20") {
				t.Errorf("a log line on stdout: %q", l)
			}
		}
		for _, n := range noise {
			if strings.Contains(out.String(), n) || strings.Contains(std.String(), n) {
				t.Errorf("--log %q: %q reached stdout or the standard logger's output\nstdout:\n%s\nstandard logger:\n%s", level, n, out.String(), std.String())
			}
			if inErr := strings.Contains(errOut.String(), n); inErr != (level == "debug") {
				t.Errorf("--log %q: %q on stderr is %v\n%s", level, n, inErr, errOut.String())
			}
		}
		if level == "debug" && !strings.Contains(errOut.String(), `level=DEBUG msg="New Node Set`) {
			t.Errorf("the library's lines are not debug records:\n%s", errOut.String())
		}
	}
}

// TestTheGUILogsWhyADeviceIsDownAndQuietsLibraries: `vigil open` writes a
// device's state change with its cause to stderr, as `vigil run` does,
// and what a library prints with the standard logger stays out of it.
func TestTheGUILogsWhyADeviceIsDownAndQuietsLibraries(t *testing.T) {
	path := writeFile(t, "p.yaml", `project: Down
devices:
  - name: mb
    driver: modbus
    address: tcp://`+freeAddr(t)+`
    timeout: 500ms
    backoff: {min: 100ms, max: 200ms}
tags:
  - {name: M, device: mb, address: "40001", type: uint16}
`)
	env := Env{
		HasDisplay: func() bool { return true },
		OpenGUI: func(ctx context.Context, rt *Runtime, _ GUIOptions) error {
			log.Printf("a library's own chatter")
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				if st, ok := rt.Engine.DeviceStatus("mb"); ok && st.State == poll.Backoff {
					time.Sleep(100 * time.Millisecond) // the line is written as the state changes
					return nil
				}
				time.Sleep(20 * time.Millisecond)
			}
			return errors.New("the device never failed")
		},
	}
	code, _, stderr := runCLI(t, context.Background(), env, "open", path, "--no-history")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "device failed to connect") || !strings.Contains(stderr, "connection refused") {
		t.Errorf("stderr does not say why the device is down:\n%s", stderr)
	}
	if strings.Contains(stderr, "chatter") {
		t.Errorf("a library's log line reached stderr at the default level:\n%s", stderr)
	}
}
