package cli

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goburrow/modbus"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer is an io.Writer safe to read while the verb writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSimServesThePlantOverModbusAndWritesGoThroughTheWritePath runs `vigil
// sim` and talks to it with a plain goburrow client, as a third-party tool
// would.
func TestSimServesThePlantOverModbusAndWritesGoThroughTheWritePath(t *testing.T) {
	mbAddr, uaAddr := freeAddr(t), freeAddr(t)
	hist := filepath.Join(t.TempDir(), "sim.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, Env{Stdout: &out, Stderr: &errOut}, []string{"sim", "--modbus", mbAddr, "--opcua", uaAddr, "--for", "60s", "--history", hist})
	}()

	h := modbus.NewTCPClientHandler(mbAddr)
	h.Timeout = 2 * time.Second
	defer h.Close()
	c := modbus.NewClient(h)
	var level float32
	deadline := time.Now().Add(20 * time.Second)
	for {
		regs, err := c.ReadHoldingRegisters(0, 2) // 40001: Tank1.Level
		if err == nil {
			level = math.Float32frombits(binary.BigEndian.Uint32(regs))
			if level > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Tank1.Level over Modbus (last error %v)\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
		}
		h.Close()
		time.Sleep(200 * time.Millisecond)
	}
	if level < 5 || level > 95 {
		t.Errorf("Tank1.Level = %v %%, want a believable level", level)
	}

	setpoint := func(v float32) error {
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, math.Float32bits(v))
		_, err := c.WriteMultipleRegisters(2, 2, b) // 40003: Tank1.LevelSP
		return err
	}
	if err := setpoint(62.5); err != nil {
		t.Fatalf("write Tank1.LevelSP = 62.5: %v", err)
	}
	regs, err := c.ReadHoldingRegisters(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := math.Float32frombits(binary.BigEndian.Uint32(regs)); got != 62.5 {
		t.Errorf("Tank1.LevelSP reads back %v after writing 62.5", got)
	}
	if err := setpoint(150); err == nil {
		t.Error("a setpoint of 150 % was accepted; the write limits must refuse it")
	}

	// Its own deadline: on a loaded machine the Modbus part above may have
	// used most of the first one.
	serving := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "serving;") && time.Now().Before(serving) {
		time.Sleep(100 * time.Millisecond) // the OPC UA server starts after the Modbus one
	}
	for _, want := range []string{"Modbus TCP slave on " + mbAddr, "40003", "Tank1.LevelSP", "OPC UA server on opc.tcp://" + uaAddr} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("vigil sim exited %d\n%s", code, errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("vigil sim did not stop")
	}
	// Both writes are in the audit trail, the refused one with the value before.
	code, csv, exportErr := runVerb(t, cmdAudit, "export", hist)
	if code != ExitOK {
		t.Fatalf("audit export: %s", exportErr)
	}
	for _, want := range []string{",write,ok,modbus-client,", "via=modbus", ",write,refused,modbus-client,Tank1.LevelSP: 150 % is outside the write limits"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the sim's audit trail lacks %q:\n%s", want, csv)
		}
	}
}

// vigil sim --generate writes a project that vigil check accepts, and a
// malformed size is a usage error.
func TestSimGenerateWritesAValidProject(t *testing.T) {
	code, out, errOut := runCLI(t, context.Background(), Env{}, "sim", "--generate", "3x40", "--alarms", "10", "--rate", "500ms")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := writeFile(t, "scale.yaml", out)
	code, out, errOut = runCLI(t, context.Background(), Env{}, "check", path)
	if code != ExitOK || !strings.Contains(out, "3 devices, 120 tags, 13 alarms") {
		t.Fatalf("check: exit %d: %s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, context.Background(), Env{}, "sim", "--generate", "3by40"); code != ExitUsage || !strings.Contains(errOut, "DEVICESxTAGS") {
		t.Errorf("--generate 3by40: exit %d: %s", code, errOut)
	}
}
