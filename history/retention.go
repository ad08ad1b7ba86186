package history

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// deleteBatch bounds the keys deleted in one transaction, so pruning a large
// backlog does not hold one huge transaction.
const deleteBatch = 5000

// prunePerPass bounds the chunks one pruning pass removes, and so the keys
// it holds (about 80 bytes each): retention set on a file with years of
// history removes it over the minutes that follow, not in one pass holding
// every key. At 100,000 tags a minute adds about 36,000 chunks (2.26 GB of
// chunks of at most 512 bytes in 2 h), so the bound keeps ahead of the growth.
const prunePerPass = 200_000

// Prune applies the retention bounds once: chunks whose newest sample is
// older than MaxAge, then (when the file's live size exceeds MaxBytes) the
// chunks with the oldest newest-sample of all tags until the live size is
// 10 % under MaxBytes, and events older than EventMaxAge. Freed pages are
// reused by later writes; the file itself does not shrink (see Compact).
// The Store runs it every Retention.Every.
func (s *Store) Prune(ctx context.Context) (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	r := s.opts.Retention
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	if r.MaxAge <= 0 && r.MaxBytes <= 0 && r.EventMaxAge <= 0 {
		return nil
	}
	// Chunks sealed since the last flush are judged with the rest. A flush
	// that fails (a full disk) does not stop the pass: the pages it frees
	// are what the next flush can write to.
	if err := s.Flush(); errors.Is(err, ErrClosed) {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.mu.Unlock() // open chunks are in memory and the tail log: never pruned here
	now := s.opts.Clock.Now()
	var doomed, doomedData, doomedLate [][]byte
	err = s.db.View(func(tx *bbolt.Tx) error {
		live := tx.Size() - int64(s.db.Stats().FreeAlloc)
		var gone map[string]bool
		if r.MaxAge > 0 {
			cutoff := now.Add(-r.MaxAge).UnixNano()
			// Backfill chunks go by age like the others; size retention
			// leaves them (they are an outage's worth of samples).
			_ = backfillChunks(tx, func(k, v []byte) error {
				if h, err := chunk.ReadHeader(v); err == nil && h.Last < cutoff {
					doomedLate = append(doomedLate, append([]byte(nil), k...))
				}
				return nil
			})
			var freed int64
			var aerr error
			if doomed, doomedData, freed, aerr = chunksBefore(ctx, tx, cutoff, prunePerPass); aerr != nil {
				return aerr
			}
			live -= freed
			if r.MaxBytes > 0 && live > r.MaxBytes {
				gone = make(map[string]bool, len(doomed))
				for _, k := range doomed {
					gone[string(k)] = true
				}
			}
		}
		if r.MaxBytes > 0 && live > r.MaxBytes && len(doomed) < prunePerPass {
			k, d, err := oldestChunks(ctx, tx, live-r.MaxBytes*9/10, gone, prunePerPass-len(doomed))
			if err != nil {
				return err
			}
			doomed, doomedData = append(doomed, k...), append(doomedData, d...)
		}
		return ctx.Err()
	})
	if err != nil {
		return fmt.Errorf("history %s: retention: %w", s.path, err)
	}
	if err := s.deleteKeys(ctx, bucketChunks, doomed); err != nil {
		return err
	}
	if err := s.deleteKeys(ctx, bucketData, doomedData); err != nil {
		return err
	}
	if err := s.deleteKeys(ctx, bucketBackfill, doomedLate); err != nil {
		return err
	}
	if r.EventMaxAge > 0 {
		return s.pruneEvents(ctx, now.Add(-r.EventMaxAge))
	}
	return nil
}

// chunksBefore returns the keys of the chunks whose newest sample is older
// than cutoff, the data keys of those stored apart, and the bytes they
// take, stopping at limit chunks. It visits only those chunks and one more
// per tag, not the file: a tag's chunks follow each other in time under its
// id, so a chunk followed by one of the same tag that starts by cutoff ended
// before it, and only the last candidate of a tag has its header read. (A
// pass that read every chunk's header cost 1 s and 330 MB of garbage a
// minute at 10,000 tags and 500,000 chunks: BenchmarkPrune.)
func chunksBefore(ctx context.Context, tx *bbolt.Tx, cutoff int64, limit int) (keys, data [][]byte, bytes int64, err error) {
	c := tx.Bucket(bucketChunks).Cursor()
	k, v := c.First()
	for n := 0; k != nil && len(keys) < limit; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, 0, err
			}
		}
		id, start, ok := parseChunkKey(k)
		if !ok { // not a chunk's key: never written by this package; left alone
			k, v = c.Next()
			continue
		}
		if start >= cutoff {
			// Nothing more of this tag is old: on to the next tag.
			if id == ^uint32(0) {
				break
			}
			k, v = c.Seek(chunkKey(id+1, math.MinInt64))
			continue
		}
		key, val := k, v
		k, v = c.Next()
		nid, nstart, nok := parseChunkKey(k)
		old := nok && nid == id && nstart <= cutoff
		body := chunkBytes(tx, val)
		if !old {
			last := start // a corrupt header: aged by its key
			if h, err := chunk.ReadHeader(body); err == nil {
				last = h.Last
			}
			old = last < cutoff
		}
		if !old {
			continue
		}
		keys = append(keys, append([]byte(nil), key...))
		if len(val) == dataKeyLen {
			data = append(data, append([]byte(nil), val...))
		}
		bytes += int64(len(key) + len(body))
	}
	return keys, data, bytes, nil
}

