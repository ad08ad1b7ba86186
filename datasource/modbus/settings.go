package modbus

import (
	"math"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/yamlfield"
)

// Settings are the Modbus settings of a device: the modbus section of a
// device of driver modbus in the project file (docs/project-file.md).
// DecodeSettings fills them in with their defaults; a Device made in code
// may leave any of them zero and New applies the same defaults.
type Settings struct {
	Unit         uint8                // slave / unit ID
	WordOrder    datasource.WordOrder // default for the device's tags
	MaxRegisters int                  // largest block in one FC3/FC4 read (<= 125)
	MaxBits      int                  // largest block in one FC1/FC2 read (<= 2000)
	MaxGap       int                  // registers (or bits) of unused space a read may span; -1 never spans
	MaskWrite    bool                 // the device supports FC22, so bits in registers are writable
	Baud         int                  // RTU serial
	DataBits     int
	Parity       string // "N", "E" or "O"
	StopBits     int
}

// Defaults of the modbus section (docs/project-file.md).
const (
	DefaultUnit      = 1
	DefaultMaxGapTCP = 16 // tcp:// and rtuovertcp://
	DefaultMaxGapRTU = 0  // rtu://: a serial line is slow, read only what is asked
)

// SettingsOf returns the Modbus settings of dev, or the zero Settings (all
// defaults) when it has none.
func SettingsOf(dev *datasource.Device) Settings {
	s, _ := dev.Settings.(Settings)
	return s
}

// schemeOf returns "tcp", "rtu" or "rtuovertcp" from a device address, or
// "" when the scheme is none of them.
func schemeOf(addr string) string {
	for _, s := range []string{"rtuovertcp", "tcp", "rtu"} {
		if strings.HasPrefix(addr, s+"://") && len(addr) > len(s)+3 {
			return s
		}
	}
	return ""
}

// CheckAddress checks the address of a modbus device in the project file:
// its scheme; New checks the rest.
func CheckAddress(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device) {
	v, field := dev.Get("address"), dev.Field("address")
	switch {
	case v == nil || d.Address == "":
		r.Errorf(yamlfield.OrNode(v, dev.Node), field, "required for driver modbus: tcp://host:502, rtu:///dev/ttyUSB0 or rtuovertcp://host:4001")
	case schemeOf(d.Address) == "":
		r.Errorf(v, field, "%q must start with tcp://, rtu:// or rtuovertcp://", d.Address)
	}
}

// DecodeSettings reads the modbus section of device d (absent: all
// defaults) into d.Settings.
func DecodeSettings(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device) {
	tr := schemeOf(d.Address)
	s := Settings{
		Unit:         DefaultUnit,
		WordOrder:    datasource.ABCD,
		MaxRegisters: maxRegistersPerRead,
		MaxBits:      maxBitsPerRead,
		MaxGap:       DefaultMaxGapTCP,
	}
	if tr == "rtu" {
		s.MaxGap = DefaultMaxGapRTU
		s.Baud, s.DataBits, s.Parity, s.StopBits = DefaultBaud, defaultDataBits, defaultParity, defaultStopBits
	}
	defer func() { d.Settings = s }()
	n := dev.Get("modbus")
	if n == nil {
		return
	}
	m := r.Mapping(n, dev.Field("modbus"), "unit", "word_order", "max_registers", "max_bits", "max_gap", "mask_write",
		"baud", "data_bits", "parity", "stop_bits")
	if m == nil {
		return
	}
	if v := m.Get("unit"); v != nil {
		if u, ok := r.Integer(v, m.Field("unit"), 0, 247); ok {
			s.Unit = uint8(u)
		}
	}
	if v := m.Get("word_order"); v != nil {
		if w, ok := r.Enum(v, m.Field("word_order"), "ABCD", "CDAB", "BADC", "DCBA"); ok {
			s.WordOrder, _ = datasource.ParseWordOrder(w)
		}
	}
	r.Int(m, "max_registers", 1, maxRegistersPerRead, &s.MaxRegisters)
	r.Int(m, "max_bits", 1, maxBitsPerRead, &s.MaxBits)
	r.Int(m, "max_gap", -1, math.MaxInt32, &s.MaxGap)
	if v := m.Get("mask_write"); v != nil {
		s.MaskWrite, _ = r.Boolean(v, m.Field("mask_write"))
	}
	for _, k := range []string{"baud", "data_bits", "parity", "stop_bits"} {
		if m.Has(k) && tr != "rtu" && tr != "" {
			r.Errorf(m.Key(k), m.Field(k), "only for serial rtu:// addresses")
		}
	}
	r.Int(m, "baud", 1, math.MaxInt32, &s.Baud)
	r.Int(m, "data_bits", 7, 8, &s.DataBits)
	if v := m.Get("parity"); v != nil {
		if par, ok := r.Enum(v, m.Field("parity"), "N", "E", "O"); ok {
			s.Parity = par
		}
	}
	r.Int(m, "stop_bits", 1, 2, &s.StopBits)
}
