package modbus

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
)

// byteOrder is a WordOrder taken apart: whether the registers of a value
// come low word first, and whether each register's two bytes are swapped.
type byteOrder struct {
	wordSwap, byteSwap bool
}

func orderOf(o datasource.WordOrder) byteOrder {
	switch o {
	case datasource.CDAB:
		return byteOrder{wordSwap: true}
	case datasource.BADC:
		return byteOrder{byteSwap: true}
	case datasource.DCBA:
		return byteOrder{wordSwap: true, byteSwap: true}
	}
	return byteOrder{}
}

// load assembles regs registers (2*regs bytes of b, as on the wire) into an
// integer whose most significant byte is A.
func load(b []byte, regs int, o byteOrder) uint64 {
	var u uint64
	for i := 0; i < regs; i++ {
		j := i
		if o.wordSwap {
			j = regs - 1 - i
		}
		hi, lo := b[2*j], b[2*j+1]
		if o.byteSwap {
			hi, lo = lo, hi
		}
		u = u<<16 | uint64(hi)<<8 | uint64(lo)
	}
	return u
}

// store is the inverse of load: it writes u as regs registers into b.
func store(b []byte, u uint64, regs int, o byteOrder) {
	for i := regs - 1; i >= 0; i-- {
		j := i
		if o.wordSwap {
			j = regs - 1 - i
		}
		hi, lo := byte(u>>8), byte(u)
		if o.byteSwap {
			hi, lo = lo, hi
		}
		b[2*j], b[2*j+1] = hi, lo
		u >>= 16
	}
}

// decodeFunc reads one tag's value out of a block's response data; idx is
// the tag's offset in the block in registers (or bits for bit tables). It
// is chosen once per tag by compile, so the poll path has no type switch.
type decodeFunc func(data []byte, idx int) datasource.Value

// encodeFunc turns an engineering value into the registers to write (as
// wire bytes), or the coil state.
type encodeFunc func(v datasource.Value) ([]byte, error)

// ErrValueRange is wrapped when a value to write does not fit the tag's
// data type after inverse scaling.
var ErrValueRange = errors.New("value out of range for the data type")

// codec is a tag's compiled reading and writing.
type codec struct {
	addr   Address
	regs   int // registers (or bits) the tag occupies
	decode decodeFunc
	encode encodeFunc // nil for bit tags (coils, discretes, bits of registers)
}

// compile checks a tag against the address, type, length and word order
// rules and builds its codec; errors are *datasource.TagError.
func compile(tag *datasource.Tag, devOrder datasource.WordOrder, maxRegs int) (*codec, error) {
	tagErr := func(field, format string, args ...any) error {
		return &datasource.TagError{Tag: tag, Field: field, Err: fmt.Errorf(format, args...)}
	}
	a, err := ParseAddress(tag.Address)
	if err != nil {
		return nil, &datasource.TagError{Tag: tag, Field: "address", Err: err}
	}
	order := tag.WordOrder
	if order == datasource.WordOrderDefault {
		order = devOrder
	}
	if order == datasource.WordOrderDefault {
		order = datasource.ABCD
	}
	if order > datasource.DCBA {
		return nil, tagErr("word_order", "unknown word order %v; use ABCD, CDAB, BADC or DCBA", order)
	}
	if tag.Type > datasource.TypeString {
		return nil, tagErr("type", "unknown data type %v", tag.Type)
	}
	o := orderOf(order)
	c := &codec{addr: a, regs: 1}
	if a.Table.IsBits() {
		if tag.Type != datasource.TypeBool {
			return nil, tagErr("type", "a %s (%s) holds one bit: type must be bool, not %v", a.Table, tag.Address, tag.Type)
		}
		c.decode = func(data []byte, idx int) datasource.Value {
			return datasource.Bool(data[idx>>3]>>(idx&7)&1 != 0)
		}
		return c, nil
	}
	if a.Bit != NoBit {
		if tag.Type != datasource.TypeBool {
			return nil, tagErr("type", "address %s is bit %d of a register: type must be bool, not %v", tag.Address, a.Bit, tag.Type)
		}
		bit := uint(a.Bit)
		c.decode = func(data []byte, idx int) datasource.Value {
			r := uint16(data[2*idx])<<8 | uint16(data[2*idx+1])
			return datasource.Bool(r>>bit&1 != 0)
		}
		return c, nil
	}
	if tag.Type == datasource.TypeString {
		if tag.Length <= 0 {
			return nil, tagErr("length", "a string needs length > 0 (registers, 2 characters each)")
		}
	}
	c.regs = tag.Type.Registers(tag.Length)
	if c.regs > maxRegs {
		return nil, tagErr("length", "%v of %d registers is longer than one read of this device allows (max_registers %d)", tag.Type, c.regs, maxRegs)
	}
	if int(a.Offset)+c.regs > 65536 {
		return nil, tagErr("address", "%v at %s runs past register 65535", tag.Type, tag.Address)
	}
	c.decode, c.encode = registerCodec(tag, c.regs, o)
	return c, nil
}

