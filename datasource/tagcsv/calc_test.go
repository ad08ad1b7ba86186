package tagcsv

import (
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project"
)

func TestCalculatedTagsExportAndImport(t *testing.T) {
	csv := export(t, "demo.yaml", assets.Demo)
	for _, want := range []string{
		`Pump1.SpecificEnergy,`,
		`"Pump1.Running ? Pump1.Power / max(Tank1.Inflow, 0.1) : 0"`,
		`"{counter: Meter1.Energy, reset: daily}"`,
	} {
		if !strings.Contains(csv, want) {
			t.Fatalf("the export lacks %s", want)
		}
	}
	// New calculated tags from a spreadsheet: an expression with ? and :,
	// which the YAML must quote, and a totalizer's mapping.
	data := readFile(t, "testdata/edit/base.yaml")
	in := "name,units,calc\n" +
		"A.Double,%,\"A * 2 > 1 ? A : 0\"\n" +
		"A.Avg,%,\"{avg: A, window: 10m}\"\n"
	res := importCSV(t, data, in, Options{})
	if len(res.Added) != 2 {
		t.Fatalf("added %v, want the two calculated tags", res.Added)
	}
	p, err := project.Parse("project.yaml", res.Data)
	if err != nil {
		t.Fatalf("the imported project does not load: %v\n%s", err, res.Data)
	}
	double, _ := p.Tag("A.Double")
	avg, _ := p.Tag("A.Avg")
	if double == nil || double.Calc == nil || double.Calc.Expr != "A * 2 > 1 ? A : 0" || double.Device != "" {
		t.Fatalf("A.Double: %+v", double)
	}
	if avg == nil || avg.Calc == nil || avg.Calc.Kind != datasource.CalcAvg || avg.Calc.Input != "A" {
		t.Fatalf("A.Avg: %+v", avg)
	}
	// And back: the export of the result imports as no change.
	again := importCSV(t, res.Data, export(t, "project.yaml", res.Data), Options{})
	if again.Modified() {
		t.Fatalf("re-importing the export changed %v", again.Changed)
	}
}
