package displays

import (
	"errors"
	"strings"
	"testing"
)

const editable = `# The tank area.
displays:
  - name: tanks   # unit display
    elements:
      # the tank
      - {kind: tank, at: [100, 100], size: [160, 300], level: Tank1.Level}
      - {kind: pump,   at: [ 400 , 340 ], running: Pump1.Running}   # P-101
      - kind: valve
        # the outlet
        at: [300, 370]
        position: Valve1.Position
      - kind: text
        text: "Tanks, and more"
        at:
          - 10
          - 10
`

// changedLines returns the line numbers (from 1) where a and b differ; they
// must have as many lines.
func changedLines(t *testing.T, a, b string) []int {
	t.Helper()
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(al) != len(bl) {
		t.Fatalf("%d lines became %d:\n%s", len(al), len(bl), b)
	}
	var out []int
	for i := range al {
		if al[i] != bl[i] {
			out = append(out, i+1)
		}
	}
	return out
}

func TestMovingAnElementChangesOnlyItsValue(t *testing.T) {
	out, err := SetPair([]byte(editable), "tanks", 1, "at", 420, 350)
	if err != nil {
		t.Fatal(err)
	}
	if got := changedLines(t, editable, string(out)); len(got) != 1 || got[0] != 7 {
		t.Fatalf("changed lines %v, want only 7 (the pump)", got)
	}
	if want := "      - {kind: pump,   at: [420, 350], running: Pump1.Running}   # P-101"; strings.Split(string(out), "\n")[6] != want {
		t.Errorf("line 7 is\n%s\nwant\n%s", strings.Split(string(out), "\n")[6], want)
	}
	set, errs := compileOne(t, string(out))
	if errs != nil {
		t.Fatal(errorLines(errs))
	}
	d, _ := set.Display("tanks")
	if d.Elements[1].Box.Point != (Point{420, 350}) || d.Elements[0].Box.Point != (Point{100, 100}) {
		t.Errorf("reopened: pump at %v, tank at %v", d.Elements[1].Box.Point, d.Elements[0].Box.Point)
	}
}

func TestEditingABlockMappingAndAddingASize(t *testing.T) {
	out, err := SetPair([]byte(editable), "tanks", 2, "at", 310, 380)
	if err != nil {
		t.Fatal(err)
	}
	if got := changedLines(t, editable, string(out)); len(got) != 1 || got[0] != 10 {
		t.Fatalf("changed lines %v, want only 10", got)
	}
	out, err = SetPair(out, "tanks", 1, "size", 80, 80)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "{kind: pump, size: [80, 80],   at: [ 400 , 340 ]") {
		t.Errorf("size not added after the kind:\n%s", out)
	}
	out, err = SetPair(out, "tanks", 2, "size", 50, 50)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "      - kind: valve\n        size: [50, 50]\n        # the outlet\n") {
		t.Errorf("size not added as a line after the kind:\n%s", out)
	}
	if _, errs := compileOne(t, string(out)); errs != nil {
		t.Fatal(errorLines(errs))
	}
}

func TestAValueInABlockListIsNotEdited(t *testing.T) {
	_, err := SetPair([]byte(editable), "tanks", 3, "at", 20, 20)
	if !errors.Is(err, ErrNotEditable) {
		t.Fatalf("got %v, want ErrNotEditable", err)
	}
	if _, err := SetPair([]byte(editable), "pumps", 0, "at", 1, 1); err == nil {
		t.Error("an unknown display was edited")
	}
	if _, err := SetPair([]byte(editable), "tanks", 9, "at", 1, 1); err == nil {
		t.Error("an element that does not exist was edited")
	}
}