// oldestChunks returns the keys (and data keys) of the oldest chunks of all
// tags, by their first sample, that add up to at least excess bytes, at
// most limit of them, leaving out those in gone (already doomed by age). It
// merges the tags' chunk lists in time order, from one cursor position per
// tag, so it reads the chunks it returns and the first of each tag, not the
// whole file.
func oldestChunks(ctx context.Context, tx *bbolt.Tx, excess int64, gone map[string]bool, limit int) (keys, data [][]byte, err error) {
	c := tx.Bucket(bucketChunks).Cursor()
	// next moves from k (a chunk key, or the start of a tag) to the first
	// chunk of the same tag at or after it that is not gone.
	next := func(k []byte, after bool) (head, bool) {
		id, _, _ := parseChunkKey(k)
		ck, cv := c.Seek(k)
		if after && bytes.Equal(ck, k) {
			ck, cv = c.Next()
		}
		for ; ck != nil; ck, cv = c.Next() {
			cid, start, ok := parseChunkKey(ck)
			if !ok || cid != id {
				return head{}, false
			}
			if !gone[string(ck)] {
				return head{id: id, start: start, key: append([]byte(nil), ck...), val: append([]byte(nil), cv...)}, true
			}
		}
		return head{}, false
	}
	var h heads
	for k, _ := c.First(); k != nil; {
		id, _, ok := parseChunkKey(k)
		if !ok {
			k, _ = c.Next()
			continue
		}
		if first, ok := next(chunkKey(id, math.MinInt64), false); ok {
			h = append(h, first)
		}
		if id == ^uint32(0) {
			break
		}
		k, _ = c.Seek(chunkKey(id+1, math.MinInt64))
	}
	heap.Init(&h)
	for n := 0; excess > 0 && h.Len() > 0 && len(keys) < limit; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		oldest := h[0]
		keys = append(keys, oldest.key)
		if len(oldest.val) == dataKeyLen {
			data = append(data, oldest.val)
		}
		excess -= int64(len(oldest.key) + len(chunkBytes(tx, oldest.val)))
		if following, ok := next(oldest.key, true); ok {
			h[0] = following
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return keys, data, nil
}

// head is a tag's oldest chunk not yet doomed, in oldestChunks' merge.
type head struct {
	id       uint32
	start    int64
	key, val []byte
}

// heads is a min-heap of heads by start time, then tag (container/heap).
type heads []head

func (h heads) Len() int { return len(h) }
func (h heads) Less(i, j int) bool {
	return h[i].start < h[j].start || h[i].start == h[j].start && h[i].id < h[j].id
}
func (h heads) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *heads) Push(x any)   { *h = append(*h, x.(head)) }
func (h *heads) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (s *Store) deleteKeys(ctx context.Context, bucket []byte, keys [][]byte) error {
	for len(keys) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(keys), deleteBatch)
		err := s.db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucket)
			for _, k := range keys[:n] {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("history %s: retention: delete: %w", s.path, err)
		}
		keys = keys[n:]
	}
	return nil
}

