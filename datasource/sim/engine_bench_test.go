package sim_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/sim"
)

// benchTags is n tags over the plant's signals (reused), all in one scan
// class, plus the device's system tag.
func benchTags(n int, rate time.Duration) []*datasource.Tag {
	sigs := sim.Signals()
	tags := make([]*datasource.Tag, 0, n+1)
	for i := 0; i < n; i++ {
		s := sigs[i%len(sigs)]
		typ := datasource.TypeFloat64
		if s.Kind == datasource.KindBool {
			typ = datasource.TypeBool
		}
		tags = append(tags, &datasource.Tag{ID: datasource.TagID(i), Name: s.Name, Device: "plant", Address: s.Name,
			Type: typ, ScanClass: "fast", ScanRate: rate, Decimals: -1})
	}
	return append(tags, &datasource.Tag{ID: datasource.TagID(n), Name: datasource.ConnectedTagName("plant"),
		Device: "plant", Type: datasource.TypeBool, System: true})
}

// BenchmarkEngineSim measures tags/s polled from the simulated plant with
// 10,000 tags: through the engine (scheduling, worker hop, stamping,
// publishing into the table with one subscriber draining it) and by the
// driver alone, and reports the engine's overhead over the driver's own cost.
// The scan rate is far below the scan's duration, so both run flat out.
func BenchmarkEngineSim(b *testing.B) {
	const n = 10000
	const rate = 10 * time.Microsecond
	tags := benchTags(n, rate)
	dev := &datasource.Device{Name: "plant", Driver: "sim", Timeout: 5 * time.Second,
		ScanClasses: []datasource.ScanClass{{Name: "fast", Rate: rate}},
		Backoff:     datasource.Backoff{Min: time.Millisecond, Max: time.Millisecond}}

	// The driver alone: Read in a loop, as the engine would call it.
	var driverRate float64
	{
		d, err := sim.New(dev, clockwork.NewRealClock())
		if err != nil {
			b.Fatal(err)
		}
		pl, err := d.Prepare(tags[:n])
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if err := d.Connect(ctx); err != nil {
			b.Fatal(err)
		}
		dst := make([]datasource.Sample, 0, n)
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if dst, err = d.Read(ctx, pl, dst[:0]); err != nil {
				b.Fatal(err)
			}
		}
		driverRate = float64(n*b.N) / time.Since(start).Seconds()
		_ = d.Close()
	}

	// Through the engine.
	table := datasource.NewTable(tags)
	eng, err := poll.New(poll.Config{Devices: []*datasource.Device{dev}, Tags: tags, Table: table,
		Drivers: map[string]poll.Factory{"sim": sim.Factory(clockwork.NewRealClock())}, StaleCheck: -1})
	if err != nil {
		b.Fatal(err)
	}
	sub := table.Subscribe("bench", 4*n)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = eng.Run(ctx)
	}()
	// Drain the table like history would, in its own goroutine.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		var buf []datasource.Sample
		for ctx.Err() == nil {
			buf, _ = sub.Recv(ctx, buf[:0])
		}
	}()
	// Count scans by the device's request counter: every sample of a scan
	// is published before the next scan starts.
	scans := func() uint64 {
		st, _ := eng.DeviceStatus("plant")
		return st.Requests
	}
	for scans() < 2 {
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	first := scans()
	for scans() < first+uint64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	engineRate := float64(n) * float64(scans()-first) / b.Elapsed().Seconds()
	b.StopTimer()
	cancel()
	wg.Wait()
	<-drained
	b.ReportMetric(engineRate, "engine-tags/s")
	b.ReportMetric(driverRate, "driver-tags/s")
	b.ReportMetric(100*(driverRate/engineRate-1), "overhead-%")
}
