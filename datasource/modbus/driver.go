package modbus

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/goburrow/modbus"
	"github.com/jonboulle/clockwork"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Defaults applied by New to zero settings (the project loader normally
// fills them in already).
const (
	DefaultTimeout      = time.Second
	DefaultBaud         = 19200
	DefaultBusyRetries  = 3
	DefaultBusyWait     = 100 * time.Millisecond
	defaultDataBits     = 8
	defaultParity       = "E"
	defaultStopBits     = 1
	maxRegistersPerRead = 125
	maxBitsPerRead      = 2000
)

// Driver is the poll.Driver of one Modbus device (one unit ID at one
// address). The engine calls it from one goroutine; devices sharing a
// gateway share its connection.
//
// Fault rules of Read: an exception on a block (other than 01, 06, 0A, 0B)
// splits the block, first at its gaps, then in halves, and reads the pieces
// at once; the split is kept in the Plan for later cycles. A tag still
// refused alone reads Bad/ConfigError for exceptions 02 and 03 and
// Bad/DeviceFailure for the others. Exception 06 (busy) is retried after a
// wait on the injected clock; 01 fails the block's tags without a split;
// 0A/0B (the gateway cannot reach the unit) and any timeout, I/O error or
// malformed answer fail the whole Read with an error, and all but 0A/0B
// also close the connection first, because goburrow v0.1.0 would otherwise
// keep a socket on which a late reply answers the next request.
//
// A request cannot be interrupted once sent (goburrow has no context);
// its timeout is the device's Timeout, shortened to ctx's deadline.
type Driver struct {
	dev         *datasource.Device
	ep          endpoint
	settings    Settings // with defaults applied
	lim         Limits
	timeout     time.Duration
	clock       clockwork.Clock
	busyRetries int
	busyWait    time.Duration
	log         *slog.Logger

	pool      *linkPool // the links this driver shares; its own unless made by a NewFactory
	link      *link     // nil until Connect, nil again after Close
	ut        *unitTransporter
	client    modbus.Client
	connected bool
}

// Option configures a Driver.
type Option func(*Driver)

// WithClock sets the clock used to wait before retrying a busy device.
func WithClock(c clockwork.Clock) Option { return func(d *Driver) { d.clock = c } }

// WithBusyRetry sets how often a request answered with exception 06 (busy)
// is retried, and the wait before each retry.
func WithBusyRetry(retries int, wait time.Duration) Option {
	return func(d *Driver) { d.busyRetries, d.busyWait = retries, wait }
}

// WithLogger sets where the driver reports the tags a device refuses with
// an exception: one warning per block and exception code, not one per read.
func WithLogger(l *slog.Logger) Option { return func(d *Driver) { d.log = l } }

// NewFactory returns the poll.Factory of the Modbus devices of one engine.
// Its drivers share connections by address: devices behind one gateway
// (several unit IDs at one tcp:// address) use one socket, devices on one
// serial port one open port, and requests on a shared link take turns.
// Each call makes a new set of links, so two engines (or two tests) never
// share a socket.
func NewFactory(opts ...Option) poll.Factory {
	p := newLinkPool()
	opts = append(slices.Clip(opts), func(d *Driver) { d.pool = p })
	return func(dev *datasource.Device) (poll.Driver, error) { return New(dev, opts...) }
}

// New checks a device's address and Modbus settings and makes its driver.
// It does no I/O. The driver has a connection of its own; the engine's
// drivers come from NewFactory, which shares one per address. Zero settings get their defaults. Its errors read
// "field: message" (e.g. "modbus.unit: 248 is not a unit ID (0..247)"); the
// caller adds the device's file position and name.
func New(dev *datasource.Device, opts ...Option) (*Driver, error) {
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
	if dev.Driver != "" && dev.Driver != "modbus" {
		return nil, fail("driver", "%q is not modbus", dev.Driver)
	}
	ep, err := parseEndpoint(dev.Address)
	if err != nil {
		return nil, fail("address", "%v", err)
	}
	m := SettingsOf(dev)
	if m.Unit > 247 {
		return nil, fail("modbus.unit", "%d is not a unit ID (0..247)", m.Unit)
	}
	if m.WordOrder == datasource.WordOrderDefault {
		m.WordOrder = datasource.ABCD
	}
	if m.WordOrder > datasource.DCBA {
		return nil, fail("modbus.word_order", "unknown word order %v; use ABCD, CDAB, BADC or DCBA", m.WordOrder)
	}
	if m.MaxRegisters == 0 {
		m.MaxRegisters = maxRegistersPerRead
	}
	if m.MaxRegisters < 1 || m.MaxRegisters > maxRegistersPerRead {
		return nil, fail("modbus.max_registers", "%d not in 1..125 (the protocol's limit per read)", m.MaxRegisters)
	}
	if m.MaxBits == 0 {
		m.MaxBits = maxBitsPerRead
	}
	if m.MaxBits < 1 || m.MaxBits > maxBitsPerRead {
		return nil, fail("modbus.max_bits", "%d not in 1..2000 (the protocol's limit per read)", m.MaxBits)
	}
	if m.MaxGap < -1 {
		return nil, fail("modbus.max_gap", "%d: use -1 (never group) or a number of registers >= 0", m.MaxGap)
	}
	if ep.scheme == SchemeRTU {
		if m.Baud == 0 {
			m.Baud = DefaultBaud
		}
		if m.DataBits == 0 {
			m.DataBits = defaultDataBits
		}
		if m.Parity == "" {
			m.Parity = defaultParity
		}
		if m.StopBits == 0 {
			m.StopBits = defaultStopBits
		}
		if m.Baud < 0 {
			return nil, fail("modbus.baud", "%d must be > 0", m.Baud)
		}
		if m.DataBits < 5 || m.DataBits > 8 {
			return nil, fail("modbus.data_bits", "%d not in 5..8", m.DataBits)
		}
		if m.Parity != "N" && m.Parity != "E" && m.Parity != "O" {
			return nil, fail("modbus.parity", "%q: use N, E or O", m.Parity)
		}
		if m.StopBits != 1 && m.StopBits != 2 {
			return nil, fail("modbus.stop_bits", "%d: use 1 or 2", m.StopBits)
		}
	}
	d := &Driver{
		dev:         dev,
		ep:          ep,
		settings:    m,
		lim:         Limits{MaxRegisters: m.MaxRegisters, MaxBits: m.MaxBits, MaxGap: m.MaxGap},
		timeout:     dev.Timeout,
		clock:       clockwork.NewRealClock(),
		busyRetries: DefaultBusyRetries,
		busyWait:    DefaultBusyWait,
	}
	if d.timeout <= 0 {
		d.timeout = DefaultTimeout
	}
	for _, o := range opts {
		o(d)
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("device", dev.Name)
	if d.pool == nil {
		d.pool = newLinkPool()
	}
	return d, nil
}

// Limits returns the device's grouping rules, as Prepare plans with them.
func (d *Driver) Limits() Limits { return d.lim }

// Connect takes (or shares) the connection to the device's address and
// opens it.
func (d *Driver) Connect(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.link == nil {
		l, err := d.pool.acquire(d.ep, d.settings)
		if err != nil {
			return fmt.Errorf("device %q: %w", d.dev.Name, err)
		}
		d.link = l
		d.ut = &unitTransporter{l: l}
		d.client = modbus.NewClient2(l.packager(d.settings.Unit), d.ut)
	}
	if err := d.link.connect(d.requestTimeout(ctx)); err != nil {
		d.Close()
		return fmt.Errorf("device %q: connect %s: %w", d.dev.Name, d.ep.key(), err)
	}
	d.connected = true
	return nil
}

// Close gives up this device's share of the connection; the last device on
// a link closes it. It is safe to call more than once.
func (d *Driver) Close() error {
	d.connected = false
	if d.link != nil {
		d.pool.release(d.link)
		d.link, d.ut, d.client = nil, nil, nil
	}
	return nil
}

// dropConnection closes the socket after an I/O error or garbage, so the
// engine reconnects with backoff.
func (d *Driver) dropConnection() {
	d.connected = false
	if d.link != nil {
		d.link.drop()
	}
}

// requestTimeout is the device's timeout, shortened to ctx's deadline.
func (d *Driver) requestTimeout(ctx context.Context) time.Duration {
	t := d.timeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < t {
			t = max(left, time.Millisecond)
		}
	}
	return t
}

// do runs one request, retrying while the device answers busy (06), and
// classifies its error.
func (d *Driver) do(ctx context.Context, fc byte, req func() ([]byte, error)) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		d.ut.timeout = d.requestTimeout(ctx)
		data, err := req()
		if err == nil {
			return data, nil
		}
		err = classify(err, fc)
		var exc *ExceptionError
		if !errors.As(err, &exc) || exc.Code != ExceptionBusy || attempt >= d.busyRetries {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-d.clock.After(d.busyWait):
		}
	}
}

