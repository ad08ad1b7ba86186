package datasource

import (
	"math"
	"strconv"
	"strings"
)

// FormatValue renders v, a value of tag t, as a number for people, without
// units or state texts: with t.Decimals digits after the point when the tag
// sets them, else a float in the shortest form that reads back as the same
// value at the tag's own precision. A float32 tag prints as a float32
// (3.14159, not 3.141590118408203); a scaled integer tag with the digits
// that tell one raw count from the next (a 0..27648 raw range over 0..100 %
// prints 3 decimals); anything else as the shortest float64 that reads back
// exactly; a calculated tag (which has no precision of its own) with
// ShortDigits significant digits. Very large and very small magnitudes use
// an exponent. Booleans,
// integers and strings print as Value.Format does; none prints "". t may be
// nil (float64 precision). The CLI, the GUI and the alarm texts all format
// values with it; history exports keep their own full-precision form.
func FormatValue(t *Tag, v Value) string {
	if t != nil && t.Decimals >= 0 {
		return v.Format(t.Decimals)
	}
	if v.kind != KindFloat {
		return v.Format(-1)
	}
	f := math.Float64frombits(v.bits)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	if f == 0 {
		f = 0 // -0 reads as 0 to an operator
	}
	bits, decimals := precision(t)
	if decimals >= 0 {
		return trimZeros(strconv.FormatFloat(f, 'f', decimals, 64))
	}
	if t != nil && t.Calc != nil {
		// Computed, it has no precision of its own: every digit of a
		// float64 (2.1773223657063504) is noise to an operator.
		return shortFloat(f)
	}
	if a := math.Abs(f); a >= 1e21 || (a != 0 && a < 1e-6) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// FormatValueExact is FormatValue without the tag's decimals: every digit
// its precision holds (a float32 input as a float32, 17.447784, not as
// 17.447784423828125 nor rounded to 17.45), for a message that explains a
// failure, where a value rounded to the tag's decimals (0.004 shown as 0)
// would hide its cause.
func FormatValueExact(t *Tag, v Value) string {
	if t != nil && t.Decimals >= 0 {
		c := *t
		c.Decimals = -1
		t = &c
	}
	return FormatValue(t, v)
}

// ShortDigits is how many significant digits FormatValueShort keeps.
const ShortDigits = 6

// FormatValueShort is FormatValue for compact cells (the generated
// overview, displays): a float64 without decimals that needs more than
// ShortDigits significant digits is rounded to them (a float32 keeps its
// shortest round-trip text, issue 15), without an exponent unless the
// magnitude needs one (123456789 stays whole). What FormatValue prints
// shorter stays as it is.
func FormatValueShort(t *Tag, v Value) string {
	s := FormatValue(t, v)
	if (t != nil && t.Decimals >= 0) || v.kind != KindFloat || significant(s) <= ShortDigits {
		return s
	}
	if bits, decimals := precision(t); bits == 32 || decimals >= 0 {
		return s // a float32's shortest text, or a scaled count's digits, is already no longer than it needs
	}
	return shortFloat(math.Float64frombits(v.bits))
}

// shortFloat is f (not NaN or infinite) rounded to ShortDigits
// significant digits, without an exponent unless the magnitude needs one.
func shortFloat(f float64) string {
	a := math.Abs(f)
	if a == 0 {
		return "0"
	}
	if a >= 1e21 || a < 1e-6 {
		return strconv.FormatFloat(f, 'g', ShortDigits, 64)
	}
	n := int(math.Floor(math.Log10(a))) + 1 // digits before the point; <= 0 below 1
	return trimZeros(strconv.FormatFloat(f, 'f', max(0, ShortDigits-n), 64))
}

// significant counts the significant digits of a number's text.
func significant(s string) int {
	n, leading := 0, true
	for _, c := range s {
		switch {
		case c == 'e' || c == 'E':
			return n
		case c < '0' || c > '9':
		case c == '0' && leading:
		default:
			leading = false
			n++
		}
	}
	return n
}

// Float32 returns the float Value of a float32 a device or peer sent as
// such (an OPC UA Float, a Sparkplug Float metric): through its shortest
// decimal form, so that 0.1f is kept as 0.1 and not as 0.10000000149011612,
// wherever it is shown, stored or compared. It reads back as the same
// float32.
func Float32(f float32) Value {
	x, err := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	if err != nil { // NaN and the infinities format and parse; nothing else fails
		x = float64(f)
	}
	return Float(x)
}

// precision returns how a float of tag t is told apart from its neighbours:
// decimals >= 0 for a scaled integer (the digits of one raw count), else
// the float size (32 or 64) whose shortest form is used.
func precision(t *Tag) (bits, decimals int) {
	if t == nil {
		return 64, -1
	}
	switch t.Type {
	case TypeFloat32:
		return 32, -1
	case TypeInt16, TypeUint16, TypeInt32, TypeUint32, TypeInt64, TypeUint64:
		s := t.Scaling
		if s.IsIdentity() {
			return 64, -1
		}
		step := math.Abs((s.EngHi - s.EngLo) / (s.RawHi - s.RawLo))
		if step == 0 || math.IsNaN(step) || math.IsInf(step, 0) {
			return 64, -1
		}
		d := 0
		if step < 1 {
			d = int(math.Ceil(-math.Log10(step) - 1e-9))
		}
		// A step or an offset with a fraction of its own (2.5 per count,
		// from 0.5) needs its digits too.
		d = max(d, fraction(step), fraction(s.EngLo))
		return 64, min(d, 15)
	}
	return 64, -1
}

// fraction is the number of digits after the point of f's shortest form
// when that is a round number (at most 6 of them), else 0: 0.0036169... is
// no step to keep exact, the count's digits (precision) cover it.
func fraction(f float64) int {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 <= 6 {
		return len(s) - i - 1
	}
	return 0
}

// trimZeros drops trailing zeros after the point, and the point itself
// when nothing is left after it ("50.000" -> "50", "4.460" -> "4.46").
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		return "0"
	}
	return s
}
