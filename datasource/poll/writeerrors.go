package poll

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/vigil-hmi/vigil/datasource"
)

// Sentinels of the write path, for errors.Is. Each refusal is also a typed
// error (errors.As) whose message is meant to be shown to the operator
// verbatim: it names the tag, says what was wrong and, where it matters,
// whether anything reached the device.
var (
	ErrNotWritable        = errors.New("tag not writable")
	ErrBadValue           = errors.New("value not acceptable for the tag")
	ErrOutsideLimits      = errors.New("value outside the write limits")
	ErrOutOfRange         = errors.New("value outside the tag's data type range")
	ErrDeviceNotConnected = errors.New("device not connected")
	ErrMismatch           = errors.New("read-back differs from the written value")
)

// NotWritableError refuses a write to a tag that does not exist, is
// read-only or is a system tag. errors.Is(err, ErrNotWritable) is true.
type NotWritableError struct {
	ID   datasource.TagID
	Tag  *datasource.Tag // nil when no tag has ID
	Name string          // the name asked for, when the tag was asked by name and none has it
}

// Error implements error.
func (e *NotWritableError) Error() string {
	switch {
	case e.Tag == nil && e.Name != "":
		return fmt.Sprintf("tag %q does not exist; nothing was written", e.Name)
	case e.Tag == nil:
		return fmt.Sprintf("tag #%d does not exist; nothing was written", e.ID)
	case e.Tag.System:
		return e.Tag.Name + " is a system tag and cannot be written"
	case e.Tag.Calc != nil:
		return e.Tag.Name + " is a calculated tag (" + e.Tag.Calc.Kind.String() + ") and is read-only; nothing was written"
	default:
		return e.Tag.Name + " is read-only; nothing was written"
	}
}

// Is matches ErrNotWritable.
func (e *NotWritableError) Is(target error) bool { return target == ErrNotWritable }

// ValueError refuses a value of the wrong kind for the tag (a number for a
// bool tag, text for a number, NaN, a fraction for an integer tag).
// errors.Is(err, ErrBadValue) is true.
type ValueError struct {
	Tag   *datasource.Tag
	Value datasource.Value
	Why   string // e.g. "needs true or false"
}

// Error implements error.
func (e *ValueError) Error() string {
	return fmt.Sprintf("%s: %s %s; nothing was written", e.Tag.Name, e.Why, describe(e.Value))
}

// Is matches ErrBadValue.
func (e *ValueError) Is(target error) bool { return target == ErrBadValue }

// ParseError refuses an operator's text that is not a value of the tag's
// type ("abc" for a number, "2" or "maybe" for a bool). errors.Is(err,
// ErrBadValue) is true.
type ParseError struct {
	Tag  *datasource.Tag
	Text string // as the operator typed it
	Err  error  // why it is not a value, for the operator
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: %q: %v; nothing was written", e.Tag.Name, e.Text, e.Err)
}

// Is matches ErrBadValue.
func (e *ParseError) Is(target error) bool { return target == ErrBadValue }

// Unwrap returns why the text is not a value.
func (e *ParseError) Unwrap() error { return e.Err }

// LimitError refuses a value outside the tag's write limits.
// errors.Is(err, ErrOutsideLimits) is true.
type LimitError struct {
	Tag    *datasource.Tag
	Value  datasource.Value
	Limits datasource.Range
}

// Error implements error, e.g.
// "Tank1.LevelSP: 120 % is outside the write limits 0 .. 100 %".
func (e *LimitError) Error() string {
	f, _ := e.Value.AsFloat()
	return fmt.Sprintf("%s: %s is outside the write limits %s .. %s",
		e.Tag.Name, withUnits(e.Tag, f), fmtNum(e.Limits.Min), withUnits(e.Tag, e.Limits.Max))
}

// Is matches ErrOutsideLimits.
func (e *LimitError) Is(target error) bool { return target == ErrOutsideLimits }

// RangeError refuses a value that, after inverse scaling, does not fit the
// tag's integer data type. errors.Is(err, ErrOutOfRange) is true.
type RangeError struct {
	Tag      *datasource.Tag
	Value    datasource.Value
	Raw      float64 // the device value after inverse scaling
	Min, Max float64 // the data type's range
}

