package displays

import (
	"strings"
	"testing"
)

// FuzzCompile feeds arbitrary bytes as a display file: Compile must never
// panic, and gives either a Set or errors that each name a file and line;
// SetPair on the same bytes must never panic either.
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
