package displays

import (
	"strings"
	"testing"
	"testing/fstest"

	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTags are the project's tags in these tests.
func testTags() []*datasource.Tag {
	mk := func(name string, typ datasource.DataType, group string, writable bool) *datasource.Tag {
		return &datasource.Tag{Name: name, Type: typ, Group: group, Writable: writable, Decimals: 1}
	}
	tags := []*datasource.Tag{
		mk("Tank1.Level", datasource.TypeFloat32, "Tanks", false),
		mk("Tank1.LevelSP", datasource.TypeFloat32, "Tanks", true),
		mk("Pump1.Running", datasource.TypeBool, "Pumps", false),
		mk("Pump1.Fault", datasource.TypeBool, "Pumps", false),
		mk("Pump1.Current", datasource.TypeFloat32, "Pumps", false),
		mk("Pump1.Start", datasource.TypeBool, "Pumps", true),
		mk("Pump2.Running", datasource.TypeBool, "Pumps", false),
		mk("Pump2.Current", datasource.TypeFloat32, "Pumps", false),
		mk("Valve1.Position", datasource.TypeFloat32, "Tanks", false),
		mk("Line.Name", datasource.TypeString, "", false),
		mk("Pump1.Manual", datasource.TypeBool, "Pumps", false),
		mk("Valve1.Open", datasource.TypeBool, "Tanks", false),
	}
	tags[1].WriteLimits = &datasource.Range{Min: 0, Max: 100}
	for i, t := range tags {
		t.ID = datasource.TagID(i)
	}
	return tags
}

const projectFile = "plant.vigil.yaml"

// compileFiles compiles a project whose displays: section is section (YAML
// text of the value), with files in the project's directory.
func compileFiles(t *testing.T, section string, files map[string]string) (*Set, []*Error) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("displays: "+section), &doc); err != nil {
		t.Fatalf("test project does not parse: %v", err)
	}
	fsys := fstest.MapFS{"logo.png": {Data: []byte("png")}}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return Compile(Input{File: projectFile, Node: doc.Content[0].Content[1], Tags: testTags(), FS: fsys})
}

// compileOne compiles one display file, displays/plant.yaml.
func compileOne(t *testing.T, text string) (*Set, []*Error) {
	t.Helper()
	return compileFiles(t, "[displays/plant.yaml]", map[string]string{"displays/plant.yaml": text})
}

