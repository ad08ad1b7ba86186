package modbus

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus/modbustest"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func device(url string) *datasource.Device {
	return &datasource.Device{
		Name: "plc", Driver: "modbus", Address: url, Timeout: time.Second,
		Settings: Settings{Unit: 1, MaxGap: 16},
		Pos:      datasource.Pos{File: "plant.yaml", Line: 3},
	}
}

func tag(id int, name, addr string, typ datasource.DataType) *datasource.Tag {
	return &datasource.Tag{
		ID: datasource.TagID(id), Name: name, Device: "plc", Address: addr, Type: typ,
		Pos: datasource.Pos{File: "plant.yaml", Line: 10 + 5*id}, AddressLine: int32(12 + 5*id),
	}
}

// connect makes and connects a driver, closing it when the test ends.
// connectFrom makes dev's driver with factory and connects it.
func connectFrom(t testing.TB, factory poll.Factory, dev *datasource.Device) *Driver {
	t.Helper()
	drv, err := factory(dev)
	if err != nil {
		t.Fatal(err)
	}
	d := drv.(*Driver)
	if err := d.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func connect(t testing.TB, dev *datasource.Device, opts ...Option) *Driver {
	t.Helper()
	d, err := New(dev, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func read(t *testing.T, d *Driver, plan poll.Plan) []datasource.Sample {
	t.Helper()
	s, err := d.Read(context.Background(), plan, nil)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return s
}

func prepare(t *testing.T, d *Driver, tags ...*datasource.Tag) poll.Plan {
	t.Helper()
	p, err := d.Prepare(tags)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return p
}

func TestReadEveryTypeFromAServer(t *testing.T) {
	srv := modbustest.New(t)
	pi := math.Float32bits(float32(math.Pi))
	srv.SetHolding(1, 0, uint16(pi>>16), uint16(pi), 0xFFFE, 0x0008, 'O'<<8|'K', 0)
	srv.SetHolding(1, 100, uint16(pi), uint16(pi>>16)) // CDAB
	srv.SetInput(1, 5, 13824)
	srv.SetCoils(1, 3, true)
	srv.SetDiscretes(1, 7, true)
	scaled := tag(5, "Scaled", "30006", datasource.TypeUint16)
	scaled.Scaling = datasource.Scaling{RawHi: 27648, EngHi: 100}
	cdab := tag(1, "Swapped", "hr:100", datasource.TypeFloat32)
	cdab.WordOrder = datasource.CDAB
	str := tag(4, "Text", "40005", datasource.TypeString)
	str.Length = 2
	tags := []*datasource.Tag{
		tag(0, "Pi", "40001", datasource.TypeFloat32), cdab,
		tag(2, "Minus2", "hr:2", datasource.TypeInt16),
		tag(3, "Bit3", "40004.3", datasource.TypeBool), str, scaled,
		tag(6, "Coil", "00004", datasource.TypeBool),
		tag(7, "Input", "di:7", datasource.TypeBool),
		tag(8, "Bit2", "hr:3.2", datasource.TypeBool),
	}
	want := []datasource.Value{
		datasource.Float(float64(float32(math.Pi))), datasource.Float(float64(float32(math.Pi))),
		datasource.Int(-2), datasource.Bool(true), datasource.String("OK"), datasource.Float(50),
		datasource.Bool(true), datasource.Bool(true), datasource.Bool(false),
	}
	d := connect(t, device(srv.URL()))
	got := read(t, d, prepare(t, d, tags...))
	if len(got) != len(tags) {
		t.Fatalf("%d samples for %d tags", len(got), len(tags))
	}
	for i, s := range got {
		if s.Tag != tags[i].ID || !s.Quality.IsGood() || s.Value != want[i] {
			t.Errorf("%s: got %v %v (tag %d), want %v Good", tags[i].Name, s.Value, s.Quality, s.Tag, want[i])
		}
	}
	// Holding 0..5 and 100..101 are 2 requests (gap 94 > 16), plus input, coil, discrete.
	if n := len(srv.Requests()); n != 5 {
		t.Fatalf("the server saw %d requests, want 5: %+v", n, srv.Requests())
	}
}

func TestReadAppendsToDst(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 7)
	d := connect(t, device(srv.URL()))
	plan := prepare(t, d, tag(3, "A", "40001", datasource.TypeUint16))
	dst := []datasource.Sample{{Tag: 99}}
	dst, err := d.Read(context.Background(), plan, dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(dst) != 2 || dst[0].Tag != 99 || dst[1].Value != datasource.Uint(7) {
		t.Fatalf("Read appended wrongly: %+v", dst)
	}
}

func TestAnExceptionSplitsTheBlockAndTheSplitIsRemembered(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 1)
	srv.SetHolding(1, 10, 2)
	srv.SetHolding(1, 20, 3)
	srv.SetException(modbustest.HoldingRegisters, 3, 5, 2)  // unmapped 3..7: the gap crosses it
	srv.SetException(modbustest.HoldingRegisters, 20, 1, 2) // a tag on a truly bad address
	srv.SetException(modbustest.HoldingRegisters, 30, 1, 4) // a tag the device fails on
	tags := []*datasource.Tag{
		tag(0, "A", "hr:0", datasource.TypeUint16), tag(1, "B", "hr:10", datasource.TypeUint16),
		tag(2, "Bad", "hr:20", datasource.TypeUint16), tag(3, "Failing", "hr:30", datasource.TypeUint16),
	}
	d := connect(t, device(srv.URL()))
	plan := prepare(t, d, tags...)
	if n := len(plan.(*Plan).Requests()); n != 1 {
		t.Fatalf("plan has %d requests, want 1 (gaps of 9 read through)", n)
	}
	for cycle := 0; cycle < 2; cycle++ {
		srv.ResetRequests()
		got := read(t, d, plan)
		want := []struct {
			v datasource.Value
			q datasource.Quality
		}{
			{datasource.Uint(1), datasource.QualityGood}, {datasource.Uint(2), datasource.QualityGood},
			{datasource.Value{}, datasource.BadQuality(datasource.ConfigError)},
			{datasource.Value{}, datasource.BadQuality(datasource.DeviceFailure)},
		}
		for i, w := range want {
			if got[i].Value != w.v || got[i].Quality != w.q {
				t.Errorf("cycle %d: %s = %v %v, want %v %v", cycle, tags[i].Name, got[i].Value, got[i].Quality, w.v, w.q)
			}
		}
		failed := 0
		for _, r := range srv.Requests() {
			if r.Addr == 0 && r.Quantity > 1 {
				failed++
			}
		}
		if cycle == 1 && (failed != 0 || len(srv.Requests()) != 4) {
			t.Fatalf("cycle 2 repeated the failed block or did not read the pieces once each: %+v", srv.Requests())
		}
	}
}

func TestBusyIsRetried(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 42)
	d := connect(t, device(srv.URL()), WithBusyRetry(3, time.Millisecond))
	plan := prepare(t, d, tag(0, "A", "40001", datasource.TypeUint16))
	srv.SetBusy(2)
	if got := read(t, d, plan); got[0].Value != datasource.Uint(42) || !got[0].Quality.IsGood() {
		t.Fatalf("after 2 busy answers: %v %v, want 42 Good", got[0].Value, got[0].Quality)
	}
	srv.SetBusy(10)
	if got := read(t, d, plan); got[0].Quality != datasource.BadQuality(datasource.DeviceFailure) {
		t.Fatalf("still busy after 3 retries: %v, want Bad/DeviceFailure", got[0].Quality)
	}
}

func TestBusyWaitsOnTheInjectedClock(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 42)
	clock := clockwork.NewFakeClock()
	d := connect(t, device(srv.URL()), WithClock(clock), WithBusyRetry(1, time.Hour))
	plan := prepare(t, d, tag(0, "A", "40001", datasource.TypeUint16))
	srv.SetBusy(1)
	done := make(chan []datasource.Sample)
	go func() {
		got, _ := d.Read(context.Background(), plan, nil)
		done <- got
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal("Read did not wait on the clock after a busy answer")
	}
	clock.Advance(time.Hour)
	if got := <-done; got[0].Value != datasource.Uint(42) {
		t.Fatalf("after the wait read %v, want 42", got[0].Value)
	}
}

