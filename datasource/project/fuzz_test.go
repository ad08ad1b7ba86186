package project

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and its
// result must be either a consistent Project or an Errors whose every entry
// has a file and a line.
func FuzzParse(f *testing.F) {
	for _, dir := range goldenCases(f) {
		data, err := os.ReadFile(filepath.Join(dir, "project.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			if p != nil {
				t.Fatal("Parse returned a Project and an error")
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is not a non-empty Errors: %T %v", err, err)
			}
			for _, e := range errs {
				if e.Pos.File != "fuzz.yaml" || e.Pos.Line < 1 || e.Msg == "" || strings.Contains(e.Msg, "\n") {
					t.Fatalf("malformed error %q", e.Error())
				}
			}
			return
		}
		for i, tag := range p.Tags {
			if tag.ID != datasource.TagID(i) {
				t.Fatalf("tag %s has ID %d at index %d", tag.Name, tag.ID, i)
			}
			if got, ok := p.Tag(tag.Name); !ok || got != tag {
				t.Fatalf("Tag(%q) disagrees with Tags", tag.Name)
			}
			if tag.Calc != nil {
				if p.Calc == nil {
					t.Fatalf("calculated tag %s compiled without the project's calc set", tag.Name)
				}
				continue // read from no device
			}
			if _, ok := p.Device(tag.Device); !ok {
				t.Fatalf("tag %s is on unknown device %q", tag.Name, tag.Device)
			}
			if !tag.System && (tag.ScanRate <= 0 || tag.Address == "") {
				t.Fatalf("tag %s compiled without scan rate or address", tag.Name)
			}
		}
	})
}
