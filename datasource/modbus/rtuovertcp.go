package modbus

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// rtuOverTCP is a goburrow Transporter that sends RTU frames (address,
// PDU, CRC) over a TCP connection, as serial-to-Ethernet gateways in
// "transparent" mode expect. goburrow v0.1.0 has no such handler; its RTU
// packager does the framing and CRC.
type rtuOverTCP struct {
	address string
	timeout time.Duration
	conn    net.Conn // nil when closed
}

func (t *rtuOverTCP) Connect() error {
	if t.conn != nil {
		return nil
	}
	d := net.Dialer{Timeout: t.timeout}
	c, err := d.Dial("tcp", t.address)
	if err != nil {
		return err
	}
	t.conn = c
	return nil
}

func (t *rtuOverTCP) Close() error {
	if t.conn == nil {
		return nil
	}
	err := t.conn.Close()
	t.conn = nil
	return err
}

func (t *rtuOverTCP) setTimeout(d time.Duration) { t.timeout = d }

// Send writes one request frame and reads one response frame.
func (t *rtuOverTCP) Send(req []byte) ([]byte, error) {
	if err := t.Connect(); err != nil {
		return nil, err
	}
	if t.timeout > 0 {
		if err := t.conn.SetDeadline(time.Now().Add(t.timeout)); err != nil {
			return nil, err
		}
	}
	if _, err := t.conn.Write(req); err != nil {
		return nil, err
	}
	return readRTUFrame(t.conn, req)
}

// errFrame is wrapped by readRTUFrame when the bytes cannot be a response
// to the request.
var errFrame = errors.New("malformed RTU response frame")

// readRTUFrame reads one RTU response frame to req from r, finding its
// length from the function code (RTU has no length field). The CRC is
// checked later by goburrow's RTU packager.
func readRTUFrame(r io.Reader, req []byte) ([]byte, error) {
	if len(req) < 2 {
		return nil, fmt.Errorf("%w: request of %d bytes", errFrame, len(req))
	}
	var buf [256]byte
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return nil, err
	}
	if buf[0] != req[0] {
		return nil, fmt.Errorf("%w: unit %d answered a request to unit %d", errFrame, buf[0], req[0])
	}
	fc := buf[1]
	var rest int
	switch {
	case fc == req[1]|0x80:
		rest = 3 // exception code + CRC
	case fc != req[1]:
		return nil, fmt.Errorf("%w: function %d answered a request for function %d", errFrame, fc, req[1])
	case fc == 1 || fc == 2 || fc == 3 || fc == 4 || fc == 23:
		if _, err := io.ReadFull(r, buf[2:3]); err != nil {
			return nil, err
		}
		n := int(buf[2])
		if 3+n+2 > len(buf) {
			return nil, fmt.Errorf("%w: byte count %d", errFrame, n)
		}
		if _, err := io.ReadFull(r, buf[3:3+n+2]); err != nil {
			return nil, err
		}
		return append([]byte(nil), buf[:3+n+2]...), nil
	case fc == 5 || fc == 6 || fc == 15 || fc == 16:
		rest = 6 // address, value or quantity, CRC
	case fc == 22:
		rest = 8 // address, AND mask, OR mask, CRC
	default:
		return nil, fmt.Errorf("%w: function %d has no known response length", errFrame, fc)
	}
	if _, err := io.ReadFull(r, buf[2:2+rest]); err != nil {
		return nil, err
	}
	return append([]byte(nil), buf[:2+rest]...), nil
}
