package history

import (
	"encoding/binary"

	"github.com/vigil-hmi/vigil/datasource"
)

// Bucket names. The layout is documented in docs/history.md.
var (
	bucketMeta   = []byte("meta")   // "format" -> 1
	bucketSeries = []byte("series") // tag name -> series id (4 bytes)
	bucketChunks = []byte("chunks") // series id (4) + chunk start (8, sortable) -> chunk.Encode bytes
	bucketEvents = []byte("events") // time (8, sortable) + seq (8) -> encoded Event
)

const formatVersion = 1

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

func packQuality(q datasource.Quality) uint16 { return uint16(q.Status)<<8 | uint16(q.Reason) }

func unpackQuality(u uint16) datasource.Quality {
	return datasource.Quality{Status: datasource.Status(u >> 8), Reason: datasource.Reason(u)}
}
