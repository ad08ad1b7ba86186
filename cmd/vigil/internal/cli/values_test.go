package cli

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/datasource/modbus/modbustest"
)

// TestRunValuesPrintFloat32TagsAtTheirOwnPrecision reads a float32 of
// 3.14159 and a scaled int16 from a Modbus server with `vigil run
// --values`: without decimals they print as 3.14159 and with the digits of
// one raw count, not as float64 expansions.
func TestRunValuesPrintFloat32TagsAtTheirOwnPrecision(t *testing.T) {
	srv := modbustest.New(t)
	bits := math.Float32bits(3.14159)
	srv.SetHolding(1, 0, uint16(bits>>16), uint16(bits))
	srv.SetHolding(1, 2, 1234)
	path := writeFile(t, "p.yaml", `project: Values
devices:
  - name: plc
    driver: modbus
    address: `+srv.URL()+`
tags:
  - {name: Pi, device: plc, address: "40001", type: float32}
  - {name: Level, device: plc, address: "40003", type: int16, scaling: {raw: [0, 27648], eng: [0, 100]}}
`)
	code, stdout, stderr := runCLI(t, context.Background(), Env{}, "run", path, "--for", "2500ms", "--values", "--no-history")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{" Pi 3.14159 Good", " Level 4.463 Good"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}
