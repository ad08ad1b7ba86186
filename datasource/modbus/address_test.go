package modbus

import (
	"errors"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Address
	}{
		{"40001 is holding register offset 0 (references are one-based)", "40001", Address{HoldingRegisters, 0, NoBit}},
		{"40010 is holding register offset 9", "40010", Address{HoldingRegisters, 9, NoBit}},
		{"hr:9 is the same register as 40010", "hr:9", Address{HoldingRegisters, 9, NoBit}},
		{"30001 is input register offset 0", "30001", Address{InputRegisters, 0, NoBit}},
		{"10001 is discrete input offset 0", "10001", Address{DiscreteInputs, 0, NoBit}},
		{"00001 is coil offset 0", "00001", Address{Coils, 0, NoBit}},
		{"49999 is the last five-digit holding register", "49999", Address{HoldingRegisters, 9998, NoBit}},
		{"six digits reach offset 65535", "465536", Address{HoldingRegisters, 65535, NoBit}},
		{"400001 is offset 0 in six digits", "400001", Address{HoldingRegisters, 0, NoBit}},
		{"40001.3 is bit 3 of the first holding register", "40001.3", Address{HoldingRegisters, 0, 3}},
		{"hr:0.15 is the top bit", "hr:0.15", Address{HoldingRegisters, 0, 15}},
		{"ir:65535 is the last input register", "ir:65535", Address{InputRegisters, 65535, NoBit}},
		{"coil:7 is coil offset 7", "coil:7", Address{Coils, 7, NoBit}},
		{"di:3 is discrete offset 3", "di:3", Address{DiscreteInputs, 3, NoBit}},
		{"the prefix is case-insensitive", "HR:2", Address{HoldingRegisters, 2, NoBit}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAddress(tc.in)
			if err != nil {
				t.Fatalf("ParseAddress(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParseAddress(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			again, err := ParseAddress(got.String())
			if err != nil || again != got {
				t.Fatalf("String() %q does not parse back: %+v, %v", got.String(), again, err)
			}
			again, err = ParseAddress(got.Modicon())
			if err != nil || again != got {
				t.Fatalf("Modicon() %q does not parse back: %+v, %v", got.Modicon(), again, err)
			}
		})
	}
}

func TestParseAddressRefuses(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"an empty address", ""},
		{"40000, which is below the one-based first register", "40000"},
		{"a bare 1, which is ambiguous", "1"},
		{"a seven-digit number", "4000001"},
		{"table digit 2", "20001"},
		{"a bit past 15", "40001.16"},
		{"a negative bit", "40001.-1"},
		{"a bit of a coil", "00001.1"},
		{"a bit of a discrete input", "di:0.0"},
		{"an unknown prefix", "xx:1"},
		{"an offset past 65535", "hr:65536"},
		{"six digits past 65536", "465537"},
		{"a negative offset", "hr:-1"},
		{"letters", "40a01"},
		{"an empty bit", "40001."},
		{"hex", "hr:0x10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAddress(tc.in)
			if !errors.Is(err, ErrAddress) {
				t.Fatalf("ParseAddress(%q) = %v, want ErrAddress", tc.in, err)
			}
		})
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"40001", "hr:0.3", "465536", "00001", "co:1", "40001.15", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		if b, err := ParseAddress(a.String()); err != nil || b != a {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, a, a.String(), b, err)
		}
	})
}