func errorLines(errs []*Error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

const file = "displays/plant.yaml"

// Each case is a display file and every error it must give, in full
// (file:line: field: message), in order.
var errorCases = []struct {
	name string
	text string
	want []string
}{
	{
		name: "an unknown tag is reported at its line with the element's field",
		text: `displays:
  - name: tanks
    elements:
      - {kind: tank, at: [10, 10], level: Tank9.Level}
`,
		want: []string{file + `:4: displays[tanks].elements[0].level: unknown tag "Tank9.Level"`},
	},
	{
		name: "an unknown kind lists the kinds",
		text: `displays:
  - name: tanks
    elements:
      - kind: tank
        at: [10, 10]
        level: Tank1.Level
      - kind: reactor
        at: [10, 10]
`,
		want: []string{file + `:7: displays[tanks].elements[1].kind: unknown kind "reactor"; one of tank, pump, motor, fan, compressor, valve, damper, pipe, duct, value, bar, text, button, setpoint, sparkline, trend, alarms, group, image, instance`},
	},
	{
		name: "a value of the wrong type names what was given",
		text: `displays:
  - name: tanks
    level: two
    size: [1600]
    elements:
      - kind: tank
        at: [ten, 10]
        level: Tank1.Level
      - kind: pump
        at: [100, 10]
        running: Pump1.Current
      - kind: bar
        at: [100, 100]
        tag: Line.Name
      - kind: valve
        at: [200, 100]
        position: Valve1.Position
        vertical: maybe
`,
		want: []string{
			file + `:3: displays[tanks].level: must be a number, got "two"`,
			file + `:4: displays[tanks].size: must be a list of two numbers [width, height], got a list of 1`,
			file + `:7: displays[tanks].elements[0].at[0]: must be a number, got "ten"`,
			file + `:11: displays[tanks].elements[1].running: tag "Pump1.Current" is float32; this field needs a bool or integer tag`,
			file + `:14: displays[tanks].elements[2].tag: tag "Line.Name" is string; this field needs a number`,
			file + `:18: displays[tanks].elements[3].vertical: must be true or false, got "maybe"`,
		},
	},
	{
		name: "an element off the canvas is reported at its at or points",
		text: `displays:
  - name: tanks
    size: [800, 600]
    elements:
      - {kind: tank, at: [700, 10], level: Tank1.Level}
      - {kind: pipe, points: [[0, 10], [900, 10]]}
      - {kind: text, at: [-5, 0], text: Tanks}
`,
		want: []string{
			file + `:5: displays[tanks].elements[0].at: the tank spans [700, 10]..[860, 310], beyond the canvas [0, 0]..[800, 600]`,
			file + `:6: displays[tanks].elements[1].points: the pipe spans [0, 10]..[900, 10], beyond the canvas [0, 0]..[800, 600]`,
			file + `:7: displays[tanks].elements[2].at: the text spans [-5, 0]..[195, 30], beyond the canvas [0, 0]..[800, 600]`,
		},
	},
	{
		name: "an unknown navigation target in goto, parent and alarms",
		text: `displays:
  - name: plant
    level: 1
  - name: tanks
    parent: plnt
    elements:
      - {kind: button, at: [10, 10], text: Pumps, goto: pumps}
      - {kind: alarms, at: [10, 100], display: tank}
`,
		want: []string{
			file + `:5: displays[tanks].parent: unknown display "plnt" (defined: plant, tanks)`,
			file + `:7: displays[tanks].elements[0].goto: unknown display "pumps" (defined: plant, tanks)`,
			file + `:8: displays[tanks].elements[1].display: unknown display "tank" (defined: plant, tanks)`,
		},
	},
	{
		name: "a parent must be of a higher level",
		text: `displays:
  - name: plant
    level: 2
  - name: tanks
    level: 2
    parent: plant
  - name: self
    level: 3
    parent: self
`,
		want: []string{
			file + `:6: displays[tanks].parent: parent "plant" is level 2; a parent must have a smaller level than this display's 2`,
			file + `:9: displays[self].parent: parent "self" is level 3; a parent must have a smaller level than this display's 3`,
			file + `:9: displays[self].parent: a display cannot be its own parent`,
		},
	},
	{
		name: "a missing template parameter is reported at the instance and at the template",
		text: `templates:
  pumpset:
    params: [unit, title]
    elements:
      - {kind: pump, at: [0, 0], running: "{unit}.Running", label: "{title}"}
displays:
  - name: pumps
    elements:
      - {kind: instance, template: pumpset, at: [100, 100], params: {unit: Pump1}}
`,
		want: []string{
			file + `:2: templates[pumpset].params: parameter title is not given by the instance at displays/plant.yaml:9 (displays[pumps].elements[0])`,
			file + `:9: displays[pumps].elements[0].params: missing parameter title of template pumpset (defined at displays/plant.yaml:2)`,
		},
	},
	{
		name: "an unknown tag made by a template is reported at the instance and at the template",
		text: `templates:
  pumpset:
    params: [unit]
    elements:
      - {kind: pump, at: [0, 0], running: "{unit}.Running"}
      - {kind: value, at: [0, 70], tag: "{unit}.Current"}
displays:
  - name: pumps
    elements:
      - {kind: instance, template: pumpset, at: [100, 100], params: {unit: Pump1}}
      - {kind: instance, template: pumpset, at: [300, 100], params: {unit: Pump9}}
`,
		want: []string{
			file + `:5: templates[pumpset].elements[0].running: unknown tag "Pump9.Running"`,
			file + `:6: templates[pumpset].elements[1].tag: unknown tag "Pump9.Current"`,
			file + `:11: displays[pumps].elements[1]: template pumpset, elements[0].running: unknown tag "Pump9.Running"`,
			file + `:11: displays[pumps].elements[1]: template pumpset, elements[1].tag: unknown tag "Pump9.Current"`,
		},
	},
	{
		name: "template misuse: unknown template, unknown parameter, undeclared reference, nesting",
		text: `templates:
  pumpset:
    params: [unit]
    elements:
      - {kind: pump, at: [0, 0], running: "{unit}.Running", label: "{name}"}
      - {kind: instance, template: pumpset, at: [0, 0]}
displays:
  - name: pumps
    elements:
      - {kind: instance, template: pumpst, at: [100, 100]}
      - {kind: instance, template: pumpset, at: [100, 100], params: {unit: Pump1, colour: red}}
`,
		want: []string{
			file + `:5: templates[pumpset].elements[0].label: {name} is not a parameter of template pumpset (params: unit)`,
			file + `:6: templates[pumpset].elements[1].kind: templates do not nest: write the other template's elements here`,
			file + `:10: displays[pumps].elements[0].template: unknown template "pumpst" (defined: pumpset)`,
			file + `:11: displays[pumps].elements[1].params.colour: template pumpset has no parameter "colour" (params: unit)`,
		},
	},
	{
		name: "an instance placed off the canvas is reported at the instance's line and the template's",
		text: `templates:
  pumpset:
    params: [unit]
    elements:
      - {kind: pump, at: [0, 0], running: "{unit}.Running"}
displays:
  - name: pumps
    size: [400, 300]
    elements:
      - {kind: instance, template: pumpset, at: [380, 100], params: {unit: Pump1}}
`,
		want: []string{
			file + `:5: templates[pumpset].elements[0].at: the pump spans [380, 100]..[440, 160], beyond the canvas [0, 0]..[400, 300]`,
			file + `:10: displays[pumps].elements[0]: template pumpset, elements[0].at: the pump spans [380, 100]..[440, 160], beyond the canvas [0, 0]..[400, 300]`,
		},
	},
	{
		name: "fields: unknown, repeated, required, and fields that go together",
		text: `displays:
  - name: tanks
    colour: grey
    elements:
      - {kind: tank, at: [10, 10], level: Tank1.Level, colour: blue}
      - {kind: tank, at: [10, 10], at: [20, 20], level: Tank1.Level}
      - {kind: pump, at: [100, 10]}
      - {kind: valve, at: [200, 10]}
      - {kind: button, at: [300, 10], text: Both, goto: tanks, write: Pump1.Start, value: 1}
      - {kind: button, at: [300, 60], text: Neither}
      - {kind: button, at: [300, 110], text: Start, write: Pump1.Start}
      - {kind: alarms, at: [300, 160], tag: Pump1.Fault, group: Pumps}
      - {tag: Pump1.Fault}
`,
		want: []string{
			file + `:3: displays[tanks].colour: unknown field; allowed here: name, title, level, parent, size, grid, templates, elements`,
			file + `:5: displays[tanks].elements[0].colour: unknown field; allowed here: kind, at, size, level, label`,
			file + `:6: displays[tanks].elements[1].at: given twice (first at line 6)`,
			file + `:7: displays[tanks].elements[2].running: required for kind pump`,
			file + `:8: displays[tanks].elements[3].position: a valve needs position (a number in %) or open (a bool), or both`,
			file + `:9: displays[tanks].elements[4].write: a button either goes to a display (goto) or writes a value (write and value), not both`,
			file + `:10: displays[tanks].elements[5].goto: a button needs goto (a display) or write (a tag) and value`,
			file + `:11: displays[tanks].elements[6].value: required with write: the value the button writes`,
			file + `:12: displays[tanks].elements[7]: an alarm indicator counts one tag, one group or one display: give one of tag, group, display`,
			file + `:13: displays[tanks].elements[8].kind: required: one of tank, pump, motor, fan, compressor, valve, damper, pipe, duct, value, bar, text, button, setpoint, sparkline, trend, alarms, group, image, instance`,
		},
	},
	{
		name: "writes: not writable, wrong value, out of limits",
		text: `displays:
  - name: tanks
    elements:
      - {kind: setpoint, at: [10, 10], tag: Tank1.Level}
      - {kind: button, at: [10, 60], text: Start, write: Pump1.Start, value: "on"}
      - {kind: button, at: [10, 110], text: Full, write: Tank1.LevelSP, value: 120}
      - {kind: button, at: [10, 160], text: Half, write: Tank1.LevelSP, value: 50}
`,
		want: []string{
			file + `:4: displays[tanks].elements[0].tag: tag "Tank1.Level" is not writable (give it writable: true)`,
			file + `:5: displays[tanks].elements[1].value: tag "Pump1.Start" is bool: the value must be true, false, 1 or 0, got "on"`,
			file + `:6: displays[tanks].elements[2].value: `,
		},
	},
	{
		name: "names: duplicate display, level out of range, bad name, missing name",
		text: `displays:
  - name: tanks
    level: 5
  - name: tanks
  - name: "tank area"
  - title: No name
`,
		want: []string{
			file + `:3: displays[tanks].level: must be 1 (plant overview), 2 (unit), 3 (detail) or 4 (diagnostic), got 5`,
			file + `:4: displays[tanks].name: display "tanks" is defined twice (first at displays/plant.yaml:2)`,
			file + `:5: displays[2].name: "tank area" may only contain letters, digits, _ and -`,
			file + `:6: displays[3].name: required: the display's name, used by goto, parent and --screen`,
		},
	},
	{
		name: "images, groups, windows and trends",
		text: `displays:
  - name: tanks
    elements:
      - {kind: image, at: [10, 10], file: missing.png}
      - {kind: image, at: [10, 10], file: notes.txt}
      - {kind: image, at: [10, 10], file: ../outside.png}
      - {kind: alarms, at: [10, 300], group: Tankz}
      - {kind: sparkline, at: [10, 400], tag: Tank1.Level, window: forever}
      - {kind: trend, at: [10, 500], tags: [Tank1.Level, Pump1.Current, Pump2.Current, Valve1.Position, Tank1.Level, Tank1.LevelSP, Pump1.Current, Pump2.Current, Tank1.Level]}
      - {kind: image, at: [300, 10], file: logo.png}
`,
		want: []string{
			file + `:4: displays[tanks].elements[0].file: open missing.png: file does not exist`,
			file + `:5: displays[tanks].elements[1].file: "notes.txt" is not a .png or .svg file`,
			file + `:6: displays[tanks].elements[2].file: "../outside.png" must be a path inside the project's directory (relative, without ..)`,
			file + `:7: displays[tanks].elements[3].group: unknown tag group "Tankz" (no tag has group: Tankz)`,
			file + `:8: displays[tanks].elements[4].window: must be a duration such as 10m, 1h or 8h, got "forever"`,
			file + `:9: displays[tanks].elements[5].tags: must list 1 to 8 tags, got a list of 9`,
		},
	},
	{
		name: "a YAML syntax error in a display file names the file and line",
		text: `displays:
  - name: tanks
    elements:
      - {kind: tank, at: [10, 10]
`,
		want: []string{file + `:4: invalid YAML: did not find expected ',' or '}' (in the block that starts here)`},
	},
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			set, errs := compileOne(t, tc.text)
			if set != nil {
				t.Error("a broken display also returned a Set")
			}
			got := strings.Split(strings.TrimSuffix(errorLines(errs), "\n"), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tc.want), errorLines(errs))
			}
			for i, w := range tc.want {
				// A want ending in ": " checks the file:line and field only:
				// the message is another package's words.
				if got[i] != w && !(strings.HasSuffix(w, ": ") && strings.HasPrefix(got[i], w)) {
					t.Errorf("error %d:\n got %s\nwant %s", i, got[i], w)
				}
			}
		})
	}
}
