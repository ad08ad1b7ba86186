package modbus

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/goburrow/modbus"
	"github.com/vigil-hmi/vigil/datasource"
)

// rawDevice is a TCP peer that answers each Modbus TCP request with
// whatever answer returns: a device speaking garbage.
func rawDevice(t *testing.T, answer func(req []byte) []byte) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				req := make([]byte, 12)
				for {
					if _, err := io.ReadFull(c, req); err != nil {
						return
					}
					if _, err := c.Write(answer(req)); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return "tcp://" + l.Addr().String()
}

// mbap frames a PDU as a response to req.
func mbap(req []byte, pdu ...byte) []byte {
	out := append([]byte(nil), req[:4]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(pdu)+1))
	out = append(out, req[6])
	return append(out, pdu...)
}

func TestGarbageAnswersFailTheReadWithoutPanic(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(req []byte) []byte
	}{
		{"a short frame: 1 register for 4 asked", func(req []byte) []byte { return mbap(req, 3, 2, 0, 1) }},
		{"too many registers", func(req []byte) []byte { return mbap(req, 3, 10, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5) }},
		{"a byte count that disagrees with the data", func(req []byte) []byte { return mbap(req, 3, 200, 0, 1) }},
		{"another function's answer", func(req []byte) []byte { return mbap(req, 4, 8, 0, 1, 0, 2, 0, 3, 0, 4) }},
		{"a wrong transaction id", func(req []byte) []byte {
			r := mbap(req, 3, 8, 0, 1, 0, 2, 0, 3, 0, 4)
			r[1]++
			return r
		}},
		{"line noise", func([]byte) []byte { return []byte("HTTP/1.1 400 Bad Request\r\n\r\n") }},
		{"a zero length header", func(req []byte) []byte { return append(req[:4:4], 0, 0, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := device(rawDevice(t, tc.answer))
			dev.Timeout = 200e6
			d := connect(t, dev)
			plan := prepare(t, d, tag(0, "A", "40001", datasource.TypeUint16), tag(1, "B", "40003", datasource.TypeInt32))
			got, err := d.Read(context.Background(), plan, nil)
			if err == nil {
				t.Fatalf("Read of garbage succeeded: %+v", got)
			}
			if len(got) != 0 {
				t.Fatalf("Read returned samples with its error: %+v", got)
			}
			if d.connected {
				t.Fatal("the connection was kept after garbage")
			}
		})
	}
}

// fuzzBlock is a block of four registers and two bits of tags of several
// types, so decoding touches every decoder kind.
func fuzzBlocks(t testing.TB) []*block {
	d, err := New(device("tcp://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	s := tag(3, "S", "hr:1", datasource.TypeString)
	s.Length = 3
	p, _ := d.prepare([]*datasource.Tag{
		tag(0, "F", "hr:0", datasource.TypeFloat32), tag(1, "B", "hr:3.15", datasource.TypeBool),
		tag(2, "L", "hr:0", datasource.TypeInt64), s,
		tag(4, "C", "co:0", datasource.TypeBool), tag(5, "C9", "co:9", datasource.TypeBool),
	})
	return p.blocks
}

// FuzzResponseDecoding feeds arbitrary response PDUs through goburrow's
// TCP packager and client and the driver's block decoding, and arbitrary
// RTU byte streams through the RTU frame reader and goburrow's RTU
// packager: nothing may panic, and a block decodes only from the right
// number of bytes.
func FuzzResponseDecoding(f *testing.F) {
	f.Add([]byte{3, 8, 0x40, 0x49, 0x0f, 0xdb, 0, 0, 0x80, 0}, false)
	f.Add([]byte{1, 2, 0x01, 0x02}, true)
	f.Add([]byte{0x83, 2}, false)
	f.Add([]byte{3, 2, 0}, false)
	f.Add([]byte{}, false)
	blocks := fuzzBlocks(f)
	f.Fuzz(func(t *testing.T, pdu []byte, rtu bool) {
		for _, b := range blocks {
			out := make([]datasource.Sample, 6)
			var client modbus.Client
			if rtu {
				frame := append([]byte{1}, pdu...)
				client = modbus.NewClient2(modbus.NewRTUClientHandler(""), fakeWire(func(req []byte) ([]byte, error) {
					return readRTUFrame(bytes.NewReader(appendCRC(frame)), req)
				}))
			} else {
				client = modbus.NewClient2(modbus.NewTCPClientHandler(""), fakeWire(func(req []byte) ([]byte, error) {
					if len(pdu) > 253 {
						return nil, errors.New("too long for a frame")
					}
					return mbap(req, pdu...), nil
				}))
			}
			d := &Driver{client: client}
			data, err := d.readBlock(b)
			if err != nil {
				_ = classify(err, b.table.ReadFunction())
				continue
			}
			if err := b.decode(data, out); err != nil && !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("decode error %v is not ErrMalformedResponse", err)
			}
		}
	})
}

// fakeWire is a goburrow Transporter made of a function: the fuzz harness's
// stand-in for a socket, delivering already-framed responses.
type fakeWire func(req []byte) ([]byte, error)

func (f fakeWire) Send(req []byte) ([]byte, error) { return f(req) }

func appendCRC(b []byte) []byte {
	crc := uint16(0xFFFF)
	for _, c := range b {
		crc ^= uint16(c)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return append(append([]byte(nil), b...), byte(crc), byte(crc>>8))
}

func FuzzReadRTUFrame(f *testing.F) {
	f.Add([]byte{1, 3, 0, 0, 0, 2}, []byte{1, 3, 4, 0, 1, 0, 2, 0, 0})
	f.Add([]byte{1, 3, 0, 0, 0, 2}, []byte{1, 0x83, 2, 0, 0})
	f.Add([]byte{1, 22, 0, 0, 0, 2}, []byte{1, 22, 0, 0, 0, 2, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, req, resp []byte) {
		frame, err := readRTUFrame(bytes.NewReader(resp), req)
		if err != nil {
			return
		}
		if len(frame) < 4 || len(frame) > 256 || !bytes.Equal(frame, resp[:len(frame)]) {
			t.Fatalf("frame %x from %x", frame, resp)
		}
	})
}
