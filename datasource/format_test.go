package datasource

import (
	"math"
	"strconv"
	"testing"
)

func TestFormatValue(t *testing.T) {
	f32 := &Tag{Type: TypeFloat32, Decimals: -1}
	f64 := &Tag{Type: TypeFloat64, Decimals: -1}
	pct := &Tag{Type: TypeInt16, Decimals: -1, Scaling: Scaling{RawLo: 0, RawHi: 27648, EngLo: 0, EngHi: 100}}
	halves := &Tag{Type: TypeUint16, Decimals: -1, Scaling: Scaling{RawLo: 0, RawHi: 10, EngLo: 0.5, EngHi: 25.5}}
	tenths := &Tag{Type: TypeInt16, Decimals: -1, Scaling: Scaling{RawLo: 0, RawHi: 1000, EngLo: 0, EngHi: 100}}
	two := &Tag{Type: TypeFloat32, Decimals: 2}
	calc := &Tag{Type: TypeFloat64, Decimals: -1, Calc: &CalcDef{Kind: CalcExpr, Expr: "A / B"}}
	calcTwo := &Tag{Type: TypeFloat64, Decimals: 2, Calc: &CalcDef{Kind: CalcExpr, Expr: "A / B"}}
	a, b := 0.1, 0.2
	tests := []struct {
		name string
		tag  *Tag
		v    Value
		want string
	}{
		{"float32 3.14159 prints as float32, not its float64 expansion", f32, Float(float64(float32(3.14159))), "3.14159"},
		{"a Sparkplug float32 49.947796 prints short", f32, Float(float64(float32(49.947796))), "49.947796"},
		{"float32 0.1 prints 0.1", f32, Float(float64(float32(0.1))), "0.1"},
		{"float64 prints its shortest exact form", f64, Float(a + b), "0.30000000000000004"},
		{"float64 1/3 keeps every digit that round-trips", f64, Float(1.0 / 3), "0.3333333333333333"},
		{"a float32 value on a float64 tag keeps float64 precision", f64, Float(float64(float32(3.14159))), "3.141590118408203"},
		{"nil tag: float64 precision", nil, Float(2.5), "2.5"},
		{"whole floats print without a point", f32, Float(50), "50"},
		{"negative zero prints 0", f32, Float(math.Copysign(0, -1)), "0"},
		{"huge magnitudes use an exponent", f64, Float(1e300), "1e+300"},
		{"tiny magnitudes use an exponent", f32, Float(float64(float32(1.5e-9))), "1.5e-09"},
		{"NaN", f64, Float(math.NaN()), "NaN"},
		{"+Inf", f32, Float(math.Inf(1)), "+Inf"},
		{"a scaled int16 shows the digits of one raw count", pct, Float(pct.Scaling.ToEng(1234)), "4.463"},
		{"a scaled int16 at full scale drops trailing zeros", pct, Float(pct.Scaling.ToEng(27648)), "100"},
		{"a scale in tenths shows one decimal", tenths, Float(tenths.Scaling.ToEng(123)), "12.3"},
		{"a step of 2.5 from 0.5 keeps its half", halves, Float(halves.Scaling.ToEng(1)), "3"},
		{"a step of 2.5 from 0.5 keeps its half (2)", halves, Float(halves.Scaling.ToEng(2)), "5.5"},
		{"decimals, when set, win", two, Float(float64(float32(3.14159))), "3.14"},
		{"a calculated number has six significant digits, not a float64's seventeen", calc, Float(2.1773223657063504), "2.17732"},
		{"a calculated number above a thousand", calc, Float(546.0398069829), "546.04"},
		{"a small calculated number", calc, Float(0.004855079769), "0.00485508"},
		{"a calculated zero", calc, Float(0), "0"},
		{"a calculated number that needs an exponent", calc, Float(1.23456789e-9), "1.23457e-09"},
		{"a calculated tag's decimals, when set, win", calcTwo, Float(2.1773223657063504), "2.18"},
		{"integers print as integers", f32, Int(-7), "-7"},
		{"unsigned integers print as integers", pct, Uint(65535), "65535"},
		{"bools print true/false", f32, Bool(true), "true"},
		{"strings print as they are", f32, String("ok"), "ok"},
		{"no value prints nothing", f32, Value{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatValue(tt.tag, tt.v); got != tt.want {
				t.Errorf("FormatValue = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFormatValueRoundTripsAtTheTagsPrecision checks the promise for many
// values: the text parses back to the same float32 for a float32 tag, the
// same float64 for a float64 tag, and the same raw count for a scaled one.
func TestFormatValueRoundTripsAtTheTagsPrecision(t *testing.T) {
	f32 := &Tag{Type: TypeFloat32, Decimals: -1}
	f64 := &Tag{Type: TypeFloat64, Decimals: -1}
	pct := &Tag{Type: TypeInt16, Decimals: -1, Scaling: Scaling{RawLo: 0, RawHi: 27648, EngLo: 0, EngHi: 100}}
	x := 0.000123
	for i := range 2000 {
		x = x*1.0173 + float64(i)*1e-7
		want32 := float32(x)
		s := FormatValue(f32, Float(float64(want32)))
		if g, err := strconv.ParseFloat(s, 32); err != nil || float32(g) != want32 {
			t.Fatalf("float32 %v printed %q, reads back %v", want32, s, g)
		}
		s = FormatValue(f64, Float(x))
		if g, err := strconv.ParseFloat(s, 64); err != nil || g != x {
			t.Fatalf("float64 %v printed %q, reads back %v", x, s, g)
		}
	}
	for raw := -32768.0; raw <= 32767; raw += 7 {
		s := FormatValue(pct, Float(pct.Scaling.ToEng(raw)))
		g, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Round(pct.Scaling.ToRaw(g)) != raw {
			t.Fatalf("raw %v printed %q, reads back as raw %v", raw, s, pct.Scaling.ToRaw(g))
		}
	}
}

func TestFormatValueShort(t *testing.T) {
	f32 := &Tag{Type: TypeFloat32, Decimals: -1}
	f64 := &Tag{Type: TypeFloat64, Decimals: -1}
	one := &Tag{Type: TypeFloat64, Decimals: 1}
	tests := []struct {
		name string
		tag  *Tag
		v    Value
		want string
	}{
		{"a float64 with 16 digits keeps 6", f64, Float(17.432187654321), "17.4322"},
		{"a float32 of 6 digits stays whole", f32, Float(float64(float32(3.14159))), "3.14159"},
		{"a float32 keeps its shortest round-trip text (issue 15: 6 digits are for float64)", f32, Float(float64(float32(49.947796))), "49.947796"},
		{"a short float64 stays", f64, Float(2.5), "2.5"},
		{"a large number stays whole, without an exponent", f64, Float(123456789.123), "123456789"},
		{"a small fraction keeps 6 significant digits", f64, Float(0.000123456789), "0.000123457"},
		{"a tiny magnitude uses an exponent", f64, Float(1.23456789e-9), "1.23457e-09"},
		{"rounding up to a whole number drops the point", f64, Float(99.99999999), "100"},
		{"decimals, when set, win", one, Float(17.432187654321), "17.4"},
		{"integers are not cut", f64, Int(12345678), "12345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatValueShort(tt.tag, tt.v); got != tt.want {
				t.Errorf("FormatValueShort = %q, want %q", got, tt.want)
			}
		})
	}
}
