package opcua

import (
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
)

// TestConformance runs the engine's driver conformance checks against the
// in-process test server, which Stop and Start take down and up.
func TestConformance(t *testing.T) {
	srv := faultServer(t)
	dev := testDevice(srv)
	dev.Timeout = 300 * time.Millisecond
	tags := []*datasource.Tag{
		testTag(0, "Counter", opcuatest.NodeID("Counter"), datasource.TypeUint32),
		testTag(1, "Double", opcuatest.NodeID("Double"), datasource.TypeFloat64),
		testTag(2, "SetDouble", opcuatest.NodeID("SetDouble"), datasource.TypeFloat64),
	}
	tags[2].Writable = true
	polltest.Run(t, polltest.Target{
		New: func() poll.Driver {
			d, err := New(dev, Options{PKIDir: testPKI})
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		Tags:       tags,
		Writable:   tags[2],
		WriteValue: datasource.Float(42.5),
		BadTag:     testTag(3, "Missing", "Tank1.Level", datasource.TypeFloat64), // no i=/s= identifier
		Stop:       srv.Stop,
		Start: func() {
			if err := srv.Start(); err != nil {
				t.Error(err)
			}
		},
	})
}