func TestATimeoutClosesTheConnectionAndReconnectingResyncs(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 1, 2)
	dev := device(srv.URL())
	dev.Timeout = 50 * time.Millisecond
	d := connect(t, dev)
	plan := prepare(t, d, tag(0, "A", "40001", datasource.TypeUint16))
	srv.SetDelay(200 * time.Millisecond)
	if _, err := d.Read(context.Background(), plan, nil); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("Read of a slow device = %v, want a timeout error", err)
	}
	if _, err := d.Read(context.Background(), plan, nil); !errors.Is(err, poll.ErrNotConnected) {
		t.Fatalf("Read after a timeout = %v, want ErrNotConnected until the engine reconnects", err)
	}
	srv.SetDelay(0)
	if err := d.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	plan2 := prepare(t, d, tag(1, "B", "40002", datasource.TypeUint16))
	if got := read(t, d, plan2); got[0].Value != datasource.Uint(2) {
		t.Fatalf("after reconnect read %v, want 2 (a late reply must not answer the next request)", got[0].Value)
	}
}

func TestAStoppedDeviceFailsReadAndConnectUntilItStarts(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 5)
	d := connect(t, device(srv.URL()))
	plan := prepare(t, d, tag(0, "A", "40001", datasource.TypeUint16))
	srv.Stop()
	if _, err := d.Read(context.Background(), plan, nil); err == nil {
		t.Fatal("Read of a stopped device succeeded")
	}
	d.Close()
	if err := d.Connect(context.Background()); err == nil {
		t.Fatal("Connect to a stopped device succeeded")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := d.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := read(t, d, plan); got[0].Value != datasource.Uint(5) {
		t.Fatalf("after restart read %v, want 5", got[0].Value)
	}
}

