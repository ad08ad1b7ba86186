package modbustest

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	mbs "github.com/simonvetter/modbus"
)

// Table is one of the four Modbus data tables.
type Table uint8

// The tables, in the order of the driver's modbus.Table.
const (
	Coils Table = iota
	DiscreteInputs
	InputRegisters
	HoldingRegisters
)

// Request is one request the server (or RTU responder) received.
type Request struct {
	Unit     byte
	Function byte
	Addr     uint16
	Quantity uint16
}

// unitMap is the data of one unit.
type unitMap struct {
	coils, discretes [65536]bool
	holding, input   [65536]uint16
}

type exceptionRange struct {
	table      Table
	start, end int // [start, end)
	code       byte
}

// Server is an in-process Modbus TCP server with a register map per unit
// and fault injection. Its methods are safe for concurrent use.
type Server struct {
	addr string
	srv  *mbs.ModbusServer

	mu         sync.Mutex // guards the fields below
	units      map[byte]*unitMap
	exceptions []exceptionRange
	busy       int
	delay      time.Duration
	requests   []Request
	running    bool
}

// New starts a server on a free loopback port serving unit 1 (all
// registers zero, every address valid) and stops it when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start()
	if err != nil {
		tb.Fatalf("modbustest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a server on a free loopback port; Close stops it.
func Start() (*Server, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{addr: addr, units: map[byte]*unitMap{1: {}}}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// FreeAddr returns a loopback host:port nobody listens on right now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("modbustest: free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL returns the device address of the server: "tcp://127.0.0.1:PORT".
func (s *Server) URL() string { return "tcp://" + s.addr }

// Start starts (or restarts after Stop) listening on the same port.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil
	}
	// A fresh library server per start: simonvetter/modbus v1.6.4 restarts
	// racily (Start writes the listener field its previous accept goroutine
	// may still be reading), so a restarted device is a new server object on
	// the same port, as a power-cycled PLC would be.
	srv, err := mbs.NewServer(&mbs.ServerConfiguration{URL: "tcp://" + s.addr, Timeout: time.Minute, MaxClients: 50}, handler{s})
	if err != nil {
		return fmt.Errorf("modbustest: new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("modbustest: start on %s: %w", s.addr, err)
	}
	s.srv = srv
	s.running = true
	return nil
}

// Stop closes the listener and every client connection, like a device
// that lost power or network.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		_ = s.srv.Stop() // closing already-closed sockets is the only failure, and harmless here
		s.running = false
	}
}

// Close stops the server for good.
func (s *Server) Close() { s.Stop() }

func (s *Server) unit(u byte) *unitMap {
	m := s.units[u]
	if m == nil {
		m = &unitMap{}
		s.units[u] = m
	}
	return m
}

// AddUnit makes the server answer unit u too (requests to units it does not
// serve get exception 0B, as from a gateway).
func (s *Server) AddUnit(u byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unit(u)
}

// SetHolding sets holding registers of unit u from offset on.
func (s *Server) SetHolding(u byte, offset int, regs ...uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	copy(s.unit(u).holding[offset:], regs)
}

// SetInput sets input registers of unit u from offset on.
func (s *Server) SetInput(u byte, offset int, regs ...uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	copy(s.unit(u).input[offset:], regs)
}

// SetCoils sets coils of unit u from offset on.
func (s *Server) SetCoils(u byte, offset int, bits ...bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	copy(s.unit(u).coils[offset:], bits)
}

// SetDiscretes sets discrete inputs of unit u from offset on.
func (s *Server) SetDiscretes(u byte, offset int, bits ...bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	copy(s.unit(u).discretes[offset:], bits)
}

// Holding returns n holding registers of unit u from offset.
func (s *Server) Holding(u byte, offset, n int) []uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint16(nil), s.unit(u).holding[offset:offset+n]...)
}

// Coil returns a coil of unit u.
func (s *Server) Coil(u byte, offset int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unit(u).coils[offset]
}

// SetException makes every request of any unit that touches
// [start, start+count) of table t answer exception code (e.g. 2 for an
// unmapped range). Code 0 removes the ranges of that table.
func (s *Server) SetException(t Table, start, count int, code byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		kept := s.exceptions[:0]
		for _, r := range s.exceptions {
			if r.table != t {
				kept = append(kept, r)
			}
		}
		s.exceptions = kept
		return
	}
	s.exceptions = append(s.exceptions, exceptionRange{table: t, start: start, end: start + count, code: code})
}

