package history

import (
	"bytes"
	"encoding/binary"

	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/datasource"
)

// Bucket names. The layout is documented in docs/history.md.
var (
	bucketMeta   = []byte("meta")   // "format" -> 1
	bucketSeries = []byte("series") // tag name -> series id (4 bytes)
	bucketChunks = []byte("chunks") // series id (4) + chunk start (8, sortable) -> data key (12); format 1: chunk.Encode bytes
	bucketData   = []byte("data")   // seal number (8, BE) + series id (4) -> chunk.Encode bytes; format 2
	bucketEvents = []byte("events") // time (8, sortable) + seq (8) -> encoded Event
	bucketTails  = []byte("tails")  // flush seq (8, BE) -> tail record (wal.go); format 2
	// series id (4) + first time (8, sortable) + seq (8) -> chunk.Encode
	// bytes of late samples (backfill.go); created by the first backfill
	bucketBackfill = []byte("backfill")
)

// metaRecorded is the meta key of the newest time the station recorded up
// to (Store.Recording), 8 bytes, sortable: where a stop or a crash ended
// recording (Store.MarkDowntime).
var metaRecorded = []byte("recorded")

// formatVersion is what this version writes. Format 1 (no tail log; open
// chunks were rewritten in the chunks bucket at every flush) is read and
// migrated on a writable open: its last, partial chunk of each tag stays a
// (short) chunk, and the file is marked format 2.
const formatVersion = 2

// sortable maps an int64 to a uint64 whose big-endian bytes sort like the
// signed value.
func sortable(t int64) uint64 { return uint64(t) ^ 1<<63 }

func unsortable(u uint64) int64 { return int64(u ^ 1<<63) }

func chunkKey(id uint32, start int64) []byte {
	var k [12]byte
	binary.BigEndian.PutUint32(k[:4], id)
	binary.BigEndian.PutUint64(k[4:], sortable(start))
	return k[:]
}

// parseChunkKey splits a chunk key; ok is false for a malformed key.
func parseChunkKey(k []byte) (id uint32, start int64, ok bool) {
	if len(k) != 12 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(k), unsortable(binary.BigEndian.Uint64(k[4:])), true
}

// fenceCount is how many end fences putEndFences writes. bbolt's split
// keeps at least two keys for the right page; with the appended key among
// the last, it cut a full page two or three items short, which filled the
// pages of an append-only bucket to about two thirds (68 % for 433-byte
// items). With 2 fences that was 81 %, 4 gave 91 % (more did not help).
const fenceCount = 4

// dataKeyLen is the length of a data key, and of a chunks entry that
// points to one. An encoded chunk is at least 14 bytes, so a format 1
// entry (the chunk itself) is never mistaken for a pointer.
const dataKeyLen = 12

// inlineChunkBytes: a sealed chunk smaller than this (a flat or boolean
// tag's) is stored in the chunks bucket itself, as format 1 did: a data
// entry and a pointer would cost more than it.
const inlineChunkBytes = 64

// chunkBytes returns the encoded chunk a chunks entry v stands for: the
// data entry it points to, or (format 1) v itself. nil when the data entry
// is missing, which decoding then reports as a corrupt chunk.
func chunkBytes(tx *bbolt.Tx, v []byte) []byte {
	if len(v) != dataKeyLen {
		return v
	}
	if d := tx.Bucket(bucketData); d != nil {
		return d.Get(v)
	}
	return nil
}

// putEndFences writes fenceCount empty keys of keyLen 0xFF bytes (and
// less) at the end of b, a bucket whose keys are appended (data, tails):
// the appended key is then never among the last keys of its page, and
// pages fill to FillPercent instead of two keys short.
func putEndFences(b *bbolt.Bucket, keyLen int) error {
	for f := range fenceCount {
		k := bytes.Repeat([]byte{0xFF}, keyLen)
		k[keyLen-1] -= byte(f)
		if err := b.Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// isEndFence reports whether k is one of putEndFences' keys.
func isEndFence(k []byte) bool {
	return len(k) > 0 && bytes.Count(k[:len(k)-1], []byte{0xFF}) == len(k)-1 && k[len(k)-1] >= 0xFF-fenceCount+1
}

func packQuality(q datasource.Quality) uint16 { return uint16(q.Status)<<8 | uint16(q.Reason) }

func unpackQuality(u uint16) datasource.Quality {
	return datasource.Quality{Status: datasource.Status(u >> 8), Reason: datasource.Reason(u)}
}
