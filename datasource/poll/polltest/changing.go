package polltest

import (
	"context"
	"math/rand/v2"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Changing makes the drivers of f change about 10 % of the samples of
// every read, for the benchmarks of calculated tags (BenchmarkEngineSimCalc,
// BenchmarkEngineModbusCalc): the workload has a tenth of the
// inputs change per scan, and neither the simulated plant (it steps every
// 100 ms while the engine scans flat out) nor a test server's registers
// change that often by themselves.
func Changing(f poll.Factory) poll.Factory {
	return func(dev *datasource.Device) (poll.Driver, error) {
		d, err := f(dev)
		if err != nil {
			return nil, err
		}
		return &changing{Driver: d, rnd: rand.New(rand.NewPCG(1, 2))}, nil
	}
}

// changing is a driver whose reads give a new value to a random 5 % of the
// samples (one in each run of 20); the 5 % of the read before get the
// driver's own value back. So about 10 % of the samples differ from the
// read before.
type changing struct {
	poll.Driver
	rnd  *rand.Rand
	read float64
}

// Read implements poll.Driver.
func (c *changing) Read(ctx context.Context, plan poll.Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	n0 := len(dst)
	dst, err := c.Driver.Read(ctx, plan, dst)
	if err != nil {
		return dst, err
	}
	c.read++
	got := dst[n0:]
	// One sample in each run of 20, at random: random tags, spread evenly,
	// written in order, so that the change costs the driver little.
	for i := 0; i+20 <= len(got); i += 20 {
		s := &got[i+int(c.rnd.Uint32()%20)]
		if s.Value.Kind() == datasource.KindBool {
			s.Value = datasource.Bool(!s.Value.AsBool())
		} else if f, ok := s.Value.AsFloat(); ok {
			s.Value = datasource.Float(f + c.read)
		}
	}
	return dst, nil
}
