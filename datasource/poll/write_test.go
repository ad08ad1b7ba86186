package poll

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestWriteRefusalsAreTypedAndReadable(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags()).start()
	h.waitState("plc", Connected)
	id := func(name string) datasource.TagID { return h.byName[name].ID }
	tests := []struct {
		name     string
		req      WriteRequest
		sentinel error
		as       any
		msg      string
	}{
		{"a tag that does not exist is refused", WriteRequest{Tag: 999, Value: datasource.Float(1)},
			ErrNotWritable, new(*NotWritableError), "tag #999 does not exist; nothing was written"},
		{"a read-only tag is refused", WriteRequest{Tag: id("Tank1.Level"), Value: datasource.Float(1)},
			ErrNotWritable, new(*NotWritableError), "Tank1.Level is read-only; nothing was written"},
		{"a system tag is refused", WriteRequest{Tag: id("_sys.plc.connected"), Value: datasource.Bool(true)},
			ErrNotWritable, new(*NotWritableError), "_sys.plc.connected is a system tag and cannot be written"},
		{"a number for a bool tag is refused", WriteRequest{Tag: id("Pump1.Run"), Value: datasource.Int(1)},
			ErrBadValue, new(*ValueError), "Pump1.Run: needs true or false, not 1; nothing was written"},
		{"text for a number tag is refused", WriteRequest{Tag: id("Tank1.LevelSP"), Value: datasource.String("50")},
			ErrBadValue, new(*ValueError), `Tank1.LevelSP: needs a number, not "50"; nothing was written`},
		{"a number for a string tag is refused", WriteRequest{Tag: id("Recipe.Name"), Value: datasource.Float(3)},
			ErrBadValue, new(*ValueError), "Recipe.Name: needs text, not 3; nothing was written"},
		{"NaN is refused", WriteRequest{Tag: id("Tank1.LevelSP"), Value: datasource.Float(math.NaN())},
			ErrBadValue, new(*ValueError), "Tank1.LevelSP: needs a finite number, not NaN; nothing was written"},
		{"infinity is refused", WriteRequest{Tag: id("Tank1.LevelSP"), Value: datasource.Float(math.Inf(1))},
			ErrBadValue, new(*ValueError), "Tank1.LevelSP: needs a finite number, not +Inf; nothing was written"},
		{"a value above the write limits is refused", WriteRequest{Tag: id("Tank1.LevelSP"), Value: datasource.Float(120)},
			ErrOutsideLimits, new(*LimitError), "Tank1.LevelSP: 120 % is outside the write limits 0 .. 100 %"},
		{"zero, the lower write limit, is accepted", WriteRequest{Tag: id("Tank1.LevelSP"), Value: datasource.Int(0)},
			nil, nil, ""},
		{"a fraction for an unscaled integer tag is refused", WriteRequest{Tag: id("Pump1.Speed"), Value: datasource.Float(2.5)},
			ErrBadValue, new(*ValueError), "Pump1.Speed: needs a whole number, not 2.5; nothing was written"},
		{"a value beyond int16 is refused", WriteRequest{Tag: id("Pump1.Speed"), Value: datasource.Int(40000)},
			ErrOutOfRange, new(*RangeError), "Pump1.Speed: 40000 rpm does not fit the tag's type int16 (-32768 .. 32767); nothing was written"},
		{"a scaled value beyond int16 after inverse scaling is refused", WriteRequest{Tag: id("Valve1.Raw"), Value: datasource.Float(120)},
			ErrOutOfRange, new(*RangeError), "Valve1.Raw: 120 % is 33177.6 on the device, which does not fit the tag's type int16 (-32768 .. 32767); nothing was written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.eng.Write(t.Context(), tt.req)
			if tt.sentinel == nil {
				if err != nil {
					t.Fatalf("Write: %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("Write: %v, want errors.Is %v", err, tt.sentinel)
			}
			if !errors.As(err, tt.as) {
				t.Fatalf("Write: %T, want %T", err, tt.as)
			}
			if err.Error() != tt.msg {
				t.Fatalf("message\n got %q\nwant %q", err.Error(), tt.msg)
			}
		})
	}
	for _, ev := range drainEvents(h) {
		if ev.op == "Write" && ev.n != 0 {
			t.Errorf("unexpected write event %+v", ev)
		}
	}
}

