package chunk

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Stream is an open chunk encoded as it grows: each appended sample costs
// bytes, not the 24 of a Sample, so a store can keep one per tag for many
// tags. It is byte-aligned and appends only, so the bytes added since a
// point (Tail) can be written out and later appended after the earlier
// ones to rebuild it. It is less compact than Encode, which sees the whole
// chunk; a store encodes the samples with Encode when it seals the chunk.
//
// Each sample is one header byte and what it says follows:
//
//	bit 7 set     a run: the previous sample repeated (same time step, value
//	              and quality) bits 0-6 times (1..127); nothing follows
//	bit 6 set     the same time step and quality, and the value at the
//	              previous scale k with n - previous n = bits 0-5 - 32;
//	              nothing follows
//	otherwise:
//	bits 0-1      time: 0 the same step as before; else the change of step
//	              (delta-of-delta) as a zigzag uvarint in units of
//	              1 ms (1), 1 ns (2) or 1 s (3). The first sample's step is
//	              its time (the stream starts at time 0, step 0).
//	bit 2         a quality (uvarint) follows; else the previous one (0 at
//	              the start)
//	bits 3-5      value: 0 the previous value's bits; 1 n*10^-k at the
//	              previous scale k, n - previous n as a zigzag uvarint;
//	              2 a new scale: byte k, then n as a zigzag uvarint;
//	              3 the XOR with the previous bits: byte (leading zero bytes
//	              << 4 | trailing zero bytes), then the bytes between
//
// The run byte is the only byte ever changed after it is written, and only
// until Mark fixes everything before it.
type Stream struct {
	buf    []byte
	t, d   int64  // last time and last step
	v      uint64 // last value's bits
	sn     int64  // last scaled integer
	n      int32
	run    int32 // index of the open run byte, -1 none
	marked int32 // bytes before this are fixed (written out)
	q      uint16
	k      int8 // scale of the last scaled value, -1 none
	// The counts are int32 and the fields ordered so that a Stream is 72
	// bytes, not 96: a store holds one per tag. A stream's bytes and
	// samples are bounded far below 2^31 (chunk.MaxSamples, the store's
	// ChunkBytes).
}

// Len returns the number of samples.
func (s *Stream) Len() int { return int(s.n) }

// Size returns the encoded bytes.
func (s *Stream) Size() int { return len(s.buf) }

// Last returns the time of the last sample (0 when empty).
func (s *Stream) Last() int64 { return s.t }

// Reset empties the stream, keeping its buffer only when it is small: a
// store holds one stream per tag, and a buffer kept at its largest size
// would hold every tag's memory at the peak instead of the average.
func (s *Stream) Reset() {
	buf := s.buf[:0]
	if cap(buf) > 64 {
		buf = nil
	}
	*s = Stream{buf: buf, k: -1, run: -1}
}

// Append adds a sample. Times must not decrease (not checked: the store
// orders samples before).
func (s *Stream) Append(x Sample) {
	if s.n == 0 && len(s.buf) == 0 {
		s.k, s.run = -1, -1
	}
	s.grow()
	step := x.T - s.t
	dod := step - s.d
	vb := math.Float64bits(x.V)
	if dod == 0 && vb == s.v && x.Q == s.q && s.n > 0 {
		if s.run >= s.marked && s.run >= 0 && s.buf[s.run] < 0xFF {
			s.buf[s.run]++
		} else {
			s.buf = append(s.buf, 0x81)
			s.run = int32(len(s.buf) - 1)
		}
		s.n++
		s.t, s.d = x.T, step
		return
	}
	s.run = -1
	// The common case of a smooth decimal signal or a counter: same time
	// step and quality, a small step of the scaled value, in one byte.
	if dod == 0 && x.Q == s.q && s.k >= 0 && s.n > 0 {
		if n, ok := exactAt(x.V, int(s.k)); ok && n-s.sn >= -32 && n-s.sn <= 31 {
			s.buf = append(s.buf, 0x40|byte(n-s.sn+32))
			s.n++
			s.t, s.d, s.v, s.sn = x.T, step, vb, n
			return
		}
	}
	h := len(s.buf)
	s.buf = append(s.buf, 0)
	var hdr byte
	switch {
	case dod == 0:
	case dod%1e9 == 0:
		hdr = 3
		s.buf = binary.AppendUvarint(s.buf, zigzag(dod/1e9))
	case dod%1e6 == 0:
		hdr = 1
		s.buf = binary.AppendUvarint(s.buf, zigzag(dod/1e6))
	default:
		hdr = 2
		s.buf = binary.AppendUvarint(s.buf, zigzag(dod))
	}
	if x.Q != s.q {
		hdr |= 1 << 2
		s.buf = binary.AppendUvarint(s.buf, uint64(x.Q))
	}
	switch {
	case vb == s.v && s.n > 0:
	default:
		if n, ok := exactAt(x.V, max(int(s.k), 0)); ok && s.k >= 0 {
			hdr |= 1 << 3
			s.buf = binary.AppendUvarint(s.buf, zigzag(n-s.sn))
			s.sn = n
			break
		}
		found := false
		for k := range maxScale + 1 {
			if n, ok := exactAt(x.V, k); ok {
				hdr |= 2 << 3
				s.buf = append(s.buf, byte(k))
				s.buf = binary.AppendUvarint(s.buf, zigzag(n))
				s.k, s.sn, found = int8(k), n, true
				break
			}
		}
		if found {
			break
		}
		hdr |= 3 << 3
		xor := vb ^ s.v
		lead, trail := bits.LeadingZeros64(xor)/8, bits.TrailingZeros64(xor)/8
		if xor == 0 { // first sample equal to the zero start
			lead, trail = 8, 0
		}
		s.buf = append(s.buf, byte(lead<<4|trail))
		for i := 7 - lead; i >= trail; i-- {
			s.buf = append(s.buf, byte(xor>>(8*i)))
		}
	}
	s.buf[h] = hdr
	s.n++
	s.t, s.d, s.v, s.q = x.T, step, vb, x.Q
}

