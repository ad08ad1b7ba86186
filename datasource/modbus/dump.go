package modbus

// This file has no Fyne dependency on purpose: it is the decoding table of
// `vigil probe` as data, meant to move into datasource/modbus (as
// Dump / DecodeDump) so that the CLI's printProbe and this
// inspector print one and the same table.

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
)

// WordOrders are the word orders a dump is decoded in, in column order.
var WordOrders = [4]datasource.WordOrder{datasource.ABCD, datasource.CDAB, datasource.BADC, datasource.DCBA}

// DecodeTypes are the data types a dump is decoded as at each register, in
// row order.
var DecodeTypes = [...]datasource.DataType{
	datasource.TypeInt16, datasource.TypeUint16, datasource.TypeInt32, datasource.TypeUint32,
	datasource.TypeFloat32, datasource.TypeInt64, datasource.TypeUint64, datasource.TypeFloat64,
}

// RawColumns returns the headings of the raw dump's columns for a table:
// reference, offset and value for bits; hex, unsigned, signed, binary and
// ASCII as well for registers.
func RawColumns(t Table) []string {
	if t.IsBits() {
		return []string{"REFERENCE", "OFFSET", "VALUE"}
	}
	return []string{"REFERENCE", "OFFSET", "HEX", "UINT16", "INT16", "BINARY", "ASCII"}
}

// DecodingColumns returns the headings of the decoding table's columns:
// the start register, the type, then one column per word order.
func DecodingColumns() []string {
	cols := []string{"START", "TYPE"}
	for _, o := range WordOrders {
		cols = append(cols, o.String())
	}
	return cols
}

// Dump is one raw read laid out for reading, as `vigil probe` prints it:
// every register (or bit) raw, and for registers the decodings starting at
// each register in every type and word order.
type Dump struct {
	Start Address
	Count int
	// Raw has one row per register or bit, its cells in RawColumns order.
	Raw [][]string
	// Decodings has, for each register, one row per type that fits in the
	// registers left from it (empty for bit tables).
	Decodings []Decoding
	// StringABCD and StringBADC are all the registers read as one string,
	// high byte first and low byte first (empty for bit tables).
	StringABCD, StringBADC string
}

// Decoding is one row of the decoding table: the value of the registers
// from Start read as Type, in each of WordOrders.
type Decoding struct {
	Start  Address
	Type   datasource.DataType
	Values [len(WordOrders)]string
}

// Cells returns the row's cells in DecodingColumns order.
func (d Decoding) Cells() []string {
	return append([]string{d.Start.Modicon(), d.Type.String()}, d.Values[:]...)
}

// Cell returns the cell in column c (DecodingColumns order) without
// building the whole row, for the table's per-cell updates.
func (d Decoding) Cell(c int) string {
	switch c {
	case 0:
		return d.Start.Modicon()
	case 1:
		return d.Type.String()
	}
	return d.Values[c-2]
}

// Last returns the address of the dump's last register or bit.
func (d Dump) Last() Address {
	last := d.Start
	last.Offset += uint16(max(d.Count-1, 0))
	return last
}

// Strings is the sentence that shows the registers read as one string both
// ways, with the bytes Go-quoted so control characters stay visible.
func (d Dump) Strings() string {
	return fmt.Sprintf("string of %d registers: high byte first (ABCD) %s, low byte first (BADC) %s",
		d.Count, strconv.Quote(d.StringABCD), strconv.Quote(d.StringBADC))
}

// DecodeDump lays out data, the answer to a read of count registers (or
// bits) from start as Driver.ReadRange returns it. The bytes come from
// a device: a length that does not match count is an error wrapping
// ErrMalformedResponse, never a panic.
func DecodeDump(start Address, count int, data []byte) (Dump, error) {
	t := start.Table
	if start.Bit != NoBit {
		return Dump{}, fmt.Errorf("%s: give the register, not a bit of it", start.Modicon())
	}
	if count < 1 || count > t.MaxQuantity() || int(start.Offset)+count > 65536 {
		return Dump{}, fmt.Errorf("%d %ss from %s: one read takes 1..%d within offsets 0..65535", count, t, start.Modicon(), t.MaxQuantity())
	}
	want := 2 * count
	if t.IsBits() {
		want = (count + 7) / 8
	}
	if len(data) != want {
		return Dump{}, fmt.Errorf("%w: %d data bytes for %d %ss from %s, want %d", ErrMalformedResponse, len(data), count, t, start.Modicon(), want)
	}
	d := Dump{Start: start, Count: count, Raw: make([][]string, count)}
	at := func(i int) Address {
		r := start
		r.Offset += uint16(i)
		return r
	}
	if t.IsBits() {
		for i := range count {
			r := at(i)
			d.Raw[i] = []string{r.Modicon(), r.String(), strconv.Itoa(int(data[i/8] >> (i % 8) & 1))}
		}
		return d, nil
	}
	for i := range count {
		r := at(i)
		v := binary.BigEndian.Uint16(data[2*i:])
		d.Raw[i] = []string{r.Modicon(), r.String(), fmt.Sprintf("%04X", v), strconv.Itoa(int(v)),
			strconv.Itoa(int(int16(v))), fmt.Sprintf("%016b", v), printable(data[2*i : 2*i+2])}
	}
	for i := range count {
		for _, typ := range DecodeTypes {
			if i+typ.Registers(0) > count {
				continue // not enough registers left for this type
			}
			row := Decoding{Start: at(i), Type: typ}
			for j, o := range WordOrders {
				v, err := DecodeAs(data, i, typ, o, 0)
				if err != nil {
					return Dump{}, fmt.Errorf("decode %s from %s as %s: %w", typ, at(i).Modicon(), o, err)
				}
				row.Values[j] = formatValue(v)
			}
			d.Decodings = append(d.Decodings, row)
		}
	}
	ab, err := DecodeAs(data, 0, datasource.TypeString, datasource.ABCD, count)
	if err != nil {
		return Dump{}, fmt.Errorf("decode string from %s: %w", start.Modicon(), err)
	}
	ba, err := DecodeAs(data, 0, datasource.TypeString, datasource.BADC, count)
	if err != nil {
		return Dump{}, fmt.Errorf("decode string from %s: %w", start.Modicon(), err)
	}
	d.StringABCD, d.StringBADC = ab.AsString(), ba.AsString()
	return d, nil
}

// printable shows the bytes as ASCII, with a dot for each byte that is not
// a printable character.
func printable(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7F {
			s.WriteByte(c)
		} else {
			s.WriteByte('.')
		}
	}
	return s.String()
}

// formatValue prints floats with 8 significant digits (enough to tell a
// float32 apart, short enough to fit a column) and everything else exactly.
func formatValue(v datasource.Value) string {
	if v.Kind() == datasource.KindFloat {
		f, _ := v.AsFloat()
		return strconv.FormatFloat(f, 'g', 8, 64)
	}
	return v.String()
}
