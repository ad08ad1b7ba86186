package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/history/internal/boltwalk"
	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// Info describes a history file.
type Info struct {
	Path      string
	FileBytes int64 // size of the file on disk
	FreeBytes int64 // free pages inside it, reused by later writes (Compact returns them)
	UsedBytes int64 // pages in use: the high-water mark of the data minus the free pages
	// TailBytes are the tail log's records: the open chunks' bytes as
	// flushed, kept until their chunks seal.
	TailBytes int64
	// RecordedUntil is where the last live recording ended, to the flush
	// (Store.RecordedUntil): zero when no station recorded into the file.
	RecordedUntil time.Time
	Tags          []TagInfo
	Events        int
}

// ChunkBytes is the payload: every tag's chunks, the open ones counted as
// they would be sealed now.
func (inf Info) ChunkBytes() int64 {
	var n int64
	for _, t := range inf.Tags {
		n += t.Bytes
	}
	return n
}

// WriteAmplification is the file's size over its payload (ChunkBytes):
// what pages, free space, the tail log and events cost on top. 0 without
// chunks.
func (inf Info) WriteAmplification() float64 {
	if c := inf.ChunkBytes(); c > 0 {
		return float64(inf.FileBytes) / float64(c)
	}
	return 0
}

// BytesPerDay estimates how much the file grows per day at the rate the
// stored data came in: per tag, its chunk bytes over the time it spans,
// summed, times WriteAmplification. 0 when no tag spans any time.
func (inf Info) BytesPerDay() float64 {
	var perDay float64
	for _, t := range inf.Tags {
		if span := t.Last.Sub(t.First); span > 0 {
			perDay += float64(t.Bytes) / span.Hours() * 24
		}
	}
	return perDay * inf.WriteAmplification()
}

// TagInfo describes one tag's stored history.
type TagInfo struct {
	Tag         string
	Samples     int64
	Chunks      int
	First, Last time.Time
	Bytes       int64 // keys and values of its chunks, the open one as if sealed now
	OpenSamples int64 // of Samples, those in the open chunk (memory and tail log)
}

// BytesPerSample is Bytes / Samples (0 without samples).
func (t TagInfo) BytesPerSample() float64 {
	if t.Samples == 0 {
		return 0
	}
	return float64(t.Bytes) / float64(t.Samples)
}

