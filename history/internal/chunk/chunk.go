package chunk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"slices"
)

// Version is the format version this package writes (the first byte).
const Version = 1

// MaxSamples bounds the samples of one chunk, so a corrupt count cannot make
// the decoder allocate without limit.
const MaxSamples = 1 << 20

// Sample is one stored reading: time in Unix nanoseconds, value and quality
// (datasource.Quality packed as Status<<8 | Reason).
type Sample struct {
	T int64
	V float64
	Q uint16
}

// Mode is how a chunk's values are coded.
type Mode uint8

// The value modes, chosen per chunk by Encode.
const (
	ModeXOR         Mode = iota // Gorilla: XOR with the previous float's bits
	ModeScaledDelta             // n = v*10^k, coded as n - previous n
	ModeScaledDoD               // n = v*10^k, coded as delta-of-delta (counters, ramps)
)

var modeNames = [...]string{"xor", "scaled-delta", "scaled-dod"}

// String returns "xor", "scaled-delta" or "scaled-dod".
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ErrCorrupt is wrapped by every decoding error about the bytes themselves.
var ErrCorrupt = errors.New("corrupt chunk")

// ErrVersion is wrapped when the chunk's format version is unknown, e.g. a
// file written by a newer Vigil.
var ErrVersion = errors.New("unknown chunk format version")

// Header is the part of a chunk readable without decoding the samples.
type Header struct {
	Version     uint8
	Mode        Mode
	Scale       int // decimal scale k of the scaled modes
	TimeExp     int // time deltas are in units of 10^TimeExp ns
	N           int // number of samples
	First, Last int64
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Prefix-bucket tables: a zigzag integer is coded as k one-bits, a zero bit
// (omitted after the longest prefix) and widths[k-1] payload bits; k = 0 is
// the value zero. Value tables have one more bucket: the escape to 64 raw
// float bits.
var (
	timeWidths  = []uint{7, 14, 24, 40, 64}
	valueWidths = []uint{3, 6, 12, 24, 40, 64}
)

const maxScale = 9 // 10^9: finer decimals are rare and gain nothing over XOR

var pow10f = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}
var pow10u = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

func zigzag(x int64) uint64   { return uint64(x<<1) ^ uint64(x>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// writeCodes writes zigzag codes (or, where esc[i], raw escapes) with runs
// of zeros as one 0 bit plus the run length in Elias gamma code: flat
// signals and regular sampling then cost a few bits per run, not per sample.
func writeCodes(w *bitWriter, codes []uint64, esc []bool, widths []uint, escape bool) {
	for i := 0; i < len(codes); {
		if esc != nil && esc[i] {
			writeEscape(w, codes[i], widths)
			i++
			continue
		}
		if codes[i] != 0 {
			writeBucket(w, codes[i], widths, escape)
			i++
			continue
		}
		r := 1
		for i+r < len(codes) && codes[i+r] == 0 && (esc == nil || !esc[i+r]) {
			r++
		}
		w.write(0, 1)
		writeGamma(w, uint64(r))
		i += r
	}
}

// writeGamma writes n >= 1 in Elias gamma code.
func writeGamma(w *bitWriter, n uint64) {
	nb := uint(bits.Len64(n))
	w.write(0, nb-1)
	w.write(n, nb)
}

// readGamma reads an Elias gamma number.
func (r *bitReader) readGamma() uint64 {
	z := uint(0)
	for r.read(1) == 0 {
		if r.bad || z >= 63 {
			r.bad = true
			return 0
		}
		z++
	}
	return 1<<z | r.read(z)
}

func writeBucket(w *bitWriter, zz uint64, widths []uint, escape bool) {
	maxOnes := len(widths)
	if escape {
		maxOnes++
	}
	for k, wd := range widths {
		if wd == 64 || zz < 1<<wd {
			ones := uint(k + 1)
			if k+1 < maxOnes {
				w.write((1<<ones-1)<<1, ones+1)
			} else {
				w.write(1<<ones-1, ones)
			}
			w.write(zz, wd)
			return
		}
	}
}

func writeEscape(w *bitWriter, raw uint64, widths []uint) {
	ones := uint(len(widths) + 1)
	w.write(1<<ones-1, ones)
	w.write(raw, 64)
}

// Encode appends the encoding of s to dst. s must be non-empty, at most
// MaxSamples long and in non-decreasing time order.
func Encode(dst []byte, s []Sample) ([]byte, error) {
	if len(s) == 0 {
		return dst, errors.New("chunk: no samples to encode")
	}
	if len(s) > MaxSamples {
		return dst, fmt.Errorf("chunk: %d samples exceed the maximum of %d", len(s), MaxSamples)
	}
	if uint64(s[len(s)-1].T)-uint64(s[0].T) > math.MaxInt64 {
		return dst, errors.New("chunk: samples span more than 292 years")
	}
	exp := 9
	for i := 1; i < len(s); i++ {
		if s[i].T < s[i-1].T {
			return dst, fmt.Errorf("chunk: sample %d at %d ns is before sample %d at %d ns", i, s[i].T, i-1, s[i-1].T)
		}
		d := uint64(s[i].T) - uint64(s[i-1].T)
		for exp > 0 && d%pow10u[exp] != 0 {
			exp--
		}
	}

	var tw bitWriter
	tw.buf = make([]byte, 0, len(s)/4+16)
	unit := pow10u[exp]
	var prevD uint64
	codes := make([]uint64, 0, len(s))
	for i := 1; i < len(s); i++ {
		d := (uint64(s[i].T) - uint64(s[i-1].T)) / unit
		codes = append(codes, zigzag(int64(d-prevD)))
		prevD = d
	}
	writeCodes(&tw, codes, nil, timeWidths, false)
	tw.flush()

	mode, scale, vals := bestValues(s)

	start := len(dst)
	dst = append(dst, Version, byte(mode), byte(scale), byte(exp))
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	dst = binary.AppendVarint(dst, s[0].T)
	dst = binary.AppendUvarint(dst, uint64(s[len(s)-1].T)-uint64(s[0].T))
	dst = appendRuns(dst, s)
	dst = binary.AppendUvarint(dst, uint64(len(tw.buf)))
	dst = append(dst, tw.buf...)
	dst = append(dst, vals...)
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], crcTable)), nil
}