func TestUnitsBehindOneGatewayShareOneConnection(t *testing.T) {
	srv := modbustest.New(t)
	srv.AddUnit(2)
	srv.SetHolding(1, 0, 11)
	srv.SetHolding(2, 0, 22)
	dev2 := device(srv.URL())
	dev2.Name = "plc2"
	modify(dev2, func(s *Settings) { s.Unit = 2 })
	factory := NewFactory() // one engine's
	d1 := connectFrom(t, factory, device(srv.URL()))
	d2 := connectFrom(t, factory, dev2)
	if d1.link != d2.link {
		t.Fatal("two units at one address got two connections")
	}
	if other := connectFrom(t, NewFactory(), device(srv.URL())); other.link == d1.link {
		t.Fatal("a driver of another factory (another engine) took this engine's connection")
	}
	if own := connect(t, device(srv.URL())); own.link == d1.link {
		t.Fatal("a driver made by New took the engine's connection")
	}
	p1 := prepare(t, d1, tag(0, "A", "40001", datasource.TypeUint16))
	p2 := prepare(t, d2, tag(1, "B", "40001", datasource.TypeUint16))
	if got := read(t, d1, p1); got[0].Value != datasource.Uint(11) {
		t.Fatalf("unit 1 read %v, want 11", got[0].Value)
	}
	if got := read(t, d2, p2); got[0].Value != datasource.Uint(22) {
		t.Fatalf("unit 2 read %v, want 22", got[0].Value)
	}
	// Both engines' goroutines at once: requests are serialized on the link.
	errs := make(chan error, 2)
	for _, c := range []struct {
		d    *Driver
		p    poll.Plan
		want uint64
	}{{d1, p1, 11}, {d2, p2, 22}} {
		go func() {
			for i := 0; i < 200; i++ {
				got, err := c.d.Read(context.Background(), c.p, nil)
				if err == nil && got[0].Value != datasource.Uint(c.want) {
					err = errors.New("unit read another unit's value: " + got[0].Value.String())
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	d1.Close()
	if got := read(t, d2, p2); got[0].Value != datasource.Uint(22) {
		t.Fatalf("unit 2 after unit 1 closed read %v, want 22", got[0].Value)
	}
	d2.Close()
	pool := d1.pool
	pool.mu.Lock()
	n := len(pool.links)
	pool.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d links left open after both devices closed", n)
	}
}

func TestAUnitTheGatewayCannotReachIsADeviceError(t *testing.T) {
	srv := modbustest.New(t)
	dev := device(srv.URL())
	modify(dev, func(s *Settings) { s.Unit = 9 })
	d := connect(t, dev)
	_, err := d.Read(context.Background(), prepare(t, d, tag(0, "A", "40001", datasource.TypeUint16)), nil)
	var exc *ExceptionError
	if !errors.As(err, &exc) || exc.Code != ExceptionGatewayTarget {
		t.Fatalf("Read of an unreachable unit = %v, want exception 0B", err)
	}
}

func TestPrepareRefusesBadTagsWithFileAndLine(t *testing.T) {
	srv := modbustest.New(t)
	d := connect(t, device(srv.URL()))
	str0 := tag(1, "Str0", "40010", datasource.TypeString)
	long := tag(2, "Long", "40020", datasource.TypeString)
	long.Length = 126
	order := tag(3, "Order", "40030", datasource.TypeFloat32)
	order.WordOrder = 9
	floatCoil := tag(4, "FloatCoil", "00001", datasource.TypeFloat32)
	tail := tag(5, "Tail", "hr:65535", datasource.TypeFloat32)
	good := tag(6, "Good", "40001", datasource.TypeUint16)
	plan, err := d.Prepare([]*datasource.Tag{tag(0, "Typo", "4OO01", datasource.TypeUint16), str0, long, order, floatCoil, tail, good})
	for _, want := range []string{
		"plant.yaml:12: tag Typo: address: invalid Modbus address \"4OO01\"",
		"plant.yaml:15: tag Str0: length: a string needs length > 0",
		"plant.yaml:20: tag Long: length: string of 126 registers is longer than one read",
		"plant.yaml:25: tag Order: word_order: unknown word order",
		"plant.yaml:30: tag FloatCoil: type: a coil (00001) holds one bit",
		"plant.yaml:37: tag Tail: address: float32 at hr:65535 runs past register 65535",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Prepare error lacks %q:\n%v", want, err)
		}
	}
	var te *datasource.TagError
	if !errors.As(err, &te) || te.Field != "address" {
		t.Fatalf("Prepare error is not a *datasource.TagError for the address: %v", err)
	}
	got := read(t, d, plan)
	for i, s := range got[:6] {
		if s.Quality != datasource.BadQuality(datasource.ConfigError) {
			t.Errorf("refused tag %d reads %v, want Bad/ConfigError", i, s.Quality)
		}
	}
	if !got[6].Quality.IsGood() {
		t.Errorf("the good tag reads %v, want Good", got[6].Quality)
	}
}

func TestNewRefusesBadDevices(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		edit       func(*datasource.Device)
	}{
		{"an unknown scheme", `address: "udp://x:1": unknown scheme`, func(d *datasource.Device) { d.Address = "udp://x:1" }},
		{"a gateway without port", `address: "rtuovertcp://gw": a serial gateway needs a port`, func(d *datasource.Device) { d.Address = "rtuovertcp://gw" }},
		{"unit 248", "modbus.unit: 248", func(d *datasource.Device) { modify(d, func(s *Settings) { s.Unit = 248 }) }},
		{"126 registers per read", "modbus.max_registers: 126 not in 1..125", func(d *datasource.Device) { modify(d, func(s *Settings) { s.MaxRegisters = 126 }) }},
		{"2001 bits per read", "modbus.max_bits: 2001", func(d *datasource.Device) { modify(d, func(s *Settings) { s.MaxBits = 2001 }) }},
		{"a gap of -2", "modbus.max_gap: -2", func(d *datasource.Device) { modify(d, func(s *Settings) { s.MaxGap = -2 }) }},
		{"an unknown word order", "modbus.word_order", func(d *datasource.Device) { modify(d, func(s *Settings) { s.WordOrder = 7 }) }},
		{"parity X", `modbus.parity: "X"`, func(d *datasource.Device) {
			d.Address = "rtu:///dev/ttyUSB0"
			modify(d, func(s *Settings) { s.Parity = "X" })
		}},
		{"3 stop bits", "modbus.stop_bits: 3", func(d *datasource.Device) {
			d.Address = "rtu:///dev/ttyUSB0"
			modify(d, func(s *Settings) { s.StopBits = 3 })
		}},
		{"another driver", `driver: "opcua" is not modbus`, func(d *datasource.Device) { d.Driver = "opcua" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := device("tcp://127.0.0.1:502")
			tc.edit(dev)
			_, err := New(dev)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("New = %v, want %s...", err, tc.want)
			}
		})
	}
	for _, ok := range []string{"tcp://127.0.0.1", "rtu:///dev/ttyUSB0", "rtu://COM3", "rtuovertcp://10.0.0.5:4001"} {
		if _, err := New(device(ok)); err != nil {
			t.Errorf("New(%s) = %v", ok, err)
		}
	}
}