// registerCodec picks the decoder and encoder of a whole-register tag.
func registerCodec(tag *datasource.Tag, regs int, o byteOrder) (decodeFunc, encodeFunc) {
	s := tag.Scaling
	scaled := !s.IsIdentity()
	num := func(f float64) datasource.Value { return datasource.Float(s.ToEng(f)) }
	switch tag.Type {
	case datasource.TypeBool:
		return func(data []byte, idx int) datasource.Value {
				return datasource.Bool(load(data[2*idx:], 1, o) != 0)
			}, func(v datasource.Value) ([]byte, error) {
				b := make([]byte, 2)
				if v.AsBool() {
					store(b, 1, 1, o)
				}
				return b, nil
			}
	case datasource.TypeInt16, datasource.TypeInt32, datasource.TypeInt64:
		shift := uint(64 - 16*regs)
		var dec decodeFunc
		if scaled {
			dec = func(data []byte, idx int) datasource.Value {
				return num(float64(int64(load(data[2*idx:], regs, o)<<shift) >> shift))
			}
		} else {
			dec = func(data []byte, idx int) datasource.Value {
				return datasource.Int(int64(load(data[2*idx:], regs, o)<<shift) >> shift)
			}
		}
		lo, hi := int64(math.MinInt64)>>shift, int64(math.MaxInt64)>>shift
		return dec, func(v datasource.Value) ([]byte, error) {
			i, err := toInt(v, s, lo, hi)
			if err != nil {
				return nil, err
			}
			b := make([]byte, 2*regs)
			store(b, uint64(i), regs, o)
			return b, nil
		}
	case datasource.TypeUint16, datasource.TypeUint32, datasource.TypeUint64:
		var dec decodeFunc
		if scaled {
			dec = func(data []byte, idx int) datasource.Value { return num(float64(load(data[2*idx:], regs, o))) }
		} else {
			dec = func(data []byte, idx int) datasource.Value { return datasource.Uint(load(data[2*idx:], regs, o)) }
		}
		hi := uint64(math.MaxUint64) >> uint(64-16*regs)
		return dec, func(v datasource.Value) ([]byte, error) {
			u, err := toUint(v, s, hi)
			if err != nil {
				return nil, err
			}
			b := make([]byte, 2*regs)
			store(b, u, regs, o)
			return b, nil
		}
	case datasource.TypeFloat32:
		return func(data []byte, idx int) datasource.Value {
				return num(float64(math.Float32frombits(uint32(load(data[2*idx:], 2, o)))))
			}, func(v datasource.Value) ([]byte, error) {
				f, err := toFloat(v, s)
				if err != nil {
					return nil, err
				}
				if math.Abs(f) > math.MaxFloat32 {
					return nil, fmt.Errorf("%w: %g does not fit float32", ErrValueRange, f)
				}
				b := make([]byte, 4)
				store(b, uint64(math.Float32bits(float32(f))), 2, o)
				return b, nil
			}
	case datasource.TypeFloat64:
		return func(data []byte, idx int) datasource.Value {
				return num(math.Float64frombits(load(data[2*idx:], 4, o)))
			}, func(v datasource.Value) ([]byte, error) {
				f, err := toFloat(v, s)
				if err != nil {
					return nil, err
				}
				b := make([]byte, 8)
				store(b, math.Float64bits(f), 4, o)
				return b, nil
			}
	}
	// TypeString: two characters per register; byte-swapped orders (BADC,
	// DCBA) put the first character in the low byte. Word swap does not apply.
	swap := o.byteSwap
	return func(data []byte, idx int) datasource.Value {
			return datasource.String(decodeString(data[2*idx:2*idx+2*regs], swap))
		}, func(v datasource.Value) ([]byte, error) {
			str := v.AsString()
			if len(str) > 2*regs {
				return nil, fmt.Errorf("%w: %d bytes do not fit a string of %d registers (%d bytes)", ErrValueRange, len(str), regs, 2*regs)
			}
			b := make([]byte, 2*regs)
			copy(b, str)
			if swap {
				for i := 0; i < len(b); i += 2 {
					b[i], b[i+1] = b[i+1], b[i]
				}
			}
			return b, nil
		}
}

