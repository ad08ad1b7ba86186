package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/assets"
)

// runTags runs cmdTags with captured output.
func runTags(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cmdTags(context.Background(), Env{Stdout: &out, Stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

// demoCopy writes the demo project to a temporary file with mode 0640.
func demoCopy(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plant.vigil.yaml")
	if err := os.WriteFile(p, assets.Demo, 0o640); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTagsVerbUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
		stdout string
	}{
		{name: "no sub-command is a usage error", args: nil, code: 2, stderr: "Usage: vigil tags export"},
		{name: "an unknown sub-command is a usage error", args: []string{"frob"}, code: 2, stderr: `unknown sub-command "frob"`},
		{name: "tags --help exits 0", args: []string{"--help"}, code: 0, stdout: "vigil tags import FILE tags.csv"},
		{name: "export --help exits 0 with the synopsis", args: []string{"export", "--help"}, code: 0, stderr: "Usage: vigil tags export FILE [--out tags.csv]"},
		{name: "import --help exits 0 with the synopsis", args: []string{"import", "--help"}, code: 0, stderr: "Usage: vigil tags import FILE tags.csv"},
		{name: "import needs two files", args: []string{"import", "p.yaml"}, code: 2, stderr: "want 2 argument(s), got 1"},
		{name: "merge and replace together are a usage error", args: []string{"import", "p.yaml", "t.csv", "--merge", "--replace"}, code: 2, stderr: "not both"},
		{name: "an unknown format is a usage error", args: []string{"import", "p.yaml", "t.csv", "--format", "xls"}, code: 2, stderr: `--format "xls"`},
		{name: "the demo cannot be imported into", args: []string{"import", "demo", "t.csv"}, code: 2, stderr: "cannot be changed"},
		{name: "a missing project file is a failure naming it", args: []string{"export", "/nonexistent/p.yaml"}, code: 1, stderr: "/nonexistent/p.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runTags(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) || !strings.Contains(out, tc.stdout) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestTagsExportImportRoundTrip(t *testing.T) {
	proj := demoCopy(t)
	csv := filepath.Join(filepath.Dir(proj), "tags.csv")
	if code, _, errOut := runTags(t, "export", proj, "--out", csv); code != 0 {
		t.Fatalf("export exit %d: %s", code, errOut)
	}
	code, out, errOut := runTags(t, "import", proj, csv)
	if code != 0 || !strings.Contains(out, "0 added, 0 changed, 0 removed") || !strings.Contains(out, "nothing to write") {
		t.Fatalf("unchanged import: exit %d, %q, %q", code, out, errOut)
	}
	if got, _ := os.ReadFile(proj); !bytes.Equal(got, assets.Demo) {
		t.Fatal("an unchanged import changed the project file")
	}
	// The demo to stdout is the same CSV.
	code, out, _ = runTags(t, "export", "demo")
	if b, _ := os.ReadFile(csv); code != 0 || out != string(b) {
		t.Fatalf("export demo to stdout differs from --out (exit %d)", code)
	}
}

func TestTagsImportChangesOnlyWhenAsked(t *testing.T) {
	proj := demoCopy(t)
	csv := filepath.Join(filepath.Dir(proj), "edit.csv")
	if err := os.WriteFile(csv, []byte("name,units,hi_limit\nTank1.Level,mm,86\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runTags(t, "import", proj, csv, "--dry-run")
	if code != 0 || !strings.Contains(out, "change  Tank1.Level: units, hi_limit") || !strings.Contains(out, "dry run, nothing written") {
		t.Fatalf("dry run: exit %d, %q, %q", code, out, errOut)
	}
	if got, _ := os.ReadFile(proj); !bytes.Equal(got, assets.Demo) {
		t.Fatal("a dry run changed the project file")
	}
	code, out, errOut = runTags(t, "import", "--merge", proj, csv)
	if code != 0 || !strings.Contains(out, "1 changed") {
		t.Fatalf("import: exit %d, %q, %q", code, out, errOut)
	}
	got, _ := os.ReadFile(proj)
	if !bytes.Contains(got, []byte("limit: 86")) || !bytes.Contains(got, []byte("units: \"mm\"")) {
		t.Fatalf("the import did not write the changes:\n%s", got)
	}
	if fi, _ := os.Stat(proj); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want the original 0640", fi.Mode())
	}
	if code, _, errOut := runCLI(t, context.Background(), Env{}, "check", proj); code != 0 {
		t.Fatalf("vigil check of the imported file: %s", errOut)
	}
}

func TestTagsImportRefusesBadInputAndWritesNothing(t *testing.T) {
	tests := []struct {
		name   string
		csv    string
		args   []string
		stderr []string
	}{
		{"bad rows are listed with row and column", "name,decimals,hi_limit\nTank1.Level,two,\nTank1.LevelSP,1,high\n", nil,
			[]string{"edit.csv:2: decimals: must be an integer", "edit.csv:3: hi_limit: must be a number", "2 problem(s)"}},
		{"an address the driver rejects fails the import", "name,device,address\nTank9.Level,plant,tank9.nothing\n", nil,
			[]string{"tag Tank9.Level: address:", "fail the driver check"}},
		{"a Kepware list needs --device", "\"Tag Name\",\"Address\",\"Data Type\"\n\"T\",\"40001\",\"Word\"\n", nil,
			[]string{"--device NAME"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proj := demoCopy(t)
			csv := filepath.Join(filepath.Dir(proj), "edit.csv")
			if err := os.WriteFile(csv, []byte(tc.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := runTags(t, append([]string{"import", proj, csv}, tc.args...)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %q", code, errOut)
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if got, _ := os.ReadFile(proj); !bytes.Equal(got, assets.Demo) {
				t.Fatal("a refused import changed the project file")
			}
		})
	}
}
