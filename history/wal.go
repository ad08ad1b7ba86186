package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// The tail log ("tails" bucket) keeps the open chunks durable without
// rewriting them: each flush appends one record holding, per tag with new
// samples, only the stream bytes added since the last flush. Its key is the
// flush's sequence number, so records are appended at the end of the
// bucket and written into full pages; sealing a chunk writes it to the
// chunks bucket, and a record is deleted once no open chunk needs it.
//
// A record is one or more parts (walPartBytes), keyed by flush number and
// part number. Part: version byte 1, then per piece: uvarint series id,
// uvarint byte offset of the piece in that tag's open stream (0 starts a
// new stream), uvarint length, the bytes; then CRC-32C of everything
// before it. A tag's new bytes may be cut into pieces in several parts.
const walVersion = 1

var walCRC = crc32.MakeTable(crc32.Castagnoli)

// walKeepMin and walKeepMax bound how many flushes back the tail log
// reaches (Store.walKeep): every open stream that was written is written
// again whole (carried forward) once every walKeep flushes, at a flush set
// by its series id (carryDue), so each flush carries about 1/walKeep of
// them and records older than that are no longer needed. The log then
// holds every open stream once plus walKeep flushes of new bytes.
//
// A short log costs bytes written, a long one room in the file; which
// matters depends on the file's size (keepFor). After 10 minutes of the
// 100,000-tag project the log at 4 was 19.9 MB of a 194 MB file (write
// amplification 1.40); carrying only the streams that started 40 flushes
// back, it held 40 flushes of every tag's new bytes, 76 MB of 243 (1.75).
// At 4 each flush writes its new bytes and a quarter of the open streams,
// a fifth more bytes written in all (docs/architecture.md, "The tail log
// carried every 4 flushes").
const (
	walKeepMin = 4
	walKeepMax = 32
)

// keepFor is the walKeep for a file of fileBytes whose flushes write
// newBytes of new stream bytes and whose open streams hold openBytes: the
// longest log, in powers of two from walKeepMin to walKeepMax, expected
// to take at most an eighth of the file. A young file (10 minutes of
// 100,000 tags) gets the shortest log, so its write amplification is held
// under 1.5; once the log is a small share of the file (32 flushes after
// 32 minutes there) the carries, which cost a fifth more bytes written at 4
// flushes, are made 8 times as rarely.
func keepFor(newBytes, openBytes, fileBytes int64) uint64 {
	k := uint64(walKeepMax)
	for k > walKeepMin && int64(k)*newBytes+openBytes > fileBytes/8 {
		k /= 2
	}
	return k
}

// pieceFraming is about what a piece's header takes (series id, offset
// and length, uvarints): counted in a flush's new bytes (keepFor).
const pieceFraming = 6

// carryDue reports whether the stream of series id is carried forward in
// flush seq of a log that reaches keep flushes back: once every keep
// flushes, the series spread evenly over them, so tags that opened their
// chunks together are not all carried in one flush (a record of every
// open stream, tens of megabytes of heap at 100,000 tags). keep is a power
// of two, so when it changes a stream's next carry is at most the larger
// keep away.
func carryDue(id uint32, seq, keep uint64) bool {
	return (uint64(id)+seq)%keep == 0
}

// walPartBytes bounds a record part. A flush's record is cut into parts
// under their own keys (flush number, part number), so each fits a leaf
// page two at a time: one value per flush of megabytes (100,000 tags)
// took a run of contiguous overflow pages, and the runs freed by trimmed
// records rarely fitted the next, so the file filled with free pages.
const walPartBytes = 2000

// walTrimBytes: records no open chunk needs are deleted once they hold
// this many bytes, a page: deleting them at every flush rewrote the log's
// first page in every commit, one more page freed by each commit (which is
// what a small file's free pages are: see docs/history.md).
const walTrimBytes = 4096

// walSize is the size of one record in the file.
type walSize struct {
	seq uint64
	n   int
}

// trimPoint returns where the log is cut in the next commit: before
// trimTo (the oldest record an open chunk needs) when the records before
// it hold walTrimBytes or more, else before the oldest record (nothing
// goes).
func (s *Store) trimPoint(trimTo uint64) uint64 {
	dead := 0
	for i := 0; i < len(s.walSizes) && s.walSizes[i].seq < trimTo; i++ {
		dead += s.walSizes[i].n
	}
	if dead < walTrimBytes {
		return min(trimTo, s.walOldest)
	}
	return trimTo
}

// trimmed forgets the sizes of the records before trimTo, which a
// commit deleted.
func (s *Store) trimmed(trimTo uint64) {
	i := 0
	for i < len(s.walSizes) && s.walSizes[i].seq < trimTo {
		i++
	}
	s.walSizes = s.walSizes[i:]
}

func walKey(seq uint64, part uint32) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, seq), part)
}

// walBuilder cuts a flush's pieces into record parts.
type walBuilder struct {
	parts [][]byte
	cur   []byte
}

