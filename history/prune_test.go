package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// everyChunk is what the pruning passes are checked against: every chunk
// of the file with its first and newest sample and its size, read the slow
// way.
type chunkInfo struct {
	key         string
	start, last int64
	size        int64
}

func everyChunk(t *testing.T, s *Store) []chunkInfo {
	t.Helper()
	var out []chunkInfo
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketChunks).ForEach(func(k, v []byte) error {
			_, start, _ := parseChunkKey(k)
			body := chunkBytes(tx, v)
			h, err := chunk.ReadHeader(body)
			if err != nil {
				return err
			}
			out = append(out, chunkInfo{string(k), start, h.Last, int64(len(k) + len(body))})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPruningPassesAgreeWithReadingEveryChunk fills a file with tags of
// different rates and chunk sizes, then checks the age pass (which reads
// one header per tag) against every chunk's newest sample, and the size
// pass (a merge of the tags' chunk lists) against all chunks sorted by
// their first sample.
func TestPruningPassesAgreeWithReadingEveryChunk(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0.Add(10 * time.Hour))
	s, _ := openTest(t, Options{Clock: clock, ChunkSamples: 50, ChunkSpan: time.Hour})
	rng := rand.New(rand.NewPCG(5, 5))
	for tag := range 12 {
		step := time.Duration(1+tag*7) * time.Second // 1 s .. 78 s
		n := int(10 * time.Hour / step)
		name := fmt.Sprintf("t%02d", tag)
		if tag == 5 {
			n = 3 // a tag with one open chunk only
		}
		if err := s.Append(samplesOf(name, n, step, func(int) float64 { return rng.Float64() })); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	all := everyChunk(t, s)
	if len(all) < 100 {
		t.Fatalf("only %d chunks", len(all))
	}
	for _, age := range []time.Duration{9*time.Hour + 59*time.Minute, 6 * time.Hour, 3*time.Hour + 17*time.Second, time.Minute} {
		cutoff := clock.Now().Add(-age).UnixNano()
		var want []string
		var wantBytes int64
		for _, c := range all {
			if c.last < cutoff {
				want = append(want, c.key)
				wantBytes += c.size
			}
		}
		var got []string
		var gotBytes int64
		err := s.db.View(func(tx *bbolt.Tx) error {
			keys, _, b, err := chunksBefore(context.Background(), tx, cutoff, len(all))
			for _, k := range keys {
				got = append(got, string(k))
			}
			gotBytes = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || gotBytes != wantBytes {
			t.Errorf("age %v: %d chunks (%d bytes), want %d (%d bytes)", age, len(got), gotBytes, len(want), wantBytes)
		}
		// A pass stops at its limit, with chunks that are due.
		if len(want) > 7 {
			_ = s.db.View(func(tx *bbolt.Tx) error {
				keys, _, _, _ := chunksBefore(context.Background(), tx, cutoff, 7)
				if len(keys) != 7 {
					t.Errorf("age %v, limit 7: %d chunks", age, len(keys))
				}
				for _, k := range keys {
					if !slices.Contains(want, string(k)) {
						t.Errorf("age %v, limit 7: a chunk that is not due", age)
					}
				}
				return nil
			})
		}
	}
	byStart := slices.Clone(all)
	sort.SliceStable(byStart, func(i, j int) bool { return byStart[i].start < byStart[j].start })
	gone := map[string]bool{byStart[0].key: true, byStart[3].key: true} // doomed by age already
	for _, excess := range []int64{1, 5000, 40000, 1 << 40} {
		var want []string
		left := excess
		for _, c := range byStart {
			if left <= 0 {
				break
			}
			if gone[c.key] {
				continue
			}
			want = append(want, c.key)
			left -= c.size
		}
		var got []string
		err := s.db.View(func(tx *bbolt.Tx) error {
			keys, _, err := oldestChunks(context.Background(), tx, excess, gone, len(all))
			for _, k := range keys {
				got = append(got, string(k))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Chunks starting at the same time may come in another order.
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("excess %d: %d chunks, want %d", excess, len(got), len(want))
		}
	}
}