// Read reads every block of plan and appends one sample per tag (in the
// order the tags were given to Prepare; Time is zero, for the engine to
// stamp). On an error it appends nothing. See Driver for the fault rules.
func (d *Driver) Read(ctx context.Context, plan poll.Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	p, ok := plan.(*Plan)
	if !ok || p == nil {
		return dst, fmt.Errorf("device %q: read: plan %T was not made by the Modbus driver", d.dev.Name, plan)
	}
	if !d.connected {
		return dst, fmt.Errorf("device %q: %w", d.dev.Name, poll.ErrNotConnected)
	}
	start := len(dst)
	dst = slices.Grow(dst, len(p.tags))[:start+len(p.tags)]
	out := dst[start:]
	for i, t := range p.tags {
		out[i] = datasource.Sample{Tag: t.ID, Quality: datasource.BadQuality(datasource.ConfigError)}
	}
	for i := 0; i < len(p.blocks); i++ {
		if err := ctx.Err(); err != nil {
			return dst[:start], err
		}
		b := p.blocks[i]
		data, err := d.do(ctx, b.table.ReadFunction(), func() ([]byte, error) { return d.readBlock(b) })
		if err == nil {
			if err = b.decode(data, out); err == nil {
				b.refused = 0
				continue
			}
		}
		var exc *ExceptionError
		if !errors.As(err, &exc) {
			d.dropConnection()
			return dst[:start], fmt.Errorf("device %q: read %s: %w", d.dev.Name, b, err)
		}
		switch exc.Code {
		case ExceptionGatewayPath, ExceptionGatewayTarget:
			// The gateway is fine, the unit behind it is not: a device failure
			// for the engine, but the shared connection stays in sync.
			return dst[:start], fmt.Errorf("device %q: read %s: %w", d.dev.Name, b, err)
		case ExceptionIllegalFunction, ExceptionBusy:
			d.refused(b, exc)
			b.fail(out, datasource.DeviceFailure) // splitting cannot help
			continue
		}
		if pieces := b.split(d.lim); pieces != nil {
			// Remembered in the plan: later cycles read the pieces directly.
			p.blocks = slices.Replace(p.blocks, i, i+1, pieces...)
			i--
			continue
		}
		reason := datasource.DeviceFailure
		if exc.Code == ExceptionIllegalDataAddress || exc.Code == ExceptionIllegalDataValue {
			reason = datasource.ConfigError
		}
		d.refused(b, exc)
		b.fail(out, reason)
	}
	return dst, nil
}