func TestWrite(t *testing.T) {
	srv := modbustest.New(t)
	d := connect(t, device(srv.URL()))
	scaled := tag(3, "Scaled", "40010", datasource.TypeUint16)
	scaled.Scaling = datasource.Scaling{RawHi: 27648, EngHi: 100}
	cdab := tag(4, "F", "40020", datasource.TypeFloat32)
	cdab.WordOrder = datasource.CDAB
	for _, tc := range []struct {
		name string
		tag  *datasource.Tag
		v    datasource.Value
		regs []uint16
	}{
		{"an int16 goes out with FC6 as two's complement", tag(0, "I", "40001", datasource.TypeInt16), datasource.Int(-2), []uint16{0xFFFE}},
		{"a uint32 goes out with FC16 high word first", tag(1, "U", "40002", datasource.TypeUint32), datasource.Uint(0x12345678), []uint16{0x1234, 0x5678}},
		{"a scaled value is written raw: 50 % is 13824", scaled, datasource.Float(50), []uint16{13824}},
		{"a float32 CDAB goes low word first", cdab, datasource.Float(math.Pi), []uint16{uint16(math.Float32bits(math.Pi)), uint16(math.Float32bits(math.Pi) >> 16)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := d.Write(context.Background(), tc.tag, tc.v); err != nil {
				t.Fatal(err)
			}
			a, _ := ParseAddress(tc.tag.Address)
			got := srv.Holding(1, int(a.Offset), len(tc.regs))
			for i := range got {
				if got[i] != tc.regs[i] {
					t.Fatalf("registers %04X, want %04X", got, tc.regs)
				}
			}
			v := read(t, d, prepare(t, d, tc.tag))[0].Value
			if f, _ := v.AsFloat(); math.Abs(f-mustFloat(tc.v)) > 1e-6 {
				t.Fatalf("read back %v, want %v", v, tc.v)
			}
		})
	}
	t.Run("a coil goes out with FC5", func(t *testing.T) {
		if err := d.Write(context.Background(), tag(5, "C", "00009", datasource.TypeBool), datasource.Bool(true)); err != nil {
			t.Fatal(err)
		}
		if !srv.Coil(1, 8) {
			t.Fatal("coil 00009 (offset 8) is still off")
		}
	})
	t.Run("a bit in a register is refused without mask_write", func(t *testing.T) {
		err := d.Write(context.Background(), tag(6, "B", "40001.3", datasource.TypeBool), datasource.Bool(true))
		if !errors.Is(err, ErrMaskWriteNeeded) || !strings.Contains(err.Error(), "FC22") {
			t.Fatalf("Write = %v, want ErrMaskWriteNeeded naming FC22", err)
		}
	})
	t.Run("an input register is refused", func(t *testing.T) {
		err := d.Write(context.Background(), tag(7, "IR", "30001", datasource.TypeUint16), datasource.Uint(1))
		if !errors.Is(err, ErrReadOnly) {
			t.Fatalf("Write = %v, want ErrReadOnly", err)
		}
	})
	t.Run("a value past the type is refused before it is sent", func(t *testing.T) {
		srv.ResetRequests()
		err := d.Write(context.Background(), tag(8, "I", "40001", datasource.TypeInt16), datasource.Int(70000))
		if !errors.Is(err, ErrValueRange) || len(srv.Requests()) != 0 {
			t.Fatalf("Write = %v with %d requests, want ErrValueRange and none", err, len(srv.Requests()))
		}
	})
	t.Run("an exception is a typed error and keeps the connection", func(t *testing.T) {
		srv.SetException(modbustest.HoldingRegisters, 500, 1, 3)
		defer srv.SetException(modbustest.HoldingRegisters, 0, 0, 0)
		err := d.Write(context.Background(), tag(9, "X", "hr:500", datasource.TypeUint16), datasource.Uint(1))
		var exc *ExceptionError
		if !errors.As(err, &exc) || exc.Code != ExceptionIllegalDataValue {
			t.Fatalf("Write = %v, want exception 03", err)
		}
		if !d.connected {
			t.Fatal("an exception closed the connection")
		}
	})
}

