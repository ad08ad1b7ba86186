package poll

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
)

// freeDriver produces one Good sample per tag at no I/O cost, so that what
// the benchmark measures is the engine's own work per scan.
type freeDriver struct{}

func (freeDriver) Prepare(tags []*datasource.Tag) (Plan, error) { return tags, nil }
func (freeDriver) Connect(context.Context) error                { return nil }
func (freeDriver) Write(context.Context, *datasource.Tag, datasource.Value) error {
	return nil
}
func (freeDriver) Close() error { return nil }
func (freeDriver) Read(_ context.Context, plan Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	for _, t := range plan.([]*datasource.Tag) {
		dst = append(dst, datasource.Sample{Tag: t.ID, Value: datasource.Float(float64(t.ID))})
	}
	return dst, nil
}

// BenchmarkEngineOverhead compares reading N tags through the engine's scan
// path (the watched driver call with its request timeout, the read buffer
// published through the scan class's feed, one subscriber drained as
// history would) with calling the driver alone. It reports the engine's
// tags/s, the driver's tags/s and the engine's extra time in percent of the
// driver's.
func BenchmarkEngineOverhead(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("tags=%d", n), func(b *testing.B) {
			dev := &datasource.Device{Name: "bench", Driver: "free", Timeout: time.Second,
				ScanClasses: []datasource.ScanClass{{Name: "default", Rate: time.Second}}}
			tags := make([]*datasource.Tag, n)
			for i := range tags {
				tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: fmt.Sprintf("T%d", i), Device: "bench", Type: datasource.TypeFloat64}
			}
			table := datasource.NewTable(tags)
			sub := table.Subscribe("bench", 4*n)
			defer sub.Close()
			eng, err := New(Config{Devices: []*datasource.Device{dev}, Tags: tags, Table: table,
				Drivers: map[string]Factory{"free": func(*datasource.Device) (Driver, error) { return freeDriver{}, nil }},
				Clock:   clockwork.NewRealClock()})
			if err != nil {
				b.Fatal(err)
			}
			d := eng.devices[0]
			ctx := context.Background()
			if err := d.newInstance(ctx); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = d.h.discard(time.Second) }()
			c := d.classes[0]
			var drv freeDriver
			buf := make([]datasource.Sample, 0, n)
			var recv []datasource.Sample

			b.ResetTimer()
			start := time.Now()
			for range b.N {
				buf, _ = drv.Read(ctx, c.plan, buf[:0])
			}
			alone := time.Since(start)
			start = time.Now()
			for range b.N {
				if err := d.scan(ctx, c); err != nil {
					b.Fatal(err)
				}
				recv = sub.TryRecv(recv[:0]) // keep the subscriber drained, as history does
			}
			through := time.Since(start)
			b.StopTimer()

			tagsDone := float64(n) * float64(b.N)
			b.ReportMetric(tagsDone/through.Seconds(), "tags/s")
			b.ReportMetric(tagsDone/alone.Seconds(), "driver-tags/s")
			b.ReportMetric(100*(through.Seconds()-alone.Seconds())/alone.Seconds(), "overhead-%")
		})
	}
}
