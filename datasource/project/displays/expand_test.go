package displays

import (
	"testing"
	"time"
)

func TestTemplateExpansion(t *testing.T) {
	set, errs := compileOne(t, `templates:
  pumpset:
    params: [unit]
    elements:
      - {kind: pump, at: [0, 0], running: "{unit}.Running", label: "{unit}"}
      - {kind: value, at: [0, 70], tag: "{unit}.Current"}
      - {kind: pipe, points: [[60, 30], [120, 30]]}
displays:
  - name: pumps
    elements:
      - {kind: text, at: [10, 10], text: Pumps}
      - {kind: instance, template: pumpset, at: [100, 100], params: {unit: Pump1}}
      - {kind: instance, template: pumpset, at: [300, 100], params: {unit: Pump2}}
`)
	if errs != nil {
		t.Fatalf("errors:\n%s", errorLines(errs))
	}
	d, ok := set.Display("pumps")
	if !ok {
		t.Fatal("display pumps not found")
	}
	if len(d.Elements) != 7 {
		t.Fatalf("got %d elements, want 1 + 2 x 3", len(d.Elements))
	}
	p2 := d.Elements[4]
	if p2.Kind != Pump || p2.Tag == nil || p2.Tag.Name != "Pump2.Running" || p2.Label != "Pump2" {
		t.Errorf("second instance's pump: kind %v tag %v label %q, want pump Pump2.Running Pump2", p2.Kind, p2.Tag, p2.Label)
	}
	if p2.Box != (Rect{Point{300, 100}, Size{60, 60}}) {
		t.Errorf("second pump's box %v, want at the instance's [300, 100] with the default 60 x 60", p2.Box)
	}
	if v := d.Elements[5]; v.Tag.Name != "Pump2.Current" || v.Box.Point != (Point{300, 170}) {
		t.Errorf("second instance's value: %s at %v, want Pump2.Current at [300, 170]", v.Tag.Name, v.Box.Point)
	}
	if pipe := d.Elements[6]; pipe.Line[0] != (Point{360, 130}) || pipe.Line[1] != (Point{420, 130}) {
		t.Errorf("pipe points %v, want moved by the instance's at", pipe.Line)
	}
	if p2.Index != 2 || p2.Via.Line != 13 || p2.Pos.Line != 5 {
		t.Errorf("expanded pump: index %d via line %d pos line %d, want 2, 13 (instance) and 5 (template)", p2.Index, p2.Via.Line, p2.Pos.Line)
	}
	var names []string
	for _, tag := range d.Tags {
		names = append(names, tag.Name)
	}
	if got := len(names); got != 4 {
		t.Errorf("display tags %v, want the 4 distinct tags", names)
	}
}

