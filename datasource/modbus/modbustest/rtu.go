package modbustest

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"
)

// crc16 is the Modbus RTU CRC (polynomial 0xA001, initial 0xFFFF).
func crc16(b []byte) uint16 {
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
	return crc
}

func appendCRC(b []byte) []byte {
	c := crc16(b)
	return append(b, byte(c), byte(c>>8))
}

// ServeRTU answers RTU request frames read from rw with the server's map and
// faults until reading fails (the line was closed); it returns that error.
// Like a real RTU slave it stays silent for units it does not serve and for
// frames with a bad CRC. Unlike the TCP server it also supports FC22 (mask
// write register).
func (s *Server) ServeRTU(rw io.ReadWriter) error {
	r := bufio.NewReader(rw)
	for {
		frame, err := readRequestFrame(r)
		if err != nil {
			return err
		}
		if frame == nil {
			continue // bad CRC or unknown function: a slave stays silent
		}
		resp := s.answerRTU(frame)
		if resp == nil {
			continue
		}
		if _, err := rw.Write(resp); err != nil {
			return err
		}
	}
}

// readRequestFrame reads one request frame; it returns nil, nil for a frame
// to ignore.
func readRequestFrame(r *bufio.Reader) ([]byte, error) {
	head := make([]byte, 2, 260)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	var n int
	switch head[1] {
	case 1, 2, 3, 4, 5, 6:
		n = 4
	case 15, 16:
		b := make([]byte, 5)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		head = append(head, b...)
		n = int(b[4])
	case 22:
		n = 6
	default:
		return nil, nil
	}
	rest := make([]byte, n+2)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, err
	}
	frame := append(head, rest...)
	body := frame[:len(frame)-2]
	if binary.LittleEndian.Uint16(frame[len(frame)-2:]) != crc16(body) {
		return nil, nil
	}
	return body, nil
}

func (s *Server) answerRTU(f []byte) []byte {
	unit, fc := f[0], f[1]
	s.mu.Lock()
	_, served := s.units[unit]
	s.mu.Unlock()
	if !served {
		return nil
	}
	addr := binary.BigEndian.Uint16(f[2:])
	val := binary.BigEndian.Uint16(f[4:])
	o := op{unit: unit, fc: fc, addr: addr, qty: val}
	switch fc {
	case 1:
		o.table = Coils
	case 2:
		o.table = DiscreteInputs
	case 3:
		o.table = HoldingRegisters
	case 4:
		o.table = InputRegisters
	case 5:
		o.table, o.write, o.qty, o.bits = Coils, true, 1, []bool{val == 0xFF00}
	case 6:
		o.table, o.write, o.qty, o.regs = HoldingRegisters, true, 1, []uint16{val}
	case 15:
		o.table, o.write = Coils, true
		for i := 0; i < int(val) && 7+i/8 < len(f); i++ {
			o.bits = append(o.bits, f[7+i/8]>>(i%8)&1 != 0)
		}
	case 16:
		o.table, o.write = HoldingRegisters, true
		for i := 0; i < int(val) && 8+2*i < len(f); i++ {
			o.regs = append(o.regs, binary.BigEndian.Uint16(f[7+2*i:]))
		}
	case 22:
		o.table, o.write, o.qty = HoldingRegisters, true, 1
		o.and, o.or = val, binary.BigEndian.Uint16(f[6:])
	}
	regs, bits, exc := s.serve(o)
	if exc != 0 {
		return appendCRC([]byte{unit, fc | 0x80, exc})
	}
	var resp []byte
	switch fc {
	case 1, 2:
		resp = []byte{unit, fc, byte((len(bits) + 7) / 8)}
		packed := make([]byte, (len(bits)+7)/8)
		for i, b := range bits {
			if b {
				packed[i/8] |= 1 << (i % 8)
			}
		}
		resp = append(resp, packed...)
	case 3, 4:
		resp = []byte{unit, fc, byte(2 * len(regs))}
		for _, r := range regs {
			resp = binary.BigEndian.AppendUint16(resp, r)
		}
	default: // writes echo the request's first fields
		n := 6
		if fc == 22 {
			n = 8
		}
		resp = append([]byte(nil), f[:n]...)
	}
	return appendCRC(resp)
}

// ListenRTUOverTCP serves the map as RTU frames over TCP, like a serial
// gateway in transparent mode, on a free loopback port until the test
// ends. It returns host:port.
func (s *Server) ListenRTUOverTCP(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("modbustest: listen: %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	conns := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = s.ServeRTU(c) // returns when the client or Cleanup closes c
				c.Close()
			}()
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

var ptyLine = regexp.MustCompile(`PTY is (\S+)`)

// PTYPair starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and returns
// the two pseudo-terminal paths, a virtual null-modem cable. It skips the
// test when socat is not installed (Debian: apt-get install socat).
func PTYPair(tb testing.TB) (a, b string) {
	tb.Helper()
	path, err := exec.LookPath("socat")
	if err != nil {
		tb.Skip("socat is not installed (apt-get install socat): skipping the serial RTU test")
	}
	cmd := exec.Command(path, "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatalf("modbustest: socat: %v", err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("modbustest: start socat: %v", err)
	}
	done := make(chan struct{})
	tb.Cleanup(func() {
		_ = cmd.Process.Kill() // our own child; it has no other way to stop
		<-done
	})
	paths := make(chan string, 2)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := ptyLine.FindStringSubmatch(sc.Text()); m != nil {
				paths <- m[1]
			}
		}
		_ = cmd.Wait() // the exit status of a killed socat says nothing
	}()
	timeout := time.After(5 * time.Second)
	for i := 0; i < 2; i++ {
		select {
		case p := <-paths:
			if a == "" {
				a = p
			} else {
				b = p
			}
		case <-timeout:
			tb.Fatalf("modbustest: socat printed no pty paths")
		}
	}
	return a, b
}

// ServeRTUPort serves the map on the serial device at path (one end of a
// PTYPair) until the test ends.
func (s *Server) ServeRTUPort(tb testing.TB, path string) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatalf("modbustest: open %s: %v", path, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.ServeRTU(f) }()
	tb.Cleanup(func() {
		f.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			tb.Errorf("modbustest: RTU responder on %s did not stop", path)
		}
	})
}
