package chunk

import (
	"encoding/binary"
	"math/bits"
)

// bitWriter appends bits, most significant first, to a byte slice.
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits in the low n bits
	n   uint
}

// write appends the low nb bits of v (nb <= 64).
func (w *bitWriter) write(v uint64, nb uint) {
	if nb > 32 {
		w.write(v>>32, nb-32)
		v &= 0xffffffff
		nb = 32
	}
	if nb < 64 {
		v &= 1<<nb - 1
	}
	w.acc = w.acc<<nb | v
	w.n += nb
	for w.n >= 8 {
		w.n -= 8
		w.buf = append(w.buf, byte(w.acc>>w.n))
	}
}

// flush pads the last byte with zero bits.
func (w *bitWriter) flush() {
	if w.n > 0 {
		w.buf = append(w.buf, byte(w.acc<<(8-w.n)))
	}
	w.acc, w.n = 0, 0
}

// bitReader reads bits written by bitWriter. Reading past the end sets err
// instead of panicking: the bytes come from a file.
type bitReader struct {
	b   []byte
	pos int
	acc uint64
	n   uint
	bad bool // read past the end
}

func (r *bitReader) fill() {
	if r.n <= 56 && r.pos+8 <= len(r.b) {
		// Load whole bytes at once: take as many as fit beside the n bits kept.
		k := (64 - r.n) / 8
		v := binary.BigEndian.Uint64(r.b[r.pos:])
		r.acc = r.acc<<(8*k) | v>>(64-8*k)
		r.pos += int(k)
		r.n += 8 * k
		return
	}
	for r.n <= 56 && r.pos < len(r.b) {
		r.acc = r.acc<<8 | uint64(r.b[r.pos])
		r.pos++
		r.n += 8
	}
}

// read returns the next nb bits (nb <= 64); past the end it returns 0 and
// marks the reader bad.
func (r *bitReader) read(nb uint) uint64 {
	if nb > 32 {
		hi := r.read(nb - 32)
		return hi<<32 | r.read(32)
	}
	if r.n < nb {
		r.fill()
		if r.n < nb {
			r.bad = true
			r.n = 0
			return 0
		}
	}
	r.n -= nb
	return (r.acc >> r.n) & (1<<nb - 1)
}

// ones counts leading 1 bits up to max (< 32), consuming the terminating 0
// unless max ones were read.
func (r *bitReader) ones(max int) int {
	if r.n < uint(max)+1 {
		r.fill()
	}
	if r.n >= uint(max)+1 {
		// All the bits needed are in acc: count them at once.
		top := (r.acc << (64 - r.n)) | (1<<(64-r.n) - 1) // left-aligned, padded with ones
		k := bits.LeadingZeros64(^top)
		if k >= max {
			r.n -= uint(max)
			return max
		}
		r.n -= uint(k) + 1
		return k
	}
	k := 0
	for k < max {
		if r.read(1) == 0 || r.bad {
			return k
		}
		k++
	}
	return k
}