func TestInlineDisplaysAndNavigation(t *testing.T) {
	set, errs := compileFiles(t, `
  - name: plant
    title: Plant overview
    level: 1
    elements:
      - {kind: button, at: [10, 10], text: Tanks, goto: tanks}
      - {kind: alarms, at: [200, 10], group: Tanks}
  - name: tanks
    parent: plant
    size: [800, 600]
    elements:
      - {kind: tank, at: [10, 10], level: Tank1.Level, label: Tank 1}
      - {kind: valve, at: [300, 10], position: Valve1.Position, vertical: true}
      - {kind: sparkline, at: [10, 400], tag: Tank1.Level, window: 10m}
      - {kind: trend, at: [200, 300], tags: [Tank1.Level, Valve1.Position]}
      - {kind: button, at: [600, 10], text: Start, write: Pump1.Start, value: true}
      - {kind: setpoint, at: [600, 100], tag: Tank1.LevelSP}
      - {kind: image, at: [600, 400], size: [100, 100], file: logo.png}
  - displays/*.yaml
`, map[string]string{"displays/pumps.yaml": `displays:
  - name: pumps
    parent: plant
    elements:
      - {kind: pump, at: [10, 10], running: Pump1.Running, fault: Pump1.Fault}
`})
	if errs != nil {
		t.Fatalf("errors:\n%s", errorLines(errs))
	}
	if set.Len() != 3 || len(set.Files) != 1 || set.Files[0] != "displays/pumps.yaml" {
		t.Fatalf("got %d displays from files %v, want 3 with displays/pumps.yaml", set.Len(), set.Files)
	}
	if roots := set.Children(""); len(roots) != 1 || roots[0].Name != "plant" || roots[0].Title != "Plant overview" || roots[0].Level != 1 {
		t.Errorf("roots %v, want plant (level 1, titled)", roots)
	}
	if kids := set.Children("plant"); len(kids) != 2 || kids[0].Name != "tanks" || kids[1].Name != "pumps" {
		t.Errorf("children of plant %v, want tanks, pumps", kids)
	}
	tanks, _ := set.Display("tanks")
	if tanks.Level != DefaultLevel || tanks.Size != (Size{800, 600}) || tanks.Title != "tanks" {
		t.Errorf("tanks: level %d size %v title %q, want defaults and the given size", tanks.Level, tanks.Size, tanks.Title)
	}
	e := tanks.Elements
	if e[1].Tag.Name != "Valve1.Position" || !e[1].Vertical {
		t.Errorf("valve: %v vertical %v", e[1].Tag, e[1].Vertical)
	}
	if e[2].Window != 10*time.Minute || e[3].Window != DefaultWindow || len(e[3].Tags) != 2 {
		t.Errorf("windows %v %v, pens %d", e[2].Window, e[3].Window, len(e[3].Tags))
	}
	if e[4].Write != "true" || e[4].Tag.Name != "Pump1.Start" || e[4].Goto != "" {
		t.Errorf("write button: %q to %v", e[4].Write, e[4].Tag)
	}
	if e[6].File != "logo.png" || e[6].Box.Size != (Size{100, 100}) {
		t.Errorf("image: %q %v", e[6].File, e[6].Box.Size)
	}
	plant, _ := set.Display("plant")
	if plant.Elements[0].Goto != "tanks" || plant.Elements[1].Area != "Tanks" {
		t.Errorf("plant: goto %q area %q", plant.Elements[0].Goto, plant.Elements[1].Area)
	}
	if plant.Pos.File != projectFile || plant.Pos.Line != 2 {
		t.Errorf("an inline display's Pos is %v, want %s:2", plant.Pos, projectFile)
	}
}

func TestInlineErrorsNameTheProjectFile(t *testing.T) {
	_, errs := compileFiles(t, `
  - name: plant
    elements:
      - {kind: tank, at: [10, 10], level: Nope}
  - nothing/*.yaml
`, nil)
	want := []string{
		projectFile + `:4: displays[plant].elements[0].level: unknown tag "Nope"`,
		projectFile + `:5: displays[1]: no file matches "nothing/*.yaml"`,
	}
	if len(errs) != len(want) {
		t.Fatalf("got:\n%s", errorLines(errs))
	}
	for i, w := range want {
		if errs[i].Error() != w {
			t.Errorf("got %s\nwant %s", errs[i], w)
		}
	}
}

func TestNoDisplaysIsAnEmptySet(t *testing.T) {
	set, errs := Compile(Input{File: projectFile, Tags: testTags()})
	if errs != nil || set == nil || set.Len() != 0 {
		t.Fatalf("set %v errs %v, want an empty set", set, errs)
	}
	if _, ok := set.Display("x"); ok {
		t.Error("an empty set finds a display")
	}
}

func TestTooManyErrorsStops(t *testing.T) {
	text := "displays:\n  - name: big\n    elements:\n"
	for i := 0; i < 2*MaxErrors; i++ {
		text += "      - {kind: tank, at: [10, 10], level: Nope}\n"
	}
	_, errs := compileOne(t, text)
	if len(errs) != MaxErrors+1 || errs[MaxErrors].Msg != "too many errors; fix these first" {
		t.Fatalf("got %d errors ending %v, want %d and a last line saying so", len(errs), errs[len(errs)-1], MaxErrors+1)
	}
}
