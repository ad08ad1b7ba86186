package tagcsv

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/assets"
)

// TestExportThenImportIsANoOp exports projects and imports the CSV back
// unchanged, merging and replacing: nothing may change, not one byte.
func TestExportThenImportIsANoOp(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"the demo project", assets.Demo},
		{"a project with comments, anchors and flow-style tags", readFile(t, "testdata/plant.yaml")},
		{"the edit fixture", readFile(t, "testdata/edit/base.yaml")},
		{"a generated project of 5,000 tags", genProject(5000)},
	}
	for _, tc := range tests {
		for _, mode := range []Mode{Merge, Replace} {
			t.Run(tc.name, func(t *testing.T) {
				csv := export(t, "project.yaml", tc.data)
				res := importCSV(t, tc.data, csv, Options{Mode: mode})
				if res.Modified() || !bytes.Equal(res.Data, tc.data) {
					t.Fatalf("mode %d: an unchanged CSV changed the project: added %v, changed %v, removed %v", mode, res.Added, res.Changed, res.Removed)
				}
				if want := strings.Count(csv, "\n") - 1; res.Unchanged != want {
					t.Fatalf("%d tags unchanged, want %d", res.Unchanged, want)
				}
			})
		}
	}
}

// TestSpreadsheetReformattingIsNotAChange imports an export the way a
// spreadsheet saves it again: TRUE for true, 95.0 for 95, 1m0s for 60s, a
// byte order mark, ';' between cells and decimal commas. Nothing changes.
func TestSpreadsheetReformattingIsNotAChange(t *testing.T) {
	data := readFile(t, "testdata/plant.yaml")
	csv := export(t, "plant.yaml", data)
	r := strings.NewReplacer(",true,", ",TRUE,", ",false,", ",FALSE,", ",60s,", ",1m0s,", ",95,", ",95.0,")
	reformatted := r.Replace(csv)
	if reformatted == csv {
		t.Fatal("the replacements did not apply; the test would prove nothing")
	}
	res := importCSV(t, data, reformatted, Options{})
	if res.Modified() {
		t.Fatalf("reformatted cells changed the project: %+v", res.Changed)
	}
	european := "\uFEFFname;history_deadband;span_lo;span_hi\nTank1.Level;0,1;;\nFT101.Flow;;0;250,0\n"
	if res := importCSV(t, data, european, Options{}); res.Modified() {
		t.Fatalf("a European CSV changed the project: %+v", res.Changed)
	}
}

// TestAColumnTheCSVLacksIsKept imports a CSV with only some columns: the
// other properties of the tags stay as they are.
func TestAColumnTheCSVLacksIsKept(t *testing.T) {
	data := readFile(t, "testdata/edit/base.yaml")
	res := importCSV(t, data, "name,units\nA,mm\n", Options{})
	after := export(t, "p.yaml", res.Data)
	before := export(t, "p.yaml", data)
	want := strings.Replace(before, ",Tank A,,plant,a,,,,,,,,%,", ",Tank A,,plant,a,,,,,,,,mm,", 1)
	if after != want {
		t.Fatalf("export after the import:\n%s\nwant:\n%s", after, want)
	}
}

// TestEuropeanExportImportsBack exports with ';' and a byte order mark, as
// for a European Excel, and imports the file back: nothing changes.
func TestEuropeanExportImportsBack(t *testing.T) {
	data := readFile(t, "testdata/plant.yaml")
	var b bytes.Buffer
	if err := Export(&b, "plant.yaml", data, ExportOptions{Comma: ';', BOM: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\uFEFFname;description;")) {
		t.Fatalf("export starts %q", b.Bytes()[:30])
	}
	if res := importCSV(t, data, b.String(), Options{}); res.Modified() {
		t.Fatalf("changed %+v", res.Changed)
	}
}

// TestWindowsLineEndingsAreKept edits a file with CRLF line endings: the
// changed line is the only difference and every line keeps its CRLF.
func TestWindowsLineEndingsAreKept(t *testing.T) {
	base := readFile(t, "testdata/edit/base.yaml")
	crlf := bytes.ReplaceAll(base, []byte("\n"), []byte("\r\n"))
	res := importCSV(t, crlf, "name,limits_min,limits_max\nB,5,90\n", Options{})
	want := bytes.Replace(crlf, []byte("limits: [0, 90]\r\n"), []byte("limits: [5, 90]\r\n"), 1)
	if !bytes.Equal(res.Data, want) {
		t.Fatalf("got\n%q\nwant\n%q", res.Data, want)
	}
}

// TestDeviceOptionFillsNewTagsWithoutOne imports new tags without a device
// cell: --device gives them one; a tag with a device keeps it.
func TestDeviceOptionFillsNewTagsWithoutOne(t *testing.T) {
	data := readFile(t, "testdata/migrate.yaml")
	res := importCSV(t, data, "name,device,address\nX,,\"400100\"\nY,opc,ns=2;s=Y\n", Options{Device: "plc"})
	x, _ := res.Project.Tag("X")
	y, _ := res.Project.Tag("Y")
	if x == nil || x.Device != "plc" || y == nil || y.Device != "opc" {
		t.Fatalf("X %+v, Y %+v", x, y)
	}
}