func decodeString(b []byte, swap bool) string {
	buf := make([]byte, len(b))
	copy(buf, b)
	if swap {
		for i := 0; i+1 < len(buf); i += 2 {
			buf[i], buf[i+1] = buf[i+1], buf[i]
		}
	}
	// A device pads with NULs (sometimes spaces after them): the text ends at the first NUL.
	if i := strings.IndexByte(string(buf), 0); i >= 0 {
		buf = buf[:i]
	}
	return strings.ToValidUTF8(string(buf), "\uFFFD")
}

// toFloat turns an engineering value into the raw device value.
func toFloat(v datasource.Value, s datasource.Scaling) (float64, error) {
	f, ok := v.AsFloat()
	if !ok {
		return 0, fmt.Errorf("%w: %q is not a number", ErrValueRange, v.String())
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %v is not a finite number", ErrValueRange, f)
	}
	return s.ToRaw(f), nil
}

// toInt converts to a signed raw value in [lo, hi]; integer values without
// scaling stay exact, others are rounded to the nearest integer.
func toInt(v datasource.Value, s datasource.Scaling, lo, hi int64) (int64, error) {
	if s.IsIdentity() && (v.Kind() == datasource.KindInt || v.Kind() == datasource.KindUint || v.Kind() == datasource.KindBool) {
		i, ok := v.AsInt()
		if !ok || i < lo || i > hi {
			return 0, fmt.Errorf("%w: %s not in %d..%d", ErrValueRange, v, lo, hi)
		}
		return i, nil
	}
	f, err := toFloat(v, s)
	if err != nil {
		return 0, err
	}
	f = math.Round(f)
	if f < float64(lo) || f > float64(hi) || (hi == math.MaxInt64 && f >= math.MaxInt64) {
		return 0, fmt.Errorf("%w: raw %g not in %d..%d", ErrValueRange, f, lo, hi)
	}
	return int64(f), nil
}

// toUint converts to an unsigned raw value in [0, hi].
func toUint(v datasource.Value, s datasource.Scaling, hi uint64) (uint64, error) {
	if s.IsIdentity() && (v.Kind() == datasource.KindInt || v.Kind() == datasource.KindUint || v.Kind() == datasource.KindBool) {
		u, ok := v.AsUint()
		if !ok || u > hi {
			return 0, fmt.Errorf("%w: %s not in 0..%d", ErrValueRange, v, hi)
		}
		return u, nil
	}
	f, err := toFloat(v, s)
	if err != nil {
		return 0, err
	}
	f = math.Round(f)
	if f < 0 || f > float64(hi) || (hi == math.MaxUint64 && f >= math.MaxUint64) {
		return 0, fmt.Errorf("%w: raw %g not in 0..%d", ErrValueRange, f, hi)
	}
	return uint64(f), nil
}

// DecodeAs decodes the registers of data (wire bytes) from register index
// idx as typ in the given word order (length: registers of a string), with
// exactly the decoder a tag of that type would get. It is the probe's way
// to show one raw dump in every type and order.
func DecodeAs(data []byte, idx int, typ datasource.DataType, order datasource.WordOrder, length int) (datasource.Value, error) {
	t := &datasource.Tag{Name: "probe", Address: "hr:0", Type: typ, WordOrder: order, Length: length}
	c, err := compile(t, datasource.ABCD, maxRegistersPerRead)
	if err != nil {
		return datasource.Value{}, err
	}
	if idx < 0 || 2*(idx+c.regs) > len(data) {
		return datasource.Value{}, fmt.Errorf("%v needs %d registers from index %d, have %d", typ, c.regs, idx, len(data)/2)
	}
	return c.decode(data, idx), nil
}
