package chunk

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

const sec = int64(1e9)

const anyScaled = Mode(99) // the test accepts either scaled mode

func series(n int, start, step int64, v func(i int) float64) []Sample {
	s := make([]Sample, n)
	for i := range s {
		s[i] = Sample{T: start + int64(i)*step, V: v(i)}
	}
	return s
}

func sameSamples(t *testing.T, got, want []Sample) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("decoded %d samples, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].T != want[i].T || math.Float64bits(got[i].V) != math.Float64bits(want[i].V) || got[i].Q != want[i].Q {
			t.Fatalf("sample %d: got {%d %v(%#x) %#x}, want {%d %v(%#x) %#x}", i,
				got[i].T, got[i].V, math.Float64bits(got[i].V), got[i].Q,
				want[i].T, want[i].V, math.Float64bits(want[i].V), want[i].Q)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := int64(1_764_000_000) * sec
	noisy := func(i int) float64 { return math.Round((20+math.Sin(float64(i)/500)+rng.NormFloat64()*0.02)*100) / 100 }
	tests := []struct {
		name     string
		samples  []Sample
		wantMode Mode // ModeXOR+10: either scaled mode
	}{
		{"a single sample round-trips", series(1, t0, sec, func(int) float64 { return 42 }), anyScaled},
		{"a flat signal at 1 s codes in scaled deltas", series(3600, t0, sec, func(int) float64 { return 7.5 }), ModeScaledDelta},
		{"a slow analog quantized to 0.01 codes as scaled deltas", series(3600, t0, sec, noisy), ModeScaledDelta},
		{"a counter with a steady rate codes as delta-of-deltas", series(3600, t0, sec, func(i int) float64 { return 1000 + float64(i)*2.5 }), ModeScaledDoD},
		{"random float bits fall back to XOR", series(500, t0, sec, func(int) float64 { return rng.Float64() }), ModeXOR},
		{"NaN, infinities and negative zero keep their bits", []Sample{
			{T: t0, V: math.NaN()}, {T: t0 + 1, V: math.Inf(1)}, {T: t0 + 2, V: math.Inf(-1)},
			{T: t0 + 3, V: math.Copysign(0, -1)}, {T: t0 + 4, V: math.Float64frombits(0x7ff8000000000abc)},
			{T: t0 + 5, V: 1.5}, {T: t0 + 6, V: math.SmallestNonzeroFloat64}, {T: t0 + 7, V: math.MaxFloat64},
		}, ModeXOR},
		{"a decimal series with a few NaN escapes stays scaled", series(1000, t0, sec, func(i int) float64 {
			if i%100 == 7 {
				return math.NaN()
			}
			return float64(i%13) / 10
		}), anyScaled},
		{"float32 values widened to float64 round-trip exactly", series(300, t0, sec, func(i int) float64 { return float64(float32(i) * 0.1) }), ModeXOR},
		{"irregular nanosecond times round-trip", series(2000, t0, 0, func(i int) float64 { return float64(i) }), ModeScaledDoD},
		{"times near the ends of int64 round-trip", []Sample{{T: math.MinInt64, V: 1}, {T: -1, V: 2}}, anyScaled},
		{"times up to the end of int64 round-trip", []Sample{{T: 1, V: 1}, {T: math.MaxInt64, V: 2}}, anyScaled},
		{"equal times are kept", []Sample{{T: 5, V: 1}, {T: 5, V: 2}, {T: 5, V: 3}}, anyScaled},
	}
	for i := range tests[8].samples {
		tests[8].samples[i].T = t0 + int64(i)*sec + rng.Int64N(1e6)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.samples {
				if i%37 == 5 {
					tt.samples[i].Q = 0x0201 // Bad/NotConnected
				}
			}
			b, err := Encode(nil, tt.samples)
			if err != nil {
				t.Fatal(err)
			}
			h, err := ReadHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if h.Mode != tt.wantMode && (tt.wantMode != anyScaled || h.Mode == ModeXOR) {
				t.Errorf("mode %v, want %v", h.Mode, tt.wantMode)
			}
			if h.N != len(tt.samples) || h.First != tt.samples[0].T || h.Last != tt.samples[len(tt.samples)-1].T {
				t.Errorf("header %+v does not match the samples", h)
			}
			got, err := Decode(nil, b)
			if err != nil {
				t.Fatal(err)
			}
			sameSamples(t, got, tt.samples)
			t.Logf("%d samples in %d bytes (%.3f bytes/sample)", len(tt.samples), len(b), float64(len(b))/float64(len(tt.samples)))
		})
	}
}

