package prefs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValuesSurviveReopeningAndEachProjectHasItsOwnFile(t *testing.T) {
	dir := t.TempDir()
	a, b := PathFor(dir, "/plant/a/line.yaml"), PathFor(dir, "/plant/b/line.yaml")
	if a == b {
		t.Fatalf("two projects of the same name share %s", a)
	}
	s, err := Open(a)
	if err != nil {
		t.Fatal(err)
	}
	s.SetString("ui.screen", "Alarms")
	s.SetFloat("window.0.width", 1024)
	s.SetStringList("pens", []string{"Tank1.Level", "Pump1.Current"})
	s.SetBool("ui.dark", true)
	s.SetInt("windows", 2)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(a)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.String("ui.screen"); got != "Alarms" {
		t.Errorf("screen %q after reopening, want Alarms", got)
	}
	if got := again.FloatWithFallback("window.0.width", 1280); got != 1024 {
		t.Errorf("width %v, want 1024", got)
	}
	if got := again.StringList("pens"); len(got) != 2 || got[1] != "Pump1.Current" {
		t.Errorf("pens %v", got)
	}
	if !again.Bool("ui.dark") || again.Int("windows") != 2 {
		t.Errorf("dark %v windows %d", again.Bool("ui.dark"), again.Int("windows"))
	}
	other, err := Open(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := other.StringWithFallback("ui.screen", "Overview"); got != "Overview" {
		t.Errorf("the other project opens on %q, want its own default", got)
	}
}

func TestAnEmptyFileIsAnEmptyStoreAndABrokenOneIsNamed(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(empty); err != nil {
		t.Errorf("an empty file: %v, want an empty store (no EOF)", err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte("{\"ui.screen\": "), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(broken)
	if err == nil || !filepath.IsAbs(broken) || !strings.Contains(err.Error(), broken) {
		t.Errorf("a broken file: %v, want an error naming %s", err, broken)
	}
	s.SetString("ui.screen", "Tags") // starts over and repairs the file
	if again, err := Open(broken); err != nil || again.String("ui.screen") != "Tags" {
		t.Errorf("after a change the file reads %v, %q", err, again.String("ui.screen"))
	}
}

func TestAValueOfAnotherTypeReadsAsTheFallback(t *testing.T) {
	s, _ := Open(filepath.Join(t.TempDir(), "p.json"))
	s.SetString("x", "text")
	if got := s.FloatWithFallback("x", 7); got != 7 {
		t.Errorf("float of a string = %v, want the fallback 7", got)
	}
	s.RemoveValue("x")
	if got := s.StringWithFallback("x", "gone"); got != "gone" {
		t.Errorf("after RemoveValue: %q", got)
	}
}
