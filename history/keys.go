package history

import (
	"encoding/binary"
	"math"

	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/datasource"
)

// Bucket names. The layout is documented in docs/history.md.
var (
	bucketMeta   = []byte("meta")   // "format" -> 1
	bucketSeries = []byte("series") // tag name -> series id (4 bytes)
	bucketChunks = []byte("chunks") // series id (4) + chunk start (8, sortable) -> chunk.Encode bytes
	bucketEvents = []byte("events") // time (8, sortable) + seq (8) -> encoded Event
	bucketTails  = []byte("tails")  // flush seq (8, BE) -> tail record (wal.go); format 2
)

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

// parseChunkKey splits a chunk key; ok is false for a malformed key and
// for a fence.
func parseChunkKey(k []byte) (id uint32, start int64, ok bool) {
	if len(k) != 12 {
		return 0, 0, false
	}
	start = unsortable(binary.BigEndian.Uint64(k[4:]))
	return binary.BigEndian.Uint32(k), start, start < fenceStart
}

// Fences: fenceCount empty keys after each tag's chunks, (id, fenceStart)
// to (id, fenceStart+fenceCount-1). A tag's new chunk then never is among
// the last keys of its page: bbolt's split keeps at least two keys for the
// right page and, with the new chunk among the last, cut a full page of a
// tag's chunks two or three chunks short, which filled those pages to about
// two thirds (68 % for 433-byte chunks). With 2 fences that was 81 %, 4
// gave 91 % (more did not help).
const (
	fenceCount = 4
	fenceStart = math.MaxInt64 - fenceCount + 1
)

// putFences writes the fences of series id into the chunks bucket b.
func putFences(b *bbolt.Bucket, id uint32) error {
	for f := range int64(fenceCount) {
		if err := b.Put(chunkKey(id, fenceStart+f), nil); err != nil {
			return err
		}
	}
	return nil
}

// isFence reports whether k is a fence key.
func isFence(k []byte) bool {
	return len(k) == 12 && unsortable(binary.BigEndian.Uint64(k[4:])) >= fenceStart
}

func packQuality(q datasource.Quality) uint16 { return uint16(q.Status)<<8 | uint16(q.Reason) }

func unpackQuality(u uint16) datasource.Quality {
	return datasource.Quality{Status: datasource.Status(u >> 8), Reason: datasource.Reason(u)}
}