// refused logs that the device answered a read of b with exc, once until
// the block reads again or the code changes, naming the tags it leaves Bad.
func (d *Driver) refused(b *block, exc *ExceptionError) {
	if b.refused == exc.Code {
		return
	}
	b.refused = exc.Code
	names := make([]string, len(b.items))
	for i, it := range b.items {
		names[i] = it.tag.Name
	}
	d.log.Warn("device refused a read; its tags stay Bad", "cause", exc.Error(), "read", b.String(), "tags", strings.Join(names, ", "))
}

func (d *Driver) readBlock(b *block) ([]byte, error) {
	s, n := uint16(b.start), uint16(b.count)
	switch b.table {
	case Coils:
		return d.client.ReadCoils(s, n)
	case DiscreteInputs:
		return d.client.ReadDiscreteInputs(s, n)
	case InputRegisters:
		return d.client.ReadInputRegisters(s, n)
	}
	return d.client.ReadHoldingRegisters(s, n)
}

// Write writes one engineering value to a tag: a coil with FC5, a register
// value with FC6 (one register) or FC16 (more), applying the tag's type,
// word order and inverse scaling, and a bit of a register with FC22 when
// the device allows mask writes. Reading back is the engine's job.
func (d *Driver) Write(ctx context.Context, tag *datasource.Tag, v datasource.Value) error {
	c, err := compile(tag, d.settings.WordOrder, d.lim.maxLen(HoldingRegisters))
	if err != nil {
		return err
	}
	fail := func(err error) error {
		return fmt.Errorf("device %q: write tag %s (%s): %w", d.dev.Name, tag.Name, c.addr.Modicon(), err)
	}
	a := c.addr
	if !a.Table.Writable() {
		return fail(fmt.Errorf("%w: a %s cannot be written", ErrReadOnly, a.Table))
	}
	if a.Bit != NoBit && !d.settings.MaskWrite {
		return fail(ErrMaskWriteNeeded)
	}
	var fc byte
	var req func() ([]byte, error)
	switch {
	case a.Table == Coils:
		var state uint16
		if v.AsBool() {
			state = 0xFF00
		}
		fc, req = 5, func() ([]byte, error) { return d.client.WriteSingleCoil(a.Offset, state) }
	case a.Bit != NoBit:
		and := ^uint16(1 << a.Bit)
		var or uint16
		if v.AsBool() {
			or = 1 << a.Bit
		}
		fc, req = 22, func() ([]byte, error) { return d.client.MaskWriteRegister(a.Offset, and, or) }
	default:
		b, err := c.encode(v)
		if err != nil {
			return fail(err)
		}
		if len(b) == 2 {
			fc, req = 6, func() ([]byte, error) { return d.client.WriteSingleRegister(a.Offset, binary.BigEndian.Uint16(b)) }
		} else {
			fc, req = 16, func() ([]byte, error) { return d.client.WriteMultipleRegisters(a.Offset, uint16(len(b)/2), b) }
		}
	}
	if !d.connected {
		return fail(poll.ErrNotConnected)
	}
	if _, err := d.do(ctx, fc, req); err != nil {
		var exc *ExceptionError
		if !errors.As(err, &exc) {
			d.dropConnection()
		}
		return fail(err)
	}
	return nil
}

