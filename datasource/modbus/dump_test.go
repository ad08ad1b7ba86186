package modbus

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
)

func hr(offset uint16) Address {
	return Address{Table: HoldingRegisters, Offset: offset, Bit: NoBit}
}

// decoding returns the row of d for type typ starting at ref.
func decoding(t *testing.T, d Dump, ref string, typ datasource.DataType) Decoding {
	t.Helper()
	for _, r := range d.Decodings {
		if r.Start.Modicon() == ref && r.Type == typ {
			return r
		}
	}
	t.Fatalf("no %s decoding from %s", typ, ref)
	return Decoding{}
}

func TestDecodeDumpShowsEveryTypeInEveryWordOrder(t *testing.T) {
	// 0x0FDB 0x4049 is pi as float32 with the low word first (CDAB).
	data := []byte{0x0F, 0xDB, 0x40, 0x49, 0x41, 0x42, 0xFF, 0xFF}
	d, err := DecodeDump(hr(0), 4, data)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		ref   string
		typ   datasource.DataType
		order int // index into WordOrders
		want  string
	}{
		{"float32 CDAB decodes 0x0FDB 0x4049 as pi", "40001", datasource.TypeFloat32, 1, "3.1415927"},
		{"float32 ABCD reads the same words the other way round", "40001", datasource.TypeFloat32, 0, "2.1619829e-29"},
		{"uint32 ABCD is 0x0FDB4049, the high word first", "40001", datasource.TypeUint32, 0, "266027081"},
		{"uint16 BADC swaps the bytes of a register", "40002", datasource.TypeUint16, 2, "18752"},
		{"int16 of 0xFFFF is -1 in every order", "40004", datasource.TypeInt16, 3, "-1"},
		{"int64 DCBA reverses all eight bytes: 0xFFFF42414940DB0F", "40001", datasource.TypeInt64, 3, "-208626807416049"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := decoding(t, d, c.ref, c.typ).Values[c.order]; got != c.want {
				t.Errorf("%s %s %s = %s, want %s", c.ref, c.typ, WordOrders[c.order], got, c.want)
			}
		})
	}
	t.Run("a type needing more registers than remain is left out", func(t *testing.T) {
		for _, r := range d.Decodings {
			if r.Start.Offset+uint16(r.Type.Registers(0)) > 4 {
				t.Errorf("%s from %s needs registers past the dump", r.Type, r.Start.Modicon())
			}
		}
		if len(d.Decodings) != 8+5+5+2 {
			t.Errorf("%d decoding rows, want 20 (8 types from 40001, 5 from 40002 and 40003, 2 from 40004)", len(d.Decodings))
		}
	})
	t.Run("the raw rows show reference, offset, hex, unsigned, signed, binary and ASCII", func(t *testing.T) {
		want := [][]string{
			{"40001", "hr:0", "0FDB", "4059", "4059", "0000111111011011", ".."},
			{"40002", "hr:1", "4049", "16457", "16457", "0100000001001001", "@I"},
			{"40003", "hr:2", "4142", "16706", "16706", "0100000101000010", "AB"},
			{"40004", "hr:3", "FFFF", "65535", "-1", "1111111111111111", ".."},
		}
		for i, row := range want {
			if got := strings.Join(d.Raw[i], " "); got != strings.Join(row, " ") {
				t.Errorf("row %d = %s, want %s", i, got, strings.Join(row, " "))
			}
		}
	})
	t.Run("the whole range reads as a string both ways", func(t *testing.T) {
		d, err := DecodeDump(hr(0), 2, []byte("PUMP"))
		if err != nil {
			t.Fatal(err)
		}
		want := `string of 2 registers: high byte first (ABCD) "PUMP", low byte first (BADC) "UPPM"`
		if d.Strings() != want {
			t.Errorf("strings:\n got %s\nwant %s", d.Strings(), want)
		}
	})
}

func TestDecodeDumpOfBitsShowsOneValuePerBit(t *testing.T) {
	start := Address{Table: Coils, Offset: 7, Bit: NoBit}
	d, err := DecodeDump(start, 10, []byte{0b0000_0101, 0b10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d.Raw {
		got = append(got, r[0]+"="+r[2])
	}
	want := "00008=1 00009=0 00010=1 00011=0 00012=0 00013=0 00014=0 00015=0 00016=0 00017=1"
	if strings.Join(got, " ") != want {
		t.Errorf("bits = %s, want %s", strings.Join(got, " "), want)
	}
	if len(d.Decodings) != 0 || d.StringABCD != "" {
		t.Errorf("bits have no decodings: %d rows, string %q", len(d.Decodings), d.StringABCD)
	}
}

func TestDecodeDumpRefusesWhatCannotBeTheAnswer(t *testing.T) {
	cases := []struct {
		name      string
		start     Address
		count     int
		data      []byte
		malformed bool
	}{
		{"too few bytes for the registers is malformed", hr(0), 4, make([]byte, 6), true},
		{"too many bytes is malformed", hr(0), 1, make([]byte, 4), true},
		{"too few bytes for the bits is malformed", Address{Table: DiscreteInputs, Bit: NoBit}, 9, []byte{1}, true},
		{"a bit of a register is not a range", Address{Table: HoldingRegisters, Bit: 3}, 1, make([]byte, 2), false},
		{"no registers is not a read", hr(0), 0, nil, false},
		{"a range past offset 65535 is refused", hr(65535), 2, make([]byte, 4), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeDump(c.start, c.count, c.data)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrMalformedResponse); got != c.malformed {
				t.Errorf("malformed = %v, want %v: %v", got, c.malformed, err)
			}
		})
	}
}

func FuzzDecodeDump(f *testing.F) {
	f.Add(uint8(3), uint16(0), 4, []byte{0x0F, 0xDB, 0x40, 0x49, 0x41, 0x42, 0xFF, 0xFF})
	f.Add(uint8(0), uint16(7), 10, []byte{5, 2})
	f.Add(uint8(2), uint16(65535), 1, []byte{0, 0})
	f.Fuzz(func(t *testing.T, table uint8, offset uint16, count int, data []byte) {
		start := Address{Table: Table(table % 4), Offset: offset, Bit: NoBit}
		d, err := DecodeDump(start, count, data)
		if err != nil {
			return
		}
		if len(d.Raw) != count {
			t.Fatalf("%d raw rows for %d", len(d.Raw), count)
		}
		for _, r := range d.Raw {
			if len(r) != len(RawColumns(start.Table)) {
				t.Fatalf("row %v does not fit the columns %v", r, RawColumns(start.Table))
			}
		}
	})
}

func BenchmarkDecodeDump(b *testing.B) {
	data := make([]byte, 2*125)
	for i := range data {
		data[i] = byte(i * 7)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeDump(hr(0), 125, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/refresh")
}
