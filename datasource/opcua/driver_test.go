package opcua

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gopcua/opcua/ua"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

func TestPrepareParsesNodeIDs(t *testing.T) {
	tests := []struct {
		name, addr string
		ok         bool
	}{
		{"a string NodeID in namespace 2 is accepted", "ns=2;s=Tank1.Level", true},
		{"a numeric NodeID is accepted", "ns=2;i=42", true},
		{"a namespace 0 NodeID without ns is accepted", "i=2258", true},
		{"an empty address is refused", "", false},
		{"a non-numeric namespace is refused", "ns=x;s=A", false},
		{"free text is refused", "Tank1.Level", false},
	}
	d := newDriver(t, &datasource.Device{Name: "plc1", Address: "opc.tcp://127.0.0.1:1"}, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tag := testTag(0, "T", tt.addr, datasource.TypeFloat64)
			tag.Pos, tag.AddressLine = datasource.Pos{File: "p.yaml", Line: 6}, 7
			pl, err := d.Prepare([]*datasource.Tag{tag})
			if tt.ok {
				if err != nil || len(pl.(*plan).ids) != 1 {
					t.Fatalf("Prepare(%q) = %v, want accepted", tt.addr, err)
				}
				return
			}
			var te *datasource.TagError
			if !errors.As(err, &te) || te.Field != "address" {
				t.Fatalf("Prepare(%q) = %v, want a TagError on address", tt.addr, err)
			}
			if !strings.HasPrefix(err.Error(), "p.yaml:7: tag T: address:") {
				t.Fatalf("message %q does not name file:line and tag", err)
			}
		})
	}
}

func TestNewRefusesBadSecuritySettings(t *testing.T) {
	for _, s := range []Settings{
		{SecurityPolicy: "Basic128Rsa15", SecurityMode: "Sign"},
		{SecurityPolicy: "Basic256Sha256", SecurityMode: "None"},
		{SecurityPolicy: "None", SecurityMode: "Sign"},
		{SecurityPolicy: "None", SecurityMode: "Encrypt"},
	} {
		if _, err := New(&datasource.Device{Name: "plc1", Settings: s}, Options{PKIDir: testPKI}); err == nil || !strings.Contains(err.Error(), `device "plc1"`) {
			t.Errorf("New with %s/%s = %v, want an error naming the device", s.SecurityPolicy, s.SecurityMode, err)
		}
	}
}

