package sim

import (
	"sync"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
)

func TestConformance(t *testing.T) {
	clk := clockwork.NewFakeClockAt(start)
	var (
		mu     sync.Mutex
		latest *Plant // the plant of the driver New made last: Stop and Start act on it
	)
	var tags []*datasource.Tag
	for i, s := range Signals() {
		typ := datasource.TypeFloat32
		if s.Kind == datasource.KindBool {
			typ = datasource.TypeBool
		}
		tags = append(tags, tag(i, s.Name, s.Name, typ))
	}
	sp := tag(len(tags), "Tank1.LevelSP", "tank1.level_sp", datasource.TypeFloat32)
	sp.Writable = true
	polltest.Run(t, polltest.Target{
		New: func() poll.Driver {
			d, err := New(device(Settings{Seed: 1}), clk)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			latest = d.Plant()
			mu.Unlock()
			return d
		},
		Tags:       tags,
		Writable:   sp,
		WriteValue: datasource.Float(42.5),
		BadTag:     tag(99, "Tank9.Level", "tank9.level", datasource.TypeFloat32),
		Stop: func() {
			mu.Lock()
			defer mu.Unlock()
			if err := latest.Inject(FaultDrop, "", 0); err != nil {
				t.Error(err)
			}
		},
		Start: func() {
			mu.Lock()
			defer mu.Unlock()
			latest.ClearFaults()
		},
	})
}