// Info flushes the open chunks (unless read-only) and summarises the file
// per tag, sorted by name. It reads chunk headers, walks the pages for the
// free ones, and encodes each open chunk to count it as it would be sealed.
func (s *Store) Info(ctx context.Context) (_ Info, err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	inf := Info{Path: s.path}
	if !s.opts.ReadOnly {
		if err := s.Flush(); err != nil {
			return inf, err
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return inf, ErrClosed
	}
	if s.heard != 0 {
		inf.RecordedUntil = time.Unix(0, s.heard).UTC()
	}
	names := make(map[uint32]string, len(s.series))
	byID := map[uint32]*TagInfo{}
	for _, ser := range s.series {
		id := ser.id
		names[id] = ser.name
		if ser.open.Len() == 0 {
			continue
		}
		var err error
		s.scratch, err = chunk.DecodeStream(s.scratch[:0], ser.open.Bytes())
		if err != nil || len(s.scratch) == 0 {
			continue
		}
		enc, err := chunk.Encode(nil, s.scratch)
		if err != nil {
			continue
		}
		byID[id] = &TagInfo{Tag: ser.name, Samples: int64(len(s.scratch)), OpenSamples: int64(len(s.scratch)), Chunks: 1,
			Bytes: int64(len(enc) + 12), First: time.Unix(0, s.scratch[0].T).UTC(), Last: time.Unix(0, s.scratch[len(s.scratch)-1].T).UTC()}
	}
	s.mu.Unlock()
	err = s.db.View(func(tx *bbolt.Tx) error {
		// bbolt's own free count is 0 for a read-only open (it does not
		// load the freelist): walk the pages, as Check does.
		res, err := boltwalk.WalkFile(s.path, nil)
		if err != nil {
			return err
		}
		inf.FreeBytes = int64(res.Free) * int64(res.Meta.PageSize)
		inf.UsedBytes = tx.Size() - inf.FreeBytes
		if tb := tx.Bucket(bucketTails); tb != nil { // format 1 has none
			tc := tb.Cursor()
			for k, v := tc.First(); k != nil; k, v = tc.Next() {
				if !isEndFence(k) {
					inf.TailBytes += int64(len(k) + len(v))
				}
			}
		}
		c := tx.Bucket(bucketChunks).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			id, _, ok := parseChunkKey(k)
			if !ok {
				continue
			}
			ti := byID[id]
			if ti == nil {
				ti = &TagInfo{Tag: names[id]}
				byID[id] = ti
			}
			ti.Chunks++
			v = chunkBytes(tx, v)
			ti.Bytes += int64(len(k) + len(v))
			h, err := chunk.ReadHeader(v)
			if err != nil {
				continue
			}
			ti.Samples += int64(h.N)
			first, last := time.Unix(0, h.First).UTC(), time.Unix(0, h.Last).UTC()
			if ti.First.IsZero() || first.Before(ti.First) {
				ti.First = first
			}
			if last.After(ti.Last) {
				ti.Last = last
			}
			if ti.Chunks%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		inf.Events = tx.Bucket(bucketEvents).Stats().KeyN
		return nil
	})
	if err != nil {
		return inf, fmt.Errorf("history %s: info: %w", s.path, err)
	}
	for _, ti := range byID {
		inf.Tags = append(inf.Tags, *ti)
	}
	sort.Slice(inf.Tags, func(i, j int) bool { return inf.Tags[i].Tag < inf.Tags[j].Tag })
	if fi, err := os.Stat(s.path); err == nil {
		inf.FileBytes = fi.Size()
	}
	return inf, nil
}

// CheckError lists what Check found wrong.
type CheckError struct {
	Path     string
	Problems []string
}

// Error implements error.
func (e *CheckError) Error() string {
	return fmt.Sprintf("history %s: %d problems: %s", e.Path, len(e.Problems), strings.Join(e.Problems, "; "))
}

// Check verifies the file: bbolt's page consistency check, then every chunk
// decodes (checksum included) and starts at its key's time, and every event
// decodes. It returns nil or a *CheckError.
func (s *Store) Check() (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	known := make(map[uint32]string, len(s.series))
	for _, ser := range s.series {
		known[ser.id] = ser.name
	}
	s.mu.Unlock()
	ce := &CheckError{Path: s.path}
	add := func(format string, args ...any) {
		if len(ce.Problems) < 100 {
			ce.Problems = append(ce.Problems, fmt.Sprintf(format, args...))
		}
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		// bbolt's own tx.Check panics, in a goroutine of its own, on the
		// pages it is meant to check; walk them with plain reads instead.
		// Pages reachable from a meta page written after tx began are not
		// reused while tx is open, so the walk sees a consistent file.
		res, err := boltwalk.WalkFile(s.path, nil)
		if err != nil {
			add("pages: %v", err)
			return nil // nothing below can be read
		}
		for _, p := range res.Problems {
			add("pages: %s", p)
		}
		if !res.OK() {
			return nil // bbolt would panic on the damaged pages
		}
		var buf []chunk.Sample
		c := tx.Bucket(bucketChunks).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			id, start, ok := parseChunkKey(k)
			if !ok {
				add("chunk key %x is malformed", k)
				continue
			}
			name, ok := known[id]
			if !ok {
				name = fmt.Sprintf("series %d (unknown)", id)
				add("chunk of unknown series %d", id)
			}
			var err error
			buf, err = chunk.Decode(buf[:0], chunkBytes(tx, v))
			switch {
			case err != nil:
				add("tag %s chunk at %s: %v", name, time.Unix(0, start).UTC().Format(time.RFC3339Nano), err)
			case buf[0].T != start:
				add("tag %s chunk at %s starts at %d", name, time.Unix(0, start).UTC().Format(time.RFC3339Nano), buf[0].T)
			}
		}
		_ = backfillChunks(tx, func(k, v []byte) error {
			id, start, ok := parseBackfillKey(k)
			if !ok {
				add("backfill key %x is malformed", k)
				return nil
			}
			name, ok := known[id]
			if !ok {
				name = fmt.Sprintf("series %d (unknown)", id)
				add("backfill chunk of unknown series %d", id)
			}
			var err error
			buf, err = chunk.Decode(buf[:0], v)
			switch {
			case err != nil:
				add("tag %s backfill chunk at %s: %v", name, time.Unix(0, start).UTC().Format(time.RFC3339Nano), err)
			case buf[0].T != start:
				add("tag %s backfill chunk at %s starts at %d", name, time.Unix(0, start).UTC().Format(time.RFC3339Nano), buf[0].T)
			}
			return nil
		})
		ec := tx.Bucket(bucketEvents).Cursor()
		for k, v := ec.First(); k != nil; k, v = ec.Next() {
			if _, err := decodeEvent(v); err != nil || len(k) != 16 {
				add("event %x: %v", k, err)
			}
		}
		if tb := tx.Bucket(bucketTails); tb != nil {
			tc := tb.Cursor()
			for k, v := tc.First(); k != nil; k, v = tc.Next() {
				if isEndFence(k) {
					continue
				}
				if err := parseWAL(v, func(walPiece) {}); err != nil || len(k) != 12 {
					add("tail record %x: %v", k, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return errors.Join(err, ce)
	}
	if len(ce.Problems) > 0 {
		return ce
	}
	return nil
}
