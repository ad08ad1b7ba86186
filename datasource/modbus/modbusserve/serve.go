// Package modbusserve serves a set of tags as a Modbus TCP slave, so that
// any Modbus client (a SCADA, a PLC, Vigil itself) can read and write them.
// `vigil sim --modbus 127.0.0.1:5020` uses it to put the simulated plant on
// the wire for commissioning.
//
// It sits at the far end of the data flow from the driver: tags come from a
// Source (the simulated plant), go through an automatically generated
// register map and out through github.com/simonvetter/modbus's server.
//
// The map is deterministic from the tags, in their order: numeric tags are
// float32 ABCD (big-endian, high word first) in two holding registers each
// from 40001 (hr:0) up, bool tags are coils from 00001 (co:0) up; strings
// and system tags are not served. Every unit ID is answered.
//
// Conventions: reading a range that touches a tag of Bad quality answers
// exception 04 (server device failure); registers or coils past the map
// answer 02 (illegal data address); writing a tag that is not writable
// answers 02, writing only one of a float's two registers answers 03
// (illegal data value), and a write the Source refuses answers 04.
// Discrete inputs and input registers are not served (02).
package modbusserve

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	mbs "github.com/simonvetter/modbus"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
)

// Source is where served values come from and writes go to.
type Source interface {
	Get(id datasource.TagID) datasource.Sample
	Write(ctx context.Context, id datasource.TagID, v datasource.Value) error
}

// Entry is one served tag and its place in the map.
type Entry struct {
	Tag     *datasource.Tag
	Address modbus.Address // hr:N for a float32 (N and N+1), co:N for a bool
	Type    datasource.DataType
}

// Map is the register map of a set of tags.
type Map struct {
	Entries []Entry
	regs    []int // holding register offset -> index into Entries
	coils   []int // coil offset -> index into Entries
	skipped []*datasource.Tag
}

// NewMap makes the map of tags, in their order. Tags past the 65,536
// registers or coils of a table are skipped like strings.
func NewMap(tags []*datasource.Tag) *Map {
	m := &Map{}
	for _, t := range tags {
		switch {
		case t.System || t.Type == datasource.TypeString:
			m.skipped = append(m.skipped, t)
		case t.Type == datasource.TypeBool && len(m.coils) < 65536:
			m.coils = append(m.coils, len(m.Entries))
			m.Entries = append(m.Entries, Entry{Tag: t, Type: datasource.TypeBool,
				Address: modbus.Address{Table: modbus.Coils, Offset: uint16(len(m.coils) - 1), Bit: modbus.NoBit}})
		case t.Type != datasource.TypeBool && len(m.regs) <= 65534:
			m.Entries = append(m.Entries, Entry{Tag: t, Type: datasource.TypeFloat32,
				Address: modbus.Address{Table: modbus.HoldingRegisters, Offset: uint16(len(m.regs)), Bit: modbus.NoBit}})
			m.regs = append(m.regs, len(m.Entries)-1, len(m.Entries)-1)
		default:
			m.skipped = append(m.skipped, t)
		}
	}
	return m
}

// Print writes the map as a table an engineer can configure a client from.
func (m *Map) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tOFFSET\tTYPE\tACCESS\tTAG\tUNITS\tDESCRIPTION")
	for _, e := range m.Entries {
		typ, access := "bool", "r"
		if e.Type == datasource.TypeFloat32 {
			typ = "float32 ABCD"
		}
		if e.Tag.Writable {
			access = "rw"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Address.Modicon(), e.Address, typ, access, e.Tag.Name, e.Tag.Units, e.Tag.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(m.skipped) > 0 {
		names := make([]string, len(m.skipped))
		for i, t := range m.skipped {
			names[i] = t.Name
		}
		_, err := fmt.Fprintf(w, "not served (strings, system tags): %s\n", strings.Join(names, ", "))
		return err
	}
	return nil
}

// Server is a running Modbus TCP slave.
type Server struct {
	addr   string
	srv    *mbs.ModbusServer
	ctx    context.Context // for Source.Write; cancelled by Close
	cancel context.CancelFunc
	once   sync.Once
}

// WriteTimeout bounds one Source.Write.
const WriteTimeout = 5 * time.Second

// Serve starts serving m from src on addr ("127.0.0.1:5020"; port 0 picks
// a free port, see Addr).
func Serve(addr string, m *Map, src Source) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("modbus slave: address %q: %w", addr, err)
	}
	if port == "0" {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("modbus slave: %w", err)
		}
		addr = l.Addr().String()
		if err := l.Close(); err != nil {
			return nil, fmt.Errorf("modbus slave: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{addr: addr, ctx: ctx, cancel: cancel}
	s.srv, err = mbs.NewServer(&mbs.ServerConfiguration{URL: "tcp://" + addr, Timeout: 5 * time.Minute, MaxClients: 20},
		&handler{m: m, src: src, ctx: ctx})
	if err == nil {
		err = s.srv.Start()
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("modbus slave on %s: %w", addr, err)
	}
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// Close stops listening and closes every client connection.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		err = s.srv.Stop()
	})
	return err
}

