package history

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// deleteBatch bounds the keys deleted in one transaction, so pruning a large
// backlog does not hold one huge transaction.
const deleteBatch = 5000

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
	// Chunks sealed since the last flush are judged with the rest.
	if err := s.Flush(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.mu.Unlock() // open chunks are in memory and the tail log: never pruned here
	now := s.opts.Clock.Now()

	type entry struct {
		key  []byte
		last int64
		size int64
	}
	var doomed, doomedData, doomedLate [][]byte
	var all []entry
	var live int64
	err = s.db.View(func(tx *bbolt.Tx) error {
		live = tx.Size() - int64(s.db.Stats().FreeAlloc)
		cutoff := int64(0)
		if r.MaxAge > 0 {
			cutoff = now.Add(-r.MaxAge).UnixNano()
		}
		if r.MaxAge > 0 {
			// Backfill chunks go by age like the others; size retention
			// leaves them (they are an outage's worth of samples).
			_ = backfillChunks(tx, func(k, v []byte) error {
				if h, err := chunk.ReadHeader(v); err == nil && h.Last < cutoff {
					doomedLate = append(doomedLate, append([]byte(nil), k...))
				}
				return nil
			})
		}
		c := tx.Bucket(bucketChunks).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			ref := v
			v = chunkBytes(tx, v)
			last := int64(0)
			if h, err := chunk.ReadHeader(v); err == nil {
				last = h.Last
			} else if _, start, ok := parseChunkKey(k); ok {
				last = start // corrupt: age it by its key
			}
			key := append([]byte(nil), k...)
			if len(ref) == dataKeyLen {
				key = append(key, ref...) // the data key rides along
			}
			if r.MaxAge > 0 && last < cutoff {
				doomed = append(doomed, key)
				live -= int64(len(k) + len(v))
				continue
			}
			if r.MaxBytes > 0 {
				all = append(all, entry{key, last, int64(len(k) + len(v))})
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return fmt.Errorf("history %s: retention: %w", s.path, err)
	}
	if r.MaxBytes > 0 && live > r.MaxBytes {
		sort.Slice(all, func(i, j int) bool { return all[i].last < all[j].last })
		excess := live - r.MaxBytes*9/10
		for _, e := range all {
			if excess <= 0 {
				break
			}
			doomed = append(doomed, e.key)
			excess -= e.size
		}
	}
	for i, k := range doomed {
		if len(k) > 12 {
			doomed[i], doomedData = k[:12], append(doomedData, k[12:])
		}
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
