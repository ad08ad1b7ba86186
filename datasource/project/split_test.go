package project

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// largeProject is a project of n tags, large enough to be cut, with a mix
// of flow and block items, comments, blank lines and a block scalar, and a
// top-level key after the tag list.
func largeProject(n int) string {
	var b strings.Builder
	b.WriteString("project: Large\ndevices:\n  - {name: plc, driver: sim}\ntags:\n")
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "  - {name: T%d, device: plc, address: tank1.level, units: \"%%\"}\n", i)
		case 1:
			fmt.Fprintf(&b, "  # tag %d\n\n  - name: T%d\n    device: plc\n    address: tank1.inflow\n    alarms: [{kind: hi, limit: 20}]\n", i, i)
		case 2:
			fmt.Fprintf(&b, "  - name: T%d\n    description: |\n      two lines,\n      - not an item\n    device: plc\n    address: tank1.level\n", i)
		default:
			fmt.Fprintf(&b, "  -\n    name: T%d\n    device: plc\n    address: pump1.running\n    type: bool\n", i)
		}
	}
	b.WriteString("stale_factor: 2\n")
	return b.String()
}

// sameTree fails when a and b differ in anything the compiler reads:
// kinds, tags, values, lines and columns.
func sameTree(t *testing.T, path string, a, b *yaml.Node) {
	t.Helper()
	if a.Kind != b.Kind || a.Value != b.Value || a.ShortTag() != b.ShortTag() || a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
		t.Fatalf("%s: cut tree has %v %q %s line %d col %d (%d children), whole tree %v %q %s line %d col %d (%d children)", path,
			a.Kind, a.Value, a.ShortTag(), a.Line, a.Column, len(a.Content), b.Kind, b.Value, b.ShortTag(), b.Line, b.Column, len(b.Content))
	}
	for i := range a.Content {
		sameTree(t, fmt.Sprintf("%s/%d", path, i), a.Content[i], b.Content[i])
	}
}

// cutSmall lets the tests cut files of a few thousand tags.
func cutSmall(t *testing.T) {
	size, items := splitMinSize, splitMinItems
	splitMinSize, splitMinItems = 64<<10, 200
	t.Cleanup(func() { splitMinSize, splitMinItems = size, items })
}

func TestCutTagListDecodesToTheWholeFilesTree(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	cutSmall(t)
	data := []byte(largeProject(2000))
	if len(data) < splitMinSize {
		t.Fatalf("test project of %d bytes is too small to be cut", len(data))
	}
	cut, err := decodeSplit(data)
	if err != nil {
		t.Fatalf("not cut: %v", err)
	}
	whole, err := decodeDoc(data)
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, "", cut, whole)
	p, err := Parse("large.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Tags[1999].Name; got != "T1999" {
		t.Errorf("last tag %q, want T1999", got)
	}
	if tag, _ := p.Tag("T1002"); tag.Pos.Line != 1+strings.Count(string(data[:bytes.Index(data, []byte("name: T1002\n"))]), "\n") {
		t.Errorf("T1002 at line %d", tag.Pos.Line)
	}
}

func TestTagListThatCannotBeCutIsDecodedWhole(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	cutSmall(t)
	base := largeProject(2000)
	// An anchor in the first item used by the last, which a cut separates.
	anchored := strings.Replace(base, "address: tank1.level, units:", "address: &addr tank1.level, units:", 1)
	i := strings.LastIndex(anchored, "address: tank1.level")
	anchored = anchored[:i] + "address: *addr" + anchored[i+len("address: tank1.level"):]
	// A quoted description spanning lines, one of which looks like an item.
	quoted := strings.Replace(base, "name: T1001\n", "name: T1001\n    description: \"first\n  - second\"\n", 1)
	for _, c := range []struct {
		name, data string
		wantErr    string // "" for a valid project
	}{
		{"an alias to an anchor in another piece", anchored, ""},
		{"a quoted string across a cut line", quoted, ""},
		{"a YAML error in the list", strings.Replace(base, "name: T1501\n", "name: [T1501\n", 1), "large.yaml:"},
		{"a second document", base + "---\nproject: B\n", "more than one YAML document"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := decodeSplit([]byte(c.data)); err == nil {
				t.Fatal("cut, want the whole decode")
			}
			_, err := Parse("large.yaml", []byte(c.data))
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatal(err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
		})
	}
	if _, err := decodeSplit([]byte(largeProject(100))); !errors.Is(err, errNoSplit) {
		t.Errorf("a small file: %v, want errNoSplit", err)
	}
}

// Tags read in parallel pieces give the errors, tags and lines of the
// serial walk.
func TestTagsReadInPiecesReportWhatTheSerialWalkReports(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	base := largeProject(2000)
	for _, n := range []int{17, 401, 1333, 1999} { // errors spread over every piece
		base = strings.Replace(base, fmt.Sprintf("name: T%d\n", n), fmt.Sprintf("name: T%d\n    decimals: 99\n", n), 1)
	}
	base = strings.Replace(base, "name: T1996,", "name: T5,", 1) // a duplicate in the last piece
	serial := func() (*Project, error) {
		size, items := splitMinSize, splitMinItems
		splitMinSize, splitMinItems = 1<<30, 1<<30
		defer func() { splitMinSize, splitMinItems = size, items }()
		return Parse("large.yaml", []byte(base))
	}
	_, want := serial()
	cutSmall(t)
	_, got := Parse("large.yaml", []byte(base))
	if want == nil || got == nil || got.Error() != want.Error() {
		t.Fatalf("in pieces:\n%v\nserially:\n%v", got, want)
	}
	if n := strings.Count(got.Error(), "\n") + 1; n != 5 {
		t.Errorf("%d errors, want 5:\n%v", n, got)
	}
}