func TestALimitErrorCarriesTheLimits(t *testing.T) {
	tag := plantTags()[1]
	err := CheckValue(tag, datasource.Float(-3))
	var le *LimitError
	if !errors.As(err, &le) || le.Limits != (datasource.Range{Min: 0, Max: 100}) || le.Tag != tag || le.Value != datasource.Float(-3) {
		t.Fatalf("CheckValue(-3) = %#v", err)
	}
	if got, want := err.Error(), "Tank1.LevelSP: -3 % is outside the write limits 0 .. 100 %"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestAWriteIsReadBackAndPublished(t *testing.T) {
	tests := []struct {
		name  string
		tag   string
		value datasource.Value
		back  datasource.Value
	}{
		{"a float32 setpoint reads back within float32 rounding", "Tank1.LevelSP", datasource.Float(42.1), datasource.Float(float64(float32(42.1)))},
		{"a bool reads back", "Pump1.Run", datasource.Bool(true), datasource.Bool(true)},
		{"an integer reads back exactly", "Pump1.Speed", datasource.Int(1450), datasource.Int(1450)},
		{"a scaled integer reads back within one raw count", "Valve1.Raw", datasource.Float(33.3), datasource.Float(33.3)},
		{"a string reads back", "Recipe.Name", datasource.String("IPA-7"), datasource.String("IPA-7")},
	}
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags()).start()
	h.waitState("plc", Connected)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tag := h.byName[tt.tag]
			old := h.table.Get(tag.ID)
			res, err := h.eng.Write(t.Context(), WriteRequest{Tag: tag.ID, Value: tt.value, User: "op1"})
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if !res.Match || res.Tag != tag.ID || res.Requested != tt.value || res.Old != old {
				t.Errorf("result %+v, want a match with the old sample %+v", res, old)
			}
			if !res.ReadBack.Quality.IsGood() || !ValuesMatch(tag, tt.back, res.ReadBack.Value) {
				t.Errorf("read back %+v, want %v", res.ReadBack, tt.back)
			}
			if cur := h.table.Get(tag.ID); cur.Value != res.ReadBack.Value {
				t.Errorf("table holds %v, want the read-back %v", cur.Value, res.ReadBack.Value)
			}
		})
	}
}

func TestAReadBackThatDiffersIsAMismatch(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.skew = 0.5 })
	h.start()
	h.waitState("plc", Connected)
	tag := h.byName["Tank1.LevelSP"]
	res, err := h.eng.Write(t.Context(), WriteRequest{Tag: tag.ID, Value: datasource.Float(50)})
	var me *MismatchError
	if !errors.As(err, &me) || !errors.Is(err, ErrMismatch) {
		t.Fatalf("Write: %v, want a *MismatchError", err)
	}
	if res.Match || res.ReadBack.Value != datasource.Float(50.5) {
		t.Errorf("result %+v, want no match and read-back 50.5", res)
	}
	if want := "Tank1.LevelSP: wrote 50 % to device plc, but it reads back 50.5 %"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}

func TestWritingToADisconnectedDeviceIsRefused(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.down = true })
	h.start()
	h.waitState("plc", Backoff)
	tag := h.byName["Tank1.LevelSP"]
	_, err := h.eng.Write(t.Context(), WriteRequest{Tag: tag.ID, Value: datasource.Float(50)})
	var de *DeviceError
	if !errors.Is(err, ErrDeviceNotConnected) || !errors.As(err, &de) || de.Device != "plc" {
		t.Fatalf("Write: %v, want a *DeviceError with ErrDeviceNotConnected", err)
	}
	if want := "Tank1.LevelSP: device plc is not connected; nothing was written"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}