// SetBusy makes the next n requests answer exception 06 (server busy).
func (s *Server) SetBusy(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = n
}

// SetDelay delays every answer by d (0 for none).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// op is one decoded request for the shared core.
type op struct {
	unit      byte
	fc        byte
	table     Table
	write     bool
	addr, qty uint16
	regs      []uint16 // registers to write
	bits      []bool   // coils to write
	and, or   uint16   // FC22
}

// serve is the core both transports use: it records the request, applies
// faults and reads or writes the map. exc is 0 on success, 0B for a unit
// the server does not serve.
func (s *Server) serve(o op) (regs []uint16, bits []bool, exc byte) {
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Unit: o.unit, Function: o.fc, Addr: o.addr, Quantity: o.qty})
	m := s.units[o.unit]
	if m == nil {
		return nil, nil, 0x0B
	}
	if s.busy > 0 {
		s.busy--
		return nil, nil, 0x06
	}
	start, end := int(o.addr), int(o.addr)+int(o.qty)
	if end > 65536 {
		return nil, nil, 0x02
	}
	for _, r := range s.exceptions {
		if r.table == o.table && start < r.end && r.start < end {
			return nil, nil, r.code
		}
	}
	switch o.table {
	case Coils:
		if o.write {
			copy(m.coils[start:end], o.bits)
			return nil, nil, 0
		}
		return nil, append([]bool(nil), m.coils[start:end]...), 0
	case DiscreteInputs:
		return nil, append([]bool(nil), m.discretes[start:end]...), 0
	case InputRegisters:
		return append([]uint16(nil), m.input[start:end]...), nil, 0
	}
	if o.fc == 22 {
		cur := m.holding[start]
		m.holding[start] = cur&o.and | o.or&^o.and
		return nil, nil, 0
	}
	if o.write {
		copy(m.holding[start:end], o.regs)
		return nil, nil, 0
	}
	return append([]uint16(nil), m.holding[start:end]...), nil, 0
}

// handler adapts Server to simonvetter's RequestHandler.
type handler struct{ s *Server }

var excErrors = map[byte]error{
	0x01: mbs.ErrIllegalFunction, 0x02: mbs.ErrIllegalDataAddress, 0x03: mbs.ErrIllegalDataValue,
	0x04: mbs.ErrServerDeviceFailure, 0x05: mbs.ErrAcknowledge, 0x06: mbs.ErrServerDeviceBusy,
	0x08: mbs.ErrMemoryParityError, 0x0A: mbs.ErrGWPathUnavailable, 0x0B: mbs.ErrGWTargetFailedToRespond,
}

func excErr(code byte) error {
	if code == 0 {
		return nil
	}
	if err, ok := excErrors[code]; ok {
		return err
	}
	return errors.New("unmapped exception") // answered as 04 by simonvetter
}

func (h handler) HandleCoils(r *mbs.CoilsRequest) ([]bool, error) {
	fc := byte(1)
	if r.IsWrite {
		fc = 15
		if r.Quantity == 1 {
			fc = 5
		}
	}
	_, bits, exc := h.s.serve(op{unit: r.UnitId, fc: fc, table: Coils, write: r.IsWrite, addr: r.Addr, qty: r.Quantity, bits: r.Args})
	return bits, excErr(exc)
}

func (h handler) HandleDiscreteInputs(r *mbs.DiscreteInputsRequest) ([]bool, error) {
	_, bits, exc := h.s.serve(op{unit: r.UnitId, fc: 2, table: DiscreteInputs, addr: r.Addr, qty: r.Quantity})
	return bits, excErr(exc)
}

func (h handler) HandleHoldingRegisters(r *mbs.HoldingRegistersRequest) ([]uint16, error) {
	fc := byte(3)
	if r.IsWrite {
		fc = 16
		if r.Quantity == 1 {
			fc = 6
		}
	}
	regs, _, exc := h.s.serve(op{unit: r.UnitId, fc: fc, table: HoldingRegisters, write: r.IsWrite, addr: r.Addr, qty: r.Quantity, regs: r.Args})
	return regs, excErr(exc)
}

func (h handler) HandleInputRegisters(r *mbs.InputRegistersRequest) ([]uint16, error) {
	regs, _, exc := h.s.serve(op{unit: r.UnitId, fc: 4, table: InputRegisters, addr: r.Addr, qty: r.Quantity})
	return regs, excErr(exc)
}
