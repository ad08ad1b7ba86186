package inspector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// DefaultPeriod is how often the inspector reads while shown, when
// Deps.Period is zero: about as fast as a person reads a changing value.
const DefaultPeriod = time.Second

// Reader reads raw data of a device through the poll engine, on the
// device's own session and connection; *poll.Engine satisfies it. The
// inspector never talks to a driver.
type Reader interface {
	ReadRaw(ctx context.Context, device string, req poll.RawRequest) ([]byte, error)
}

// Deps is what an inspector needs from its owner. Reader is required; every
// other field is optional.
type Deps struct {
	// Reader does the reads: the running poll engine.
	Reader Reader
	Theme  *theme.HMI // nil: the light theme
	// Do runs the results of a read on the UI goroutine; default fyne.Do.
	// Tests pass a queue they drain, because Fyne's test driver would run
	// them on the reading goroutine.
	Do func(func())
	// Clock paces the reads and stamps them; default the real clock.
	Clock clockwork.Clock
	// Period is the time between reads; default DefaultPeriod.
	Period time.Duration
}

// Inspector is the register inspector's view and its reading goroutine.
// Its methods must be called on the UI goroutine.
type Inspector struct {
	deps Deps
	devs []*datasource.Device // the Modbus devices, in the order given

	content fyne.CanvasObject
	device  *widget.Select
	address *widget.Entry
	count   *widget.Entry
	message *widget.Label // why the typed range is refused; empty when valid
	marker  *canvas.Text  // "? STALE" or "✕ NO DATA" when the shown data is not current
	status  *widget.Label // what is shown and when it was read, or the read's error verbatim
	raw     *widget.Table
	dec     *widget.Table
	strs    *widget.Label
	state   *fyne.Container // marker and status
	top     *fyne.Container // everything above the tables
	topMin  fyne.Size       // top's size at the last relayout
	rawCols float32         // the raw table's column widths, summed

	// The data shown; UI goroutine only.
	table    modbus.Table // of the range asked for: the raw table's columns
	dump     modbus.Dump
	stale    bool      // the last read failed: the dump is older than it looks
	lastGood time.Time // when the dump was read

	// mu guards the request the reading goroutine repeats, and wake.
	mu    sync.Mutex
	req   request
	valid bool   // req may be sent; false while the typed range is refused
	gen   uint64 // counts changes of req, to drop answers to an old one
	// wake tells the running goroutine of a new request, to read it now
	// rather than at the next tick; each Start makes its own, so a
	// goroutine still ending after Stop cannot take the signal.
	wake chan struct{}

	// Lifetime; cancel and closed are touched on the UI goroutine only.
	cancel context.CancelFunc // ends the running goroutine; nil when stopped
	closed bool
	wg     sync.WaitGroup
}

// New builds the inspector of the Modbus devices among devs (others are
// left out). It reads nothing until Start.
func New(devs []*datasource.Device, deps Deps) *Inspector {
	if deps.Theme == nil {
		deps.Theme = theme.New(false)
	}
	if deps.Do == nil {
		deps.Do = fyne.Do
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	if deps.Period <= 0 {
		deps.Period = DefaultPeriod
	}
	in := &Inspector{deps: deps, table: modbus.HoldingRegisters}
	for _, d := range devs {
		if d != nil && d.Driver == "modbus" {
			in.devs = append(in.devs, d)
		}
	}
	in.build()
	return in
}

// Content returns the inspector's view, to place on the Devices screen.
func (in *Inspector) Content() fyne.CanvasObject { return in.content }

// Start begins reading: at once, then every period, until Stop. Call it when
// the Devices screen is shown.
func (in *Inspector) Start() {
	if in.closed || in.cancel != nil || len(in.devs) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	wake := make(chan struct{}, 1)
	in.mu.Lock()
	in.wake = wake
	in.mu.Unlock()
	in.wg.Add(1)
	go in.run(ctx, wake)
}

// Stop ends reading. It does not wait for a read in flight (the UI must
// not block on a device); Close does.
func (in *Inspector) Stop() {
	if in.cancel != nil {
		in.cancel()
		in.cancel = nil
	}
}

// Close stops reading for good and waits for the reading goroutine. A read
// in flight ends with the goroutine's context: the engine gives up waiting
// for it at once (the device's session finishes the request on its own).
func (in *Inspector) Close() {
	in.Stop()
	in.closed = true
	in.wg.Wait()
}

// current returns the request to read and its generation; ok is false while
// the typed range is refused.
func (in *Inspector) current() (req request, gen uint64, ok bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.req, in.gen, in.valid
}

// setRequest makes req (or, with ok false, nothing) what the goroutine reads.
func (in *Inspector) setRequest(req request, ok bool) {
	in.mu.Lock()
	in.req, in.valid = req, ok
	in.gen++
	wake := in.wake
	in.mu.Unlock()
	select {
	case wake <- struct{}{}: // nil before the first Start: never ready
	default: // a wake-up is pending already; it reads the newest request
	}
}

// result is the outcome of one read, decoded, handed to the UI goroutine.
type result struct {
	gen  uint64
	req  request
	dump modbus.Dump
	err  error
	at   time.Time
}

// run reads the current request now, at every tick and whenever it
// changes, until ctx ends.
func (in *Inspector) run(ctx context.Context, wake <-chan struct{}) {
	defer in.wg.Done()
	tick := in.deps.Clock.NewTicker(in.deps.Period)
	defer tick.Stop()
	for {
		if req, gen, ok := in.current(); ok {
			res := result{gen: gen, req: req}
			res.dump, res.err = in.read(ctx, req)
			if ctx.Err() != nil {
				return
			}
			res.at = in.deps.Clock.Now()
			in.deps.Do(func() { in.show(ctx, res) })
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
		case <-wake:
		}
	}
}

// read reads req through the engine and decodes the answer here, off the UI goroutine
// (125 registers in every type and order take milliseconds).
func (in *Inspector) read(ctx context.Context, req request) (modbus.Dump, error) {
	if in.deps.Reader == nil {
		return modbus.Dump{}, errors.New("the register inspector has no engine to read through")
	}
	data, err := in.deps.Reader.ReadRaw(ctx, in.devs[req.dev].Name, poll.RawRequest{Address: req.start.String(), Count: req.count})
	if err != nil {
		return modbus.Dump{}, err
	}
	d, err := modbus.DecodeDump(req.start, req.count, data)
	if err != nil {
		return modbus.Dump{}, fmt.Errorf("device %q: %w", in.devs[req.dev].Name, err)
	}
	return d, nil
}
