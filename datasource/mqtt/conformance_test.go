package mqtt

import (
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
)

// The mqtt driver passes the conformance check every driver passes, against
// an acquiring station's edge node on an in-process broker. Its values are
// pushed by the node (Target.Pushed), so Run waits for them after Connect.
func TestConformance(t *testing.T) {
	b := sparkplugtest.Start(t)
	startAcquirer(t, b)
	dev := &datasource.Device{Name: "station1", Driver: "mqtt", Address: b.URL(), Timeout: 5 * time.Second}
	tag := func(id int, name, addr string, typ datasource.DataType) *datasource.Tag {
		return &datasource.Tag{ID: datasource.TagID(id), Name: name, Device: dev.Name, Address: addr, Type: typ}
	}
	sp := tag(3, "Tank1.LevelSP", "PLC1/Tank1.LevelSP", datasource.TypeFloat32)
	sp.Writable = true
	polltest.Run(t, polltest.Target{
		New: func() poll.Driver {
			d, err := New(dev, Settings{Broker: sparkplug.Broker{URL: b.URL()}, Group: "plant", Node: "station1"}, Options{Logger: testLog})
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		Tags: []*datasource.Tag{
			tag(0, "Tank1.Level", "PLC1/Tank1.Level", datasource.TypeFloat32),
			tag(1, "Pump1.Running", "PLC2/Pump1.Running", datasource.TypeBool),
		},
		Writable:   sp,
		WriteValue: datasource.Float(60),
		BadTag:     tag(9, "Tank9.Level", "PLC1", datasource.TypeFloat32),
		Stop:       b.Stop,
		Start: func() {
			if err := b.Restart(); err != nil {
				t.Error(err)
			}
		},
		Pushed: true,
	})
}
