// Package chunk is the versioned on-disk encoding of one tag's samples in the
// historian: a run of (time, value, quality) triples packed into one bbolt
// value.
//
// It sits below package history, which decides when a chunk is sealed and
// where it is stored; this package only turns samples into bytes and back,
// losslessly, and rejects corrupt bytes with an error instead of panicking.
//
// Layout of format version 1 (all integers big-endian or (u)varint):
//
//	byte 0     format version (1)
//	byte 1     value mode: 0 XOR float bits (Gorilla), 1 scaled-integer
//	           deltas, 2 scaled-integer delta-of-deltas
//	byte 2     decimal scale k: values are n/10^k (modes 1 and 2)
//	byte 3     time unit exponent e: time deltas are in units of 10^e ns
//	uvarint    sample count n (>= 1)
//	varint     time of the first sample, Unix nanoseconds
//	uvarint    time of the last sample minus the first
//	uvarint    number of quality runs, then per run: uvarint length, uvarint quality
//	uvarint    length of the time bit stream, the time bit stream
//	           the value bit stream
//	4 bytes    CRC-32C of everything before it
//
// Times are delta-of-delta coded with prefix buckets, a run of zeros (regular
// sampling, a flat value) as one 0 bit and the run's length in Elias gamma
// code; values are either the
// Gorilla XOR scheme or, when the chunk's values are decimals of limited
// precision (ADC steps, 0.1 °C, 0.01 %), integers n = v*10^k coded as deltas
// or delta-of-deltas. The encoder tries every mode and keeps the smallest, so
// the choice is per chunk and never loses a bit: a value that is not exactly
// n/10^k (NaN, ±Inf, -0, 0.1f widened to float64) is stored raw after an
// escape code.
package chunk
