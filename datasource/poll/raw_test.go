package poll_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"github.com/vigil-hmi/vigil/datasource/modbus/modbustest"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
)

// rawRig runs an engine over one Modbus device with one tag.
func rawRig(t *testing.T, dev *datasource.Device) *poll.Engine {
	t.Helper()
	tags := []*datasource.Tag{
		{ID: 0, Name: "T0", Device: dev.Name, Address: "hr:0", Type: datasource.TypeUint16},
		{ID: 1, Name: datasource.ConnectedTagName(dev.Name), Device: dev.Name, Type: datasource.TypeBool, System: true},
	}
	return polltest.Start(t, poll.Config{Devices: []*datasource.Device{dev}, Tags: tags,
		Drivers: map[string]poll.Factory{"modbus": modbus.NewFactory()}, StaleCheck: -1})
}

func waitConnected(t *testing.T, eng *poll.Engine, dev string, want poll.State) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st, _ := eng.DeviceStatus(dev); st.State == want {
			return
		}
	}
	st, _ := eng.DeviceStatus(dev)
	t.Fatalf("device %s is %v, want %v", dev, st.State, want)
}

func TestARawReadGoesThroughTheEngineAndADownDeviceGivesItsError(t *testing.T) {
	srv := modbustest.New(t)
	srv.SetHolding(1, 100, 0xBEEF, 0x0001)
	dev := &datasource.Device{Name: "plc", Driver: "modbus", Address: srv.URL(), Timeout: time.Second,
		Settings:    modbus.Settings{Unit: 1},
		ScanClasses: []datasource.ScanClass{{Name: "slow", Rate: time.Hour}},
		Backoff:     datasource.Backoff{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond}}
	eng := rawRig(t, dev)
	waitConnected(t, eng, "plc", poll.Connected)
	// The device is Connected before its first scan (of the hour's class)
	// is counted: the connect is one request, that scan the second. Read
	// the count after both, or the scan lands inside the raw read's span.
	var before poll.DeviceStatus
	for deadline := time.Now().Add(10 * time.Second); before.Requests < 2; time.Sleep(time.Millisecond) {
		if before, _ = eng.DeviceStatus("plc"); time.Now().After(deadline) {
			t.Fatalf("%d requests after connecting: the first scan was not made", before.Requests)
		}
	}

	got, err := eng.ReadRaw(context.Background(), "plc", poll.RawRequest{Address: "40101", Count: 2})
	if err != nil || !bytes.Equal(got, []byte{0xBE, 0xEF, 0, 1}) {
		t.Fatalf("raw read of 40101 x2: % x, %v; want be ef 00 01", got, err)
	}
	if after, _ := eng.DeviceStatus("plc"); after.Requests != before.Requests+1 {
		t.Errorf("requests %d -> %d: the raw read was not made by the device's session", before.Requests, after.Requests)
	}

	t.Run("an exception is the driver's error and the device stays up", func(t *testing.T) {
		srv.SetException(modbustest.HoldingRegisters, 200, 10, modbus.ExceptionIllegalDataAddress)
		_, err := eng.ReadRaw(context.Background(), "plc", poll.RawRequest{Address: "hr:200", Count: 1})
		var exc *modbus.ExceptionError
		if !errors.As(err, &exc) {
			t.Fatalf("error %v, want the Modbus exception", err)
		}
		if st, _ := eng.DeviceStatus("plc"); st.State != poll.Connected {
			t.Errorf("device %v after an exception, want Connected", st.State)
		}
	})

	t.Run("a device that is down gives its own error", func(t *testing.T) {
		srv.Stop()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			_, err = eng.ReadRaw(context.Background(), "plc", poll.RawRequest{Address: "hr:0", Count: 1})
			if errors.Is(err, poll.ErrDeviceNotConnected) {
				break
			}
		}
		var re *poll.RawError
		if !errors.As(err, &re) || !errors.Is(err, poll.ErrDeviceNotConnected) {
			t.Fatalf("error %v after the server stopped, want a *RawError: not connected", err)
		}
		if !strings.HasPrefix(err.Error(), "device plc is not connected: ") || !strings.Contains(err.Error(), "connect") {
			t.Errorf("error %q: want the device's last error, not just 'not connected'", err)
		}
	})

	t.Run("an unknown device is refused", func(t *testing.T) {
		_, err := eng.ReadRaw(context.Background(), "nope", poll.RawRequest{Address: "hr:0", Count: 1})
		if err == nil || err.Error() != "device nope: no such device in the project" {
			t.Errorf("unknown device: %v", err)
		}
	})
}
