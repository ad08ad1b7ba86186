package modbus

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
)

func regs(words ...uint16) []byte {
	b := make([]byte, 2*len(words))
	for i, w := range words {
		binary.BigEndian.PutUint16(b[2*i:], w)
	}
	return b
}

func TestDecode(t *testing.T) {
	pi32 := math.Float32bits(float32(math.Pi))
	tests := []struct {
		name  string
		tag   datasource.Tag
		words []uint16
		want  datasource.Value
	}{
		{"float32 ABCD decodes 0x4049 0x0FDB as pi", datasource.Tag{Type: datasource.TypeFloat32, WordOrder: datasource.ABCD}, []uint16{0x4049, 0x0FDB}, datasource.Float(float64(math.Float32frombits(pi32)))},
		{"float32 CDAB decodes 0x0FDB 0x4049 as pi", datasource.Tag{Type: datasource.TypeFloat32, WordOrder: datasource.CDAB}, []uint16{0x0FDB, 0x4049}, datasource.Float(float64(math.Float32frombits(pi32)))},
		{"float32 BADC decodes 0x4940 0xDB0F as pi", datasource.Tag{Type: datasource.TypeFloat32, WordOrder: datasource.BADC}, []uint16{0x4940, 0xDB0F}, datasource.Float(float64(math.Float32frombits(pi32)))},
		{"float32 DCBA decodes 0xDB0F 0x4940 as pi", datasource.Tag{Type: datasource.TypeFloat32, WordOrder: datasource.DCBA}, []uint16{0xDB0F, 0x4940}, datasource.Float(float64(math.Float32frombits(pi32)))},
		{"int16 decodes 0xFFFE as -2", datasource.Tag{Type: datasource.TypeInt16}, []uint16{0xFFFE}, datasource.Int(-2)},
		{"int16 DCBA swaps the bytes: 0xFEFF is -2", datasource.Tag{Type: datasource.TypeInt16, WordOrder: datasource.DCBA}, []uint16{0xFEFF}, datasource.Int(-2)},
		{"uint16 decodes 0xFFFE as 65534", datasource.Tag{Type: datasource.TypeUint16}, []uint16{0xFFFE}, datasource.Uint(65534)},
		{"int32 ABCD decodes 0xFFFF 0xFFFE as -2", datasource.Tag{Type: datasource.TypeInt32}, []uint16{0xFFFF, 0xFFFE}, datasource.Int(-2)},
		{"uint32 CDAB decodes 0x5678 0x1234 as 0x12345678", datasource.Tag{Type: datasource.TypeUint32, WordOrder: datasource.CDAB}, []uint16{0x5678, 0x1234}, datasource.Uint(0x12345678)},
		{"int64 ABCD decodes -3", datasource.Tag{Type: datasource.TypeInt64}, []uint16{0xFFFF, 0xFFFF, 0xFFFF, 0xFFFD}, datasource.Int(-3)},
		{"uint64 CDAB reverses all four words", datasource.Tag{Type: datasource.TypeUint64, WordOrder: datasource.CDAB}, []uint16{0x7788, 0x5566, 0x3344, 0x1122}, datasource.Uint(0x1122334455667788)},
		{"uint64 DCBA is little-endian", datasource.Tag{Type: datasource.TypeUint64, WordOrder: datasource.DCBA}, []uint16{0x8877, 0x6655, 0x4433, 0x2211}, datasource.Uint(0x1122334455667788)},
		{"float64 ABCD decodes e", datasource.Tag{Type: datasource.TypeFloat64}, u64words(math.Float64bits(math.E)), datasource.Float(math.E)},
		{"string of 3 registers stops at the NUL", datasource.Tag{Type: datasource.TypeString, Length: 3}, []uint16{'H'<<8 | 'E', 'L'<<8 | 'L', 'O' << 8}, datasource.String("HELLO")},
		{"string BADC puts the first character in the low byte", datasource.Tag{Type: datasource.TypeString, Length: 2, WordOrder: datasource.BADC}, []uint16{'B'<<8 | 'A', 'D'<<8 | 'C'}, datasource.String("ABCD")},
		{"uint16 scaled 0..27648 -> 0..100 reads 13824 as 50", datasource.Tag{Type: datasource.TypeUint16, Scaling: datasource.Scaling{RawLo: 0, RawHi: 27648, EngLo: 0, EngHi: 100}}, []uint16{13824}, datasource.Float(50)},
		{"int16 scaled x0.1 reads -125 as -12.5", datasource.Tag{Type: datasource.TypeInt16, Scaling: datasource.Scaling{RawLo: 0, RawHi: 10, EngLo: 0, EngHi: 1}}, []uint16{0xFF83}, datasource.Float(-12.5)},
		{"bool of a whole register is true when non-zero", datasource.Tag{Type: datasource.TypeBool}, []uint16{0x0100}, datasource.Bool(true)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tag := tc.tag
			tag.Address = "hr:0"
			c, err := compile(&tag, datasource.ABCD, 125)
			if err != nil {
				t.Fatal(err)
			}
			data := append(regs(0x1111), regs(tc.words...)...) // the tag at index 1 of a block
			if got := c.decode(data, 1); got != tc.want {
				t.Fatalf("decode = %v (%v), want %v (%v)", got, got.Kind(), tc.want, tc.want.Kind())
			}
			if c.encode == nil || tag.Type == datasource.TypeBool {
				return
			}
			b, err := c.encode(tc.want)
			if err != nil {
				t.Fatalf("encode(%v): %v", tc.want, err)
			}
			if got := c.decode(append(regs(0), b...), 1); got != tc.want {
				t.Fatalf("encode then decode = %v, want %v", got, tc.want)
			}
		})
	}
}

