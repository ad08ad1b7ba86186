package modbus

import (
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus/modbustest"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
)

// TestConformance runs the engine's driver conformance checks against a
// modbustest server: reads, a write, a tag the device refuses, and a
// device that stops and starts again.
func TestConformance(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 0x4049, 0x0FDB, 7)
	srv.SetCoils(1, 0, true)
	sp := tag(2, "SP", "40003", datasource.TypeUint16)
	sp.Writable = true
	polltest.Run(t, polltest.Target{
		New: func() poll.Driver {
			d, err := New(device(srv.URL()))
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		Tags:       []*datasource.Tag{tag(0, "Pi", "40001", datasource.TypeFloat32), tag(1, "Run", "00001", datasource.TypeBool), sp},
		Writable:   sp,
		WriteValue: datasource.Uint(42),
		BadTag:     tag(3, "Typo", "4OO01", datasource.TypeUint16),
		Stop:       srv.Stop,
		Start: func() {
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
		},
	})
}
