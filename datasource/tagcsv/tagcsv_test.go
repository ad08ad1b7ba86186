package tagcsv

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite the golden files in testdata/edit")

// readFile reads a test fixture.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// export returns the CSV export of a project file.
func export(t testing.TB, file string, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := Export(&b, file, data, ExportOptions{}); err != nil {
		t.Fatalf("export: %v", err)
	}
	return b.String()
}

// importCSV imports csv into data and fails the test on error.
func importCSV(t testing.TB, data []byte, csv string, opts Options) *Result {
	t.Helper()
	res, err := Import("project.yaml", data, "tags.csv", strings.NewReader(csv), opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}
