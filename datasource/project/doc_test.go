package project

import (
	"os"
	"strings"
	"testing"
)

// The example in the reference must stay a valid project.
func TestReferenceExampleIsValid(t *testing.T) {
	const ref = "../../docs/project-file.md"
	md, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(md), "## A complete example")
	if !ok {
		t.Fatalf("%s has no complete example", ref)
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("%s: the example's yaml block is not closed", ref)
	}
	t.Setenv("VIGIL_OPCUA_PASSWORD", "x")
	p, err := Parse(ref, []byte(example))
	if err != nil {
		t.Fatalf("the example in %s does not load:\n%v", ref, err)
	}
	if len(p.Tags) != 5+4 {
		t.Errorf("the example has %d tags, want 5 and 4 system tags", len(p.Tags))
	}
}
