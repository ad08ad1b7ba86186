package tagcsv

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFileReplacesAtomicallyAndKeepsTheMode writes over a file with
// an unusual mode: the content is new, the mode is the old one, and no
// temporary file is left beside it.
func TestWriteFileReplacesAtomicallyAndKeepsTheMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plant.vigil.yaml")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("content %q, %v; want new", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, %v; want 0640", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d files, want only the project", len(entries))
	}
}

// TestWriteFileFailsWithoutTouchingTheFile writes into a directory that
// does not exist: an error, and nothing created.
func TestWriteFileFailsWithoutTouchingTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "p.yaml")
	if err := WriteFile(path, []byte("x")); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}
