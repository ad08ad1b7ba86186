package datasource

import (
	"math"
	"strconv"
)

// Kind says which member of the Value union is set.
type Kind uint8

// The kinds of Value. KindNone is the zero Value: "no value yet".
const (
	KindNone Kind = iota
	KindBool
	KindInt
	KindUint
	KindFloat
	KindString
)

var kindNames = [...]string{"none", "bool", "int", "uint", "float", "string"}

// String returns the kind's lower-case name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a tag value: a tagged union of bool, int64, uint64, float64 and
// string. It is comparable with == (floats compare by bits, so NaN == NaN) and
// cheap to copy; the zero Value has KindNone.
type Value struct {
	kind Kind
	bits uint64 // bool (0/1), int64, uint64 or float64 bits
	str  string
}

// Bool returns a bool Value.
func Bool(b bool) Value {
	if b {
		return Value{kind: KindBool, bits: 1}
	}
	return Value{kind: KindBool}
}

// Int returns a signed integer Value.
func Int(i int64) Value { return Value{kind: KindInt, bits: uint64(i)} }

// Uint returns an unsigned integer Value.
func Uint(u uint64) Value { return Value{kind: KindUint, bits: u} }

// Float returns a floating-point Value.
func Float(f float64) Value { return Value{kind: KindFloat, bits: math.Float64bits(f)} }

// String returns a string Value.
func String(s string) Value { return Value{kind: KindString, str: s} }

// Kind reports which member is set.
func (v Value) Kind() Kind { return v.kind }

// Word returns v's kind and the bits of a bool, number or none (0 for a
// string): two Values of a kind other than KindString are equal exactly
// when these are. It lets a hot loop keep a value in 9 bytes instead of 32
// (datasource/calc checks every input of a scan against its last).
func (v Value) Word() (Kind, uint64) { return v.kind, v.bits }

// ValueOfWord returns the Value of kind k and bits, as Word gave them, for
// any kind but KindString (whose text is not in the bits): the zero Value
// for that.
func ValueOfWord(k Kind, bits uint64) Value {
	if k == KindString {
		return Value{}
	}
	return Value{kind: k, bits: bits}
}

// IsNone reports whether v holds no value.
func (v Value) IsNone() bool { return v.kind == KindNone }

// AsBool returns the value as a bool: numbers are true when non-zero, strings
// when non-empty.
func (v Value) AsBool() bool {
	switch v.kind {
	case KindFloat:
		return math.Float64frombits(v.bits) != 0
	case KindString:
		return v.str != ""
	default:
		return v.bits != 0
	}
}

// AsInt returns the value as int64; floats are truncated toward zero, strings
// are parsed, and ok is false when that is impossible or out of range.
func (v Value) AsInt() (i int64, ok bool) {
	switch v.kind {
	case KindBool, KindInt:
		return int64(v.bits), true
	case KindUint:
		return int64(v.bits), v.bits <= math.MaxInt64
	case KindFloat:
		f := math.Float64frombits(v.bits)
		if math.IsNaN(f) || f < math.MinInt64 || f >= math.MaxInt64 {
			return 0, false
		}
		return int64(f), true
	case KindString:
		i, err := strconv.ParseInt(v.str, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// AsUint returns the value as uint64, with ok false for negative or
// unrepresentable values.
func (v Value) AsUint() (u uint64, ok bool) {
	switch v.kind {
	case KindBool, KindUint:
		return v.bits, true
	case KindInt:
		return v.bits, int64(v.bits) >= 0
	case KindFloat:
		f := math.Float64frombits(v.bits)
		if math.IsNaN(f) || f < 0 || f >= math.MaxUint64 {
			return 0, false
		}
		return uint64(f), true
	case KindString:
		u, err := strconv.ParseUint(v.str, 10, 64)
		return u, err == nil
	}
	return 0, false
}

// AsFloat returns the value as float64; ok is false for KindNone and for
// strings that are not numbers.
func (v Value) AsFloat() (f float64, ok bool) {
	switch v.kind {
	case KindBool, KindUint:
		return float64(v.bits), true
	case KindInt:
		return float64(int64(v.bits)), true
	case KindFloat:
		return math.Float64frombits(v.bits), true
	case KindString:
		f, err := strconv.ParseFloat(v.str, 64)
		return f, err == nil
	}
	return 0, false
}

// AsString returns the string member, or the value formatted with Format(-1).
func (v Value) AsString() string {
	if v.kind == KindString {
		return v.str
	}
	return v.Format(-1)
}

// Format renders the value for people: floats with the given number of
// decimals (-1 for the shortest exact form), bools as true/false, none as "".
func (v Value) Format(decimals int) string {
	switch v.kind {
	case KindBool:
		return strconv.FormatBool(v.bits != 0)
	case KindInt:
		return strconv.FormatInt(int64(v.bits), 10)
	case KindUint:
		return strconv.FormatUint(v.bits, 10)
	case KindFloat:
		return strconv.FormatFloat(math.Float64frombits(v.bits), 'f', decimals, 64)
	case KindString:
		return v.str
	}
	return ""
}

// String implements fmt.Stringer with Format(-1).
func (v Value) String() string { return v.Format(-1) }
