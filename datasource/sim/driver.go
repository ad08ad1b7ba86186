package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Driver is the poll.Driver of one sim device: each device has its own
// Plant, seeded by its Settings.Seed. Read returns samples with a zero
// Time, so the engine stamps them with its poll time (the plant has no clock
// of its own besides the injected one).
type Driver struct {
	dev   *datasource.Device
	plant *Plant

	mu        sync.Mutex // guards connected and pending
	connected bool
	pending   []FaultSpec // faults naming a tag Prepare has not seen yet
}

// plan is the compiled plan of a set of tags: each tag's signal and type.
type plan struct {
	items []item
}

// item is one tag of a plan; the ID and the type share a word (16 bytes,
// not 24: a plan holds one per tag).
type item struct {
	id  datasource.TagID
	typ datasource.DataType
	sig sig
}

// Factory returns the poll.Factory of sim devices on clk.
func Factory(clk clockwork.Clock) poll.Factory {
	return func(dev *datasource.Device) (poll.Driver, error) { return New(dev, clk) }
}

// New makes the driver and plant of a sim device on clk, and schedules the
// device's faults. A fault's tag is a tag name of the device (as the project
// file gives it; resolved to the tag's address when Prepare sees the tag) or
// a signal name.
func New(dev *datasource.Device, clk clockwork.Clock) (*Driver, error) {
	fail := func(field string, err error) error {
		msg := fmt.Sprintf("device %s: %s: %v", dev.Name, field, err)
		if p := dev.Pos.String(); p != "" {
			msg = p + ": " + msg
		}
		return errors.New(msg)
	}
	if dev.Driver != "" && dev.Driver != "sim" {
		return nil, fail("driver", fmt.Errorf("%q is not sim", dev.Driver))
	}
	if dev.Address != "" {
		return nil, fail("address", fmt.Errorf("must be empty for a sim device, got %q", dev.Address))
	}
	if clk == nil {
		clk = clockwork.NewRealClock()
	}
	set := SettingsOf(dev)
	pl, err := NewPlant(clk, set.Seed, set.Speed)
	if err != nil {
		return nil, fail("sim.speed", err)
	}
	d := &Driver{dev: dev, plant: pl}
	for i, f := range set.Faults {
		if f.Tag != "" && f.Kind != string(FaultDrop) {
			if _, ok := bySignalName[f.Tag]; !ok { // a tag name: resolved by Prepare
				d.pending = append(d.pending, f)
				continue
			}
		}
		if err := pl.Schedule(Fault{Kind: FaultKind(f.Kind), Signal: f.Tag, At: f.At, For: f.For}); err != nil {
			return nil, fail(fmt.Sprintf("sim.faults[%d]", i), err)
		}
	}
	return d, nil
}

// Plant returns the device's plant, e.g. for `vigil sim` to serve or for
// tests to inject faults. It is safe for concurrent use.
func (d *Driver) Plant() *Plant { return d.plant }

// Prepare checks each tag's address (a signal name), its type against the
// signal's kind, that it has no scaling (sim values are engineering values)
// and that only writable signals are marked writable.
func (d *Driver) Prepare(tags []*datasource.Tag) (poll.Plan, error) {
	pl := &plan{items: make([]item, 0, len(tags))}
	var errs []error
	tagErr := func(t *datasource.Tag, field, format string, args ...any) {
		errs = append(errs, &datasource.TagError{Tag: t, Field: field, Err: fmt.Errorf(format, args...)})
	}
	for _, t := range tags {
		s, ok := lookup(t.Address)
		if !ok {
			tagErr(t, "address", "%w %q on sim device %s; nearest: %s (all signals in docs/sim.md)",
				ErrUnknownSignal, t.Address, d.dev.Name, strings.Join(suggest(t.Address), ", "))
			continue
		}
		info := catalogue[s]
		switch {
		case info.Kind == datasource.KindBool && t.Type != datasource.TypeBool:
			tagErr(t, "type", "signal %s is a bool; use type bool, not %s", info.Name, t.Type)
			continue
		case info.Kind == datasource.KindFloat && !t.Type.Numeric():
			tagErr(t, "type", "signal %s is a number in %s; use a numeric type such as float32, not %s", info.Name, unitsOr(info.Units), t.Type)
			continue
		}
		if !t.Scaling.IsIdentity() {
			tagErr(t, "scaling", "sim signals are already in engineering units (%s is in %s); remove the scaling", info.Name, unitsOr(info.Units))
			continue
		}
		if t.Writable && !info.Writable {
			tagErr(t, "writable", "signal %s is read-only in the simulated plant; writable signals: %s", info.Name, writableNames())
			continue
		}
		pl.items = append(pl.items, item{id: t.ID, sig: s, typ: t.Type})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := d.resolveFaults(tags); err != nil {
		return nil, err
	}
	return pl, nil
}

func unitsOr(u string) string {
	if u == "" {
		return "no units"
	}
	return u
}

// resolveFaults schedules the pending faults that name one of tags.
func (d *Driver) resolveFaults(tags []*datasource.Tag) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	left := d.pending[:0]
	for _, f := range d.pending {
		var tag *datasource.Tag
		for _, t := range tags {
			if t.Name == f.Tag {
				tag = t
				break
			}
		}
		if tag == nil {
			left = append(left, f)
			continue
		}
		if err := d.plant.Schedule(Fault{Kind: FaultKind(f.Kind), Signal: tag.Address, At: f.At, For: f.For}); err != nil {
			msg := fmt.Sprintf("device %s: sim fault on tag %s: %v", d.dev.Name, f.Tag, err)
			if p := f.Pos.String(); p != "" {
				msg = p + ": " + msg
			}
			errs = append(errs, errors.New(msg))
		}
	}
	d.pending = left
	return errors.Join(errs...)
}