func connect(t *testing.T, d *Driver) {
	t.Helper()
	if err := d.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestReadMapsValuesStatusAndSourceTime(t *testing.T) {
	srv := sharedServer(t)
	d := newDriver(t, testDevice(srv), Options{})
	connect(t, d)
	good := datasource.QualityGood
	tests := []struct {
		name string
		addr string
		typ  datasource.DataType
		want datasource.Value
		q    datasource.Quality
	}{
		{"Boolean reads as bool", "Bool", datasource.TypeBool, datasource.Bool(true), good},
		{"SByte reads as a signed int", "SByte", datasource.TypeInt16, datasource.Int(-8), good},
		{"Byte reads as an unsigned int", "Byte", datasource.TypeUint16, datasource.Uint(200), good},
		{"Int16 reads as a signed int", "Int16", datasource.TypeInt16, datasource.Int(-1600), good},
		{"UInt16 reads as an unsigned int", "UInt16", datasource.TypeUint16, datasource.Uint(1600), good},
		{"Int32 reads as a signed int", "Int32", datasource.TypeInt32, datasource.Int(-320000), good},
		{"UInt32 reads as an unsigned int", "UInt32", datasource.TypeUint32, datasource.Uint(320000), good},
		{"Int64 reads as a signed int", "Int64", datasource.TypeInt64, datasource.Int(-6400000000), good},
		{"UInt64 reads as an unsigned int", "UInt64", datasource.TypeUint64, datasource.Uint(6400000000), good},
		{"Float 0.1 reads as 0.1, not its float32 widening", "Float", datasource.TypeFloat32, datasource.Float(0.1), good},
		{"Double reads as float", "Double", datasource.TypeFloat64, datasource.Float(2.25), good},
		{"an Int32 node read by a float tag is a float", "Int32", datasource.TypeFloat32, datasource.Float(-320000), good},
		{"String reads as string", "String", datasource.TypeString, datasource.String("hello"), good},
		{"DateTime reads as RFC 3339 text", "DateTime", datasource.TypeString, datasource.String("2024-01-02T03:04:05Z"), good},
		{"ByteString reads as hex", "ByteString", datasource.TypeString, datasource.String("0102ff"), good},
		{"an Int32 array reads as a string", "Int32Array", datasource.TypeString, datasource.String("[1, 2, 3]"), good},
		{"BadSensorFailure reads as Bad/SensorFailure", "BadSensor", datasource.TypeFloat64, datasource.Value{}, datasource.BadQuality(datasource.SensorFailure)},
		{"UncertainLastUsableValue keeps its value as Uncertain/LastKnown", "LastUsable", datasource.TypeFloat64, datasource.Float(7), datasource.UncertainQuality(datasource.LastKnown)},
		{"an unknown node reads as Bad/ConfigError", "NoSuchNode", datasource.TypeFloat64, datasource.Value{}, datasource.BadQuality(datasource.ConfigError)},
		{"a string node read by a float tag is Bad/ConfigError", "String", datasource.TypeFloat32, datasource.Value{}, datasource.BadQuality(datasource.ConfigError)},
	}
	var tags []*datasource.Tag
	for i, tt := range tests {
		tags = append(tags, testTag(i, tt.name, opcuatest.NodeID(tt.addr), tt.typ))
	}
	tags = append(tags, testTag(len(tests), "quirky", "ns=1;s=Quirky", datasource.TypeFloat64))
	pl, err := d.Prepare(tags)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Read(context.Background(), pl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(tags) {
		t.Fatalf("Read returned %d samples for %d tags", len(got), len(tags))
	}
	for i, tt := range tests {
		s := got[i]
		if s.Tag != datasource.TagID(i) || s.Value != tt.want || s.Quality != tt.q {
			t.Errorf("%s: got %v %v, want %v %v", tt.name, s.Value, s.Quality, tt.want, tt.q)
		}
		if tt.q.IsGood() && !s.Time.Equal(opcuatest.T0) {
			t.Errorf("%s: time %v, want the source timestamp %v", tt.name, s.Time, opcuatest.T0)
		}
	}
	if q := got[len(tests)]; q.Value != datasource.Float(1.5) || !q.Quality.IsGood() {
		t.Errorf("gopcua's own variable node reads %v %v, want 1.5 Good", q.Value, q.Quality)
	}
}

func TestReadIsChunkedByMaxNodesPerRead(t *testing.T) {
	srv := sharedServer(t)
	tests := []struct {
		name     string
		setting  int
		requests int64
	}{
		{"the server's limit of 32 splits 70 nodes into 3 reads", 0, 3},
		{"the device's max_nodes_per_read of 10 splits 70 nodes into 7 reads", 10, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := testDevice(srv)
			modify(dev, func(s *Settings) { s.MaxNodesPerRead = tt.setting })
			d := newDriver(t, dev, Options{})
			connect(t, d)
			var tags []*datasource.Tag
			for i := 0; i < 70; i++ {
				tags = append(tags, testTag(i, "T", opcuatest.NodeID("Double"), datasource.TypeFloat64))
			}
			pl, _ := d.Prepare(tags)
			before := d.conn.reads.Load()
			got, err := d.Read(context.Background(), pl, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n := d.conn.reads.Load() - before; n != tt.requests {
				t.Fatalf("sent %d read requests, want %d", n, tt.requests)
			}
			for i, s := range got {
				if s.Tag != datasource.TagID(i) || s.Value != datasource.Float(2.25) {
					t.Fatalf("sample %d = %+v, want tag %d = 2.25", i, s, i)
				}
			}
		})
	}
}

func TestWriteConvertsToTheNodeDataType(t *testing.T) {
	srv := sharedServer(t)
	d := newDriver(t, testDevice(srv), Options{})
	connect(t, d)
	tests := []struct {
		name string
		addr string
		typ  datasource.DataType
		v    datasource.Value
		want any // on the server
	}{
		{"a float to a Double node", opcuatest.NodeID("SetDouble"), datasource.TypeFloat64, datasource.Float(12.5), 12.5},
		{"a float to a Float node", opcuatest.NodeID("SetFloat"), datasource.TypeFloat32, datasource.Float(1.25), float32(1.25)},
		{"an int to an Int16 node", opcuatest.NodeID("SetInt16"), datasource.TypeInt16, datasource.Int(-5), int16(-5)},
		{"a whole float to an Int16 node", opcuatest.NodeID("SetInt16"), datasource.TypeInt16, datasource.Float(7), int16(7)},
		{"a uint to a UInt16 node", opcuatest.NodeID("SetUInt16"), datasource.TypeUint16, datasource.Uint(65535), uint16(65535)},
		{"an int to an Int32 node", opcuatest.NodeID("SetInt32"), datasource.TypeInt32, datasource.Int(-70000), int32(-70000)},
		{"a bool to a Boolean node", opcuatest.NodeID("SetBool"), datasource.TypeBool, datasource.Bool(true), true},
		{"a string to a String node", opcuatest.NodeID("SetString"), datasource.TypeString, datasource.String("abc"), "abc"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tag := testTag(i, "SP", tt.addr, tt.typ)
			if err := d.Write(context.Background(), tag, tt.v); err != nil {
				t.Fatal(err)
			}
			name := strings.TrimPrefix(tt.addr, "ns=2;s=")
			if got := srv.Value(name); got != tt.want {
				t.Fatalf("server holds %v (%T), want %v (%T)", got, got, tt.want, tt.want)
			}
			pl, _ := d.Prepare([]*datasource.Tag{tag})
			back, err := d.Read(context.Background(), pl, nil)
			if err != nil || back[0].Value != mustCoerce(t, tag, tt.v) {
				t.Fatalf("read back %v, %v; want %v", back, err, tt.v)
			}
		})
	}
	t.Run("a scaled tag writes the raw value", func(t *testing.T) {
		tag := testTag(50, "Scaled", opcuatest.NodeID("SetInt32"), datasource.TypeInt32)
		tag.Scaling = datasource.Scaling{RawLo: 0, RawHi: 27648, EngLo: 0, EngHi: 100}
		if err := d.Write(context.Background(), tag, datasource.Float(50)); err != nil {
			t.Fatal(err)
		}
		if got := srv.Value("SetInt32"); got != int32(13824) {
			t.Fatalf("server holds %v, want raw 13824", got)
		}
	})
	t.Run("gopcua's own variable is written with its value's type", func(t *testing.T) {
		tag := testTag(51, "Quirky", "ns=1;s=Quirky", datasource.TypeFloat64)
		if err := d.Write(context.Background(), tag, datasource.Int(3)); err != nil {
			t.Fatal(err)
		}
		pl, _ := d.Prepare([]*datasource.Tag{tag})
		back, _ := d.Read(context.Background(), pl, nil)
		if back[0].Value != datasource.Float(3) {
			t.Fatalf("read back %v, want 3", back[0].Value)
		}
		// The server is shared: put back the value the read test expects.
		if err := d.Write(context.Background(), tag, datasource.Float(1.5)); err != nil {
			t.Fatal(err)
		}
	})
}

func mustCoerce(t *testing.T, tag *datasource.Tag, v datasource.Value) datasource.Value {
	t.Helper()
	c, err := coerce(tag, v)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWriteErrorsNameDeviceTagAndReason(t *testing.T) {
	srv := sharedServer(t)
	d := newDriver(t, testDevice(srv), Options{})
	connect(t, d)
	tests := []struct {
		name   string
		node   string
		v      datasource.Value
		target error
	}{
		{"40000 does not fit an Int16 node", "SetInt16", datasource.Int(40000), ErrTypeMismatch},
		{"-1 does not fit a UInt16 node", "SetUInt16", datasource.Int(-1), ErrTypeMismatch},
		{"text does not fit a Boolean node", "SetBool", datasource.String("maybe"), ErrTypeMismatch},
		{"text does not fit a Double node", "SetDouble", datasource.String("abc"), ErrTypeMismatch},
		{"an array node is not written", "Int32Array", datasource.Int(1), ErrTypeMismatch},
		{"a read-only node refuses with BadNotWritable", "ReadOnly", datasource.Float(1), ua.StatusBadNotWritable},
		{"an unknown node refuses with BadNodeIdUnknown", "NoSuchNode", datasource.Float(1), ua.StatusBadNodeIDUnknown},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tag := testTag(i, "Line1.SP", opcuatest.NodeID(tt.node), datasource.TypeFloat64)
			err := d.Write(context.Background(), tag, tt.v)
			if !errors.Is(err, tt.target) {
				t.Fatalf("Write = %v, want %v", err, tt.target)
			}
			if msg := err.Error(); !strings.Contains(msg, `device "plc1"`) || !strings.Contains(msg, `tag "Line1.SP"`) {
				t.Fatalf("message %q does not name the device and tag", msg)
			}
		})
	}
	// The session survived the refusals.
	pl, _ := d.Prepare([]*datasource.Tag{testTag(0, "D", opcuatest.NodeID("Double"), datasource.TypeFloat64)})
	if got, err := d.Read(context.Background(), pl, nil); err != nil || got[0].Value != datasource.Float(2.25) {
		t.Fatalf("read after refused writes = %v, %v", got, err)
	}
}

