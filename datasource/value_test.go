package datasource

import (
	"math"
	"testing"
)

func TestValueConversions(t *testing.T) {
	tests := []struct {
		name  string
		v     Value
		f     float64
		fOK   bool
		i     int64
		iOK   bool
		text  string
		truth bool
	}{
		{"true is 1", Bool(true), 1, true, 1, true, "true", true},
		{"negative int converts to float", Int(-3), -3, true, -3, true, "-3", true},
		{"huge uint does not fit int64", Uint(math.MaxUint64), math.MaxUint64, true, 0, false, "18446744073709551615", true},
		{"float truncates toward zero", Float(-2.75), -2.75, true, -2, true, "-2.75", true},
		{"NaN has no integer", Float(math.NaN()), math.NaN(), true, 0, false, "NaN", true},
		{"numeric string parses", String("42"), 42, true, 42, true, "42", true},
		{"text string is not a number", String("abc"), 0, false, 0, false, "abc", true},
		{"none is nothing", Value{}, 0, false, 0, false, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := tc.v.AsFloat()
			if ok != tc.fOK || (ok && !(f == tc.f || math.IsNaN(f) && math.IsNaN(tc.f))) {
				t.Errorf("AsFloat = %v, %v; want %v, %v", f, ok, tc.f, tc.fOK)
			}
			i, ok := tc.v.AsInt()
			if ok != tc.iOK || (ok && i != tc.i) {
				t.Errorf("AsInt = %v, %v; want %v, %v", i, ok, tc.i, tc.iOK)
			}
			if s := tc.v.String(); s != tc.text {
				t.Errorf("String = %q, want %q", s, tc.text)
			}
			if b := tc.v.AsBool(); b != tc.truth {
				t.Errorf("AsBool = %v, want %v", b, tc.truth)
			}
		})
	}
}

func TestValuesCompareByKindAndBits(t *testing.T) {
	if Int(1) == Uint(1) {
		t.Error("Int(1) == Uint(1); kinds must differ")
	}
	nan1, nan2 := Float(math.NaN()), Float(math.NaN())
	if nan1 != nan2 {
		t.Error("NaN values with equal bits should compare equal")
	}
	if Float(1.5).Format(2) != "1.50" {
		t.Errorf("Format(2) = %q", Float(1.5).Format(2))
	}
}

func TestQualityStrings(t *testing.T) {
	for q, want := range map[Quality]string{
		QualityGood:              "Good",
		BadQuality(NotConnected): "Bad/NotConnected",
		UncertainQuality(Stale):  "Uncertain/Stale",
		{Status: Bad}:            "Bad",
	} {
		if got := q.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", q, got, want)
		}
	}
	if r, ok := ParseReason("ConfigError"); !ok || r != ConfigError {
		t.Errorf("ParseReason(ConfigError) = %v, %v", r, ok)
	}
}

func TestScalingRoundTrips(t *testing.T) {
	s := Scaling{RawLo: 0, RawHi: 27648, EngLo: 0, EngHi: 100}
	if got := s.ToEng(13824); got != 50 {
		t.Fatalf("ToEng(13824) = %v, want 50", got)
	}
	if got := s.ToRaw(25); got != 6912 {
		t.Fatalf("ToRaw(25) = %v, want 6912", got)
	}
	if id := (Scaling{}); id.ToEng(7) != 7 || id.ToRaw(7) != 7 {
		t.Fatal("the zero Scaling must be the identity")
	}
}
