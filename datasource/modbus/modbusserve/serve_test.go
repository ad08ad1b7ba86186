package modbusserve

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	gb "github.com/goburrow/modbus"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// plant is a Source of fixed samples that records writes.
type plant struct {
	mu      sync.Mutex // guards samples and writes
	samples map[datasource.TagID]datasource.Sample
	writes  map[datasource.TagID]datasource.Value
}

func (p *plant) Get(id datasource.TagID) datasource.Sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.samples[id]
}

func (p *plant) Write(_ context.Context, id datasource.TagID, v datasource.Value) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, _ := v.AsFloat(); f > 1000 {
		return errors.New("above the limit")
	}
	p.writes[id] = v
	p.samples[id] = datasource.Sample{Tag: id, Value: v}
	return nil
}

func plantTags() []*datasource.Tag {
	return []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat32, Units: "%", Description: "Tank 1 level"},
		{ID: 1, Name: "Pump1.Run", Type: datasource.TypeBool, Writable: true},
		{ID: 2, Name: "Tank1.LevelSP", Type: datasource.TypeFloat32, Writable: true, Units: "%"},
		{ID: 3, Name: "Plant.Name", Type: datasource.TypeString, Length: 8},
		{ID: 4, Name: "Pump1.Fault", Type: datasource.TypeBool},
		{ID: 5, Name: "Meter.Count", Type: datasource.TypeUint32},
		{ID: 6, Name: "_sys.plant.connected", Type: datasource.TypeBool, System: true},
	}
}

func TestMapIsDeterministicAndPrintable(t *testing.T) {
	m := NewMap(plantTags())
	want := map[string]string{"Tank1.Level": "hr:0", "Pump1.Run": "co:0", "Tank1.LevelSP": "hr:2", "Pump1.Fault": "co:1", "Meter.Count": "hr:4"}
	if len(m.Entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(m.Entries), len(want))
	}
	for _, e := range m.Entries {
		if e.Address.String() != want[e.Tag.Name] {
			t.Errorf("%s at %s, want %s", e.Tag.Name, e.Address, want[e.Tag.Name])
		}
	}
	var b bytes.Buffer
	if err := m.Print(&b); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"40001      hr:0    float32 ABCD  r       Tank1.Level    %      Tank 1 level",
		"00001      co:0    bool          rw      Pump1.Run",
		"not served (strings, system tags): Plant.Name, _sys.plant.connected",
	} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("map print lacks %q:\n%s", line, b.String())
		}
	}
}

func serve(t *testing.T) (*Server, *plant) {
	t.Helper()
	src := &plant{samples: map[datasource.TagID]datasource.Sample{
		0: {Value: datasource.Float(42.5)},
		1: {Value: datasource.Bool(true)},
		2: {Value: datasource.Float(50)},
		4: {Quality: datasource.BadQuality(datasource.SensorFailure)},
		5: {Value: datasource.Uint(123456)},
	}, writes: map[datasource.TagID]datasource.Value{}}
	s, err := Serve("127.0.0.1:0", NewMap(plantTags()), src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, src
}

func TestAVigilDriverReadsAndWritesTheServedTags(t *testing.T) {
	s, src := serve(t)
	dev := &datasource.Device{Name: "sim", Driver: "modbus", Address: "tcp://" + s.Addr(), Settings: modbus.Settings{Unit: 1, MaxGap: 16}}
	d, err := modbus.New(dev)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tags := []*datasource.Tag{
		{ID: 0, Name: "Level", Address: "40001", Type: datasource.TypeFloat32},
		{ID: 1, Name: "Run", Address: "00001", Type: datasource.TypeBool, Writable: true},
		{ID: 2, Name: "SP", Address: "40003", Type: datasource.TypeFloat32, Writable: true},
		{ID: 3, Name: "Fault", Address: "00002", Type: datasource.TypeBool},
		{ID: 4, Name: "Count", Address: "40005", Type: datasource.TypeFloat32},
	}
	plan, err := d.Prepare(tags)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Read(ctx, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []datasource.Value{datasource.Float(42.5), datasource.Bool(true), datasource.Float(50), {}, datasource.Float(123456)}
	for i, w := range want {
		if got[i].Value != w {
			t.Errorf("%s = %v %v, want %v", tags[i].Name, got[i].Value, got[i].Quality, w)
		}
	}
	if got[3].Quality != datasource.BadQuality(datasource.DeviceFailure) || !got[1].Quality.IsGood() {
		t.Errorf("the Bad tag reads %v and its neighbour %v, want Bad/DeviceFailure (exception 04) and Good", got[3].Quality, got[1].Quality)
	}
	if err := d.Write(ctx, tags[2], datasource.Float(12.5)); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(ctx, tags[1], datasource.Bool(false)); err != nil {
		t.Fatal(err)
	}
	if src.writes[2] != datasource.Float(12.5) || src.writes[1] != datasource.Bool(false) {
		t.Fatalf("the source got writes %v", src.writes)
	}
	var exc *modbus.ExceptionError
	if err := d.Write(ctx, tags[0], datasource.Float(1)); !errors.As(err, &exc) || exc.Code != 2 {
		t.Fatalf("writing a read-only tag = %v, want exception 02", err)
	}
	if err := d.Write(ctx, tags[2], datasource.Float(5000)); !errors.As(err, &exc) || exc.Code != 4 {
		t.Fatalf("a write the source refuses = %v, want exception 04", err)
	}
}

func TestTheServerRefusesHalfFloatsAndAddressesPastTheMap(t *testing.T) {
	s, _ := serve(t)
	h := gb.NewTCPClientHandler(s.Addr())
	h.IdleTimeout = 0
	h.SlaveId = 1
	defer h.Close()
	c := gb.NewClient(h)
	code := func(err error) byte {
		var me *gb.ModbusError
		if errors.As(err, &me) {
			return me.ExceptionCode
		}
		t.Fatalf("want a Modbus exception, got %v", err)
		return 0
	}
	if _, err := c.WriteSingleRegister(2, 1); code(err) != 3 {
		t.Errorf("writing one half of a float: exception %d, want 3", code(err))
	}
	if _, err := c.ReadHoldingRegisters(4, 3); code(err) != 2 {
		t.Errorf("reading past the map: exception %d, want 2", code(err))
	}
	if _, err := c.ReadInputRegisters(0, 1); code(err) != 2 {
		t.Errorf("reading input registers: exception %d, want 2", code(err))
	}
	regs, err := c.ReadHoldingRegisters(1, 2) // the low half of Level, the high half of SP
	if err != nil || len(regs) != 4 || regs[0] != 0 || regs[1] != 0 || regs[2] != 0x42 || regs[3] != 0x48 {
		t.Fatalf("a read across two floats = % x, %v; want 00 00 42 48", regs, err)
	}
}
