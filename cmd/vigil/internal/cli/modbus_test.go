package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/datasource/modbus/modbustest"
)

func runModbusVerb(t *testing.T, verb func(context.Context, Env, []string) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := verb(context.Background(), Env{Stdout: &out, Stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestProbeVerb(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 0x4049, 0x0FDB, 0x4142, 0xFFFE)
	srv.SetCoils(1, 2, true)
	srv.SetException(modbustest.HoldingRegisters, 100, 1, 2)
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"--help prints the usage and exits 0", []string{"--help"}, ExitOK, "", "Usage: vigil probe modbus"},
		{"no URL is a usage error", []string{"modbus"}, ExitUsage, "", "want 2 argument(s), got 1"},
		{"another protocol is a usage error", []string{"opcua", "opc.tcp://x"}, ExitUsage, "", "only modbus"},
		{"a bad address is a usage error", []string{"modbus", srv.URL(), "--address", "4x1"}, ExitUsage, "", "--address: invalid Modbus address"},
		{"126 registers is a usage error", []string{"modbus", srv.URL(), "--count", "126"}, ExitUsage, "", "1..125"},
		{"the raw registers are listed one-based and zero-based", []string{"modbus", srv.URL(), "--unit", "1", "--address", "40001", "--count", "4"}, ExitOK,
			"40001 hr:0 4049 16457 16457 0100000001001001 @I", ""},
		{"float32 ABCD at 40001 decodes as pi", []string{"modbus", srv.URL(), "--address", "40001", "--count", "4"}, ExitOK, "40001 float32 3.1415927 2.1619829e-29 789936.94 -4.0331461e+16", ""},
		{"a start past the first register decodes from there", []string{"modbus", srv.URL(), "--address", "hr:1", "--count", "2"}, ExitOK, "40002 float32 2.1620204e-29 12.128871 -4.0323769e+16 48.463924", ""},
		{"a string shows both byte orders", []string{"modbus", srv.URL(), "--address", "40003", "--count", "1"}, ExitOK, `high byte first (ABCD) "AB", low byte first (BADC) "BA"`, ""},
		{"coils are listed as bits", []string{"modbus", srv.URL(), "--address", "00001", "--count", "3"}, ExitOK, "00003 co:2 1", ""},
		{"an exception fails with exit 1", []string{"modbus", srv.URL(), "--address", "40101", "--count", "1"}, ExitFailure, "", "exception 02 (illegal data address)"},
		{"an unreachable device fails with exit 1", []string{"modbus", "tcp://127.0.0.1:1", "--timeout", "200ms"}, ExitFailure, "", `device "probe": connect tcp://127.0.0.1:1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runModbusVerb(t, cmdProbe, tt.args...)
			// Column widths depend on the values: compare with runs of spaces as one.
			if code != tt.code || !strings.Contains(strings.Join(strings.Fields(out), " "), tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, stdout containing %q, stderr containing %q", code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

const planProject = `project: Plan test
devices:
  - name: plc
    driver: modbus
    address: tcp://127.0.0.1:5020
    scan_classes:
      - {name: fast, rate: 250ms}
      - {name: slow, rate: 5s}
    modbus: {unit: 3, max_gap: 4}
tags:
  - {name: A, device: plc, address: "40001", type: float32, scan_class: fast}
  - {name: B, device: plc, address: "40003", type: int16, scan_class: fast}
  - {name: C, device: plc, address: "40010", type: uint16, scan_class: fast}
  - {name: D, device: plc, address: "00001", type: bool, scan_class: fast}
  - {name: E, device: plc, address: "hr:200", type: float64, scan_class: slow}
`

func TestPlanVerb(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "plan.vigil.yaml")
	if err := os.WriteFile(good, []byte(planProject), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.vigil.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(planProject, `"40010"`, `"4OO10"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"--help prints the usage and exits 0", []string{"--help"}, ExitOK, "", "Usage: vigil plan FILE"},
		{"no file is a usage error", nil, ExitUsage, "", "want 1 argument"},
		{"a missing file fails", []string{filepath.Join(dir, "nope.yaml")}, ExitFailure, "", "nope.yaml"},
		{"the device line shows the settings", []string{good}, ExitOK, "device plc: tcp://127.0.0.1:5020 unit 3, max 125 registers / 2000 bits per read, max gap 4", ""},
		{"tags within the gap share a request", []string{good}, ExitOK, "    3   40001 (hr:0)  3      A B\n", ""},
		{"a tag past the gap gets its own", []string{good}, ExitOK, "    3   40010 (hr:9)  1      C\n", ""},
		{"each scan class is planned on its own", []string{good}, ExitOK, "  scan class slow (5s): 1 tags in 1 requests per cycle", ""},
		{"the total counts every scan class", []string{good}, ExitOK, "total: 4 requests per cycle for 5 Modbus tags (12.2 requests/s at the scan rates)", ""},
		{"a bad address fails with its file and line", []string{bad}, ExitFailure, "", "bad.vigil.yaml:13: tag C: address: invalid Modbus address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runModbusVerb(t, cmdPlan, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, stdout containing %q, stderr containing %q", code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
