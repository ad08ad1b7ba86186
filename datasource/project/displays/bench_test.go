package displays

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLoad500 compiles a display file of 500 elements (read, parsed,
// tags resolved, checked). Target: <= 50 ms.
func BenchmarkLoad500(b *testing.B) {
	var text strings.Builder
	text.WriteString("displays:\n  - name: big\n    elements:\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&text, "      - {kind: pump, at: [%d, %d], size: [40, 40], running: Pump1.Running, fault: Pump1.Fault, label: P-%d}\n",
			10+(i%25)*62, 10+(i/25)*44, i)
	}
	t := &testing.T{}
	for b.Loop() {
		if _, errs := compileOne(t, text.String()); errs != nil {
			b.Fatal(errorLines(errs))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/load")
}
