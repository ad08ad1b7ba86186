package tagcsv

import (
	"bytes"
	"testing"
)

// FuzzImport feeds arbitrary CSV bytes to Import against a fixed project:
// it must return a result or an error, never panic, and a result it returns
// must compile (Import checks that) and export again.
func FuzzImport(f *testing.F) {
	data := readFile(f, "testdata/edit/base.yaml")
	f.Add([]byte(export(f, "p.yaml", data)))
	f.Add([]byte("name,units,hi_limit\nA,m,95\nD,bar,\n"))
	f.Add([]byte("\uFEFFname;states;alarms\nC;0=OFF;1=ON;[]\n"))
	f.Add(readFile(f, "testdata/kepware.csv"))
	f.Fuzz(func(t *testing.T, csv []byte) {
		for _, mode := range []Mode{Merge, Replace} {
			res, err := Import("p.yaml", data, "f.csv", bytes.NewReader(csv), Options{Mode: mode, Device: "plant"})
			if err != nil {
				continue
			}
			var b bytes.Buffer
			if err := Export(&b, "p.yaml", res.Data, ExportOptions{}); err != nil {
				t.Fatalf("the imported project does not export: %v\n%s", err, res.Data)
			}
		}
	})
}
