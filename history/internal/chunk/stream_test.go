package chunk

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

func streamSamples(rng *rand.Rand, n int) []Sample {
	out := make([]Sample, 0, n)
	t := int64(1_764_000_000_000_000_000)
	v, q := 20.0, uint16(0)
	for i := range n {
		switch rng.IntN(10) {
		case 0:
			t += int64(rng.IntN(5000)) * 1e6 // ms jitter
		case 1:
			t += rng.Int64N(1e9) // ns
		default:
			t += 1e9
		}
		switch rng.IntN(8) {
		case 0:
			v = rng.NormFloat64() * 1e3
		case 1:
			v = math.Round(v*100+float64(rng.IntN(5)-2)) / 100
		case 2:
			v = []float64{math.NaN(), math.Inf(1), math.Copysign(0, -1), 0, 1e300, float64(float32(0.1))}[rng.IntN(6)]
		case 3:
			v = float64(i)
		}
		if rng.IntN(50) == 0 {
			q = uint16(rng.IntN(0x300))
		}
		out = append(out, Sample{T: t, V: v, Q: q})
		if rng.IntN(20) == 0 { // a flat stretch longer than one run byte
			for range rng.IntN(300) {
				t += 1e9
				out = append(out, Sample{T: t, V: v, Q: q})
			}
		}
	}
	return out
}

// TestStreamMarkedBytesStayWhileMoreAreAppended is how the store flushes
// without holding up appends: Mark fixes the bytes, they are copied and
// written while more samples come, and a failed write gives the mark back
// with Unmark. Whatever the store wrote must be the stream's bytes for
// good: a run byte before the mark counted on after it was copied would
// lose those samples from the file.
func TestStreamMarkedBytesStayWhileMoreAreAppended(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		want := streamSamples(rng, 1+rng.IntN(2000))
		var s Stream
		var written []byte
		var inFlight []byte // copied at the mark, written when the "commit" ends
		from := -1
		for i, x := range want {
			s.Append(x)
			if from >= 0 && rng.IntN(3) == 0 { // the commit ends
				if rng.IntN(4) == 0 {
					s.Unmark(from) // it failed: those bytes go again
				} else {
					written = append(written, inFlight...)
				}
				from = -1
			}
			if from < 0 && (rng.IntN(7) == 0 || i == len(want)-1) { // a flush starts
				from = s.Marked()
				inFlight = append(inFlight[:0], s.Bytes()[from:s.Mark()]...)
			}
		}
		if from >= 0 {
			written = append(written, inFlight...)
		}
		sameWritten(t, append(written, s.Tail()...), &s, want)
	}
}

// sameWritten checks that the bytes written out are the stream's and
// decode to want.
func sameWritten(t *testing.T, written []byte, s *Stream, want []Sample) {
	t.Helper()
	if !bytes.Equal(written, s.Bytes()) {
		t.Fatal("the bytes written out at each mark differ from the stream")
	}
	got, err := DecodeStream(nil, written)
	if err != nil {
		t.Fatal(err)
	}
	sameSamples(t, got, want)
}

func TestStreamRoundTripsEveryValueBitForBitAcrossMarks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		want := streamSamples(rng, 1+rng.IntN(2000))
		var s Stream
		var pieces []byte
		for i, x := range want {
			s.Append(x)
			if rng.IntN(7) == 0 || i == len(want)-1 {
				pieces = append(pieces, s.Tail()...)
				s.Mark()
			}
		}
		sameWritten(t, pieces, &s, want)
		if s.Len() != len(want) || s.Last() != want[len(want)-1].T {
			t.Fatalf("Len %d Last %d", s.Len(), s.Last())
		}
	}
}

func TestStreamOfARegularFlatSignalCostsAByteAPerRun(t *testing.T) {
	var s Stream
	for i := range 1000 {
		s.Append(Sample{T: int64(i) * 1e9, V: 50})
	}
	if s.Size() > 20 {
		t.Fatalf("1000 flat samples take %d bytes", s.Size())
	}
	s.Reset()
	s.Append(Sample{T: 5, V: 1})
	got, err := DecodeStream(nil, s.Bytes())
	if err != nil || len(got) != 1 || got[0].T != 5 {
		t.Fatalf("after Reset: %v %v", got, err)
	}
}

func TestDecodeStreamOfACutStreamKeepsTheSamplesBefore(t *testing.T) {
	var s Stream
	for i := range 10 {
		s.Append(Sample{T: int64(i) * 1e9, V: math.Pi * float64(i)})
	}
	b := s.Bytes()
	got, err := DecodeStream(nil, b[:len(b)-3])
	if err == nil || len(got) != 9 {
		t.Fatalf("a cut stream gives %d samples, %v", len(got), err)
	}
}

func FuzzDecodeStream(f *testing.F) {
	var s Stream
	for _, x := range streamSamples(rand.New(rand.NewPCG(3, 3)), 50) {
		s.Append(x)
	}
	f.Add(s.Bytes())
	f.Add([]byte{0x81})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeStream(nil, b)
		if err != nil {
			return
		}
		// What decodes re-encodes to a stream that decodes the same.
		var s Stream
		for _, x := range got {
			s.Append(x)
		}
		again, err := DecodeStream(nil, s.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		sameSamples(t, again, got)
	})
}
