package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckReportsEveryErrorOfATagAtOnce checks that a tag's address error
// is listed together with the loader's errors, in file order, including
// those of the same tag; and that what only follows from a loader error (a
// default type against a coil) is not.
func TestCheckReportsEveryErrorOfATagAtOnce(t *testing.T) {
	path := writeFile(t, "p.yaml", `project: Both
devices:
  - name: plc
    driver: modbus
    address: tcp://127.0.0.1:502
tags:
  - name: Level
    device: plc
    address: 4x0001
    type: float128
  - {name: Run, device: plc, address: "00001", type: boolean}
  - {name: Ok, device: plc, address: "40010", type: uint16, writable: true, limits: [0]}
  - {name: Flag, device: plc, address: "10001", type: bool, writable: true}
  - {name: Temp, device: plc, address: "00002", type: float32}
`)
	code, out, stderr := runCLI(t, t.Context(), Env{}, "check", path)
	if code != ExitFailure || out != "" {
		t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	want := []string{
		path + ":9: tag Level: address: ",
		path + ":10: tags[Level].type: ",
		path + ":11: tags[Run].type: ",
		path + ":12: tags[Ok].limits: ",
		path + ":13: tags[Flag].writable: 10001 is a discrete input (1xxxx), which Modbus cannot write",
		path + ":14: tag Temp: type: ",
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d errors, want %d:\n%s", len(lines), len(want), stderr)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d is %q, want it to start with %q", i+1, lines[i], w)
		}
	}
}

// TestLoadProjectSurvivesEveryBrokenProjectFile runs the drivers' checks
// over the partial projects of all the loader's broken test files: each
// must give errors, never a panic or a project.
func TestLoadProjectSurvivesEveryBrokenProjectFile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "datasource", "project", "testdata", "*", "project.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no project test files: %v", err)
	}
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(filepath.Dir(f)), "valid-") {
			continue
		}
		if p, err := loadProject(f); err == nil || p != nil {
			t.Errorf("%s: loadProject = %v, %v; want errors only", f, p, err)
		}
	}
}
