package audit_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestNothingElseWritesTheEngine scans the module's non-test Go files for
// a call of the engine's Write other than the write path's own: a route
// around it would skip the permission, the limits or the audit record. It
// goes by the names the code gives the engine (Engine, engine, eng), so it
// catches the routes that were removed, not every conceivable one.
func TestNothingElseWritesTheEngine(t *testing.T) {
	root := filepath.Join("..", "..")
	call := regexp.MustCompile(`\b(Engine|engine|eng)\.Write\(`)
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if call.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				found = append(found, filepath.ToSlash(path)+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "../../history/audit/writepath.go"
	for _, f := range found {
		if !strings.HasPrefix(f, want+":") {
			t.Errorf("a write around the write path: %s", f)
		}
	}
	if len(found) == 0 {
		t.Errorf("found not even the write path's own call in %s: the scan is broken", want)
	}
}