func u64words(u uint64) []uint16 {
	return []uint16{uint16(u >> 48), uint16(u >> 32), uint16(u >> 16), uint16(u)}
}

func TestBitDecode(t *testing.T) {
	tag := &datasource.Tag{Type: datasource.TypeBool, Address: "40001.3"}
	c, err := compile(tag, datasource.ABCD, 125)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.decode(regs(0x0008), 0); got != datasource.Bool(true) {
		t.Fatalf("bit 3 of 0x0008 = %v, want true", got)
	}
	if got := c.decode(regs(0xFFF7), 0); got != datasource.Bool(false) {
		t.Fatalf("bit 3 of 0xFFF7 = %v, want false", got)
	}
	coil := &datasource.Tag{Type: datasource.TypeBool, Address: "00001"}
	c, err = compile(coil, datasource.ABCD, 125)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.decode([]byte{0x00, 0x02}, 9); got != datasource.Bool(true) {
		t.Fatalf("bit 9 of coil bytes 00 02 = %v, want true", got)
	}
}

func TestEncodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		tag  datasource.Tag
		v    datasource.Value
	}{
		{"int16 refuses 40000", datasource.Tag{Type: datasource.TypeInt16}, datasource.Int(40000)},
		{"uint16 refuses -1", datasource.Tag{Type: datasource.TypeUint16}, datasource.Int(-1)},
		{"uint16 refuses 65535.6, which rounds past the top", datasource.Tag{Type: datasource.TypeUint16}, datasource.Float(65535.6)},
		{"float32 refuses 1e39", datasource.Tag{Type: datasource.TypeFloat32}, datasource.Float(1e39)},
		{"float64 refuses NaN", datasource.Tag{Type: datasource.TypeFloat64}, datasource.Float(math.NaN())},
		{"int32 refuses a word", datasource.Tag{Type: datasource.TypeInt32}, datasource.String("ten")},
		{"a string of 2 registers refuses 5 characters", datasource.Tag{Type: datasource.TypeString, Length: 2}, datasource.String("ABCDE")},
		{"scaled uint16 refuses 30 when 10 is raw 27648 (raw 82944 > 65535)", datasource.Tag{Type: datasource.TypeUint16, Scaling: datasource.Scaling{RawHi: 27648, EngHi: 10}}, datasource.Float(30)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tag := tc.tag
			tag.Address = "hr:0"
			c, err := compile(&tag, datasource.ABCD, 125)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.encode(tc.v); !errors.Is(err, ErrValueRange) {
				t.Fatalf("encode(%v) = %v, want ErrValueRange", tc.v, err)
			}
		})
	}
}

func TestEncodeScaledIsInverse(t *testing.T) {
	tag := &datasource.Tag{Type: datasource.TypeUint16, Address: "hr:0", Scaling: datasource.Scaling{RawHi: 27648, EngHi: 100}}
	c, err := compile(tag, datasource.ABCD, 125)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.encode(datasource.Float(50))
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint16(b); got != 13824 {
		t.Fatalf("50 %% encodes as raw %d, want 13824", got)
	}
}