func TestAWriteHonoursItsContext(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags()).start()
	h.waitState("plc", Connected)
	tag := h.byName["Tank1.LevelSP"]

	t.Run("an expired context writes nothing", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), -time.Second)
		defer cancel()
		_, err := h.eng.Write(ctx, WriteRequest{Tag: tag.ID, Value: datasource.Float(10)})
		var ae *AbortedError
		if !errors.As(err, &ae) || ae.Started || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Write: %v, want an *AbortedError before the write started", err)
		}
	})

	t.Run("a context that ends during the write says the outcome is unknown", func(t *testing.T) {
		h.peer.set(func(p *fakePeer) { p.blockOn = "Write" })
		defer h.peer.set(func(p *fakePeer) { p.blockOn = "" })
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			h.next("Write-block")
			cancel()
		}()
		_, err := h.eng.Write(ctx, WriteRequest{Tag: tag.ID, Value: datasource.Float(10)})
		var ae *AbortedError
		if !errors.As(err, &ae) || !ae.Started || !errors.Is(err, context.Canceled) {
			t.Fatalf("Write: %v, want an *AbortedError after the write started", err)
		}
		if want := "Tank1.LevelSP: no answer from device plc in time (context canceled); the value may have been written, check it"; err.Error() != want {
			t.Errorf("message %q, want %q", err.Error(), want)
		}
	})
	h.peer.set(func(p *fakePeer) { p.blockOn = "" })
	// The device stays connected: the operator's deadline is not a device failure.
	if st := h.state("plc"); st.State != Connected {
		t.Errorf("state %v after an aborted write, want Connected", st.State)
	}
}

func TestAWriteThatPanicsTheDriverReconnectsTheDevice(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags()).start()
	h.waitState("plc", Connected)
	h.peer.set(func(p *fakePeer) { p.panicOn = "Write" })
	tag := h.byName["Tank1.LevelSP"]
	_, err := h.eng.Write(t.Context(), WriteRequest{Tag: tag.ID, Value: datasource.Float(10)})
	var pe *PanicError
	var de *DeviceError
	if !errors.As(err, &de) || !errors.As(err, &pe) {
		t.Fatalf("Write: %v, want a *DeviceError wrapping a *PanicError", err)
	}
	h.waitState("plc", Backoff)
	h.retry("plc")
	h.waitState("plc", Connected)
	if _, err := h.eng.Write(t.Context(), WriteRequest{Tag: tag.ID, Value: datasource.Float(10)}); err != nil {
		t.Fatalf("Write with the new driver instance: %v", err)
	}
}

func TestValuesMatch(t *testing.T) {
	f32 := &datasource.Tag{Type: datasource.TypeFloat32}
	f64 := &datasource.Tag{Type: datasource.TypeFloat64}
	i16 := &datasource.Tag{Type: datasource.TypeInt16}
	scaled := &datasource.Tag{Type: datasource.TypeInt16, Scaling: datasource.Scaling{RawHi: 27648, EngHi: 100}}
	u64 := &datasource.Tag{Type: datasource.TypeUint64}
	str := &datasource.Tag{Type: datasource.TypeString}
	boo := &datasource.Tag{Type: datasource.TypeBool}
	tests := []struct {
		name      string
		tag       *datasource.Tag
		want, got datasource.Value
		match     bool
	}{
		{"float32 0.1 matches its float32 rounding", f32, datasource.Float(0.1), datasource.Float(float64(float32(0.1))), true},
		{"float32 1e6 matches its float32 rounding", f32, datasource.Float(1e6 + 0.03), datasource.Float(float64(float32(1e6 + 0.03))), true},
		{"float32 differs by 1e-3 is a mismatch", f32, datasource.Float(50), datasource.Float(50.001), false},
		{"float64 needs near equality", f64, datasource.Float(0.1), datasource.Float(float64(float32(0.1))), false},
		{"an int16 matches itself", i16, datasource.Int(7), datasource.Int(7), true},
		{"an int16 off by one is a mismatch", i16, datasource.Int(7), datasource.Int(8), false},
		{"an int16 read as float matches", i16, datasource.Int(7), datasource.Float(7), true},
		{"a scaled int16 matches within one raw count", scaled, datasource.Float(33.3), datasource.Float(33.3 - 100.0/27648), true},
		{"a scaled int16 off by two counts is a mismatch", scaled, datasource.Float(33.3), datasource.Float(33.3 - 2.5*100.0/27648), false},
		{"uint64 max matches exactly", u64, datasource.Uint(math.MaxUint64), datasource.Uint(math.MaxUint64), true},
		{"uint64 max minus one is a mismatch", u64, datasource.Uint(math.MaxUint64), datasource.Uint(math.MaxUint64 - 1), false},
		{"a string matches without NUL padding", str, datasource.String("AB"), datasource.String("AB\x00\x00"), true},
		{"a different string is a mismatch", str, datasource.String("AB"), datasource.String("AC"), false},
		{"a bool matches", boo, datasource.Bool(true), datasource.Bool(true), true},
		{"a bool read as 1 matches", boo, datasource.Bool(true), datasource.Uint(1), true},
		{"no value never matches", f32, datasource.Float(1), datasource.Value{}, false},
		{"NaN never matches", f32, datasource.Float(1), datasource.Float(math.NaN()), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValuesMatch(tt.tag, tt.want, tt.got); got != tt.match {
				t.Errorf("ValuesMatch(%v, %v) = %v, want %v", tt.want, tt.got, got, tt.match)
			}
		})
	}
}

