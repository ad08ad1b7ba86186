package modbus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/goburrow/modbus"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus/modbustest"
)

// BenchmarkPollModbus reads 1,000 float32 tags from modbustest on loopback
// through the driver's Read, and the same blocks with a bare goburrow loop
// (no decoding), interleaved; it reports tag values per second of both and
// their ratio (goal >= 0.9).
func BenchmarkPollModbus(b *testing.B) {
	srv := modbustest.New(b)
	tags := make([]*datasource.Tag, 1000)
	for i := range tags {
		tags[i] = tag(i, fmt.Sprintf("T%d", i), fmt.Sprintf("hr:%d", 2*i), datasource.TypeFloat32)
	}
	d := connect(b, device(srv.URL()))
	p, err := d.PreparePlan(tags)
	if err != nil {
		b.Fatal(err)
	}
	bare := modbus.NewTCPClientHandler(srv.Addr())
	bare.IdleTimeout = 0
	bare.SlaveId = 1
	bare.Timeout = time.Second
	defer bare.Close()
	client := modbus.NewClient(bare)
	reqs := p.Requests()
	ctx := context.Background()
	dst := make([]datasource.Sample, 0, len(tags))
	var driverTime, bareTime time.Duration
	b.ResetTimer()
	viaDriver := func() {
		t0 := time.Now()
		if dst, err = d.Read(ctx, p, dst[:0]); err != nil {
			b.Fatal(err)
		}
		driverTime += time.Since(t0)
	}
	viaGoburrow := func() {
		t0 := time.Now()
		for _, r := range reqs {
			if _, err := client.ReadHoldingRegisters(uint16(r.Start), uint16(r.Count)); err != nil {
				b.Fatal(err)
			}
		}
		bareTime += time.Since(t0)
	}
	for i := 0; i < b.N; i++ {
		if i%2 == 0 { // alternate the order so neither side always runs on a warm server
			viaDriver()
			viaGoburrow()
		} else {
			viaGoburrow()
			viaDriver()
		}
	}
	driverRate := float64(b.N*len(tags)) / driverTime.Seconds()
	bareRate := float64(b.N*len(tags)) / bareTime.Seconds()
	b.ReportMetric(driverRate, "values/s")
	b.ReportMetric(bareRate, "values/s-bare")
	b.ReportMetric(driverRate/bareRate, "ratio")
	b.ReportMetric(float64(len(reqs)), "requests/cycle")
}