// Error implements error.
func (e *RangeError) Error() string {
	f, _ := e.Value.AsFloat()
	if e.Tag.Scaling.IsIdentity() {
		return fmt.Sprintf("%s: %s does not fit the tag's type %s (%s .. %s); nothing was written",
			e.Tag.Name, withUnits(e.Tag, f), e.Tag.Type, fmtNum(e.Min), fmtNum(e.Max))
	}
	return fmt.Sprintf("%s: %s is %s on the device, which does not fit the tag's type %s (%s .. %s); nothing was written",
		e.Tag.Name, withUnits(e.Tag, f), fmtNum(e.Raw), e.Tag.Type, fmtNum(e.Min), fmtNum(e.Max))
}

// Is matches ErrOutOfRange.
func (e *RangeError) Is(target error) bool { return target == ErrOutOfRange }

// DeviceError is a write that failed at the device: the device is not
// connected (Err is ErrDeviceNotConnected), the driver refused the write,
// or the value was written but could not be read back. errors.Is sees
// through it to Err.
type DeviceError struct {
	Device string
	Tag    string
	Op     string // "write", "read back" or "prepare"
	Err    error
}

// Error implements error.
func (e *DeviceError) Error() string {
	switch {
	case errors.Is(e.Err, ErrDeviceNotConnected):
		return fmt.Sprintf("%s: device %s is not connected; nothing was written", e.Tag, e.Device)
	case e.Op == "read back":
		return fmt.Sprintf("%s: written to device %s, but reading it back failed: %v", e.Tag, e.Device, e.Err)
	case e.Op == "prepare":
		return fmt.Sprintf("%s: cannot be written to device %s as configured: %v", e.Tag, e.Device, e.Err)
	default:
		return fmt.Sprintf("%s: device %s did not accept the write: %v", e.Tag, e.Device, e.Err)
	}
}

// Unwrap returns the cause.
func (e *DeviceError) Unwrap() error { return e.Err }

// MismatchError reports a write whose read-back differs from the requested
// value (beyond float32 and scaling rounding) or is not Good. The
// WriteResult returned with it holds both values.
// errors.Is(err, ErrMismatch) is true.
type MismatchError struct {
	Device    string
	Tag       *datasource.Tag
	Requested datasource.Value
	ReadBack  datasource.Sample
}

// Error implements error.
func (e *MismatchError) Error() string {
	if !e.ReadBack.Quality.IsGood() {
		return fmt.Sprintf("%s: wrote %s to device %s, but the read-back is %s",
			e.Tag.Name, describeUnits(e.Tag, e.Requested), e.Device, e.ReadBack.Quality)
	}
	return fmt.Sprintf("%s: wrote %s to device %s, but it reads back %s",
		e.Tag.Name, describeUnits(e.Tag, e.Requested), e.Device, describeUnits(e.Tag, e.ReadBack.Value))
}

// Is matches ErrMismatch.
func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }

// AbortedError is a write whose context ended (the operator's deadline or
// cancel) before it completed. Started says whether it had reached the
// driver: if so, the device may hold the new value. errors.Is sees through it
// to the context's error.
type AbortedError struct {
	Device  string
	Tag     string
	Started bool
	Err     error
}

// Error implements error.
func (e *AbortedError) Error() string {
	if e.Started {
		return fmt.Sprintf("%s: no answer from device %s in time (%v); the value may have been written, check it", e.Tag, e.Device, e.Err)
	}
	return fmt.Sprintf("%s: the write was abandoned before it reached device %s (%v); nothing was written", e.Tag, e.Device, e.Err)
}

// Unwrap returns the context's error.
func (e *AbortedError) Unwrap() error { return e.Err }

// fmtNum formats f in its shortest exact form ("120", "0.5").
func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// withUnits formats f followed by the tag's units, if any ("120 %").
func withUnits(t *datasource.Tag, f float64) string {
	if t.Units == "" {
		return fmtNum(f)
	}
	return fmtNum(f) + " " + t.Units
}

// describe renders a value for a message: numbers plainly, text quoted.
func describe(v datasource.Value) string {
	switch v.Kind() {
	case datasource.KindNone:
		return "no value"
	case datasource.KindString:
		return strconv.Quote(v.AsString())
	}
	return v.String()
}

// describeUnits renders a value with the tag's units when it is a number.
func describeUnits(t *datasource.Tag, v datasource.Value) string {
	switch v.Kind() {
	case datasource.KindInt, datasource.KindUint, datasource.KindFloat:
		if t.Units != "" {
			return v.String() + " " + t.Units
		}
	}
	return describe(v)
}