// Connect connects to the plant; it fails with poll.ErrNotConnected while a
// drop fault is active.
func (d *Driver) Connect(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ok := d.plant.Connected()
	d.mu.Lock()
	d.connected = ok
	d.mu.Unlock()
	if !ok {
		return fmt.Errorf("sim device %s: connection dropped by fault injection: %w", d.dev.Name, poll.ErrNotConnected)
	}
	return nil
}

// Close disconnects. It is safe to call more than once.
func (d *Driver) Close() error {
	d.mu.Lock()
	d.connected = false
	d.mu.Unlock()
	return nil
}

// errDropped marks the driver disconnected and returns the error of a
// dropped connection.
func (d *Driver) errDropped() error {
	d.mu.Lock()
	d.connected = false
	d.mu.Unlock()
	return fmt.Errorf("sim device %s: connection dropped by fault injection: %w", d.dev.Name, poll.ErrNotConnected)
}

func (d *Driver) isConnected() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.connected
}

// Read appends one sample per tag of p to dst: the signal's value converted
// to the tag's type, or a Bad/DeviceFailure sample with no value while a bad
// fault covers the signal. Times are zero: the engine stamps its poll time.
func (d *Driver) Read(ctx context.Context, p poll.Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	pl, ok := p.(*plan)
	if !ok || pl == nil {
		return dst, fmt.Errorf("sim device %s: read with a plan of type %T not made by this driver's Prepare", d.dev.Name, p)
	}
	if !d.isConnected() {
		return dst, fmt.Errorf("sim device %s: %w", d.dev.Name, poll.ErrNotConnected)
	}
	var s snapshot
	d.plant.snap(&s)
	if s.dropped {
		return dst, d.errDropped()
	}
	for _, it := range pl.items {
		smp := datasource.Sample{Tag: it.id}
		if s.bad[it.sig] {
			smp.Quality = datasource.BadQuality(datasource.DeviceFailure)
		} else {
			smp.Value = convert(s.vals[it.sig], it.typ)
		}
		dst = append(dst, smp)
	}
	return dst, nil
}

// convert turns a signal's engineering value into a Value of the tag's type:
// float32 tags get float32 precision, integer tags the rounded value clamped
// to the type's range.
func convert(v float64, t datasource.DataType) datasource.Value {
	switch t {
	case datasource.TypeBool:
		return datasource.Bool(v != 0)
	case datasource.TypeFloat32:
		return datasource.Float(float64(float32(v)))
	case datasource.TypeFloat64:
		return datasource.Float(v)
	case datasource.TypeInt16:
		return datasource.Int(int64(clampRound(v, math.MinInt16, math.MaxInt16)))
	case datasource.TypeInt32:
		return datasource.Int(int64(clampRound(v, math.MinInt32, math.MaxInt32)))
	case datasource.TypeInt64:
		return datasource.Int(int64(clampRound(v, -(1 << 62), 1<<62)))
	case datasource.TypeUint16:
		return datasource.Uint(uint64(clampRound(v, 0, math.MaxUint16)))
	case datasource.TypeUint32:
		return datasource.Uint(uint64(clampRound(v, 0, math.MaxUint32)))
	case datasource.TypeUint64:
		return datasource.Uint(uint64(clampRound(v, 0, 1<<63)))
	}
	return datasource.Float(v)
}

func clampRound(v, lo, hi float64) float64 { return min(max(math.Round(v), lo), hi) }

// Write writes an engineering value to a writable signal (a setpoint, a
// mode or a start/stop command). Read-only signals, values out of the
// signal's range and writes the plant refuses (a manual-only output in auto,
// a start while tripped) are errors that say what to do.
func (d *Driver) Write(ctx context.Context, tag *datasource.Tag, v datasource.Value) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !d.isConnected() {
		return fmt.Errorf("sim device %s: write %s: %w", d.dev.Name, tag.Name, poll.ErrNotConnected)
	}
	if !d.plant.Connected() {
		return d.errDropped()
	}
	if err := d.plant.Set(tag.Address, v); err != nil {
		return fmt.Errorf("sim device %s: write %s (%s): %w", d.dev.Name, tag.Name, tag.Address, err)
	}
	return nil
}

var _ poll.Driver = (*Driver)(nil)
