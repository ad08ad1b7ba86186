package trend

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

// TestTheReadoutPrintsAValueAtItsTagsPrecision: a float32 tag's value,
// stored as the float64 the float32 widens to, reads 3.14159 in the cursor
// readout when the pen carries its tag's format, not the float64 noise
// 3.141590118408203 that the plain readout prints.
func TestTheReadoutPrintsAValueAtItsTagsPrecision(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	v := float64(float32(3.14159))
	pts := []history.Point{{Time: t0, Value: v, Quality: datasource.QualityGood}}
	tag := &datasource.Tag{Name: "X", Type: datasource.TypeFloat32, Decimals: -1}
	plain := &pen{Pen: Pen{Tag: "X", Decimals: -1, Units: "bar"}, pts: pts}
	if got, want := readout(plain, t0), strconv.FormatFloat(v, 'g', -1, 64)+" bar"; got != want {
		t.Fatalf("plain readout %q, want %q", got, want)
	}
	formatted := &pen{Pen: Pen{Tag: "X", Decimals: -1, Units: "bar",
		Format: func(f float64) string { return datasource.FormatValue(tag, datasource.Float(f)) }}, pts: pts}
	if got := readout(formatted, t0); got != "3.14159 bar" {
		t.Errorf("readout %q, want %q", got, "3.14159 bar")
	}
	if math.Abs(v-3.14159) < 1e-12 {
		t.Fatal("the test needs a value whose float64 text is noisy")
	}
}
