package history

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"runtime/debug"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// Backfill: samples older than a tag's newest stored sample (a viewing
// station receiving the acquiring station's store-and-forward backlog after
// an outage). They are not merged into the sealed chunks, which would mean
// decoding and rewriting a whole chunk per late sample: each flush writes a
// tag's late samples of that flush as one (or a few) chunks of their own in
// the backfill bucket, keyed by tag, first time and a sequence number, and
// reads merge them with the regular chunks in time order. A backfilled
// sample with the time of a regular one is a repeat and gives way to it;
// among backfilled samples with the same time the first stored wins.
//
// Key: series id (4) + first time (8, sortable) + sequence (8, BE).
const backfillKeyLen = 20

func backfillKey(id uint32, start int64, seq uint64) []byte {
	k := make([]byte, 0, backfillKeyLen)
	k = binary.BigEndian.AppendUint32(k, id)
	k = binary.BigEndian.AppendUint64(k, sortable(start))
	return binary.BigEndian.AppendUint64(k, seq)
}

// parseBackfillKey splits a backfill key; ok is false for a malformed key.
func parseBackfillKey(k []byte) (id uint32, start int64, ok bool) {
	if len(k) != backfillKeyLen {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(k), unsortable(binary.BigEndian.Uint64(k[4:])), true
}

// Backfill adds samples that may be older than what the store holds for
// their tags: the historical (store-and-forward) samples a viewing station
// receives after an outage. A sample newer than its tag's newest is
// appended as Append would; an older one is kept aside and written with
// the next flush as a backfill chunk, which queries merge in time order.
// A sample with the time of one already stored is a repeat: reads keep the
// stored one. Live samples go through Append, which keeps dropping a sample
// that goes back in time (a device clock stepping back is not history).
func (s *Store) Backfill(batch []Sample) (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return err
	}
	for i := range batch {
		b := &batch[i]
		if s.invalid(b) {
			continue
		}
		ser := s.series[b.Tag]
		if ser == nil || !ser.has {
			s.appendLocked(batch[i : i+1])
			continue
		}
		t := s.truncate(b.Time.UnixNano())
		if t > ser.last {
			s.appendLocked(batch[i : i+1])
			continue
		}
		if s.late == nil {
			s.late = map[uint32][]chunk.Sample{}
		}
		s.late[ser.id] = append(s.late[ser.id], chunk.Sample{T: t, V: b.Value, Q: packQuality(b.Quality)})
		s.stats.Backfilled++
	}
	return nil
}

// truncate applies Options.TimeResolution to a time.
func (s *Store) truncate(t int64) int64 {
	if res := int64(s.opts.TimeResolution); res > 1 {
		t -= ((t % res) + res) % res // floor, also before 1970
	}
	return t
}

// sortLate orders late samples by time and drops repeats of a time (the
// first kept), in place.
func sortLate(late []chunk.Sample) []chunk.Sample {
	slices.SortStableFunc(late, func(a, b chunk.Sample) int { return cmp.Compare(a.T, b.T) })
	return slices.CompactFunc(late, func(a, b chunk.Sample) bool { return a.T == b.T })
}

// backfillPuts encodes every tag's late samples into backfill chunks of at
// most ChunkSamples samples, and says how many of each tag's late samples
// they hold (Backfill may add more before the commit ends). The caller
// holds s.mu.
func (s *Store) backfillPuts() ([]put, []lateCut) {
	var puts []put
	var cuts []lateCut
	for id, late := range s.late {
		if len(late) == 0 {
			continue
		}
		late = sortLate(late)
		s.late[id] = late
		for rest := late; len(rest) > 0; {
			part := rest[:min(len(rest), max(s.opts.ChunkSamples, 1))]
			rest = rest[len(part):]
			b, err := chunk.Encode(nil, part)
			if err != nil { // cannot happen: sorted, no repeated times
				s.log.Error("history: cannot encode backfill chunk", "series", id, "err", err)
				continue
			}
			puts = append(puts, put{chunkKey(id, part[0].T), b})
		}
		cuts = append(cuts, lateCut{id, len(late)})
	}
	return puts, cuts
}

// putBackfill writes the backfill chunks in tx.
func putBackfill(tx *bbolt.Tx, puts []put) error {
	if len(puts) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketBackfill)
	if err != nil {
		return err
	}
	for _, p := range puts {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		id, start, _ := parseChunkKey(p.key)
		if err := b.Put(backfillKey(id, start, seq), p.val); err != nil {
			return fmt.Errorf("backfill of series %d: %w", id, err)
		}
	}
	return nil
}

// loadLate reads the tag's backfilled samples in [from, to], from the file
// and from mem (not yet flushed), sorted with repeats dropped.
func (v *view) loadLate(from, to int64) []chunk.Sample {
	var out []chunk.Sample
	for _, x := range v.late {
		if x.T >= from && x.T <= to {
			out = append(out, x)
		}
	}
	if b := v.tx.Bucket(bucketBackfill); b != nil {
		c := b.Cursor()
		prefix := binary.BigEndian.AppendUint32(nil, v.id)
		var buf []chunk.Sample
		for k, val := c.Seek(prefix); k != nil; k, val = c.Next() {
			id, start, ok := parseBackfillKey(k)
			if !ok || id != v.id || start > to {
				break
			}
			if h, err := chunk.ReadHeader(val); err == nil && h.Last < from {
				continue
			}
			var err error
			if buf, err = chunk.Decode(buf[:0], val); err != nil {
				v.corrupt(start, err)
				continue
			}
			out = append(out, clip(buf, from, to)...)
		}
	}
	return sortLate(out)
}

// mergeLate returns fn wrapped to merge the sorted samples late into the
// parts it is given (which come in time order), and a function that hands
// fn the late samples after the last part.
func mergeLate(late []chunk.Sample, fn func([]chunk.Sample) error) (func([]chunk.Sample) error, func() error) {
	var buf []chunk.Sample
	merged := func(part []chunk.Sample) error {
		if len(late) == 0 || late[0].T > part[len(part)-1].T {
			return fn(part)
		}
		buf = buf[:0]
		i := 0
		for _, x := range part {
			for i < len(late) && late[i].T < x.T {
				buf = append(buf, late[i])
				i++
			}
			if i < len(late) && late[i].T == x.T {
				i++ // a repeat of a stored sample
			}
			buf = append(buf, x)
		}
		late = late[i:]
		return fn(buf)
	}
	rest := func() error {
		if len(late) == 0 {
			return nil
		}
		return fn(late)
	}
	return merged, rest
}

// lateAt returns the newest backfilled sample at or before t.
func (v *view) lateAt(t int64) (chunk.Sample, bool) {
	late := v.loadLate(math.MinInt64, t)
	if len(late) == 0 {
		return chunk.Sample{}, false
	}
	return late[len(late)-1], true
}

// backfillChunks calls fn for every backfill chunk in the file.
func backfillChunks(tx *bbolt.Tx, fn func(k, v []byte) error) error {
	b := tx.Bucket(bucketBackfill)
	if b == nil {
		return nil
	}
	return b.ForEach(fn)
}
