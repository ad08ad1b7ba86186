package displays

import (
	"errors"
	"strings"
	"testing"
)

// apply makes c on text and checks that its inverse gives text back byte
// for byte.
func apply(t *testing.T, text string, c Change, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Apply([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	back, err := c.Inverse().Apply(out)
	if err != nil {
		t.Fatalf("undo: %v", err)
	}
	if string(back) != text {
		t.Fatalf("undo did not restore the file:\n%s", back)
	}
	return string(out)
}

func TestResizingAnElementChangesOnlyItsValueAndUndoRestoresIt(t *testing.T) {
	c, err := PairChange([]byte(editable), "tanks", 0, "size", 170, 310)
	out := apply(t, editable, c, err)
	if got := changedLines(t, editable, out); len(got) != 1 || got[0] != 6 {
		t.Fatalf("changed lines %v, want only 6 (the tank)", got)
	}
	if !strings.Contains(out, "      - {kind: tank, at: [100, 100], size: [170, 310], level: Tank1.Level}\n") {
		t.Errorf("size not changed:\n%s", out)
	}
	set, errs := compileOne(t, out)
	if errs != nil {
		t.Fatal(errorLines(errs))
	}
	if d, _ := set.Display("tanks"); d.Elements[0].Box.Size != (Size{170, 310}) {
		t.Errorf("reopened: tank size %v", d.Elements[0].Box.Size)
	}
}

func TestSettingAFieldChangesOnlyItsValue(t *testing.T) {
	cases := []struct {
		index       int
		key, value  string
		line        int
		want        string
		addsOneLine bool
	}{
		{0, "level", "Tank1.LevelSP", 6, "      - {kind: tank, at: [100, 100], size: [160, 300], level: Tank1.LevelSP}", false},
		{1, "running", "Pump2.Running", 7, "      - {kind: pump,   at: [ 400 , 340 ], running: Pump2.Running}   # P-101", false},
		{1, "label", "P-101, main", 7, `      - {kind: pump, label: "P-101, main",   at: [ 400 , 340 ], running: Pump1.Running}   # P-101`, false},
		{2, "position", "Tank1.Level", 11, "        position: Tank1.Level", false},
		{3, "text", "Tanks: #1", 13, `        text: "Tanks: #1"`, false},
		{3, "text", "Tanks", 13, `        text: Tanks`, false},
		{2, "label", "Outlet valve", 9, "        label: Outlet valve", true},
	}
	for _, tc := range cases {
		c, err := FieldChange([]byte(editable), "tanks", tc.index, tc.key, tc.value)
		out := apply(t, editable, c, err)
		lines := strings.Split(out, "\n")
		if tc.addsOneLine {
			if len(lines) != strings.Count(editable, "\n")+2 || lines[tc.line-1] != tc.want {
				t.Errorf("%s=%q: got\n%s", tc.key, tc.value, out)
			}
			continue
		}
		if got := changedLines(t, editable, out); len(got) != 1 || got[0] != tc.line || lines[tc.line-1] != tc.want {
			t.Errorf("%s=%q: changed %v, line %d is\n%s\nwant\n%s", tc.key, tc.value, got, tc.line, lines[tc.line-1], tc.want)
		}
		vals, err := Values([]byte(out), "tanks", tc.index)
		if err != nil || vals[tc.key] != tc.value {
			t.Errorf("%s=%q reads back as %q (%v)", tc.key, tc.value, vals[tc.key], err)
		}
	}
	if _, err := FieldChange([]byte(editable), "tanks", 0, "kind", "pump"); !errors.Is(err, ErrNotEditable) {
		t.Errorf("kind changed: %v", err)
	}
}

func TestAddingAnElementAppendsOneLine(t *testing.T) {
	text := NewElement("value", Point{600, 100}, DefaultSizeOf("value"), "tag", "Pump1.Current", "label", "Current, A")
	c, err := AddElement([]byte(editable), "tanks", text)
	out := apply(t, editable, c, err)
	want := editable[:strings.LastIndex(editable, "          - 10\n")] + "          - 10\n" +
		`      - {kind: value, at: [600, 100], size: [160, 30], tag: Pump1.Current, label: "Current, A"}` + "\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	// A display followed by another, with a comment between, and a last
	// element written over several lines.
	const two = `displays:
  - name: a
    elements:
      - kind: text
        text: A
        at: [0, 40]
        # about a

    # the next display
  - name: b
    elements:
      - {kind: text, at: [0, 0], text: B}
`
	c, err = AddElement([]byte(two), "a", "{kind: text, at: [0, 80], text: New}")
	out = apply(t, two, c, err)
	if !strings.Contains(out, "        # about a\n      - {kind: text, at: [0, 80], text: New}\n\n    # the next display\n") {
		t.Errorf("not added after element a's last line:\n%s", out)
	}
	set, errs := compileOne(t, out)
	if errs != nil {
		t.Fatal(errorLines(errs))
	}
	if d, _ := set.Display("a"); len(d.Elements) != 2 || d.Elements[1].Label != "New" {
		t.Errorf("reopened: %d elements", len(d.Elements))
	}
	if _, err := AddElement([]byte("displays:\n  - name: c\n    elements: []\n"), "c", text); !errors.Is(err, ErrNotEditable) {
		t.Errorf("a flow list was edited: %v", err)
	}
}

func TestAChangeDoesNotApplyToAFileEditedSince(t *testing.T) {
	c, err := PairChange([]byte(editable), "tanks", 1, "at", 420, 350)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(editable, "[ 400 , 340 ]", "[400, 340]", 1)
	if _, err := c.Apply([]byte(edited)); !errors.Is(err, ErrChanged) {
		t.Fatalf("got %v, want ErrChanged", err)
	}
}

func TestCheckRefusesAnEditTheCompilerRefuses(t *testing.T) {
	set, errs := compileOne(t, editable[:strings.Index(editable, "      - kind: text")])
	if errs != nil {
		t.Fatal(errorLines(errs))
	}
	base := editable[:strings.Index(editable, "      - kind: text")]
	c, err := FieldChange([]byte(base), "tanks", 0, "level", "Nope.Level")
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := c.Apply([]byte(base))
	err = set.Check(file, bad)
	if err == nil || !strings.HasPrefix(err.Error(), "displays/plant.yaml:6: displays[tanks].elements[0].level: ") {
		t.Fatalf("got %v, want the compiler's file:line message", err)
	}
	good, _ := FieldChange([]byte(base), "tanks", 0, "level", "Tank1.LevelSP")
	out, _ := good.Apply([]byte(base))
	if err := set.Check(file, out); err != nil {
		t.Errorf("a good edit refused: %v", err)
	}
}

// The palette's pipe is a straight two-point line from at to at+size, and
// its trend has the one pen picked as a list: both compile as added.
func TestAddingAPipeAndATrend(t *testing.T) {
	pipe := NewElement("pipe", Point{400, 220}, DefaultSizeOf("pipe"))
	if want := "{kind: pipe, points: [[400, 220], [600, 220]]}"; pipe != want {
		t.Errorf("pipe %q, want %q", pipe, want)
	}
	trend := NewElement("trend", Point{200, 80}, DefaultSizeOf("trend"), "tags", "Tank1.Level")
	if want := "{kind: trend, at: [200, 80], size: [600, 300], tags: [Tank1.Level]}"; trend != want {
		t.Errorf("trend %q, want %q", trend, want)
	}
	out := editable
	for _, text := range []string{pipe, trend} {
		c, err := AddElement([]byte(out), "tanks", text)
		out = apply(t, out, c, err)
	}
	set, errs := compileOne(t, out)
	if errs != nil {
		t.Fatal(errorLines(errs))
	}
	d, _ := set.Display("tanks")
	n := len(d.Elements)
	p, tr := d.Elements[n-2], d.Elements[n-1]
	if p.Kind != Pipe || len(p.Line) != 2 || p.Line[0] != (Point{400, 220}) || p.Line[1] != (Point{600, 220}) {
		t.Errorf("the pipe compiles as %v %v", p.Kind, p.Line)
	}
	if tr.Kind != Trend || len(tr.Tags) != 1 || tr.Tags[0].Name != "Tank1.Level" {
		t.Errorf("the trend compiles as %v with pens %v", tr.Kind, tr.Tags)
	}
	kinds := strings.Join(PaletteKinds(), " ")
	for _, k := range []string{"trend", "pipe", "duct", "tank", "value"} {
		if !strings.Contains(" "+kinds+" ", " "+k+" ") {
			t.Errorf("the palette %q has no %s", kinds, k)
		}
	}
}
