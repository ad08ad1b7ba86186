package project

import (
	"errors"
	"testing"
	"testing/fstest"
)

func TestProjectCompilesItsDisplays(t *testing.T) {
	p, err := Load("testdata/valid-displays/project.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Displays.Len() != 2 {
		t.Fatalf("got %d displays, want plant inline and tanks from displays/tanks.yaml", p.Displays.Len())
	}
	tanks, ok := p.Displays.Display("tanks")
	level, _ := p.Tag("Tank1.Level")
	if !ok || tanks.Elements[0].Tag == nil || tanks.Elements[0].Tag != level {
		t.Fatal("the tank's level is not the project's Tank1.Level tag")
	}
}

func TestDisplayFileErrorsFollowTheProjectFiles(t *testing.T) {
	fsys := fstest.MapFS{"d.yaml": {Data: []byte("displays:\n  - name: x\n    elements:\n      - {kind: pump, at: [0, 0], running: Nope}\n")}}
	_, err := ParseFS(fsys, "p.yaml", []byte("project: P\ndevices: [{name: plant, driver: sim, colour: red}]\ndisplays: [d.yaml]\n"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("got %v, want two errors", err)
	}
	if errs[0].Pos.String() != "p.yaml:2" || errs[1].Pos.String() != "d.yaml:4" || errs[1].Field != "displays[x].elements[0].running" {
		t.Errorf("got\n%v\nwant p.yaml:2 first, then d.yaml:4 displays[x].elements[0].running", err)
	}
}