func TestCompression(t *testing.T) {
	t0 := int64(1_764_000_000) * sec
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name     string
		samples  []Sample
		maxBytes float64 // per sample
	}{
		{"a flat signal at 1 s takes a few bytes per chunk", series(4096, t0, sec, func(int) float64 { return 3 }), 0.01},
		{"a boolean that rarely changes takes a few bytes per change", series(4096, t0, sec, func(i int) float64 { return float64(i / 1000 % 2) }), 0.02},
		{"noise of a few 0.01 steps takes under a byte per sample", series(4096, t0, sec, func(int) float64 { return math.Round(rng.NormFloat64()*2)/100 + 0 }), 1.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(nil, tt.samples)
			if err != nil {
				t.Fatal(err)
			}
			if per := float64(len(b)) / float64(len(tt.samples)); per > tt.maxBytes {
				t.Errorf("%.3f bytes/sample, want <= %.3f", per, tt.maxBytes)
			}
			got, err := Decode(nil, b)
			if err != nil {
				t.Fatal(err)
			}
			sameSamples(t, got, tt.samples)
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	tests := []struct {
		name    string
		samples []Sample
	}{
		{"an empty chunk is refused", nil},
		{"times going backwards are refused", []Sample{{T: 10}, {T: 9}}},
		{"a chunk spanning more than int64 nanoseconds is refused", []Sample{{T: math.MinInt64}, {T: math.MaxInt64}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Encode(nil, tt.samples); err == nil {
				t.Fatal("Encode succeeded")
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := Encode(nil, series(100, 0, sec, func(i int) float64 { return float64(i) }))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := append([]byte(nil), good...)
		b[i] ^= 0x10
		return b
	}
	newer := append([]byte(nil), good...)
	newer[0] = 2
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"no bytes are corrupt", nil, ErrCorrupt},
		{"a truncated chunk is corrupt", good[:len(good)-5], ErrCorrupt},
		{"a flipped bit in the values is caught by the checksum", flip(len(good) - 6), ErrCorrupt},
		{"a flipped bit in the header is caught by the checksum", flip(5), ErrCorrupt},
		{"a chunk of a newer format names its version", newer, ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []Sample{{T: 1}}
			got, err := Decode(dst, tt.b)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if len(got) != 1 {
				t.Errorf("dst has %d samples after a failed decode, want it unchanged", len(got))
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range [][]Sample{
		series(10, 0, sec, func(i int) float64 { return float64(i) / 10 }),
		series(10, 5, 3, func(i int) float64 { return math.Sqrt(float64(i)) }),
		series(10, 0, sec, func(i int) float64 { return float64(i * i) }),
	} {
		b, _ := Encode(nil, s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(nil, b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to samples that decode the same.
		b2, err := Encode(nil, got)
		if err != nil {
			t.Fatalf("decoded samples do not re-encode: %v", err)
		}
		again, err := Decode(nil, b2)
		if err != nil {
			t.Fatal(err)
		}
		sameSamples(t, again, got)
	})
}

// FuzzDecodeUnchecked skips the checksum so the fuzzer reaches the body
// decoder with arbitrary bytes.
func FuzzDecodeUnchecked(f *testing.F) {
	b, _ := Encode(nil, series(10, 0, sec, func(i int) float64 { return float64(i) / 10 }))
	f.Add(b[:len(b)-4])
	f.Fuzz(func(t *testing.T, body []byte) {
		h, p, err := readHeader(append(body, 0, 0, 0, 0))
		if err != nil {
			return
		}
		_, _ = decodeBody(nil, body, p, h)
	})
}

func BenchmarkDecode(b *testing.B) {
	s := series(4096, 0, sec, func(i int) float64 { return math.Round(math.Sin(float64(i)/100)*1000) / 100 })
	enc, _ := Encode(nil, s)
	buf := make([]Sample, 0, 4096)
	b.ResetTimer()
	for b.Loop() {
		buf, _ = Decode(buf[:0], enc)
	}
	b.ReportMetric(float64(b.N*len(s))/b.Elapsed().Seconds(), "samples/s")
}