var _ poll.RawReader = (*Driver)(nil)

// ReadRaw implements poll.RawReader: the register inspector's read through
// the engine. req.Address is a register or bit address as in the project
// file ("40001", "hr:0"); a bit of a register ("40001.3") is refused.
func (d *Driver) ReadRaw(ctx context.Context, req poll.RawRequest) ([]byte, error) {
	a, err := ParseAddress(req.Address)
	if err != nil {
		return nil, fmt.Errorf("device %q: raw read: %w", d.dev.Name, err)
	}
	if a.Bit != NoBit {
		return nil, fmt.Errorf("device %q: raw read: %s is a bit of a register: give the register", d.dev.Name, a.Modicon())
	}
	return d.ReadRange(ctx, a.Table, int(a.Offset), req.Count)
}

// ReadRange reads count registers (or bits) of a table from start, one
// request with no planning or decoding: the commissioning probe's view. It
// returns the response data as on the wire (registers big-endian; bits
// packed LSB first).
func (d *Driver) ReadRange(ctx context.Context, t Table, start, count int) ([]byte, error) {
	if !d.connected {
		return nil, fmt.Errorf("device %q: %w", d.dev.Name, poll.ErrNotConnected)
	}
	if count < 1 || count > t.MaxQuantity() || start < 0 || start+count > 65536 {
		return nil, fmt.Errorf("device %q: %d %ss from offset %d: count must be 1..%d within 0..65535", d.dev.Name, count, t, start, t.MaxQuantity())
	}
	b := &block{table: t, start: start, count: count}
	data, err := d.do(ctx, t.ReadFunction(), func() ([]byte, error) { return d.readBlock(b) })
	if err == nil {
		err = b.decode(data, nil)
	}
	if err != nil {
		var exc *ExceptionError
		if !errors.As(err, &exc) {
			d.dropConnection()
		}
		return nil, fmt.Errorf("device %q: read %s: %w", d.dev.Name, b, err)
	}
	return data, nil
}
