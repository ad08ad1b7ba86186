package project

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the errors.txt golden files from the current output")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// goldenCases lists the case directories under testdata: each holds a
// project.yaml, and every case not named valid-* an errors.txt.
func goldenCases(t testing.TB) []string {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "project.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases under testdata")
	}
	for i, d := range dirs {
		dirs[i] = filepath.Dir(d)
	}
	return dirs
}

// unsetEnv removes an environment variable for the test and restores it.
func unsetEnv(t *testing.T, name string) {
	t.Setenv(name, "")
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenCases(t *testing.T) {
	unsetEnv(t, "VIGIL_TEST_SURELY_UNSET") // secret-env-missing relies on it
	broken := 0
	for _, dir := range goldenCases(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			file := filepath.ToSlash(filepath.Join(dir, "project.yaml"))
			proj, err := Load(file)
			if strings.HasPrefix(name, "valid-") {
				if err != nil {
					t.Fatalf("a valid project gives errors:\n%v", err)
				}
				if proj == nil || len(proj.Tags) == 0 {
					t.Fatal("a valid project compiles to no tags")
				}
				return
			}
			if err == nil {
				t.Fatal("a broken project compiles without errors")
			}
			if proj != nil {
				t.Error("a broken project also returned a Project")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want project.Errors: %v", err, err)
			}
			for _, e := range errs {
				if e.Pos.File != file || e.Pos.Line < 1 {
					t.Errorf("error without file:line: %v", e)
				}
			}
			got := err.Error() + "\n"
			golden := filepath.Join(dir, "errors.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("%v (run go test -update to create it)", rerr)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\n got:\n%s\nwant:\n%s", golden, got, want)
			}
		})
		if !strings.HasPrefix(name, "valid-") {
			broken++
		}
	}
	if broken < 25 {
		t.Errorf("only %d broken cases; keep at least 25", broken)
	}
}
