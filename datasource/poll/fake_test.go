package poll

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
)

// fakePeer is the "device" behind fakeDriver: its values and the faults the
// test switches on. The engine is the unit under test here; the Driver
// interface is an in-process boundary, not a wire, so a fake is the honest
// peer (wire drivers run against real servers in their own packages).
type fakePeer struct {
	clock  *clockwork.FakeClock
	events chan event

	mu        sync.Mutex // guards everything below
	values    map[datasource.TagID]datasource.Value
	down      bool          // Connect fails
	readErr   error         // Read fails with it
	panicOn   string        // the op that panics, once
	hangOn    string        // the op that blocks, ignoring ctx, until release is closed
	release   chan struct{} // closed to let hung calls return
	blockOn   string        // the op that blocks until its ctx ends (a well-behaved slow device)
	slowRead  time.Duration // the next Read advances the clock this much (once)
	readCost  time.Duration // every Read advances the clock this much
	badAddr   string        // Prepare refuses tags with this address
	skew      float64       // added to every written number (mismatch)
	srcTime   map[datasource.TagID]time.Time
	instances int
	subErr    chan error // Subscribe returns what arrives here

	factoryErr   error     // the factory fails with it
	prepareErr   error     // Prepare fails with it (not a TagError)
	writeErr     error     // Write fails with it
	breakOnWrite bool      // a successful Write makes the following reads fail
	lastDeadline time.Time // the deadline of the last Read's context
}

type event struct {
	op   string
	at   time.Time
	n    int // tags read
	inst int // driver instance number, from 1
}

func newFakePeer(clock *clockwork.FakeClock) *fakePeer {
	return &fakePeer{
		clock:   clock,
		events:  make(chan event, 4096),
		values:  map[datasource.TagID]datasource.Value{},
		release: make(chan struct{}),
		srcTime: map[datasource.TagID]time.Time{},
		subErr:  make(chan error, 1),
	}
}

func (p *fakePeer) emit(ev event) {
	select {
	case p.events <- ev:
	default: // a test that does not read events must not block the engine
	}
}

func (p *fakePeer) set(fn func(p *fakePeer)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p)
}

// factory makes plain (polled) drivers; subFactory Subscriber drivers.
func (p *fakePeer) factory(*datasource.Device) (Driver, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.factoryErr != nil {
		return nil, p.factoryErr
	}
	p.instances++
	return &fakeDriver{p: p, inst: p.instances}, nil
}

func (p *fakePeer) subFactory(dev *datasource.Device) (Driver, error) {
	d, _ := p.factory(dev)
	return &fakeSubDriver{d.(*fakeDriver)}, nil
}

type fakeDriver struct {
	p         *fakePeer
	inst      int
	connected bool
}

type fakePlan struct{ tags []*datasource.Tag }

// fault applies the panic/hang/block faults for op.
func (d *fakeDriver) fault(ctx context.Context, op string) error {
	d.p.mu.Lock()
	panicNow := d.p.panicOn == op
	if panicNow {
		d.p.panicOn = ""
	}
	hang, block, release := d.p.hangOn == op, d.p.blockOn == op, d.p.release
	d.p.mu.Unlock()
	if panicNow {
		panic("fake driver exploded in " + op)
	}
	if hang {
		d.p.emit(event{op: op + "-hang", at: d.p.clock.Now(), inst: d.inst})
		<-release
		return errors.New("released")
	}
	if block {
		d.p.emit(event{op: op + "-block", at: d.p.clock.Now(), inst: d.inst})
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (d *fakeDriver) Prepare(tags []*datasource.Tag) (Plan, error) {
	d.p.mu.Lock()
	bad, perr := d.p.badAddr, d.p.prepareErr
	d.p.mu.Unlock()
	if perr != nil {
		return nil, perr
	}
	var errs []error
	for _, t := range tags {
		if bad != "" && t.Address == bad {
			errs = append(errs, &datasource.TagError{Tag: t, Field: "address", Err: fmt.Errorf("no such address %q", t.Address)})
		}
	}
	d.p.emit(event{op: "Prepare", at: d.p.clock.Now(), n: len(tags), inst: d.inst})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &fakePlan{tags: tags}, nil
}

func (d *fakeDriver) Connect(ctx context.Context) error {
	d.p.emit(event{op: "Connect", at: d.p.clock.Now(), inst: d.inst})
	if err := d.fault(ctx, "Connect"); err != nil {
		return err
	}
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	if d.p.down {
		return errors.New("connection refused")
	}
	d.connected = true
	return nil
}

func (d *fakeDriver) Read(ctx context.Context, plan Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	if err := d.fault(ctx, "Read"); err != nil {
		return dst, err
	}
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if !d.connected {
		return dst, ErrNotConnected
	}
	d.p.mu.Lock()
	d.p.lastDeadline, _ = ctx.Deadline()
	if d.p.readErr != nil {
		err := d.p.readErr
		d.p.mu.Unlock()
		return dst, err
	}
	advance := d.p.slowRead + d.p.readCost
	d.p.slowRead = 0
	for _, t := range plan.(*fakePlan).tags {
		v, ok := d.p.values[t.ID]
		if !ok {
			v = datasource.Float(float64(t.ID))
		}
		dst = append(dst, datasource.Sample{Tag: t.ID, Value: v, Time: d.p.srcTime[t.ID]})
	}
	d.p.mu.Unlock()
	d.p.emit(event{op: "Read", at: d.p.clock.Now(), n: len(plan.(*fakePlan).tags), inst: d.inst})
	if advance > 0 {
		d.p.clock.Advance(advance)
	}
	return dst, nil
}

func (d *fakeDriver) Write(ctx context.Context, tag *datasource.Tag, v datasource.Value) error {
	if err := d.fault(ctx, "Write"); err != nil {
		return err
	}
	if !d.connected {
		return ErrNotConnected
	}
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	if d.p.writeErr != nil {
		return d.p.writeErr
	}
	if d.p.breakOnWrite {
		d.p.readErr = errors.New("connection reset by peer")
	}
	if f, ok := v.AsFloat(); ok && tag.Type.Numeric() {
		f += d.p.skew
		if tag.Type == datasource.TypeFloat32 {
			f = float64(float32(f)) // the device stores float32
		}
		if _, _, isInt := intRange(tag.Type); isInt {
			raw := math.Round(tag.Scaling.ToRaw(f)) // the device holds whole raw counts
			if tag.Scaling.IsIdentity() {
				v = datasource.Int(int64(raw))
			} else {
				v = datasource.Float(tag.Scaling.ToEng(raw))
			}
		} else {
			v = datasource.Float(f)
		}
	}
	d.p.values[tag.ID] = v
	d.p.emit(event{op: "Write", at: d.p.clock.Now(), inst: d.inst})
	return nil
}

func (d *fakeDriver) Close() error {
	d.connected = false
	d.p.emit(event{op: "Close", at: d.p.clock.Now(), inst: d.inst})
	return nil
}

// fakeSubDriver pushes one batch per scan class right after Subscribe and
// then waits until ctx ends or the test injects a failure.
type fakeSubDriver struct{ *fakeDriver }

func (d *fakeSubDriver) Subscribe(ctx context.Context, plan Plan, rate time.Duration, publish func([]datasource.Sample)) error {
	batch, err := d.Read(ctx, plan, nil)
	if err != nil {
		return err
	}
	publish(batch)
	select {
	case <-ctx.Done():
		return nil
	case err := <-d.p.subErr:
		return err
	}
}

// syncBuffer is a bytes.Buffer safe for the engine's goroutines to log into.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