func TestCheckValueAcceptsTheEdgesOfTheRange(t *testing.T) {
	tests := []struct {
		name string
		tag  *datasource.Tag
		v    datasource.Value
	}{
		{"int16 minimum", &datasource.Tag{Name: "a", Type: datasource.TypeInt16}, datasource.Int(math.MinInt16)},
		{"uint16 maximum", &datasource.Tag{Name: "b", Type: datasource.TypeUint16}, datasource.Uint(math.MaxUint16)},
		{"int64 maximum", &datasource.Tag{Name: "c", Type: datasource.TypeInt64}, datasource.Int(math.MaxInt64)},
		{"uint64 maximum", &datasource.Tag{Name: "d", Type: datasource.TypeUint64}, datasource.Uint(math.MaxUint64)},
		{"limits are inclusive", &datasource.Tag{Name: "e", Type: datasource.TypeFloat32, WriteLimits: &datasource.Range{Min: 0, Max: 100}}, datasource.Float(100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckValue(tt.tag, tt.v); err != nil {
				t.Fatalf("CheckValue(%v): %v", tt.v, err)
			}
		})
	}
	if err := CheckValue(&datasource.Tag{Name: "f", Type: datasource.TypeUint64}, datasource.Int(-1)); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("uint64 -1: %v, want ErrOutOfRange", err)
	}
}

func drainEvents(h *harness) []event {
	var out []event
	for {
		select {
		case ev := <-h.peer.events:
			out = append(out, ev)
		default:
			return out
		}
	}
}

func TestADeviceThatRefusesAWriteStaysConnected(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.writeErr = errors.New("exception 3: illegal data value") })
	h.start()
	h.waitState("plc", Connected)
	tag := h.byName["Tank1.LevelSP"]
	_, err := h.eng.Write(t.Context(), WriteRequest{Tag: tag.ID, Value: datasource.Float(10)})
	var de *DeviceError
	if !errors.As(err, &de) || de.Op != "write" {
		t.Fatalf("Write: %v, want a *DeviceError", err)
	}
	if want := "Tank1.LevelSP: device plc did not accept the write: exception 3: illegal data value"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if st := h.state("plc"); st.State != Connected || st.Errors != 1 {
		t.Errorf("status %+v, want Connected with 1 error", st)
	}
}

func TestAFailedReadBackSaysTheValueWasWrittenAndReconnects(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.breakOnWrite = true })
	h.start()
	h.waitState("plc", Connected)
	tag := h.byName["Tank1.LevelSP"]
	res, err := h.eng.Write(t.Context(), WriteRequest{Tag: tag.ID, Value: datasource.Float(10)})
	var de *DeviceError
	if !errors.As(err, &de) || de.Op != "read back" || res.Match {
		t.Fatalf("Write: %v (%+v), want a read-back *DeviceError", err, res)
	}
	if want := "Tank1.LevelSP: written to device plc, but reading it back failed: connection reset by peer"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	h.waitState("plc", Backoff)
	if q := h.get("Tank1.LevelSP").Quality; q != datasource.BadQuality(datasource.CommFailure) {
		t.Errorf("quality %v, want Bad/CommFailure", q)
	}
}

