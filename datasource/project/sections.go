package project

import (
	"math"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// Modbus, OPC UA and simulator defaults (docs/project-file.md).
const (
	DefaultModbusUnit   = 1
	DefaultMaxRegisters = 125
	DefaultMaxBits      = 2000
	DefaultMaxGapTCP    = 16 // tcp:// and rtuovertcp://
	DefaultMaxGapRTU    = 0  // rtu://: a serial line is slow, read only what is asked
	DefaultBaud         = 19200
	DefaultDataBits     = 8
	DefaultParity       = "E"
	DefaultStopBits     = 1
	DefaultQueueSize    = 10
	DefaultSimSeed      = 1
	DefaultSimSpeed     = 1
)

// modbus reads the modbus section (n may be nil: all defaults).
func (p *parser) modbus(n *yaml.Node, path string, d *datasource.Device) {
	transport := modbusTransport(d.Address)
	s := datasource.ModbusSettings{
		Unit:         DefaultModbusUnit,
		WordOrder:    datasource.ABCD,
		MaxRegisters: DefaultMaxRegisters,
		MaxBits:      DefaultMaxBits,
		MaxGap:       DefaultMaxGapTCP,
	}
	if transport == "rtu" {
		s.MaxGap = DefaultMaxGapRTU
		s.Baud, s.DataBits, s.Parity, s.StopBits = DefaultBaud, DefaultDataBits, DefaultParity, DefaultStopBits
	}
	defer func() { d.Modbus = s }()
	if n == nil {
		return
	}
	m := p.mapping(n, path, "unit", "word_order", "max_registers", "max_bits", "max_gap", "mask_write",
		"baud", "data_bits", "parity", "stop_bits")
	if m == nil {
		return
	}
	if v := m.get("unit"); v != nil {
		if u, ok := p.integer(v, m.field("unit"), 0, 247); ok {
			s.Unit = uint8(u)
		}
	}
	if v := m.get("word_order"); v != nil {
		if w, ok := p.enum(v, m.field("word_order"), "ABCD", "CDAB", "BADC", "DCBA"); ok {
			s.WordOrder, _ = datasource.ParseWordOrder(w)
		}
	}
	intField(p, m, "max_registers", 1, 125, &s.MaxRegisters)
	intField(p, m, "max_bits", 1, 2000, &s.MaxBits)
	intField(p, m, "max_gap", -1, math.MaxInt32, &s.MaxGap)
	if v := m.get("mask_write"); v != nil {
		s.MaskWrite, _ = p.boolean(v, m.field("mask_write"))
	}
	for _, k := range []string{"baud", "data_bits", "parity", "stop_bits"} {
		if m.has(k) && transport != "rtu" && transport != "" {
			p.errorf(m.key(k), m.field(k), "only for serial rtu:// addresses")
		}
	}
	intField(p, m, "baud", 1, math.MaxInt32, &s.Baud)
	if v := m.get("data_bits"); v != nil {
		if b, ok := p.integer(v, m.field("data_bits"), 7, 8); ok {
			s.DataBits = int(b)
		}
	}
	if v := m.get("parity"); v != nil {
		if par, ok := p.enum(v, m.field("parity"), "N", "E", "O"); ok {
			s.Parity = par
		}
	}
	if v := m.get("stop_bits"); v != nil {
		if b, ok := p.integer(v, m.field("stop_bits"), 1, 2); ok {
			s.StopBits = int(b)
		}
	}
}

// intField reads m's key as an integer in [lo, hi] into dst when given.
func intField(p *parser, m *mapping, key string, lo, hi int64, dst *int) {
	if v := m.get(key); v != nil {
		if x, ok := p.integer(v, m.field(key), lo, hi); ok {
			*dst = int(x)
		}
	}
}

// opcua reads the opcua section (n may be nil: all defaults).
func (p *parser) opcua(n *yaml.Node, path string, d *datasource.Device) {
	s := datasource.OPCUASettings{SecurityPolicy: "None", SecurityMode: "None", QueueSize: DefaultQueueSize}
	defer func() { d.OPCUA = s }()
	if n == nil {
		return
	}
	m := p.mapping(n, path, "security_policy", "security_mode", "username", "password",
		"cert_file", "key_file", "trust_dir", "poll", "queue_size", "max_nodes_per_read")
	if m == nil {
		return
	}
	policyOK, modeOK := true, true
	if v := m.get("security_policy"); v != nil {
		s.SecurityPolicy, policyOK = p.enum(v, m.field("security_policy"), "None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss")
	}
	if v := m.get("security_mode"); v != nil {
		s.SecurityMode, modeOK = p.enum(v, m.field("security_mode"), "None", "Sign", "SignAndEncrypt")
	}
	if policyOK && modeOK && (s.SecurityPolicy == "None") != (s.SecurityMode == "None") {
		p.errorf(orNode(m.get("security_mode"), orNode(m.get("security_policy"), m.node)), m.field("security_mode"),
			"%s with security_policy %s; use None with None, Sign or SignAndEncrypt with any other policy", s.SecurityMode, s.SecurityPolicy)
	}
	p.credentials(m, &s.Username, &s.Password)
	p.paths(m, []pathField{{"cert_file", &s.CertFile}, {"key_file", &s.KeyFile}, {"trust_dir", &s.TrustDir}})
	if v := m.get("poll"); v != nil {
		s.Poll, _ = p.boolean(v, m.field("poll"))
	}
	if v := m.get("queue_size"); v != nil {
		if q, ok := p.integer(v, m.field("queue_size"), 1, math.MaxUint32); ok {
			s.QueueSize = uint32(q)
		}
	}
	intField(p, m, "max_nodes_per_read", 0, math.MaxInt32, &s.MaxNodesPerRead)
}

// relative makes a path in the project relative to the project file's
// directory, so a project works whatever the current directory.
func (p *parser) relative(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.dir, path)
}

