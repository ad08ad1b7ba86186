package sim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// tag makes a tag of device "plant".
func tag(id int, name, addr string, typ datasource.DataType) *datasource.Tag {
	return &datasource.Tag{
		ID: datasource.TagID(id), Name: name, Device: "plant", Address: addr, Type: typ,
		AddressLine: int32(10 + id), Pos: datasource.Pos{File: "p.yaml", Line: 9 + id},
	}
}

// device returns a sim device with the given settings.
func device(s Settings) *datasource.Device {
	return &datasource.Device{Name: "plant", Driver: "sim", Settings: s}
}

// connected makes a driver on a fake clock, prepares tags and connects.
func connected(t *testing.T, s Settings, tags ...*datasource.Tag) (*Driver, poll.Plan, *clockwork.FakeClock) {
	t.Helper()
	clk := clockwork.NewFakeClockAt(start)
	d, err := New(device(s), clk)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := d.Prepare(tags)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d, pl, clk
}

func read(t *testing.T, d *Driver, pl poll.Plan) []datasource.Sample {
	t.Helper()
	out, err := d.Read(context.Background(), pl, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPrepareRejectsTagsTheSimCannotServe(t *testing.T) {
	scaled := tag(0, "Tank1.Level", "tank1.level", datasource.TypeFloat32)
	scaled.Scaling = datasource.Scaling{RawLo: 0, RawHi: 27648, EngLo: 0, EngHi: 100}
	writable := tag(0, "Pump1.Current", "pump1.current", datasource.TypeFloat32)
	writable.Writable = true
	tests := []struct {
		name  string
		tag   *datasource.Tag
		field string
		says  string
	}{
		{"a misspelt address names the nearest signals", tag(0, "Tank1.Level", "tank1.levle", datasource.TypeFloat32), "address", "tank1.level"},
		{"an unknown unit lists its signals", tag(0, "Pump1.X", "pump1.rpm", datasource.TypeFloat32), "address", "pump1.running"},
		{"an empty address lists the units", tag(0, "X", "", datasource.TypeFloat32), "address", "tank1.*"},
		{"a bool signal on a float tag is a type error", tag(0, "Pump1.Running", "pump1.running", datasource.TypeFloat32), "type", "use type bool"},
		{"a float signal on a bool tag is a type error", tag(0, "Tank1.Level", "tank1.level", datasource.TypeBool), "type", "numeric type"},
		{"a float signal on a string tag is a type error", tag(0, "Tank1.Level", "tank1.level", datasource.TypeString), "type", "numeric type"},
		{"scaling is refused: sim values are engineering values", scaled, "scaling", "engineering units"},
		{"a read-only signal cannot be a writable tag", writable, "writable", "read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(device(Settings{Seed: 1}), clockwork.NewFakeClockAt(start))
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Prepare([]*datasource.Tag{tag(1, "Ok", "tank1.level", datasource.TypeFloat32), tt.tag})
			var te *datasource.TagError
			if !errors.As(err, &te) {
				t.Fatalf("Prepare = %v, want a *datasource.TagError", err)
			}
			if te.Field != tt.field || te.Tag != tt.tag || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Prepare = %q (field %q), want field %q and a message with %q", err, te.Field, tt.field, tt.says)
			}
			if !strings.HasPrefix(err.Error(), "p.yaml:") {
				t.Fatalf("error %q does not start with the file position", err)
			}
		})
	}
}

func TestPrepareReportsEveryBadTag(t *testing.T) {
	d, _ := New(device(Settings{}), clockwork.NewFakeClockAt(start))
	_, err := d.Prepare([]*datasource.Tag{
		tag(0, "A", "nope", datasource.TypeFloat32),
		tag(1, "B", "tank1.auto", datasource.TypeInt16),
		tag(2, "C", "tank1.level", datasource.TypeFloat32),
	})
	if err == nil || !strings.Contains(err.Error(), "tag A: address") || !strings.Contains(err.Error(), "tag B: type") {
		t.Fatalf("Prepare = %v, want errors for tags A and B", err)
	}
}

func TestReadConvertsToEachTagsType(t *testing.T) {
	d, pl, clk := connected(t, Settings{Seed: 1},
		tag(0, "Level32", "tank1.level", datasource.TypeFloat32),
		tag(1, "Level64", "tank1.level", datasource.TypeFloat64),
		tag(2, "Hours", "pump1.run_hours", datasource.TypeUint32),
		tag(3, "Temp", "pump1.temperature", datasource.TypeInt16),
		tag(4, "Running", "pump1.running", datasource.TypeBool),
	)
	clk.Advance(time.Second)
	s := read(t, d, pl)
	if len(s) != 5 {
		t.Fatalf("got %d samples, want 5", len(s))
	}
	l64, _ := s[1].Value.AsFloat()
	want := map[int]datasource.Value{
		0: datasource.Float(float64(float32(l64))),
		2: datasource.Uint(uint64(num(t, d.Plant(), "pump1.run_hours") + 0.5)),
		4: datasource.Bool(true),
	}
	for i, smp := range s {
		if smp.Tag != datasource.TagID(i) || !smp.Quality.IsGood() || !smp.Time.IsZero() {
			t.Errorf("sample %d: %+v, want tag %d, Good, zero time", i, smp, i)
		}
		if w, ok := want[i]; ok && smp.Value != w {
			t.Errorf("sample %d = %v (%s), want %v (%s)", i, smp.Value, smp.Value.Kind(), w, w.Kind())
		}
	}
	if s[3].Value.Kind() != datasource.KindInt {
		t.Errorf("int16 tag gave %s, want int", s[3].Value.Kind())
	}
}