func mustFloat(v datasource.Value) float64 {
	f, _ := v.AsFloat()
	if v.Kind() == datasource.KindFloat {
		return float64(float32(f)) // the float32 tags round-trip through float32
	}
	return f
}

func TestRTUOverTCPWithMaskWrite(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 0x00F0, 0x4049, 0x0FDB)
	dev := device("rtuovertcp://" + srv.ListenRTUOverTCP(t))
	modify(dev, func(s *Settings) { s.MaskWrite = true })
	d := connect(t, dev)
	bit := tag(0, "Bit3", "40001.3", datasource.TypeBool)
	if err := d.Write(context.Background(), bit, datasource.Bool(true)); err != nil {
		t.Fatal(err)
	}
	if got := srv.Holding(1, 0, 1)[0]; got != 0x00F8 {
		t.Fatalf("after FC22 set bit 3 the register is %04X, want 00F8", got)
	}
	if err := d.Write(context.Background(), tag(1, "Bit4", "40001.4", datasource.TypeBool), datasource.Bool(false)); err != nil {
		t.Fatal(err)
	}
	if got := srv.Holding(1, 0, 1)[0]; got != 0x00E8 {
		t.Fatalf("after FC22 cleared bit 4 the register is %04X, want 00E8", got)
	}
	got := read(t, d, prepare(t, d, bit, tag(2, "Pi", "40002", datasource.TypeFloat32)))
	if got[0].Value != datasource.Bool(true) || got[1].Value != datasource.Float(float64(float32(math.Pi))) {
		t.Fatalf("read %v %v, want true and pi", got[0].Value, got[1].Value)
	}
	srv.SetException(modbustest.HoldingRegisters, 1, 1, 2)
	got = read(t, d, prepare(t, d, bit, tag(2, "Pi", "40002", datasource.TypeFloat32)))
	if !got[0].Quality.IsGood() || got[1].Quality != datasource.BadQuality(datasource.ConfigError) {
		t.Fatalf("with an exception on 40002: %v %v, want Good and Bad/ConfigError", got[0].Quality, got[1].Quality)
	}
}

