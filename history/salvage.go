package history

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sort"
	"time"

	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/history/internal/boltwalk"
	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// SalvageReport says what Salvage copied and what it could not.
type SalvageReport struct {
	Tags, Chunks, Events int   // copied
	Samples              int64 // in the copied chunks
	// Problems are what the page walk of the damaged file found.
	Problems []string
	// DamagedPages counts pages that could not be read; what they held is
	// lost unless an older copy was found (Scanned).
	DamagedPages int
	// Scanned is true when the tree could not be walked whole, so every
	// leaf page of the file was read for entries; then a chunk may come
	// back from a page freed by retention, or in an older, shorter copy.
	Scanned bool
	// BadChunks and BadEvents describe entries that did not decode.
	BadChunks, BadEvents []string
	// MissingEvents counts journal sequence numbers below the highest one
	// copied that no copied event carries: events lost to the damage or
	// deleted by retention.
	MissingEvents uint64
	// Unnamed counts chunks whose tag's name record was lost; they are
	// copied under the name "salvaged-series-N".
	Unnamed int
	// BadTails counts tail-log records (the open chunks' newest samples)
	// that fail their checksum.
	BadTails int
}

// Salvage copies every chunk and event of the (damaged) history file at src
// that still decodes into a new history file at dst, which must not exist,
// and reports what it copied and what was lost. It reads src with plain
// reads, never through bbolt, so no damage stops it. src must not be open
// in a running vigil.
func Salvage(src, dst string) (SalvageReport, error) {
	var rep SalvageReport
	if _, err := os.Stat(dst); err == nil {
		return rep, fmt.Errorf("history salvage: %s exists; name a new file", dst)
	}
	f, err := os.Open(src)
	if err != nil {
		return rep, fmt.Errorf("history salvage: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	fi, err := f.Stat()
	if err != nil {
		return rep, fmt.Errorf("history salvage: %w", err)
	}
	c := &collector{series: map[string]uint32{}, chunks: map[string][]byte{}, events: map[string][]byte{}, tails: map[string][]byte{}}
	res, werr := boltwalk.Walk(f, fi.Size(), func(e boltwalk.Entry) {
		if len(e.Path) == 1 {
			c.add(string(e.Path[0]), e.Key, e.Value, &rep)
		}
	})
	rep.Problems, rep.DamagedPages = res.Problems, res.Damaged
	if werr != nil {
		rep.Problems = append(rep.Problems, werr.Error())
	}
	if werr != nil || res.Damaged > 0 || res.Truncated {
		// Pages of the tree are gone: read every other leaf page, whatever
		// its parent, and tell entries apart by their form.
		rep.Scanned = true
		skip := map[uint64]bool{}
		for _, p := range res.Reached {
			skip[p] = true
		}
		boltwalk.Scan(f, fi.Size(), res.Meta.PageSize, skip, func(e boltwalk.Entry) { c.guess(e.Key, e.Value, &rep) })
	}
	if err := c.write(dst, &rep); err != nil {
		_ = os.Remove(dst) // a half-written copy would mislead
		return rep, fmt.Errorf("history salvage: write %s: %w", dst, err)
	}
	// The open chunks' samples are in the tail records: count what the
	// copy rebuilds from them.
	s, err := Open(dst, Options{ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return rep, fmt.Errorf("history salvage: the copy %s does not open: %w", dst, err)
	}
	defer func() { _ = s.Close() }() // read only
	s.mu.Lock()
	for _, ser := range s.series {
		rep.Samples += int64(ser.open.Len())
	}
	s.mu.Unlock()
	return rep, nil
}

// collector gathers the entries that decode, choosing per key the copy
// with the most samples.
type collector struct {
	series  map[string]uint32 // tag name -> id
	chunks  map[string][]byte // key -> encoded chunk
	samples map[string]int
	events  map[string][]byte // key -> encoded event
	tails   map[string][]byte // key -> tail-log record
}

func (c *collector) add(bucket string, k, v []byte, rep *SalvageReport) {
	switch bucket {
	case string(bucketSeries):
		if len(v) == 4 {
			c.series[string(k)] = binary.BigEndian.Uint32(v)
		}
	case string(bucketChunks):
		if len(v) == dataKeyLen {
			return // pointers are rebuilt from the data bucket
		}
		if !c.chunk(k, v) {
			id, start, _ := parseChunkKey(k)
			rep.BadChunks = append(rep.BadChunks, fmt.Sprintf("series %d chunk at %s", id, time.Unix(0, start).UTC().Format(time.RFC3339)))
		}
	case string(bucketData):
		if isEndFence(k) {
			return
		}
		if !c.data(k, v) {
			rep.BadChunks = append(rep.BadChunks, fmt.Sprintf("data entry %x", k))
		}
	case string(bucketEvents):
		if !c.event(k, v) {
			rep.BadEvents = append(rep.BadEvents, fmt.Sprintf("event %x", k))
		}
	case string(bucketTails):
		if isEndFence(k) {
			return
		}
		if !c.tail(k, v) {
			rep.BadTails++
		}
	}
}

// guess files an entry found by the page scan by its form: a chunk has a
// 12-byte key and a value that decodes (checksum included) starting at the
// key's time; an event a 16-byte key and a journal record; a series record
// a 4-byte value.
func (c *collector) guess(k, v []byte, _ *SalvageReport) {
	switch {
	case len(k) == 12 && c.chunk(k, v):
	case len(k) == 12 && c.data(k, v):
	case len(k) == 16 && c.event(k, v):
	case len(k) == 12 && c.tail(k, v):
	case len(v) == 4 && len(k) > 0 && !bytes.Equal(k, []byte("format")):
		if _, ok := c.series[string(k)]; !ok {
			c.series[string(k)] = binary.BigEndian.Uint32(v)
		}
	}
}

func (c *collector) chunk(k, v []byte) bool {
	_, start, ok := parseChunkKey(k)
	if !ok {
		return false
	}
	s, err := chunk.Decode(nil, v)
	if err != nil || s[0].T != start {
		return false
	}
	if c.samples == nil {
		c.samples = map[string]int{}
	}
	if n, ok := c.samples[string(k)]; !ok || len(s) > n {
		c.chunks[string(k)], c.samples[string(k)] = bytes.Clone(v), len(s)
	}
	return true
}

// data keeps a chunk of the data bucket: its key names the tag (the last 4
// bytes), the chunk its start.
func (c *collector) data(k, v []byte) bool {
	if len(k) != dataKeyLen {
		return false
	}
	h, err := chunk.ReadHeader(v)
	if err != nil {
		return false
	}
	return c.chunk(chunkKey(binary.BigEndian.Uint32(k[8:]), h.First), v)
}

// tail keeps a tail-log record whose checksum holds.
func (c *collector) tail(k, v []byte) bool {
	if len(k) != 12 || parseWAL(v, func(walPiece) {}) != nil {
		return false
	}
	c.tails[string(k)] = bytes.Clone(v)
	return true
}

func (c *collector) event(k, v []byte) bool {
	if len(k) != 16 {
		return false
	}
	if _, err := decodeEvent(v); err != nil {
		return false
	}
	c.events[string(k)] = bytes.Clone(v)
	return true
}

func (c *collector) write(dst string, rep *SalvageReport) error {
	db, err := bbolt.Open(dst, 0o644, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	named := map[uint32]bool{}
	for _, id := range c.series {
		named[id] = true
	}
	var maxSeq uint64
	err = db.Update(func(tx *bbolt.Tx) error {
		b := map[string]*bbolt.Bucket{}
		for _, name := range [][]byte{bucketMeta, bucketSeries, bucketChunks, bucketEvents, bucketTails, bucketData} {
			bk, err := tx.CreateBucket(name)
			if err != nil {
				return err
			}
			bk.FillPercent = 1 // written in key order: full pages
			b[string(name)] = bk
		}
		if err := b["meta"].Put([]byte("format"), []byte{formatVersion}); err != nil {
			return err
		}
		keys := sortedKeys(c.chunks)
		for _, k := range keys {
			id, _, _ := parseChunkKey([]byte(k))
			if !named[id] {
				named[id] = true
				c.series[fmt.Sprintf("salvaged-series-%d", id)] = id
				rep.Unnamed++
			}
			seq, err := b["data"].NextSequence()
			if err != nil {
				return err
			}
			dk := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, seq), id)
			if err := b["data"].Put(dk, c.chunks[k]); err != nil {
				return err
			}
			if err := b["chunks"].Put([]byte(k), dk); err != nil {
				return err
			}
			rep.Chunks++
			rep.Samples += int64(c.samples[k])
		}
		// One name per id: a name found twice keeps its id in the tree.
		ids := map[uint32]bool{}
		for _, name := range sortedKeys(c.series) {
			id := c.series[name]
			if ids[id] {
				continue
			}
			ids[id] = true
			if err := b["series"].Put([]byte(name), binary.BigEndian.AppendUint32(nil, id)); err != nil {
				return err
			}
		}
		rep.Tags = len(ids)
		for _, k := range sortedKeys(c.events) {
			if err := b["events"].Put([]byte(k), c.events[k]); err != nil {
				return err
			}
			maxSeq = max(maxSeq, binary.BigEndian.Uint64([]byte(k)[8:]))
			rep.Events++
		}
		if maxSeq > uint64(rep.Events) && maxSeq < math.MaxUint64 {
			rep.MissingEvents = maxSeq - uint64(rep.Events)
		}
		for _, k := range sortedKeys(c.tails) {
			if err := b["tails"].Put([]byte(k), c.tails[k]); err != nil {
				return err
			}
		}
		// New events continue the journal's numbering.
		return b["events"].SetSequence(maxSeq)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