func TestNotConnectedDriverSaysSo(t *testing.T) {
	d := newDriver(t, &datasource.Device{Name: "plc1", Address: "opc.tcp://127.0.0.1:1"}, Options{})
	pl, _ := d.Prepare([]*datasource.Tag{testTag(0, "T", "ns=2;s=X", datasource.TypeFloat64)})
	if _, err := d.Read(context.Background(), pl, nil); !errors.Is(err, poll.ErrNotConnected) {
		t.Fatalf("Read before Connect = %v, want ErrNotConnected", err)
	}
	if err := d.Write(context.Background(), testTag(0, "T", "ns=2;s=X", datasource.TypeFloat64), datasource.Float(1)); !errors.Is(err, poll.ErrNotConnected) {
		t.Fatalf("Write before Connect = %v, want ErrNotConnected", err)
	}
	err := d.Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), `device "plc1"`) || !strings.Contains(err.Error(), "opc.tcp://127.0.0.1:1") {
		t.Fatalf("Connect to a closed port = %v, want an error naming device and endpoint", err)
	}
}

func TestFactoryHidesSubscribeForPollingDevices(t *testing.T) {
	f := Factory(Options{PKIDir: testPKI})
	sub, err := f(&datasource.Device{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sub.(poll.Subscriber); !ok {
		t.Fatal("a subscribing device's driver is not a poll.Subscriber")
	}
	pd, err := f(&datasource.Device{Name: "b", Settings: Settings{Poll: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pd.(poll.Subscriber); ok {
		t.Fatal("a polling device's driver is a poll.Subscriber; the engine would not poll it")
	}
}

func TestPollingDeviceReadsRegisteredNodes(t *testing.T) {
	srv := sharedServer(t)
	dev := testDevice(srv)
	modify(dev, func(s *Settings) { s.Poll = true })
	drv, err := Factory(Options{PKIDir: testPKI})(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	if err := drv.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	pl, _ := drv.Prepare([]*datasource.Tag{testTag(0, "D", opcuatest.NodeID("Double"), datasource.TypeFloat64)})
	for i := 0; i < 2; i++ {
		got, err := drv.Read(context.Background(), pl, nil)
		if err != nil || got[0].Value != datasource.Float(2.25) {
			t.Fatalf("read %d = %v, %v", i, got, err)
		}
	}
	if p := pl.(*plan); p.regConn == nil || len(p.reg) != 1 {
		t.Fatal("the plan's nodes were not registered")
	}
}

// modify changes the driver settings of dev with f.
func modify(dev *datasource.Device, f func(*Settings)) {
	s := SettingsOf(dev)
	f(&s)
	dev.Settings = s
}
