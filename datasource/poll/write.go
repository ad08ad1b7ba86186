package poll

import (
	"context"
	"errors"
	"math"
	"net"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/vigil-hmi/vigil/datasource"
)

// WriteRequest is an operator's request to write one tag.
type WriteRequest struct {
	Tag    datasource.TagID
	Value  datasource.Value // in engineering units
	User   string           // who asked, for the log and audit
	Reason string           // why, for the audit; may be empty
}

type operatorKey struct{}

type operator struct{ user, reason string }

// withOperator returns ctx carrying who asks for a write and why. Engine.Write
// puts the request's User and Reason into the driver's context this way, so
// that a driver that forwards writes to another station (datasource/mqtt)
// can say on whose behalf.
func withOperator(ctx context.Context, user, reason string) context.Context {
	return context.WithValue(ctx, operatorKey{}, operator{user, reason})
}

// Operator returns who asked for the write a driver is doing, and why: the
// WriteRequest's User and Reason, which Engine.Write puts into the context.
func Operator(ctx context.Context) (user, reason string) {
	op, _ := ctx.Value(operatorKey{}).(operator)
	return op.user, op.reason
}

// WriteResult is what a write did: the value before, what was asked, and
// what the device holds afterwards.
type WriteResult struct {
	Tag       datasource.TagID
	Old       datasource.Sample // the table's sample just before the write
	Requested datasource.Value
	ReadBack  datasource.Sample // the tag read again after the write; zero if not read
	Match     bool              // ReadBack is Good and equals Requested within rounding
}

// Write writes one tag and reads it back. The checks come in this order,
// each refusal a typed error whose message is meant for the operator:
// the tag exists and is writable (*NotWritableError), the value's kind fits
// the tag (*ValueError), the write limits (*LimitError), the integer type's
// range after inverse scaling (*RangeError), the device is connected
// (*DeviceError wrapping ErrDeviceNotConnected). The write and the
// read-back then run on the device's goroutine, between scans; the
// read-back sample is published to the table. A read-back that differs
// returns the result together with a *MismatchError. When ctx ends first,
// Write returns an *AbortedError that says whether the write had started.
func (e *Engine) Write(ctx context.Context, req WriteRequest) (WriteResult, error) {
	res := WriteResult{Tag: req.Tag, Requested: req.Value}
	if int(req.Tag) >= len(e.tags) {
		return res, &NotWritableError{ID: req.Tag}
	}
	tag := e.tags[req.Tag]
	if !tag.Writable || tag.System {
		return res, &NotWritableError{ID: req.Tag, Tag: tag}
	}
	res.Old = e.table.Get(tag.ID)
	if err := CheckValue(tag, req.Value); err != nil {
		return res, err
	}
	d := e.tagDev[tag.ID]
	if d.state() != Connected {
		return res, d.notConnected(tag)
	}
	ctx = withOperator(ctx, req.User, req.Reason)
	op := &writeOp{ctx: ctx, tag: tag, value: req.Value, user: req.User, old: res.Old, res: make(chan writeOutcome, 1)}
	select {
	case d.writes <- op:
	case <-d.done:
		return res, d.notConnected(tag)
	case <-ctx.Done():
		return res, &AbortedError{Device: d.def.Name, Tag: tag.Name, Err: ctx.Err()}
	}
	select {
	case out := <-op.res:
		return out.res, out.err
	case <-ctx.Done():
		return res, &AbortedError{Device: d.def.Name, Tag: tag.Name, Started: op.started.Load(), Err: ctx.Err()}
	}
}

// writeOp carries one write to the session goroutine.
type writeOp struct {
	ctx     context.Context
	tag     *datasource.Tag
	value   datasource.Value
	user    string
	old     datasource.Sample
	started atomic.Bool       // the session began the driver write
	res     chan writeOutcome // buffered 1: the session never blocks on it
}

type writeOutcome struct {
	res WriteResult
	err error
}

func (op *writeOp) reply(res WriteResult, err error) {
	res.Old = op.old
	op.res <- writeOutcome{res, err}
}

