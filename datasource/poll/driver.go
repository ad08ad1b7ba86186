// Package poll is the polling engine: it owns one goroutine per device, reads
// each scan class at its rate through the device's Driver, reconnects failed
// devices with capped, jittered exponential backoff, sets quality, publishes
// samples into the datasource.Table, and runs the write path
// (limits -> driver write -> read back -> result).
//
// Drivers know a protocol and nothing else; everything about time, retries
// and quality lives here.
package poll

import (
	"context"
	"errors"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// Plan is a driver's compiled request plan for a set of tags: opaque to the
// engine, made by Prepare without I/O and handed back to Read.
type Plan interface{}

// Driver talks to one device. The engine calls its methods from the device's
// goroutine only, never concurrently.
type Driver interface {
	// Prepare checks the tags' addresses and types and builds the request plan
	// for them, with no I/O. Its error joins (errors.Join) one
	// *datasource.TagError per tag that cannot be read as configured.
	Prepare(tags []*datasource.Tag) (Plan, error)
	// Connect opens the connection. It may be called again after Close.
	Connect(ctx context.Context) error
	// Read reads every tag of plan and appends one sample per tag to dst,
	// in the same order on every Read of the plan (polltest checks it).
	// A tag the device refuses (e.g. a Modbus exception on its block) gets a
	// Bad sample with the reason, and Read goes on. Sample.Time is the
	// device's source time, or zero when it gives none. An error return
	// means the device or link failed (ErrNotConnected, a net or timeout
	// error): the engine closes the driver and reconnects with backoff. Read
	// must not keep or touch dst, or the slice it returns, after it returns.
	Read(ctx context.Context, plan Plan, dst []datasource.Sample) ([]datasource.Sample, error)
	// Write writes one engineering value to a tag (the driver applies the
	// tag's type, order and inverse scaling).
	Write(ctx context.Context, tag *datasource.Tag, v datasource.Value) error
	// Close releases the connection. It must be safe to call more than once.
	Close() error
}

// Subscriber is implemented by drivers whose devices push changes (OPC UA).
// For such a driver the engine calls Subscribe once per scan class after
// Connect instead of polling Read.
type Subscriber interface {
	// Subscribe delivers samples of plan's tags through publish until ctx is
	// done (it returns nil then) or the subscription fails (it returns the
	// error, and the engine reconnects the device). publish may be called
	// from any goroutine but never concurrently with itself. Every call,
	// with an empty batch for a keep-alive, tells the engine that the
	// subscription is alive and the plan's other tags are unchanged: they
	// stay Good until the calls stop for longer than their stale time.
	Subscribe(ctx context.Context, plan Plan, rate time.Duration, publish func([]datasource.Sample)) error
}

// Backfiller is implemented by a Subscriber whose source also sends stored
// samples late: a Sparkplug node forwards what it kept while the broker was
// away with is_historical set. The engine calls SetBackfill before
// Subscribe with a function that hands such samples to history only
// (datasource.TableEngine.PublishHistorical): they never become current values,
// run calculated tags or raise alarms. publish may be called from any
// goroutine but never concurrently with itself.
type Backfiller interface {
	SetBackfill(publish func([]datasource.Sample))
}

// Factory makes the driver for a device definition; it may check the device's
// settings but does no I/O.
type Factory func(dev *datasource.Device) (Driver, error)

// ErrNotConnected is returned by a driver when it is used without a working
// connection; the engine then reconnects.
var ErrNotConnected = errors.New("not connected")