type handler struct {
	m   *Map
	src Source
	ctx context.Context
}

// entries returns the entries a request of [addr, addr+qty) of a table
// touches, in order, or exception 02 when it leaves the map.
func entries(index []int, addr, qty uint16) ([]int, error) {
	if int(addr)+int(qty) > len(index) {
		return nil, mbs.ErrIllegalDataAddress
	}
	if qty == 0 {
		return nil, mbs.ErrIllegalDataValue
	}
	var out []int
	for _, e := range index[addr : int(addr)+int(qty)] {
		if len(out) == 0 || out[len(out)-1] != e {
			out = append(out, e)
		}
	}
	return out, nil
}

func (h *handler) HandleCoils(r *mbs.CoilsRequest) ([]bool, error) {
	touched, err := entries(h.m.coils, r.Addr, r.Quantity)
	if err != nil {
		return nil, err
	}
	if r.IsWrite {
		for i, ei := range touched {
			e := h.m.Entries[ei]
			if !e.Tag.Writable {
				return nil, mbs.ErrIllegalDataAddress
			}
			if err := h.write(e, datasource.Bool(r.Args[i])); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	out := make([]bool, len(touched))
	for i, ei := range touched {
		s := h.src.Get(h.m.Entries[ei].Tag.ID)
		if s.Quality.IsBad() {
			return nil, mbs.ErrServerDeviceFailure
		}
		out[i] = s.Value.AsBool()
	}
	return out, nil
}

func (h *handler) HandleHoldingRegisters(r *mbs.HoldingRegistersRequest) ([]uint16, error) {
	touched, err := entries(h.m.regs, r.Addr, r.Quantity)
	if err != nil {
		return nil, err
	}
	if r.IsWrite {
		// Whole floats only: a client writing one half would leave a mix.
		if r.Addr%2 != 0 || r.Quantity%2 != 0 {
			return nil, mbs.ErrIllegalDataValue
		}
		for i, ei := range touched {
			if !h.m.Entries[ei].Tag.Writable {
				return nil, mbs.ErrIllegalDataAddress
			}
			f := math.Float32frombits(uint32(r.Args[2*i])<<16 | uint32(r.Args[2*i+1]))
			if err := h.write(h.m.Entries[ei], datasource.Float(float64(f))); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	out := make([]uint16, 0, r.Quantity)
	for _, ei := range touched {
		e := h.m.Entries[ei]
		s := h.src.Get(e.Tag.ID)
		if s.Quality.IsBad() {
			return nil, mbs.ErrServerDeviceFailure
		}
		f, _ := s.Value.AsFloat() // a value without a number (none) serves as 0
		bits := math.Float32bits(float32(f))
		out = append(out, uint16(bits>>16), uint16(bits))
	}
	// The request may start or end in the middle of a float.
	first := int(r.Addr) - int(h.m.Entries[touched[0]].Address.Offset)
	return out[first : first+int(r.Quantity)], nil
}

func (h *handler) write(e Entry, v datasource.Value) error {
	ctx, cancel := context.WithTimeout(h.ctx, WriteTimeout)
	defer cancel()
	if err := h.src.Write(ctx, e.Tag.ID, v); err != nil {
		return mbs.ErrServerDeviceFailure
	}
	return nil
}

func (h *handler) HandleDiscreteInputs(*mbs.DiscreteInputsRequest) ([]bool, error) {
	return nil, mbs.ErrIllegalDataAddress
}

func (h *handler) HandleInputRegisters(*mbs.InputRegistersRequest) ([]uint16, error) {
	return nil, mbs.ErrIllegalDataAddress
}