// replyFailed answers op, whose driver call (Prepare of the read-back
// plan, Write or the read-back Read) failed with err: device.write when
// the call returned the error, the device goroutine when the watchdog
// abandoned the call.
func (op *writeOp) replyFailed(dev, call string, err error) {
	res := WriteResult{Tag: op.tag.ID, Requested: op.value}
	switch {
	case call == "Prepare":
		op.reply(res, &DeviceError{Device: dev, Tag: op.tag.Name, Op: "prepare", Err: err})
	case call == "Read":
		op.reply(res, &DeviceError{Device: dev, Tag: op.tag.Name, Op: "read back", Err: err})
	case op.ctx.Err() != nil:
		op.reply(res, &AbortedError{Device: dev, Tag: op.tag.Name, Started: true, Err: op.ctx.Err()})
	default:
		op.reply(res, &DeviceError{Device: dev, Tag: op.tag.Name, Op: "write", Err: err})
	}
}

func (d *device) notConnected(t *datasource.Tag) error {
	return &DeviceError{Device: d.def.Name, Tag: t.Name, Op: "write", Err: ErrDeviceNotConnected}
}

// serve does op on the session goroutine, remembering it so that the
// device goroutine can answer it should a driver call hang. d.serving is
// cleared after write returns, not in a deferred call: a session goroutine
// whose call the watchdog abandoned runs its deferred calls on the way
// out, when d is no longer its own.
func (d *device) serve(ctx context.Context, op *writeOp) error {
	d.serving = op
	err := d.write(ctx, op)
	d.serving = nil
	return err
}