func TestRTUOverASerialLine(t *testing.T) {
	client, devicePort := modbustest.PTYPair(t)
	srv := modbustest.New(t)
	srv.ServeRTUPort(t, devicePort)
	srv.SetHolding(1, 0, 0x1234)
	srv.SetCoils(1, 0, false, true)
	dev := device("rtu://" + client)
	dev.Settings = Settings{Unit: 1, Baud: 115200, Parity: "N"}
	d := connect(t, dev)
	got := read(t, d, prepare(t, d, tag(0, "R", "40001", datasource.TypeUint16), tag(1, "C", "00002", datasource.TypeBool)))
	if got[0].Value != datasource.Uint(0x1234) || got[1].Value != datasource.Bool(true) {
		t.Fatalf("read %v %v over RTU, want 4660 true", got[0].Value, got[1].Value)
	}
	if err := d.Write(context.Background(), tag(2, "W", "40002", datasource.TypeInt32), datasource.Int(-5)); err != nil {
		t.Fatal(err)
	}
	if r := srv.Holding(1, 1, 2); r[0] != 0xFFFF || r[1] != 0xFFFB {
		t.Fatalf("FC16 over RTU wrote %04X, want FFFF FFFB", r)
	}
}

func TestAnIllegalFunctionFailsTheBlockWithoutSplitting(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetException(modbustest.InputRegisters, 0, 100, 1)
	d := connect(t, device(srv.URL()))
	plan := prepare(t, d, tag(0, "A", "30001", datasource.TypeUint16), tag(1, "B", "30005", datasource.TypeUint16))
	got := read(t, d, plan)
	for i, s := range got {
		if s.Quality != datasource.BadQuality(datasource.DeviceFailure) {
			t.Errorf("tag %d: %v, want Bad/DeviceFailure", i, s.Quality)
		}
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests, want 1: splitting cannot help a missing function", n)
	}
}

