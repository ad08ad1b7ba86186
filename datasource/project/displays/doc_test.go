package displays

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every example in docs/displays.md compiles, and every kind has a section.
func TestReferenceExamplesCompile(t *testing.T) {
	const ref = "../../../docs/displays.md"
	md, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(md), -1)
	n := 0
	for _, b := range blocks {
		text := b[1]
		switch {
		case strings.HasPrefix(text, "- "):
			// Element examples: placed on a display with the reference's
			// other names (plant, pumps) defined.
			text = "displays:\n  - {name: plant, level: 1}\n  - {name: pumps}\n  - name: doc\n    elements:\n" +
				regexp.MustCompile("(?m)^").ReplaceAllString(text, "      ")
		case strings.HasPrefix(text, "templates:"), strings.HasPrefix(text, "displays:") && !strings.Contains(text, "parent: plant"):
		default:
			continue // a project file excerpt or a file needing others
		}
		n++
		if _, errs := compileFiles(t, "[doc.yaml]", map[string]string{"doc.yaml": text, "logo.png": "png"}); errs != nil {
			t.Errorf("example in %s does not compile:\n%s\n%s", ref, b[1], errorLines(errs))
		}
	}
	if n < 14 {
		t.Errorf("only %d examples found in %s", n, ref)
	}
	for k := Kind(0); k < numKinds; k++ {
		if !regexp.MustCompile(`(?m)^### .*\b` + k.String() + `\b`).Match(md) {
			t.Errorf("%s has no section for kind %s", ref, k)
		}
	}
}