// write runs on the session goroutine: driver write, then read-back of the
// tag with a cached one-tag plan, published to the table. It returns an
// error only when the device itself failed and must reconnect.
func (d *device) write(ctx context.Context, op *writeOp) error {
	tag := op.tag
	res := WriteResult{Tag: tag.ID, Requested: op.value}
	if err := op.ctx.Err(); err != nil {
		op.reply(res, &AbortedError{Device: d.def.Name, Tag: tag.Name, Err: err})
		return nil
	}
	if err := d.badTags[tag.ID]; err != nil {
		op.reply(res, &DeviceError{Device: d.def.Name, Tag: tag.Name, Op: "prepare", Err: err})
		return nil
	}
	// The driver's context ends with the operator's request or the engine.
	wctx, cancel := context.WithCancel(op.ctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()

	plan, ok := d.rbPlans[tag.ID]
	if !ok {
		err := d.h.call(wctx, "Prepare", d.timeout, func(_ context.Context, drv Driver) (err error) {
			plan, err = drv.Prepare([]*datasource.Tag{tag})
			return err
		})
		if err != nil {
			op.replyFailed(d.def.Name, "Prepare", err)
			return d.deviceLevel(op, "prepare "+tag.Name, err)
		}
		d.rbPlans[tag.ID] = plan
	}

	op.started.Store(true)
	err := d.h.call(wctx, "Write", d.timeout, func(ctx context.Context, drv Driver) error {
		return drv.Write(ctx, tag, op.value)
	})
	d.count(err, 0, false)
	if err != nil {
		d.log.Warn("write failed", "tag", tag.Name, "value", op.value, "user", op.user, "err", err)
		op.replyFailed(d.def.Name, "Write", err)
		return d.deviceLevel(op, "write "+tag.Name, err)
	}

	start := d.e.clock.Now()
	var out []datasource.Sample
	err = d.h.call(wctx, "Read", d.timeout, func(ctx context.Context, drv Driver) (err error) {
		out, err = drv.Read(ctx, plan, nil)
		return err
	})
	d.count(err, d.e.clock.Since(start), true)
	if err == nil {
		i := slices.IndexFunc(out, func(s datasource.Sample) bool { return s.Tag == tag.ID })
		if i < 0 {
			err = errors.New("the driver returned no sample for the tag")
		} else {
			d.e.table.Engine().PublishAt(out, start)
			res.ReadBack = out[i]
			if res.ReadBack.Time.IsZero() {
				res.ReadBack.Time = start // as the table stored it
			}
		}
	}
	if err != nil {
		d.log.Warn("write done, read-back failed", "tag", tag.Name, "value", op.value, "user", op.user, "err", err)
		op.replyFailed(d.def.Name, "Read", err)
		// A failed Read is a device failure by the Driver contract, unless
		// the operator's own deadline cut it short.
		if op.ctx.Err() != nil && ctx.Err() == nil {
			return nil
		}
		return wrapDevice(d.def.Name, "read back "+tag.Name, err)
	}
	res.Match = res.ReadBack.Quality.IsGood() && ValuesMatch(tag, op.value, res.ReadBack.Value)
	d.log.Info("setpoint written", "tag", tag.Name, "old", op.old.Value, "value", op.value,
		"read_back", res.ReadBack.Value, "quality", res.ReadBack.Quality, "match", res.Match, "user", op.user)
	if !res.Match {
		op.reply(res, &MismatchError{Device: d.def.Name, Tag: tag, Requested: op.value, ReadBack: res.ReadBack})
		return nil
	}
	op.reply(res, nil)
	return nil
}

// deviceLevel returns a device failure for err when it means the link or
// the driver instance is gone (as opposed to the device refusing this one
// value), so that the device reconnects.
func (d *device) deviceLevel(op *writeOp, what string, err error) error {
	var pe *PanicError
	var he *HangError
	var ne net.Error
	switch {
	case errors.As(err, &pe), errors.As(err, &he), errors.Is(err, errBrokenHost), errors.Is(err, ErrNotConnected):
	case op.ctx.Err() != nil:
		return nil // the operator's deadline, not the device's fault
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
	default:
		return nil
	}
	return wrapDevice(d.def.Name, what, err)
}

// CheckValue reports whether v may be written to tag, without looking at
// the device: its kind, finiteness, the write limits and, for integer
// types, the range after inverse scaling. The error is one of *ValueError,
// *LimitError or *RangeError. The setpoint faceplate calls it to validate
// the entry before asking for confirmation.
func CheckValue(tag *datasource.Tag, v datasource.Value) error {
	switch {
	case tag.Type == datasource.TypeBool:
		if v.Kind() != datasource.KindBool {
			return &ValueError{Tag: tag, Value: v, Why: "needs true or false, not"}
		}
		return nil
	case tag.Type == datasource.TypeString:
		if v.Kind() != datasource.KindString {
			return &ValueError{Tag: tag, Value: v, Why: "needs text, not"}
		}
		return nil
	}
	switch v.Kind() {
	case datasource.KindInt, datasource.KindUint, datasource.KindFloat:
	default:
		return &ValueError{Tag: tag, Value: v, Why: "needs a number, not"}
	}
	f, _ := v.AsFloat()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return &ValueError{Tag: tag, Value: v, Why: "needs a finite number, not"}
	}
	if l := tag.WriteLimits; l != nil && !l.Contains(f) {
		return &LimitError{Tag: tag, Value: v, Limits: *l}
	}
	lo, hi, isInt := intRange(tag.Type)
	if !isInt {
		if tag.Type == datasource.TypeFloat32 && !tag.Scaling.IsIdentity() {
			if raw := tag.Scaling.ToRaw(f); math.Abs(raw) > math.MaxFloat32 {
				return &RangeError{Tag: tag, Value: v, Raw: raw, Min: -math.MaxFloat32, Max: math.MaxFloat32}
			}
		}
		return nil
	}
	if tag.Scaling.IsIdentity() {
		if v.Kind() == datasource.KindFloat && f != math.Trunc(f) {
			return &ValueError{Tag: tag, Value: v, Why: "needs a whole number, not"}
		}
		if fitsExactly(tag.Type, v) {
			return nil
		}
	}
	raw := math.Round(tag.Scaling.ToRaw(f))
	if raw < lo || raw > hi {
		return &RangeError{Tag: tag, Value: v, Raw: tag.Scaling.ToRaw(f), Min: lo, Max: hi}
	}
	return nil
}

// ParseText turns an operator's text into a value for tag, the way every
// text entry of the write path reads it: for a bool tag one of the tag's
// state names, true/false, on/off or 1/0; for a string tag the text
// itself; otherwise a number as ParseValue reads it. The refusal is a
// *ParseError. It does not check limits: CheckValue does.
func ParseText(tag *datasource.Tag, text string) (datasource.Value, error) {
	switch tag.Type {
	case datasource.TypeBool:
		s := strings.TrimSpace(text)
		for n, name := range tag.States {
			if strings.EqualFold(name, s) {
				return datasource.Bool(n != 0), nil
			}
		}
		switch strings.ToLower(s) {
		case "true", "on", "1":
			return datasource.Bool(true), nil
		case "false", "off", "0":
			return datasource.Bool(false), nil
		}
		return datasource.Value{}, &ParseError{Tag: tag, Text: text,
			Err: errors.New("not a state: use true/false, on/off, 1/0 or the tag's state names")}
	case datasource.TypeString:
		return datasource.String(text), nil
	}
	v, err := ParseValue(tag, text)
	if err != nil {
		return datasource.Value{}, &ParseError{Tag: tag, Text: text, Err: err}
	}
	return v, nil
}

