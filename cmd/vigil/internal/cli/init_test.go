package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitWritesTheDemoAsAProjectOfOnesOwn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pump station.yaml")
	code, out, stderr := runCLI(t, context.Background(), Env{}, "init", path)
	if code != ExitOK || !strings.Contains(out, `as project "pump station"`) || !strings.Contains(out, "vigil open "+path) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	// It loads as a project named after the file (its history is not the
	// demo's), with everything the demo has.
	p, err := loadProject(path)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := loadProject(DemoName)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "pump station" || len(p.Tags) != len(demo.Tags) || p.Displays.Len() != demo.Displays.Len() || p.Displays.Len() == 0 {
		t.Errorf("project %q with %d tags and %d displays, want \"pump station\" with the demo's %d and %d",
			p.Name, len(p.Tags), p.Displays.Len(), len(demo.Tags), demo.Displays.Len())
	}
	// The file is the user's now: the tags door edits it.
	csv := filepath.Join(t.TempDir(), "tags.csv")
	if code, _, stderr := runCLI(t, context.Background(), Env{}, "tags", "export", path, "--out", csv); code != ExitOK {
		t.Fatalf("tags export: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, context.Background(), Env{}, "tags", "import", path, csv, "--dry-run"); code != ExitOK {
		t.Fatalf("tags import: exit %d: %s", code, stderr)
	}
	// A second init never overwrites it.
	before, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(before, "# mine\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, context.Background(), Env{}, "init", path)
	after, _ := os.ReadFile(path)
	if code != ExitFailure || !strings.Contains(stderr, "exists; nothing was written") || !strings.HasSuffix(string(after), "# mine\n") {
		t.Errorf("init over an existing file: exit %d, %q; the file ends %q", code, stderr, after[max(0, len(after)-20):])
	}
}

func TestTagsImportIntoTheDemoSaysHowToGetAFile(t *testing.T) {
	csv := writeFile(t, "tags.csv", "name\n")
	code, _, stderr := runCLI(t, context.Background(), Env{}, "tags", "import", DemoName, csv)
	if code == ExitOK || !strings.Contains(stderr, "vigil init plant.yaml") {
		t.Errorf("exit %d, %q: want a refusal that names vigil init", code, stderr)
	}
}
