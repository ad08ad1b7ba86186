package poll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
)

// RawRequest asks a device for raw data outside any tag: what a
// commissioning tool (the register inspector) reads to find out what a
// device holds before tags are configured for it.
type RawRequest struct {
	// Address is the first item in the driver's own address syntax, as a
	// tag's address is written in the project file ("40001", "hr:0").
	Address string
	// Count is the number of items (registers, bits) from Address.
	Count int
}

// RawReader is implemented by drivers that can read raw data (Modbus). The
// engine finds it by type assertion, like Subscriber, and calls it on the
// device's session goroutine between scans, under the watchdog, as it calls
// Read: so a raw read shares the device's connection and never overlaps
// the engine's own requests.
type RawReader interface {
	// ReadRaw reads req and returns the data as the protocol carries it
	// (Modbus: registers big-endian, bits packed LSB first). An error the
	// device answers to this request alone (a Modbus exception) leaves the
	// connection up; a link error is a device failure, as from Read.
	ReadRaw(ctx context.Context, req RawRequest) ([]byte, error)
}

// ErrRawReadUnsupported is returned by Engine.ReadRaw for a device whose
// driver has no raw reads.
var ErrRawReadUnsupported = errors.New("the driver cannot read raw data")

// RawError is a raw read the engine could not do: the device is unknown,
// disabled or not connected, or its driver has no raw reads. errors.Is sees
// through it to Err (ErrDeviceNotConnected, ErrRawReadUnsupported).
type RawError struct {
	Device string
	Err    error
	// Last is the device's last error while it is not connected ("" when
	// none yet): the reason an engineer needs, not just "not connected".
	Last string
}

// Error implements error.
func (e *RawError) Error() string {
	if errors.Is(e.Err, ErrDeviceNotConnected) && e.Last != "" {
		// The last error names the device already, as "device NAME: ..."
		// and, from the driver, "device \"NAME\": ...".
		return fmt.Sprintf("device %s is not connected: %s", e.Device, withoutDeviceName(e.Device, e.Last))
	}
	return fmt.Sprintf("device %s: %v", e.Device, e.Err)
}

// Unwrap returns the cause.
func (e *RawError) Unwrap() error { return e.Err }

// ReadRaw reads req from the named device through the device's own driver
// instance and connection: the engine hands it to the device's session
// goroutine, which calls the driver's RawReader between two scans under the
// device's timeout and watchdog. A device that is not connected (or
// disabled, or unknown) gives a *RawError carrying the device's last error,
// without touching the device. The driver's own error (an exception) is
// returned as it is; a link error also sends the device to reconnect, as a
// failed Read does. The context is honoured while waiting for the session.
func (e *Engine) ReadRaw(ctx context.Context, device string, req RawRequest) ([]byte, error) {
	d := e.byName[device]
	if d == nil {
		return nil, &RawError{Device: device, Err: errors.New("no such device in the project")}
	}
	if st := d.status(); st.State != Connected {
		if st.State == Disabled {
			return nil, &RawError{Device: device, Err: ErrDeviceNotConnected, Last: "it is disabled in the project (not polled)"}
		}
		return nil, &RawError{Device: device, Err: ErrDeviceNotConnected, Last: st.LastError}
	}
	op := &rawOp{ctx: ctx, req: req, res: make(chan rawOutcome, 1)}
	select {
	case d.raws <- op:
	case <-d.done:
		return nil, &RawError{Device: device, Err: ErrDeviceNotConnected}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case out := <-op.res:
		return out.data, out.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// rawOp carries one raw read to the session goroutine.
type rawOp struct {
	ctx context.Context
	req RawRequest
	res chan rawOutcome // buffered 1: the session never blocks on it
}

type rawOutcome struct {
	data []byte
	err  error
}

func (op *rawOp) reply(data []byte, err error) { op.res <- rawOutcome{data, err} }

// readRaw does op on the session goroutine and returns an error only when
// the device itself failed and must reconnect. Like serve, it records the
// op in d.reading so that the device goroutine answers it should the
// driver call hang.
func (d *device) readRaw(ctx context.Context, op *rawOp) error {
	rr, ok := d.h.drv.(RawReader)
	if !ok {
		op.reply(nil, &RawError{Device: d.def.Name, Err: ErrRawReadUnsupported})
		return nil
	}
	if err := op.ctx.Err(); err != nil {
		op.reply(nil, err)
		return nil
	}
	// The driver's context ends with the caller's or the engine's.
	rctx, cancel := context.WithCancel(op.ctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	d.reading = op
	var data []byte
	start := d.e.clock.Now()
	err := d.h.call(rctx, "ReadRaw", d.timeout, func(ctx context.Context, _ Driver) (err error) {
		data, err = rr.ReadRaw(ctx, op.req)
		return err
	})
	d.reading = nil
	d.count(err, d.e.clock.Since(start), true)
	op.reply(data, err)
	if err == nil || !linkFailed(op.ctx, err) {
		return nil
	}
	return wrapDevice(d.def.Name, "raw read "+op.req.Address, err)
}

// linkFailed reports whether err from a driver call means the link or the
// driver instance is gone (as opposed to the device refusing this one
// request, or the caller giving up), so that the device reconnects.
func linkFailed(callerCtx context.Context, err error) bool {
	var pe *PanicError
	var he *HangError
	var ne net.Error
	switch {
	case errors.As(err, &pe), errors.As(err, &he), errors.Is(err, errBrokenHost), errors.Is(err, ErrNotConnected):
		return true
	case callerCtx.Err() != nil:
		return false // the caller's deadline, not the device's fault
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	return false
}