// sim reads the sim section (n may be nil: all defaults).
func (p *parser) sim(n *yaml.Node, path string, d *datasource.Device) {
	s := datasource.SimSettings{Seed: DefaultSimSeed, Speed: DefaultSimSpeed}
	defer func() { d.Sim = s }()
	if n == nil {
		return
	}
	m := p.mapping(n, path, "seed", "speed", "faults")
	if m == nil {
		return
	}
	if v := m.get("seed"); v != nil {
		s.Seed, _ = p.integer(v, m.field("seed"), math.MinInt64, math.MaxInt64)
	}
	if v := m.get("speed"); v != nil {
		if sp, ok := p.number(v, m.field("speed")); ok {
			if sp <= 0 {
				p.errorf(v, m.field("speed"), "must be > 0, got %g", sp)
			} else {
				s.Speed = sp
			}
		}
	}
	field := m.field("faults")
	for i, item := range p.sequence(m.get("faults"), field) {
		fm := p.mapping(item, index(field, i), "kind", "tag", "at", "for")
		if fm == nil {
			continue
		}
		f := datasource.SimFault{Pos: p.pos(fm.node)}
		if v := fm.get("kind"); v != nil {
			f.Kind, _ = p.enum(v, fm.field("kind"), "drop", "freeze", "bad")
		} else {
			p.errorf(fm.node, fm.field("kind"), "required: drop, freeze or bad")
		}
		if v := fm.get("tag"); v != nil {
			f.Tag, _ = p.str(v, fm.field("tag"))
			if f.Kind == "drop" {
				p.errorf(v, fm.field("tag"), "not for kind drop: it drops the whole device")
			} else if f.Tag != "" {
				p.faults = append(p.faults, faultRef{dev: d, node: v, field: fm.field("tag")})
			}
		}
		if f.Tag == "" && (f.Kind == "freeze" || f.Kind == "bad") {
			p.errorf(orNode(fm.get("tag"), fm.node), fm.field("tag"), "required for kind %s", f.Kind)
		}
		if v := fm.get("at"); v != nil {
			f.At, _ = p.duration(v, fm.field("at"), false)
		}
		if v := fm.get("for"); v != nil {
			f.For, _ = p.duration(v, fm.field("for"), false)
		}
		s.Faults = append(s.Faults, f)
	}
}

// credentials reads a section's username and password (a secret: plain,
// env: or file:) into user and pass.
func (p *parser) credentials(m *mapping, user, pass *string) {
	if v := m.get("username"); v != nil {
		*user, _ = p.str(v, m.field("username"))
	}
	if v := m.get("password"); v != nil {
		*pass, _ = p.secret(v, m.field("password"))
		if *user == "" {
			p.errorf(v, m.field("password"), "given without a username")
		}
	}
}

// pathField is a file or directory field of a section and where it goes.
type pathField struct {
	key string
	dst *string
}

// paths reads a section's file fields, relative to the project file, and
// checks that cert_file and key_file come together.
func (p *parser) paths(m *mapping, fields []pathField) {
	for _, f := range fields {
		if v := m.get(f.key); v != nil {
			if str, ok := p.str(v, m.field(f.key)); ok {
				*f.dst = p.relative(str)
			}
		}
	}
	if (m.get("cert_file") == nil) != (m.get("key_file") == nil) {
		p.errorf(orNode(m.get("cert_file"), m.get("key_file")), m.path, "cert_file and key_file go together: give both or neither")
	}
}
