package setpoint

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sim/simtest"
)

const plant = `project: Faceplate
devices:
  - {name: plant, driver: sim}
tags:
  - {name: Tank1.LevelSP, group: Tanks, device: plant, address: tank1.level_sp, type: float32, units: "%", decimals: 1, writable: true, limits: [0, 90]}
`

// TestWriteThroughARealEngine writes Tank1.LevelSP through a poll engine on
// the simulated plant, on the real clock, from the faceplate's Write
// button, and checks the request reached the device and the read-back
// result is shown; then a value the engine refuses is shown verbatim.
func TestWriteThroughARealEngine(t *testing.T) {
	pl := simtest.Start(t, plant)
	p, table, eng := pl.Project, pl.Table, pl.Engine

	sp := p.Tags[0]
	f, _ := open(t, sp, eng)
	f.Update(table.Get(sp.ID))
	test.Type(f.entry, "55")
	test.Tap(f.write)
	test.Tap(f.confirmAct)
	f.wg.Wait()
	if got, want := f.result.Text, "Tank1.LevelSP: wrote 55.0 %, read back 55.0 %"; got != want {
		t.Errorf("result = %q, want %q", got, want)
	}
	if v, _ := table.Get(sp.ID).Value.AsFloat(); v != 55 {
		t.Errorf("the table holds %v after the write, want 55", v)
	}

	// The entry refuses 95 before the engine sees it; the engine refuses
	// it with its own words when asked directly through the faceplate.
	f.entry.SetText("95")
	if got := f.message.Text; got != "must be between 0 and 90 %" {
		t.Errorf("message for 95 = %q", got)
	}
	f.startWrite(datasource.Float(95))
	f.wg.Wait()
	if got, want := f.result.Text, "Tank1.LevelSP: 95 % is outside the write limits 0 .. 90 %"; got != want {
		t.Errorf("result = %q, want %q", got, want)
	}
}
