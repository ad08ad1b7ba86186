package displays

import (
	"strings"
	"testing"
)

// FuzzCompile feeds arbitrary bytes as a display file: Compile must never
// panic, and gives either a Set or errors that each name a file and line;
// the edits on the same bytes must never panic either, must write what
// they say, and their inverse must restore the bytes.
func FuzzCompile(f *testing.F) {
	for _, c := range errorCases {
		f.Add([]byte(c.text))
	}
	f.Add([]byte(editable))
	f.Add([]byte(gallerySeed))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, errs := compileOne(t, string(data))
		if (set == nil) == (errs == nil) {
			t.Fatalf("set %v with errors %v", set != nil, errs)
		}
		for _, e := range errs {
			if e.Pos.File == "" || e.Pos.Line < 1 || e.Msg == "" {
				t.Fatalf("malformed error %q", e.Error())
			}
		}
		if set != nil {
			for _, d := range set.Displays {
				for _, e := range d.Elements {
					if e.Box.X < 0 || e.Box.Y < 0 || e.Box.X+e.Box.W > d.Size.W || e.Box.Y+e.Box.H > d.Size.H {
						t.Fatalf("an element off the canvas compiled: %+v", e.Box)
					}
				}
				if len(d.Elements) > 0 && !strings.Contains(string(data), d.Name) {
					t.Fatalf("display %q is not in the file", d.Name)
				}
				_, _ = SetPair(data, d.Name, 0, "at", 10, 10)
				checkEdit(t, data, d.Name, len(d.Elements) > 0)
			}
		}
	})
}

const gallerySeed = `templates:
  t:
    params: [u]
    elements:
      - {kind: pump, at: [0, 0], running: "{u}.Running"}
displays:
  - name: a
    elements:
      - {kind: instance, template: t, at: [10, 10], params: {u: Pump1}}
      - kind: valve
        at: [100, 100]
        open: Valve1.Open
`

// checkEdit sets a label with every awkward character on element 0 of
// display name and adds an element; when an edit is made, the value reads
// back and its inverse gives data back.
func checkEdit(t *testing.T, data []byte, name string, hasElements bool) {
	const label = `a, "b" # c: {d}`
	roundTrip := func(c Change, err error) []byte {
		if err != nil {
			return nil
		}
		out, err := c.Apply(data)
		if err != nil {
			t.Fatalf("a fresh change does not apply: %v", err)
		}
		if back, err := c.Inverse().Apply(out); err != nil || string(back) != string(data) {
			t.Fatalf("the inverse does not restore the file (%v)", err)
		}
		return out
	}
	if hasElements {
		if out := roundTrip(FieldChange(data, name, 0, "label", label)); out != nil {
			if vals, err := Values(out, name, 0); err != nil || vals["label"] != label {
				t.Fatalf("label reads back as %q (%v) from\n%s", vals["label"], err, out)
			}
		}
	}
	if out := roundTrip(AddElement(data, name, NewElement("text", Point{10, 10}, Size{20, 20}, "text", label))); out != nil {
		d, err := findDisplay(out, name)
		if err != nil {
			t.Fatalf("after adding: %v\n%s", err, out)
		}
		els := d.Content[len(d.Content)-1]
		for i := 0; i+1 < len(d.Content); i += 2 {
			if d.Content[i].Value == "elements" {
				els = d.Content[i+1]
			}
		}
		if last := els.Content[len(els.Content)-1]; valueOf(last, "text") != label {
			t.Fatalf("the last element is not the one added:\n%s", out)
		}
	}
}