func (s *Store) pruneEvents(ctx context.Context, before time.Time) error {
	var keys [][]byte
	var last []byte // the newest doomed event's record
	limit := sortable(clampNanos(before))
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.First(); len(k) == 16 && binary.BigEndian.Uint64(k) < limit; k, v = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
			last = v
		}
		last = append([]byte(nil), last...) // v is valid only inside the transaction
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	hook := s.pruneHook
	s.mu.Unlock()
	if hook != nil && len(keys) > 0 {
		p := PrunedEvents{Count: len(keys), Before: before}
		if p.Last, err = decodeEvent(last); err != nil {
			return fmt.Errorf("history %s: retention: event seq %d: %w", s.path, binary.BigEndian.Uint64(keys[len(keys)-1][8:]), err)
		}
		if err := hook(ctx, p); err != nil {
			return fmt.Errorf("history %s: retention: %w", s.path, err)
		}
	}
	return s.deleteKeys(ctx, bucketEvents, keys)
}

// Compact rewrites the closed history file at path into a new file without
// free pages and replaces the original with it; it returns the sizes before
// and after. bbolt never shrinks a file by itself. The file must not be open
// elsewhere: Compact waits lockTimeout for its lock and fails with ErrLocked.
func Compact(path string, lockTimeout time.Duration) (before, after int64, err error) {
	if lockTimeout <= 0 {
		lockTimeout = time.Second
	}
	if err := verifyFile(path, lockTimeout, true); err != nil {
		return 0, 0, err
	}
	defer catch(path, &err, debug.SetPanicOnFault(true))
	src, err := bbolt.Open(path, 0o644, &bbolt.Options{Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return 0, 0, fmt.Errorf("history %s: %w (waited %v for its lock)", path, ErrLocked, lockTimeout)
		}
		return 0, 0, fmt.Errorf("history %s: open: %w", path, err)
	}
	srcOpen := true
	defer func() {
		if srcOpen {
			_ = src.Close() // read-only use: nothing to lose; the compaction error is the one to report
		}
	}()
	if fi, err := os.Stat(path); err == nil {
		before = fi.Size()
	}
	tmp := path + ".compact"
	_ = os.Remove(tmp) // a leftover from an interrupted compaction
	dst, err := bbolt.Open(tmp, 0o644, &bbolt.Options{Timeout: lockTimeout})
	if err != nil {
		return before, 0, fmt.Errorf("history %s: create %s: %w", path, tmp, err)
	}
	if err := bbolt.Compact(dst, src, 64<<20); err != nil {
		_ = dst.Close()
		_ = os.Remove(tmp)
		return before, 0, fmt.Errorf("history %s: compact: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		_ = os.Remove(tmp)
		return before, 0, fmt.Errorf("history %s: compact: %w", path, err)
	}
	srcOpen = false
	if err := src.Close(); err != nil {
		_ = os.Remove(tmp)
		return before, 0, fmt.Errorf("history %s: close: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return before, 0, fmt.Errorf("history %s: replace with compacted file: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil {
		after = fi.Size()
	}
	return before, after, nil
}