// intRange returns the range of an integer data type.
func intRange(t datasource.DataType) (lo, hi float64, ok bool) {
	switch t {
	case datasource.TypeInt16:
		return math.MinInt16, math.MaxInt16, true
	case datasource.TypeUint16:
		return 0, math.MaxUint16, true
	case datasource.TypeInt32:
		return math.MinInt32, math.MaxInt32, true
	case datasource.TypeUint32:
		return 0, math.MaxUint32, true
	case datasource.TypeInt64:
		return math.MinInt64, math.MaxInt64, true
	case datasource.TypeUint64:
		return 0, math.MaxUint64, true
	}
	return 0, 0, false
}

// fitsExactly checks 64-bit integer values without the float rounding that
// makes math.MaxInt64 look like 2^63.
func fitsExactly(t datasource.DataType, v datasource.Value) bool {
	switch t {
	case datasource.TypeInt64:
		if v.Kind() == datasource.KindInt {
			return true
		}
		if v.Kind() == datasource.KindUint {
			_, ok := v.AsInt()
			return ok
		}
	case datasource.TypeUint64:
		if v.Kind() == datasource.KindUint {
			return true
		}
		if v.Kind() == datasource.KindInt {
			_, ok := v.AsUint()
			return ok
		}
	}
	return false
}

// ValuesMatch reports whether got, read back from the device, is the value
// want that was written to tag. Floats match within the rounding that
// float32 storage and the tag's scaling introduce: a relative 1e-6 for
// float32 (about 8 ulps), 1e-12 for float64, plus one raw count in
// engineering units for scaled integer tags. Strings compare without
// trailing NUL and space padding. polltest uses it too.
func ValuesMatch(tag *datasource.Tag, want, got datasource.Value) bool {
	switch tag.Type {
	case datasource.TypeBool:
		return got.Kind() != datasource.KindNone && got.Kind() != datasource.KindString && want.AsBool() == got.AsBool()
	case datasource.TypeString:
		trim := func(s string) string {
			for len(s) > 0 && (s[len(s)-1] == 0 || s[len(s)-1] == ' ') {
				s = s[:len(s)-1]
			}
			return s
		}
		return got.Kind() == datasource.KindString && trim(want.AsString()) == trim(got.AsString())
	}
	isInt := func(v datasource.Value) bool {
		return v.Kind() == datasource.KindInt || v.Kind() == datasource.KindUint
	}
	if isInt(want) && isInt(got) && tag.Scaling.IsIdentity() {
		wi, wok := want.AsInt()
		gi, gok := got.AsInt()
		if wok && gok {
			return wi == gi
		}
		wu, wok := want.AsUint()
		gu, gok := got.AsUint()
		return wok && gok && wu == gu
	}
	w, ok1 := want.AsFloat()
	g, ok2 := got.AsFloat()
	if !ok1 || !ok2 || got.Kind() == datasource.KindString {
		return false
	}
	if w == g {
		return true
	}
	if math.IsNaN(w) || math.IsNaN(g) {
		return false
	}
	var rel float64
	switch tag.Type {
	case datasource.TypeFloat32:
		rel = 1e-6
	case datasource.TypeFloat64:
		rel = 1e-12
	}
	tol := rel * math.Max(math.Abs(w), math.Abs(g))
	if s := tag.Scaling; !s.IsIdentity() {
		gain := math.Abs((s.EngHi - s.EngLo) / (s.RawHi - s.RawLo))
		if _, _, isIntType := intRange(tag.Type); isIntType {
			tol += gain // one raw count: drivers round or truncate
		} else {
			tol += rel * math.Abs(s.ToRaw(w)) * gain
		}
	}
	return math.Abs(w-g) <= tol
}