func appendRuns(dst []byte, s []Sample) []byte {
	runs := 1
	for i := 1; i < len(s); i++ {
		if s[i].Q != s[i-1].Q {
			runs++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(runs))
	n := 1
	for i := 1; i <= len(s); i++ {
		if i < len(s) && s[i].Q == s[i-1].Q {
			n++
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(n))
		dst = binary.AppendUvarint(dst, uint64(s[i-1].Q))
		n = 1
	}
	return dst
}

// exactAt reports whether v is exactly n/10^k for an integer |n| <= 2^53,
// bit for bit as the decoder computes it (so -0, NaN and Inf are not).
func exactAt(v float64, k int) (int64, bool) {
	f := math.Round(v * pow10f[k])
	if !(f >= -(1<<53) && f <= 1<<53) { // also false for NaN
		return 0, false
	}
	n := int64(f)
	return n, math.Float64bits(float64(n)/pow10f[k]) == math.Float64bits(v)
}

// decimalScale returns the smallest decimal scale at which most values are
// exact, and whether the scaled modes are worth trying at all.
func decimalScale(s []Sample) (int, bool) {
	k, misses := 0, 0
	for i := range s {
		if _, ok := exactAt(s[i].V, k); ok {
			continue
		}
		found := false
		for kk := k + 1; kk <= maxScale; kk++ {
			if _, ok := exactAt(s[i].V, kk); ok {
				k, found = kk, true
				break
			}
		}
		if !found {
			misses++
			if misses > len(s)/4 {
				return 0, false
			}
		}
	}
	return k, true
}

// bestValues codes the values in every applicable mode and returns the
// smallest.
func bestValues(s []Sample) (Mode, int, []byte) {
	best := encodeXOR(s)
	mode, scale := ModeXOR, 0
	k, ok := decimalScale(s)
	if !ok {
		return mode, scale, best
	}
	ns := make([]int64, len(s))
	exact := make([]bool, len(s))
	for i := range s {
		ns[i], exact[i] = exactAt(s[i].V, k)
	}
	for _, m := range []Mode{ModeScaledDelta, ModeScaledDoD} {
		if b := encodeScaled(s, ns, exact, m == ModeScaledDoD); len(b) < len(best) {
			best, mode, scale = b, m, k
		}
	}
	return mode, scale, best
}

func encodeXOR(s []Sample) []byte {
	var w bitWriter
	w.buf = make([]byte, 0, len(s)/2+16)
	prev := math.Float64bits(s[0].V)
	w.write(prev, 64)
	lead, trail := uint(65), uint(0) // no window yet
	for i := 1; i < len(s); i++ {
		v := math.Float64bits(s[i].V)
		x := v ^ prev
		prev = v
		if x == 0 {
			r := 1
			for i+r < len(s) && math.Float64bits(s[i+r].V) == v {
				r++
			}
			w.write(0, 1)
			writeGamma(&w, uint64(r))
			i += r - 1
			continue
		}
		l, t := uint(bits.LeadingZeros64(x)), uint(bits.TrailingZeros64(x))
		if lead <= 64 && l >= lead && t >= trail {
			w.write(0b10, 2)
			w.write(x>>trail, 64-lead-trail)
			continue
		}
		lead, trail = l, t
		sig := 64 - l - t
		w.write(0b11, 2)
		w.write(uint64(l), 6)
		w.write(uint64(sig-1), 6)
		w.write(x>>t, sig)
	}
	w.flush()
	return w.buf
}

func encodeScaled(s []Sample, ns []int64, exact []bool, dod bool) []byte {
	var w bitWriter
	w.buf = make([]byte, 0, len(s)/2+16)
	var prevN, prevD int64
	codes := make([]uint64, len(s))
	esc := make([]bool, len(s))
	for i := range s {
		if !exact[i] {
			codes[i], esc[i] = math.Float64bits(s[i].V), true
			continue
		}
		d := ns[i] - prevN
		prevN = ns[i]
		x := d
		if dod {
			x = d - prevD
			prevD = d
		}
		codes[i] = zigzag(x)
	}
	writeCodes(&w, codes, esc, valueWidths, true)
	w.flush()
	return w.buf
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// ReadHeader parses the header of a chunk without checking its checksum or
// decoding the samples.
func ReadHeader(b []byte) (Header, error) {
	h, _, err := readHeader(b)
	return h, err
}

func readHeader(b []byte) (Header, int, error) {
	var h Header
	if len(b) < 4+3+4 {
		return h, 0, corrupt("%d bytes is too short", len(b))
	}
	h.Version = b[0]
	if h.Version != Version {
		return h, 0, fmt.Errorf("%w %d (this build reads %d)", ErrVersion, h.Version, Version)
	}
	h.Mode, h.Scale, h.TimeExp = Mode(b[1]), int(b[2]), int(b[3])
	if h.Mode > ModeScaledDoD || h.Scale > maxScale || h.TimeExp > 9 {
		return h, 0, corrupt("bad mode %d, scale %d or time unit %d", b[1], b[2], b[3])
	}
	p := 4
	n, k := binary.Uvarint(b[p:])
	if k <= 0 || n == 0 || n > MaxSamples {
		return h, 0, corrupt("bad sample count")
	}
	p += k
	first, k := binary.Varint(b[p:])
	if k <= 0 {
		return h, 0, corrupt("bad first time")
	}
	p += k
	span, k := binary.Uvarint(b[p:])
	if k <= 0 {
		return h, 0, corrupt("bad time span")
	}
	p += k
	last := first + int64(span)
	if last < first {
		return h, 0, corrupt("time span overflows")
	}
	h.N, h.First, h.Last = int(n), first, last
	return h, p, nil
}

// Decode checks and decodes the chunk b, appending its samples to dst. Bytes
// that are not a valid chunk give an error wrapping ErrCorrupt (or
// ErrVersion), never a panic; dst is then returned unchanged.
func Decode(dst []Sample, b []byte) ([]Sample, error) {
	if len(b) < 4 {
		return dst, corrupt("%d bytes is too short", len(b))
	}
	body := b[:len(b)-4]
	if got, want := crc32.Checksum(body, crcTable), binary.BigEndian.Uint32(b[len(b)-4:]); got != want {
		if len(b) > 0 && b[0] != Version {
			return dst, fmt.Errorf("%w %d (this build reads %d)", ErrVersion, b[0], Version)
		}
		return dst, corrupt("checksum %08x, want %08x", got, want)
	}
	h, p, err := readHeader(b)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	out, err := decodeBody(slices.Grow(dst, h.N), body, p, h)
	if err != nil {
		return dst[:start], err
	}
	return out, nil
}

func decodeBody(dst []Sample, b []byte, p int, h Header) ([]Sample, error) {
	start := len(dst)
	if p > len(b) {
		return dst, corrupt("header runs into the checksum")
	}
	// Quality runs.
	runs, k := binary.Uvarint(b[p:])
	if k <= 0 || runs == 0 || runs > uint64(h.N) {
		return dst, corrupt("bad quality run count")
	}
	p += k
	type run struct {
		n int
		q uint16
	}
	rs := make([]run, 0, runs)
	total := 0
	for range runs {
		n, k := binary.Uvarint(b[p:])
		if k <= 0 || n == 0 || n > uint64(h.N-total) {
			return dst, corrupt("bad quality run length")
		}
		p += k
		q, k := binary.Uvarint(b[p:])
		if k <= 0 || q > math.MaxUint16 {
			return dst, corrupt("bad quality")
		}
		p += k
		total += int(n)
		rs = append(rs, run{int(n), uint16(q)})
	}
	if total != h.N {
		return dst, corrupt("quality runs cover %d of %d samples", total, h.N)
	}
	tlen, k := binary.Uvarint(b[p:])
	if k <= 0 || tlen > uint64(len(b)-p-k) {
		return dst, corrupt("bad time stream length")
	}
	p += k
	tr := bitReader{b: b[p : p+int(tlen)]}
	vr := bitReader{b: b[p+int(tlen):]}

	// Times.
	unit := pow10u[h.TimeExp]
	t := h.First
	dst = append(dst, Sample{T: t})
	var prevD uint64
	for i := 1; i < h.N; {
		x, _, run := readCode(&tr, timeWidths, false)
		if tr.bad || run > h.N-i {
			return dst, corrupt("time stream is malformed")
		}
		d := prevD + uint64(unzigzag(x))
		prevD = d
		if d > math.MaxInt64/unit {
			return dst, corrupt("time delta overflows")
		}
		for range run {
			nt := t + int64(d*unit)
			if nt < t {
				return dst, corrupt("time goes backwards")
			}
			t = nt
			dst = append(dst, Sample{T: t})
		}
		i += run
	}
	if tr.bad {
		return dst, corrupt("time stream ends early")
	}
	if t != h.Last {
		return dst, corrupt("last time %d, header says %d", t, h.Last)
	}
	out := dst[start:]

	// Values.
	if h.Mode == ModeXOR {
		decodeXOR(&vr, out)
	} else {
		decodeScaled(&vr, out, h.Scale, h.Mode == ModeScaledDoD)
	}
	if vr.bad {
		return dst, corrupt("value stream ends early")
	}

	// Qualities.
	i := 0
	for _, r := range rs {
		for j := 0; j < r.n; j++ {
			out[i].Q = r.q
			i++
		}
	}
	return dst, nil
}

// readCode reads one code written by writeCodes: a zigzag value (run 1), an
// escape with its raw 64 bits (esc, run 1) or a run of zeros (run >= 1).
func readCode(r *bitReader, widths []uint, escape bool) (v uint64, esc bool, run int) {
	maxOnes := len(widths)
	if escape {
		maxOnes++
	}
	k := r.ones(maxOnes)
	if k == 0 {
		n := r.readGamma()
		if n > MaxSamples {
			r.bad = true
			return 0, false, 0
		}
		return 0, false, int(n)
	}
	if k > len(widths) {
		return r.read(64), true, 1
	}
	return r.read(widths[k-1]), false, 1
}

func decodeXOR(r *bitReader, out []Sample) {
	prev := r.read(64)
	out[0].V = math.Float64frombits(prev)
	lead, trail := uint(0), uint(0)
	for i := 1; i < len(out); i++ {
		if r.bad {
			return
		}
		if r.read(1) == 0 {
			n := r.readGamma()
			if n == 0 || n > uint64(len(out)-i) {
				r.bad = true
				return
			}
			for range n {
				out[i].V = math.Float64frombits(prev)
				i++
			}
			i--
			continue
		}
		{
			if r.read(1) == 1 {
				lead = uint(r.read(6))
				sig := uint(r.read(6)) + 1
				if lead+sig > 64 {
					r.bad = true
					return
				}
				trail = 64 - lead - sig
			}
			prev ^= r.read(64-lead-trail) << trail
		}
		out[i].V = math.Float64frombits(prev)
	}
}

func decodeScaled(r *bitReader, out []Sample, k int, dod bool) {
	p := pow10f[k]
	var prevN, prevD int64
	for i := 0; i < len(out); {
		if r.bad {
			return
		}
		x, esc, run := readCode(r, valueWidths, true)
		if r.bad || run > len(out)-i {
			r.bad = true
			return
		}
		if esc {
			out[i].V = math.Float64frombits(x)
			i++
			continue
		}
		for range run {
			d := unzigzag(x)
			if dod {
				d += prevD
				prevD = d
			}
			prevN += d
			out[i].V = float64(prevN) / p
			i++
		}
	}
}