// add appends tag id's stream bytes data, which start at offset in its
// stream, splitting them across parts (a later piece continues at its
// offset).
func (wb *walBuilder) add(id uint32, offset int, data []byte) {
	for first := true; first || len(data) > 0; first = false {
		if wb.cur == nil {
			wb.cur = append(make([]byte, 0, walPartBytes+4), walVersion)
		}
		room := walPartBytes - len(wb.cur) - 3*binary.MaxVarintLen32
		if room < 64 {
			wb.close()
			continue
		}
		n := min(room, len(data))
		wb.cur = appendPiece(wb.cur, id, offset, data[:n])
		offset += n
		data = data[n:]
	}
}

// close ends the current part with its CRC.
func (wb *walBuilder) close() {
	if len(wb.cur) > 1 {
		wb.parts = append(wb.parts, binary.BigEndian.AppendUint32(wb.cur, crc32.Checksum(wb.cur, walCRC)))
	}
	wb.cur = nil
}

// walPiece is one tag's entry in a record.
type walPiece struct {
	id     uint32
	offset uint64
	data   []byte
}

// parseWAL checks a record's CRC and calls fn for each piece.
func parseWAL(v []byte, fn func(walPiece)) error {
	if len(v) < 5 || v[0] != walVersion {
		return errors.New("tail record: unknown version")
	}
	body := v[:len(v)-4]
	if crc32.Checksum(body, walCRC) != binary.BigEndian.Uint32(v[len(v)-4:]) {
		return errors.New("tail record: checksum mismatch")
	}
	p := 1
	for p < len(body) {
		id, n1 := binary.Uvarint(body[p:])
		if n1 <= 0 || id > math.MaxUint32 {
			return errors.New("tail record: bad series id")
		}
		p += n1
		off, n2 := binary.Uvarint(body[p:])
		if n2 <= 0 {
			return errors.New("tail record: bad offset")
		}
		p += n2
		l, n3 := binary.Uvarint(body[p:])
		if n3 <= 0 || l > uint64(len(body)-p-n3) {
			return errors.New("tail record: bad length")
		}
		p += n3
		fn(walPiece{id: uint32(id), offset: off, data: body[p : p+int(l)]})
		p += int(l)
	}
	return nil
}

// replayWAL rebuilds the open chunks from the tail log: each tag's pieces
// in order, a piece at offset 0 starting over, a piece that does not follow
// on (its record was lost) dropping the stream until the next start.
// Samples not newer than the tag's last sealed chunk are dropped: they were
// sealed after the record was written. The rebuilt streams are marked
// unwritten, so the first flush writes each whole as a new start (the
// re-encoded bytes may differ from the pieces).
func (s *Store) replayWAL(tx *bbolt.Tx, byID map[uint32]*series) error {
	b := tx.Bucket(bucketTails)
	if b == nil {
		return nil
	}
	streams := map[uint32][]byte{}
	broken := map[uint32]bool{}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 12 || isEndFence(k) {
			continue
		}
		seq := binary.BigEndian.Uint64(k)
		if n := len(s.walSizes); n > 0 && s.walSizes[n-1].seq == seq {
			s.walSizes[n-1].n += len(v)
		} else {
			s.walSizes = append(s.walSizes, walSize{seq, len(v)})
		}
		s.walSeq = max(s.walSeq, seq)
		if s.walOldest == 0 {
			s.walOldest = seq
		}
		if err := parseWAL(v, func(p walPiece) {
			cur := streams[p.id]
			switch {
			case p.offset == 0:
				streams[p.id], broken[p.id] = append(cur[:0], p.data...), false
			case !broken[p.id] && p.offset == uint64(len(cur)):
				streams[p.id] = append(cur, p.data...)
			default:
				broken[p.id] = true
			}
		}); err != nil {
			// A torn record cannot be written by bbolt (a commit is whole or
			// not at all); this is damage. Later pieces that follow on from
			// it are dropped as broken.
			s.log.Error("history: tail record skipped", "file", s.path, "seq", seq, "err", err)
			s.corrupt.Add(1)
			for id := range streams {
				broken[id] = true
			}
		}
	}
	var buf []chunk.Sample
	for id, data := range streams {
		ser := byID[id]
		if ser == nil || len(data) == 0 {
			continue
		}
		var err error
		buf, err = chunk.DecodeStream(buf[:0], data)
		if err != nil {
			s.reportCorrupt(ser.name, 0, fmt.Errorf("open chunk: %w", err))
		}
		for _, x := range buf {
			if ser.has && x.T <= ser.last {
				continue
			}
			if ser.open.Len() == 0 {
				ser.first = x.T
			}
			ser.open.Append(x)
			ser.last, ser.has = x.T, true
		}
	}
	return nil
}

// appendPiece adds one tag's piece to a record being built.
func appendPiece(rec []byte, id uint32, offset int, data []byte) []byte {
	rec = binary.AppendUvarint(rec, uint64(id))
	rec = binary.AppendUvarint(rec, uint64(offset))
	rec = binary.AppendUvarint(rec, uint64(len(data)))
	return append(rec, data...)
}