func TestAReadBackWithBadQualityIsAMismatch(t *testing.T) {
	tag := &datasource.Tag{Name: "SP", Type: datasource.TypeFloat32, Units: "bar"}
	err := &MismatchError{Device: "plc", Tag: tag, Requested: datasource.Float(2.5),
		ReadBack: datasource.Sample{Quality: datasource.BadQuality(datasource.DeviceFailure)}}
	if want := "SP: wrote 2.5 bar to device plc, but the read-back is Bad/DeviceFailure"; err.Error() != want {
		t.Errorf("got %q, want %q", err.Error(), want)
	}
}

func TestAWriteThatHangsIsAnsweredAndTheDeviceReconnects(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags()).start()
	h.waitState("plc", Connected)
	h.peer.set(func(p *fakePeer) { p.hangOn = "Write" })
	tag := h.byName["Tank1.LevelSP"]
	errc := make(chan error, 1)
	go func() {
		_, err := h.eng.Write(context.Background(), WriteRequest{Tag: tag.ID, Value: datasource.Float(10)})
		errc <- err
	}()
	h.next("Write-hang")
	h.peer.set(func(p *fakePeer) { p.hangOn = "" })
	var err error
	h.advanceUntil("the write answered", received(errc, &err))
	var de *DeviceError
	var he *HangError
	if !errors.As(err, &de) || de.Op != "write" || !errors.As(err, &he) {
		t.Fatalf("Write: %v, want a *DeviceError of the write wrapping a *HangError", err)
	}
	st := h.waitState("plc", Backoff)
	if !strings.Contains(st.LastError, "did not return from Write") {
		t.Errorf("LastError %q", st.LastError)
	}
	if q := h.get("Tank1.Level").Quality; q != datasource.BadQuality(datasource.CommFailure) {
		t.Errorf("quality %v, want Bad/CommFailure", q)
	}
	h.retry("plc")
	h.waitState("plc", Connected)
	if _, err := h.eng.Write(t.Context(), WriteRequest{Tag: tag.ID, Value: datasource.Float(10)}); err != nil {
		t.Fatalf("Write with the new driver instance: %v", err)
	}
	h.releaseHung(1)
}

func TestParseTextReadsWhatAnOperatorTypes(t *testing.T) {
	motor := &datasource.Tag{Name: "Pump1.Run", Type: datasource.TypeBool, States: map[int64]string{0: "STOPPED", 1: "RUNNING"}}
	sp := &datasource.Tag{Name: "Tank1.LevelSP", Type: datasource.TypeFloat32}
	count := &datasource.Tag{Name: "Batch.Count", Type: datasource.TypeUint32}
	label := &datasource.Tag{Name: "Batch.Label", Type: datasource.TypeString}
	for _, tt := range []struct {
		name string
		tag  *datasource.Tag
		text string
		want datasource.Value // none: refused
	}{
		{"a state name in any case is the bool", motor, "running", datasource.Bool(true)},
		{"on is true", motor, "ON", datasource.Bool(true)},
		{"0 is false", motor, "0", datasource.Bool(false)},
		{"2 is not a state", motor, "2", datasource.Value{}},
		{"a plain number", sp, " 42.5 ", datasource.Float(42.5)},
		{"an unsigned count stays exact", count, "4294967295", datasource.Uint(4294967295)},
		{"text for a number is refused", sp, "4O", datasource.Value{}},
		{"NaN is refused", sp, "NaN", datasource.Value{}},
		{"a string tag takes the text", label, "lot 7", datasource.String("lot 7")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseText(tt.tag, tt.text)
			if tt.want.IsNone() {
				var pe *ParseError
				if !errors.As(err, &pe) || !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), tt.tag.Name) {
					t.Fatalf("got %v, %v; want a *ParseError naming the tag", v, err)
				}
				return
			}
			if err != nil || v != tt.want {
				t.Fatalf("got %v, %v; want %v", v, err, tt.want)
			}
		})
	}
}
