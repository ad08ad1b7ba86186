package poll_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/calc"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"github.com/vigil-hmi/vigil/datasource/modbus/modbustest"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
)

// modbusBench is a Modbus device on srv with n float32 holding-register
// tags, contiguous, so that a scan is n/62 requests of 124 registers.
func modbusBench(srv *modbustest.Server, n int) (*datasource.Device, []*datasource.Tag) {
	dev := &datasource.Device{Name: "plc", Driver: "modbus", Address: srv.URL(), Timeout: time.Second,
		Settings:    modbus.Settings{Unit: 1, MaxGap: 16},
		ScanClasses: []datasource.ScanClass{{Name: "fast", Rate: time.Nanosecond}}, // always due: flat out
		Backoff:     datasource.Backoff{Min: time.Millisecond, Max: time.Millisecond}}
	tags := make([]*datasource.Tag, n)
	for i := range tags {
		tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: fmt.Sprintf("T%d", i), Device: "plc",
			Address: fmt.Sprintf("hr:%d", 2*i), Type: datasource.TypeFloat32, ScanClass: "fast"}
	}
	return dev, tags
}

// BenchmarkEngineModbus is the engine-overhead comparison against a driver
// with a wire: 1,000 float32 tags (16 requests per scan) read from
// modbustest's server on loopback, through the engine with two subscribers
// (history and alarms) and by the Modbus driver alone
// (polltest.EngineBench). This is the cost ratio a real device sees; the
// sim driver, which does almost nothing per tag, is the worst case.
func BenchmarkEngineModbus(b *testing.B) {
	dev, tags := modbusBench(modbustest.New(b), 1000)
	polltest.EngineBench{Device: dev, Tags: tags, Factory: modbus.NewFactory(), Subscribers: 2}.Run(b)
}

// BenchmarkEngineModbusCalc is BenchmarkCalc's workload on a device with a
// wire: BenchmarkEngineModbus's 1,000 float32 tags (without subscribers,
// as BenchmarkEngineSimCalc's consumers=0), about 10 % of them changing
// per scan (polltest.Changing), and calc=200x5: 200 expressions of
// BenchmarkCalc's form, (a + b) / max(c, 0.1) - d * e, over five
// consecutive read tags each, every read tag the input of one: the issue's
// 10,000 expressions over 50,000 inputs scaled to the scan. What the
// calculated tags add is cpu-overhead-% of calc=200x5 less that of calc=0
// (docs/calc.md).
func BenchmarkEngineModbusCalc(b *testing.B) {
	srv := modbustest.New(b)
	for _, n := range []int{0, 200} {
		dev, tags := modbusBench(srv, 1000)
		var deriver func() datasource.Deriver
		if n > 0 {
			for i := range n {
				in := tags[5*i : 5*i+5]
				tags = append(tags, &datasource.Tag{ID: datasource.TagID(len(tags)), Name: fmt.Sprintf("Calc%d", i),
					Calc: &datasource.CalcDef{Kind: datasource.CalcExpr,
						Expr: fmt.Sprintf("(%s + %s) / max(%s, 0.1) - %s * %s", in[0].Name, in[1].Name, in[2].Name, in[3].Name, in[4].Name)}})
			}
			set, errs := calc.Compile(tags, calc.Options{Location: time.UTC})
			if len(errs) > 0 {
				b.Fatal(errs[0])
			}
			deriver = func() datasource.Deriver {
				eng, err := calc.NewEngine(set, len(tags))
				if err != nil {
					b.Fatal(err)
				}
				return eng
			}
		}
		name := "calc=0"
		if n > 0 {
			name = fmt.Sprintf("calc=%dx5", n)
		}
		b.Run(name, func(b *testing.B) {
			polltest.EngineBench{Device: dev, Tags: tags, Factory: polltest.Changing(modbus.NewFactory()), Deriver: deriver}.Run(b)
		})
	}
}

// BenchmarkModbusReadOnWorker isolates what making a hung driver
// abandonable costs per call: the same Read of 1,000 Modbus tags called
// directly, handed to a worker goroutine with a result channel (how the
// engine called drivers before the watchdog), and through host.call (the
// call on the caller's goroutine with its request timeout and watchdog
// timer). With network I/O the worker's cost is scheduling latency per
// request, not CPU; docs/engine.md has the figures.
func BenchmarkModbusReadOnWorker(b *testing.B) {
	dev, tags := modbusBench(modbustest.New(b), 1000)
	d, err := modbus.New(dev)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	pl, err := d.Prepare(tags)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	dst := make([]datasource.Sample, 0, len(tags))
	read := func() error {
		var err error
		dst, err = d.Read(ctx, pl, dst[:0])
		return err
	}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if err := read(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("watched", func(b *testing.B) {
		call := poll.WatchedCaller(dev.Name, d)
		for b.Loop() {
			err := call(ctx, time.Second, func(context.Context) error { return read() })
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("worker", func(b *testing.B) {
		jobs, done := make(chan func()), make(chan struct{})
		go func() {
			defer close(done)
			for job := range jobs {
				job()
			}
		}()
		defer func() {
			close(jobs)
			<-done
		}()
		for b.Loop() {
			res := make(chan error, 1)
			jobs <- func() { res <- read() }
			if err := <-res; err != nil {
				b.Fatal(err)
			}
		}
	})
}
