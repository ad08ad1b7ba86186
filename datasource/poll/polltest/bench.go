package polltest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// EngineBench compares polling one device through the engine with calling
// its driver alone, for the engine-overhead benchmarks of the driver
// packages (BenchmarkEngineSim, BenchmarkEngineModbus).
//
// Through the engine means everything production does per scan: the
// session goroutine's scheduling, the driver call with its request timeout
// and watchdog, publishing into the table through the scan class's feed,
// and delivery to Subscribers consumers that drain the table in goroutines
// of their own, as history and alarms do. The device's scan classes should have a rate
// far below a read's duration so that the engine polls flat out.
type EngineBench struct {
	Device      *datasource.Device
	Tags        []*datasource.Tag // the device's tags, IDs dense from 0; system tags are not read by the driver alone
	Factory     poll.Factory
	Subscribers int
	// Deriver, when set, makes the table's deriver for each engine round:
	// the calculated tags (datasource/calc) among Tags, evaluated on the
	// publish path as in production.
	Deriver func() datasource.Deriver
}

// Run measures b.N reads by the driver alone and b.N scans through the
// engine, in up to ten alternating rounds (driver, engine, driver, ...)
// whose times are summed, so that load from other processes falls on both
// alike rather than on whichever ran in a busy second. Each round makes a
// fresh driver and a fresh engine; only reading is timed. It reports
// engine-tags/s, driver-tags/s, overhead-% (the engine's extra wall time in
// percent of the driver's) and engine-ns/tag (the same, absolute).
//
// Where the platform gives process CPU time it also reports cpu-overhead-%
// and engine-cpu-ns/tag: the CPU time of everything running during the
// engine phase (engine, subscribers, GC) against that of the driver alone.
// On a machine shared with other work that is the steadier figure, since
// time spent waiting for a CPU does not count.
func (e EngineBench) Run(b *testing.B) {
	b.Helper()
	var read []*datasource.Tag
	for _, t := range e.Tags {
		if !t.System && t.Calc == nil {
			read = append(read, t)
		}
	}
	b.StopTimer()
	rounds := min(b.N, 10)
	var driver, engine spent
	var engineScans uint64
	var count counting
	if e.Deriver != nil {
		newDeriver := e.Deriver
		e.Deriver = func() datasource.Deriver {
			count.d = newDeriver()
			return &count
		}
	}
	for r := range rounds {
		n := b.N / rounds
		if r < b.N%rounds {
			n++
		}
		driver.add(e.driverAlone(b, read, n))
		t, scans := e.throughEngine(b, n)
		engine.add(t)
		engineScans += scans
	}
	driverTags, engineTags := float64(len(read)*b.N), float64(len(read))*float64(engineScans)
	driverRate, engineRate := driverTags/driver.wall.Seconds(), engineTags/engine.wall.Seconds()
	b.ReportMetric(engineRate, "engine-tags/s")
	b.ReportMetric(driverRate, "driver-tags/s")
	b.ReportMetric(100*(driverRate/engineRate-1), "overhead-%")
	b.ReportMetric(1e9/engineRate-1e9/driverRate, "engine-ns/tag")
	if driver.cpuOK && engine.cpuOK && driver.cpu > 0 {
		driverCPU := float64(driver.cpu.Nanoseconds()) / driverTags
		engineCPU := float64(engine.cpu.Nanoseconds()) / engineTags
		b.ReportMetric(100*(engineCPU/driverCPU-1), "cpu-overhead-%")
		b.ReportMetric(engineCPU-driverCPU, "engine-cpu-ns/tag")
	}
	if scans := count.scans.Load(); scans > 0 {
		b.ReportMetric(float64(count.evals.Load())/float64(scans), "evals/scan")
	}
}

// counting is a deriver that counts the scans it sees and the samples the
// calculated tags give: evals/scan shows the work a deriver did.
type counting struct {
	d            datasource.Deriver
	scans, evals atomic.Int64
}

// Derive implements datasource.Deriver.
func (c *counting) Derive(batch []datasource.Sample, now time.Time, out []datasource.Sample) []datasource.Sample {
	n := len(out)
	out = c.d.Derive(batch, now, out)
	if len(batch) > 0 {
		c.scans.Add(1)
		c.evals.Add(int64(len(out) - n))
	}
	return out
}

// spent is the wall and process CPU time of a measured phase.
type spent struct {
	wall, cpu time.Duration
	cpuOK     bool
}

func (s *spent) add(t spent) {
	s.wall += t.wall
	s.cpu += t.cpu
	s.cpuOK = t.cpuOK
}

// measure starts a phase; the returned function ends it.
func measure(b *testing.B) func() spent {
	b.StartTimer()
	cpu0, ok0 := cpuTime()
	start := time.Now()
	return func() spent {
		wall := time.Since(start)
		cpu1, ok1 := cpuTime()
		b.StopTimer()
		return spent{wall: wall, cpu: cpu1 - cpu0, cpuOK: ok0 && ok1}
	}
}

// driverAlone times reads of tags by a fresh driver in a loop, as the engine
// calls it: one plan, one reused buffer.
func (e EngineBench) driverAlone(b *testing.B, tags []*datasource.Tag, reads int) spent {
	d, err := e.Factory(e.Device)
	if err != nil {
		b.Fatalf("device %s: %v", e.Device.Name, err)
	}
	defer d.Close()
	pl, err := d.Prepare(tags)
	if err != nil {
		b.Fatalf("device %s: prepare: %v", e.Device.Name, err)
	}
	ctx := context.Background()
	if err := d.Connect(ctx); err != nil {
		b.Fatalf("device %s: connect: %v", e.Device.Name, err)
	}
	dst := make([]datasource.Sample, 0, len(tags))
	done := measure(b)
	for range reads {
		if dst, err = d.Read(ctx, pl, dst[:0]); err != nil {
			b.Fatalf("device %s: read: %v", e.Device.Name, err)
		}
	}
	return done()
}

// throughEngine runs an engine on the device with the subscribers draining
// the table and times at least scans scans once it polls. It returns the
// time and the scans counted.
func (e EngineBench) throughEngine(b *testing.B, scans int) (spent, uint64) {
	table := datasource.NewTable(e.Tags)
	if e.Deriver != nil {
		table.Engine().SetDeriver(e.Deriver())
	}
	eng, err := poll.New(poll.Config{Devices: []*datasource.Device{e.Device}, Tags: e.Tags, Table: table,
		Drivers: map[string]poll.Factory{e.Device.Driver: e.Factory}, Clock: clockwork.NewRealClock(), StaleCheck: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range e.Subscribers {
		sub := table.Subscribe(fmt.Sprintf("bench%d", i), 4*len(e.Tags))
		wg.Go(func() {
			defer sub.Close()
			var buf []datasource.Sample
			for ctx.Err() == nil {
				buf, _ = sub.Recv(ctx, buf[:0])
			}
		})
	}
	wg.Go(func() { _ = eng.Run(ctx) })
	defer func() {
		cancel()
		wg.Wait()
	}()
	// Count scans by the device's request counter: every sample of a scan
	// is published before the next scan starts.
	count := func() uint64 {
		st, _ := eng.DeviceStatus(e.Device.Name)
		return st.Requests
	}
	for count() < 2 { // connected and polling
		time.Sleep(time.Millisecond)
	}
	done := measure(b)
	first := count()
	last := first
	for last < first+uint64(scans) {
		time.Sleep(200 * time.Microsecond)
		last = count()
	}
	return done(), last - first
}
