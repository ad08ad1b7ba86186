package modbustest

import (
	"errors"
	"testing"

	"github.com/goburrow/modbus"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func exception(err error) byte {
	var me *modbus.ModbusError
	if errors.As(err, &me) {
		return me.ExceptionCode
	}
	return 0
}

func client(t *testing.T, addr string, unit byte) modbus.Client {
	h := modbus.NewTCPClientHandler(addr)
	h.IdleTimeout = 0
	h.SlaveId = unit
	t.Cleanup(func() { h.Close() })
	return modbus.NewClient(h)
}

func TestServerFaults(t *testing.T) {
	s := New(t)
	s.SetHolding(1, 10, 0xBEEF)
	c := client(t, s.Addr(), 1)
	if r, err := c.ReadHoldingRegisters(10, 1); err != nil || r[0] != 0xBE || r[1] != 0xEF {
		t.Fatalf("read % x, %v; want be ef", r, err)
	}
	s.SetException(HoldingRegisters, 12, 2, 2)
	if _, err := c.ReadHoldingRegisters(10, 3); exception(err) != 2 {
		t.Fatalf("a read touching the exception range: %v, want exception 02", err)
	}
	if _, err := c.ReadHoldingRegisters(10, 2); err != nil {
		t.Fatalf("a read beside the exception range: %v", err)
	}
	s.SetBusy(2)
	for i := 0; i < 2; i++ {
		if _, err := c.ReadHoldingRegisters(10, 1); exception(err) != 6 {
			t.Fatalf("busy answer %d: %v, want exception 06", i, err)
		}
	}
	if _, err := c.ReadHoldingRegisters(10, 1); err != nil {
		t.Fatalf("after 2 busy answers: %v", err)
	}
	if _, err := client(t, s.Addr(), 5).ReadHoldingRegisters(0, 1); exception(err) != 0x0B {
		t.Fatalf("an unserved unit: %v, want exception 0B", err)
	}
	s.Stop()
	if _, err := client(t, s.Addr(), 1).ReadHoldingRegisters(0, 1); err == nil {
		t.Fatal("a stopped server answered")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := client(t, s.Addr(), 1).ReadHoldingRegisters(0, 1); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if n := len(s.Requests()); n != 8 {
		t.Fatalf("%d requests recorded, want 8", n)
	}
}

func TestCRCIsModbusCRC16(t *testing.T) {
	if got := crc16([]byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x01}); got != 0x0A84 {
		t.Fatalf("crc16 = %04X, want 0A84 (bytes 84 0A on the wire)", got)
	}
}
