package modbus

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Table is one of the four Modbus data tables.
type Table uint8

// The Modbus data tables, with their Modicon reference prefixes.
const (
	Coils            Table = iota // 0xxxx, read FC1, write FC5/FC15
	DiscreteInputs                // 1xxxx, read FC2, read-only
	InputRegisters                // 3xxxx, read FC4, read-only
	HoldingRegisters              // 4xxxx, read FC3, write FC6/FC16 (FC22 for bits)
)

var tableNames = [...]string{"coil", "discrete input", "input register", "holding register"}
var tablePrefixes = [...]string{"co", "di", "ir", "hr"}
var tableModicon = [...]int{0, 1, 3, 4}

// String returns the table's name ("holding register").
func (t Table) String() string {
	if int(t) < len(tableNames) {
		return tableNames[t]
	}
	return "table(" + strconv.Itoa(int(t)) + ")"
}

// IsBits reports whether the table holds single bits (coils, discrete inputs).
func (t Table) IsBits() bool { return t == Coils || t == DiscreteInputs }

// Writable reports whether the protocol can write the table.
func (t Table) Writable() bool { return t == Coils || t == HoldingRegisters }

// ReadFunction returns the function code that reads the table.
func (t Table) ReadFunction() byte {
	switch t {
	case Coils:
		return 1
	case DiscreteInputs:
		return 2
	case InputRegisters:
		return 4
	}
	return 3
}

// MaxQuantity is the protocol's limit of one read of the table: 2000 bits
// (FC1/FC2) or 125 registers (FC3/FC4).
func (t Table) MaxQuantity() int {
	if t.IsBits() {
		return 2000
	}
	return 125
}

// NoBit is Address.Bit when the address is a whole register or bit.
const NoBit = -1

// Address is a parsed tag address: a table, a zero-based offset (the number
// on the wire) and, for a bit inside a register, the bit number (0 = least
// significant).
type Address struct {
	Table  Table
	Offset uint16
	Bit    int // NoBit, or 0..15 for a bit of a register
}

// String renders the explicit notation, e.g. "hr:0" or "hr:0.3".
func (a Address) String() string {
	s := tablePrefixes[a.Table&3] + ":" + strconv.Itoa(int(a.Offset))
	if a.Bit != NoBit {
		s += "." + strconv.Itoa(a.Bit)
	}
	return s
}

// Modicon renders the one-based Modicon reference, e.g. "40001" or
// "400001.3" (six digits when the offset is past 9998).
func (a Address) Modicon() string {
	var s string
	if a.Offset < 9999 {
		s = fmt.Sprintf("%d%04d", tableModicon[a.Table&3], int(a.Offset)+1)
	} else {
		s = fmt.Sprintf("%d%05d", tableModicon[a.Table&3], int(a.Offset)+1)
	}
	if a.Bit != NoBit {
		s += "." + strconv.Itoa(a.Bit)
	}
	return s
}

// ErrAddress is wrapped by every address syntax error.
var ErrAddress = errors.New("invalid Modbus address")

const addressHelp = `use a Modicon reference (00001 coil, 10001 discrete input, 30001 input register, 40001 holding register; six digits such as 400001 reach offset 65535) or an explicit zero-based one (co:0, di:0, ir:0, hr:0); a bit of a register is 40001.3 or hr:0.3`

func addrErr(s, why string) error {
	return fmt.Errorf("%w %q: %s; %s", ErrAddress, s, why, addressHelp)
}

// ParseAddress parses a tag address. It accepts the Modicon references users
// know from PLC manuals, which are one-based (40001 is holding register
// offset 0), and the explicit zero-based notation "hr:0", each with an
// optional ".N" bit suffix for a bit of a register.
func ParseAddress(s string) (Address, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, addrErr(in, "empty")
	}
	a := Address{Bit: NoBit}
	if base, bit, ok := strings.Cut(s, "."); ok {
		n, err := strconv.Atoi(bit)
		if err != nil || bit == "" || bit[0] == '+' || bit[0] == '-' || n < 0 || n > 15 {
			return Address{}, addrErr(in, "bit number must be 0..15")
		}
		a.Bit = n
		s = base
	}
	if prefix, num, ok := strings.Cut(s, ":"); ok {
		switch strings.ToLower(prefix) {
		case "co", "coil":
			a.Table = Coils
		case "di":
			a.Table = DiscreteInputs
		case "ir":
			a.Table = InputRegisters
		case "hr":
			a.Table = HoldingRegisters
		default:
			return Address{}, addrErr(in, "unknown table "+strconv.Quote(prefix))
		}
		n, err := strconv.ParseUint(num, 10, 32)
		if err != nil || num == "" || num[0] == '+' {
			return Address{}, addrErr(in, "offset must be a decimal number 0..65535")
		}
		if n > 65535 {
			return Address{}, addrErr(in, "offset past 65535")
		}
		a.Offset = uint16(n)
	} else {
		if !allDigits(s) {
			return Address{}, addrErr(in, "not a number")
		}
		var ref, width int
		switch len(s) {
		case 5:
			width = 4
		case 6:
			width = 5
		default:
			return Address{}, addrErr(in, "a Modicon reference has 5 or 6 digits (write 00001, not 1)")
		}
		ref, _ = strconv.Atoi(s[1:]) // all digits, at most 5
		switch s[0] {
		case '0':
			a.Table = Coils
		case '1':
			a.Table = DiscreteInputs
		case '3':
			a.Table = InputRegisters
		case '4':
			a.Table = HoldingRegisters
		default:
			return Address{}, addrErr(in, "first digit must be 0, 1, 3 or 4")
		}
		limit := 9999
		if width == 5 {
			limit = 65536
		}
		if ref < 1 || ref > limit {
			return Address{}, addrErr(in, fmt.Sprintf("reference must be 1..%d after the table digit (references are one-based)", limit))
		}
		a.Offset = uint16(ref - 1)
	}
	if a.Bit != NoBit && a.Table.IsBits() {
		return Address{}, addrErr(in, "a bit number needs a register, not a "+a.Table.String())
	}
	return a, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
