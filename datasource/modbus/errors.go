package modbus

import (
	"errors"
	"fmt"

	"github.com/goburrow/modbus"
)

// The Modbus exception codes the driver treats specially.
const (
	ExceptionIllegalFunction    = 0x01
	ExceptionIllegalDataAddress = 0x02
	ExceptionIllegalDataValue   = 0x03
	ExceptionDeviceFailure      = 0x04
	ExceptionBusy               = 0x06
	ExceptionGatewayPath        = 0x0A
	ExceptionGatewayTarget      = 0x0B
)

var exceptionNames = map[byte]string{
	0x01: "illegal function",
	0x02: "illegal data address",
	0x03: "illegal data value",
	0x04: "server device failure",
	0x05: "acknowledge",
	0x06: "server device busy",
	0x08: "memory parity error",
	0x0A: "gateway path unavailable",
	0x0B: "gateway target device failed to respond",
}

// ExceptionError is a Modbus exception response: the device understood the
// request and refused it.
type ExceptionError struct {
	Function byte // the request's function code
	Code     byte // the exception code
}

// Error implements error: "exception 02 (illegal data address) to function 3".
func (e *ExceptionError) Error() string {
	name, ok := exceptionNames[e.Code]
	if !ok {
		name = "unknown exception"
	}
	return fmt.Sprintf("exception %02X (%s) to function %d", e.Code, name, e.Function)
}

// ErrMalformedResponse is wrapped when a device answers with bytes that
// cannot be the response to the request (wrong length, wrong function).
var ErrMalformedResponse = errors.New("malformed response")

// ErrReadOnly is wrapped by Write for tags in discrete inputs or input
// registers, which the protocol cannot write.
var ErrReadOnly = errors.New("read-only Modbus table")

// ErrMaskWriteNeeded is wrapped by Write for a bit inside a register when
// the device does not allow FC22 (mask write register).
var ErrMaskWriteNeeded = errors.New("writing a bit inside a register needs FC22 mask write, which this device does not allow (set modbus.mask_write: true if it supports it)")

// classify turns goburrow's errors for a request with function code fc into
// an *ExceptionError, ErrMalformedResponse, or leaves them (I/O errors).
func classify(err error, fc byte) error {
	var me *modbus.ModbusError
	if errors.As(err, &me) {
		if me.FunctionCode == fc|0x80 {
			return &ExceptionError{Function: fc, Code: me.ExceptionCode}
		}
		return fmt.Errorf("%w: function %d answered a request for function %d", ErrMalformedResponse, me.FunctionCode, fc)
	}
	if errors.Is(err, errFrame) {
		return fmt.Errorf("%w: %v", ErrMalformedResponse, err)
	}
	return err
}