// maxSampleBytes bounds the bytes one sample adds to a stream: a header,
// a time of up to 10, a quality of up to 3 and a value of up to 11.
const maxSampleBytes = 1 + 10 + 3 + 11

// grow makes room for one more sample. The buffer grows by a quarter (at
// least 64 bytes), not by append's doubling: a store holds one stream per
// tag, and doubled buffers are a third empty on average, which for 100,000
// tags is tens of megabytes. (By an eighth, the copies left behind were
// four times the garbage of doubling, which the collector pays for.)
func (s *Stream) grow() {
	if cap(s.buf)-len(s.buf) >= maxSampleBytes {
		return
	}
	b := make([]byte, len(s.buf), len(s.buf)+max(64, len(s.buf)/4))
	copy(b, s.buf)
	s.buf = b
}

// Mark fixes the bytes written so far and returns how many there are; the
// next Tail starts there.
func (s *Stream) Mark() int {
	s.marked = int32(len(s.buf))
	return int(s.marked)
}

// Unmark moves the mark back to n (at most Marked): the bytes from n on
// were not written out after all (a failed commit), so the next Tail
// starts at n again. The bytes before the mark given up stay as they are:
// no rewrite reached back past it while it stood.
func (s *Stream) Unmark(n int) {
	s.marked = int32(min(max(n, 0), int(s.marked)))
}

// Marked returns the bytes fixed by the last Mark.
func (s *Stream) Marked() int { return int(s.marked) }

// Bytes returns the encoded bytes (not a copy).
func (s *Stream) Bytes() []byte { return s.buf }

// Tail returns the bytes after the last Mark (not a copy).
func (s *Stream) Tail() []byte { return s.buf[s.marked:] }

// DecodeStream appends the samples of the stream bytes b to dst. Bytes cut
// off in the middle of a sample end the stream there: the samples before
// are returned with ErrCorrupt.
func DecodeStream(dst []Sample, b []byte) ([]Sample, error) {
	var t, d int64
	var v uint64
	var q uint16
	k, sn := -1, int64(0)
	p := 0
	uv := func() (uint64, bool) {
		x, n := binary.Uvarint(b[p:])
		if n <= 0 {
			return 0, false
		}
		p += n
		return x, true
	}
	for p < len(b) {
		if len(dst) >= MaxSamples*4 {
			return dst, corrupt("stream of more than %d samples", MaxSamples*4)
		}
		h := b[p]
		p++
		if h&0x80 != 0 {
			if len(dst) == 0 {
				return dst, corrupt("stream starts with a run")
			}
			for range h & 0x7f {
				t += d
				dst = append(dst, Sample{T: t, V: math.Float64frombits(v), Q: q})
			}
			continue
		}
		if h&0x40 != 0 {
			if len(dst) == 0 || k < 0 {
				return dst, corrupt("stream small step without a scale at byte %d", p-1)
			}
			t += d
			sn += int64(h&0x3f) - 32
			v = math.Float64bits(float64(sn) / pow10f[k])
			dst = append(dst, Sample{T: t, V: math.Float64frombits(v), Q: q})
			continue
		}
		if tk := h & 3; tk != 0 {
			x, ok := uv()
			if !ok {
				return dst, corrupt("stream cut in a time at byte %d", p)
			}
			dod := unzigzag(x)
			switch tk {
			case 1:
				dod *= 1e6
			case 3:
				dod *= 1e9
			}
			d += dod
		}
		t += d
		if h&4 != 0 {
			x, ok := uv()
			if !ok || x > math.MaxUint16 {
				return dst, corrupt("stream cut in a quality at byte %d", p)
			}
			q = uint16(x)
		}
		switch (h >> 3) & 7 {
		case 0:
		case 1:
			x, ok := uv()
			if !ok || k < 0 {
				return dst, corrupt("stream bad scaled value at byte %d", p)
			}
			sn += unzigzag(x)
			v = math.Float64bits(float64(sn) / pow10f[k])
		case 2:
			if p >= len(b) || int(b[p]) > maxScale {
				return dst, corrupt("stream bad scale at byte %d", p)
			}
			k = int(b[p])
			p++
			x, ok := uv()
			if !ok {
				return dst, corrupt("stream cut in a value at byte %d", p)
			}
			sn = unzigzag(x)
			v = math.Float64bits(float64(sn) / pow10f[k])
		case 3:
			if p >= len(b) {
				return dst, corrupt("stream cut in a value at byte %d", p)
			}
			lead, trail := int(b[p]>>4), int(b[p]&15)
			p++
			if lead+trail > 8 || (lead+trail == 8 && lead != 8) {
				return dst, corrupt("stream bad xor layout at byte %d", p-1)
			}
			nb := 8 - lead - trail
			if p+nb > len(b) {
				return dst, corrupt("stream cut in a value at byte %d", p)
			}
			var xor uint64
			for i := range nb {
				xor = xor<<8 | uint64(b[p+i])
			}
			p += nb
			v ^= xor << (8 * trail)
		default:
			return dst, corrupt("stream value kind %d at byte %d", (h>>3)&7, p-1)
		}
		dst = append(dst, Sample{T: t, V: math.Float64frombits(v), Q: q})
	}
	return dst, nil
}