func TestWriteSetsSetpointsAndCommandsAndRefusesReadOnlySignals(t *testing.T) {
	sp := tag(0, "Tank1.LevelSP", "tank1.level_sp", datasource.TypeFloat32)
	run := tag(1, "Pump1.Running", "pump1.running", datasource.TypeBool)
	cur := tag(2, "Pump1.Current", "pump1.current", datasource.TypeFloat32)
	d, pl, clk := connected(t, Settings{Seed: 1}, sp, run, cur)
	ctx := context.Background()
	if err := d.Write(ctx, sp, datasource.Float(65)); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(ctx, run, datasource.Bool(false)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	s := read(t, d, pl)
	if s[0].Value != datasource.Float(65) || s[1].Value != datasource.Bool(false) {
		t.Fatalf("read back %v, %v; want 65 and false", s[0].Value, s[1].Value)
	}
	if c, _ := s[2].Value.AsFloat(); c > 0.1 {
		t.Fatalf("current %.2f A with the pump stopped", c)
	}
	err := d.Write(ctx, cur, datasource.Float(3))
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "Pump1.Current") {
		t.Fatalf("write to pump1.current = %v, want ErrReadOnly naming the tag", err)
	}
	if err := d.Write(ctx, sp, datasource.Float(101)); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("write 101 %% = %v, want ErrOutOfRange", err)
	}
}

func TestReadAndWriteBeforeConnectAreNotConnected(t *testing.T) {
	d, _ := New(device(Settings{}), clockwork.NewFakeClockAt(start))
	tg := tag(0, "L", "tank1.level_sp", datasource.TypeFloat32)
	pl, err := d.Prepare([]*datasource.Tag{tg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(context.Background(), pl, nil); !errors.Is(err, poll.ErrNotConnected) {
		t.Fatalf("Read before Connect = %v, want ErrNotConnected", err)
	}
	if err := d.Write(context.Background(), tg, datasource.Float(1)); !errors.Is(err, poll.ErrNotConnected) {
		t.Fatalf("Write before Connect = %v, want ErrNotConnected", err)
	}
	if _, err := d.Read(context.Background(), struct{}{}, nil); err == nil {
		t.Fatal("Read with a foreign plan succeeded")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestEachDeviceHasItsOwnPlant(t *testing.T) {
	clk := clockwork.NewFakeClockAt(start)
	f := Factory(clk)
	a, err := f(&datasource.Device{Name: "a", Driver: "sim", Settings: Settings{Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f(&datasource.Device{Name: "b", Driver: "sim", Settings: Settings{Seed: 2}})
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := a.(*Driver).Plant(), b.(*Driver).Plant()
	if err := pa.Set("tank1.level_sp", datasource.Float(80)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if num(t, pa, "tank1.level_sp") != 80 || num(t, pb, "tank1.level_sp") != 50 {
		t.Fatal("a setpoint written to device a changed device b")
	}
	if num(t, pa, "meter1.energy") == num(t, pb, "meter1.energy") {
		t.Fatal("seeds 1 and 2 start with the same energy counter")
	}
}

func TestNewRefusesDevicesItCannotRun(t *testing.T) {
	clk := clockwork.NewFakeClockAt(start)
	tests := []struct {
		name string
		dev  datasource.Device
		says string
	}{
		{"another driver", datasource.Device{Name: "x", Driver: "modbus"}, "not sim"},
		{"an address", datasource.Device{Name: "x", Driver: "sim", Address: "tcp://h:502"}, "must be empty"},
		{"a negative speed", datasource.Device{Name: "x", Driver: "sim", Settings: Settings{Speed: -2}}, "sim.speed"},
		{"an unknown fault kind", datasource.Device{Name: "x", Driver: "sim", Settings: Settings{Faults: []FaultSpec{{Kind: "melt"}}}}, "sim.faults[0]"},
		{"a drop fault with a signal", datasource.Device{Name: "x", Driver: "sim", Settings: Settings{Faults: []FaultSpec{{Kind: "drop", Tag: "tank1.level"}}}}, "whole connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&tt.dev, clk)
			if err == nil || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "device x") {
				t.Fatalf("New = %v, want an error naming device x and %q", err, tt.says)
			}
		})
	}
}
