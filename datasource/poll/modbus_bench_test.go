package poll_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
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