// TestARefusedReadIsLoggedOncePerBlockAndCode reads a tag the device
// answers with exception 02 three times: one warning with the code and the
// tag, not one per read; after the address reads again and is refused with
// another code, one more.
func TestARefusedReadIsLoggedOncePerBlockAndCode(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 0, 1)
	srv.SetException(modbustest.HoldingRegisters, 20, 1, 2)
	var logs strings.Builder
	d := connect(t, device(srv.URL()), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	plan := prepare(t, d, tag(0, "Bad", "hr:20", datasource.TypeUint16))
	for range 3 {
		read(t, d, plan)
	}
	srv.SetException(modbustest.HoldingRegisters, 0, 0, 0)
	read(t, d, plan)
	srv.SetException(modbustest.HoldingRegisters, 20, 1, 4)
	read(t, d, plan)
	read(t, d, plan)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "exception 02 (illegal data address)") || !strings.Contains(lines[0], "tags=Bad") ||
		!strings.Contains(lines[0], "device=plc") || !strings.Contains(lines[1], "exception 04") {
		t.Fatalf("log:\n%s\nwant one line for exception 02 and one for 04, naming device and tag", logs.String())
	}
}

func TestReadRawTakesTheProjectFileAddressSyntax(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 100, 0x0102, 0x0304)
	srv.SetCoils(1, 2, true)
	d := connect(t, device(srv.URL()))
	cases := []struct {
		name string
		req  poll.RawRequest
		want []byte
		err  string
	}{
		{"hr:100 x2 returns the registers big-endian", poll.RawRequest{Address: "hr:100", Count: 2}, []byte{1, 2, 3, 4}, ""},
		{"40101 is the same register", poll.RawRequest{Address: "40101", Count: 1}, []byte{1, 2}, ""},
		{"coils come packed LSB first", poll.RawRequest{Address: "00001", Count: 3}, []byte{0b100}, ""},
		{"a bit of a register is refused", poll.RawRequest{Address: "40001.3", Count: 1}, nil, "is a bit of a register"},
		{"a bad address names the device", poll.RawRequest{Address: "4000", Count: 1}, nil, `device "plc": raw read: `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := d.ReadRaw(context.Background(), c.req)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want it to say %q", err, c.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, c.want) {
				t.Fatalf("got % x, %v; want % x", got, err, c.want)
			}
		})
	}
}

// modify changes the driver settings of dev with f.
func modify(dev *datasource.Device, f func(*Settings)) {
	s := SettingsOf(dev)
	f(&s)
	dev.Settings = s
}
