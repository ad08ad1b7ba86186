package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// Sample is one reading to store: the tag's name (stable across project
// edits, unlike its TagID), time, numeric value and quality. Bools are
// stored as 0 and 1; strings are not stored (see docs/history.md).
type Sample struct {
	Tag     string
	Time    time.Time
	Value   float64
	Quality datasource.Quality
}

// Sentinel errors callers branch on.
var (
	// ErrLocked: another process (or Store) has the file open.
	ErrLocked = errors.New("history file is in use by another process")
	// ErrClosed: the Store was closed.
	ErrClosed = errors.New("history store is closed")
	// ErrReadOnly: the Store was opened with Options.ReadOnly.
	ErrReadOnly = errors.New("history store is open read-only")
	// ErrNoData: there is no sample for the tag at or before the time asked.
	ErrNoData = errors.New("no history data")
)

// Stats counts what the Store did since Open.
type Stats struct {
	Appended      uint64 // samples accepted
	OutOfOrder    uint64 // samples dropped: not newer than the tag's last stored sample
	InvalidTime   uint64 // samples dropped: time outside 1678..2262 (int64 nanoseconds) or empty tag
	Sealed        uint64 // full chunks written
	Flushes       uint64 // successful flushes of the open chunks
	CorruptChunks uint64 // chunks found corrupt while reading; reported and skipped
}

// series is one tag's history: its id in the file and the open chunk.
type series struct {
	id    uint32
	name  string
	head  []chunk.Sample // open chunk; a fresh slice after every seal, so readers may keep the old one
	dirty bool           // head has samples not yet written to the file
	last  int64          // time of the newest sample accepted (Unix ns)
	has   bool           // last is set
	saved bool           // the name -> id record is in the file
}

type put struct{ key, val []byte }

// Store is a history file: per-tag compressed chunks in bbolt, an in-memory
// open chunk per tag, and the event journal. Its methods are safe for
// concurrent use.
type Store struct {
	path string
	db   *bbolt.DB
	opts Options
	log  *slog.Logger

	mu      sync.Mutex // guards everything below; held across commits so readers see each chunk in the file or in memory
	series  map[string]*series
	byID    map[uint32]*series
	nextID  uint32
	closed  bool
	stats   Stats
	pending []put // encoded chunks whose commit failed; retried with the next commit

	// corrupt counts corrupt chunks; atomic because readers find them
	// inside a read transaction, where taking mu could deadlock with a
	// writer waiting (under mu) for that transaction to end.
	corrupt atomic.Uint64

	ctx    context.Context // canceled by Close: stops background work
	cancel context.CancelFunc
	done   chan struct{} // closed when the background loop has returned
}

const allocSize = 1 << 20

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// Open opens (creating if needed) the history file at path. When another
// process holds the file it fails after opts.LockTimeout with an error
// wrapping ErrLocked that names the file.
//
// A damaged file (cut short, pages overwritten or zeroed, empty, not a
// history file) gives an error wrapping ErrDamaged (a *DamagedError) that
// says what is wrong; its pages are walked before bbolt reads them, and a
// panic inside bbolt is caught and reported the same way.
func Open(path string, opts Options) (_ *Store, err error) {
	opts = opts.withDefaults()
	if err := verifyFile(path, opts.LockTimeout, opts.ReadOnly); err != nil {
		return nil, err
	}
	defer catch(path, &err, debug.SetPanicOnFault(true))
	db, err := bbolt.Open(path, 0o644, &bbolt.Options{
		Timeout:  opts.LockTimeout,
		NoSync:   opts.NoSync,
		ReadOnly: opts.ReadOnly,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("history %s: %w (waited %v for its lock)", path, ErrLocked, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("history %s: open: %w", path, err)
	}
	s := &Store{
		path: path, db: db, opts: opts, log: opts.Logger,
		series: map[string]*series{}, byID: map[uint32]*series{},
		done: make(chan struct{}),
	}
	// Grow the file in 1 MiB steps once it passes 1 MiB, not in bbolt's
	// default doubling up to 16 MiB: history files are counted in bytes per
	// sample.
	db.AllocSize = allocSize
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.init(); err != nil {
		_ = db.Close() // the init error is the one to report
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	if opts.ReadOnly {
		close(s.done)
	} else {
		go s.loop()
	}
	return s, nil
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

func (s *Store) init() error {
	if !s.opts.ReadOnly {
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for _, name := range [][]byte{bucketMeta, bucketSeries, bucketChunks, bucketEvents} {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			meta := tx.Bucket(bucketMeta)
			if meta.Get([]byte("format")) == nil {
				return meta.Put([]byte("format"), []byte{formatVersion})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("create buckets: %w", err)
		}
	}
	return s.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || tx.Bucket(bucketSeries) == nil || tx.Bucket(bucketChunks) == nil || tx.Bucket(bucketEvents) == nil {
			return &DamagedError{Path: s.path, Problems: []string{"not a Vigil history file: its buckets are missing"}}
		}
		if v := meta.Get([]byte("format")); len(v) != 1 || v[0] != formatVersion {
			return fmt.Errorf("file format %v is not %d: written by another Vigil version", v, formatVersion)
		}
		chunks := tx.Bucket(bucketChunks)
		return tx.Bucket(bucketSeries).ForEach(func(k, v []byte) error {
			if len(v) != 4 {
				return &DamagedError{Path: s.path, Problems: []string{fmt.Sprintf("series %q: bad id record", k)}}
			}
			ser := &series{id: uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3]), name: string(k), saved: true}
			s.series[ser.name] = ser
			s.byID[ser.id] = ser
			if ser.id >= s.nextID {
				s.nextID = ser.id + 1
			}
			s.loadHead(chunks, ser)
			return nil
		})
	})
}

// loadHead finds the series' newest chunk: its last time orders later
// appends, and when it is not full it becomes the open chunk again.
func (s *Store) loadHead(chunks *bbolt.Bucket, ser *series) {
	c := chunks.Cursor()
	k, v := c.Seek(chunkKey(ser.id, math.MaxInt64))
	if k == nil {
		k, v = c.Last()
	} else if id, start, ok := parseChunkKey(k); !ok || id != ser.id || start != math.MaxInt64 {
		k, v = c.Prev()
	}
	id, start, ok := parseChunkKey(k)
	if !ok || id != ser.id {
		return
	}
	ser.last, ser.has = start, true
	samples, err := chunk.Decode(nil, v)
	if err != nil {
		s.reportCorrupt(ser.name, start, err)
		if h, err := chunk.ReadHeader(v); err == nil && h.Last > start {
			ser.last = h.Last
		}
		return
	}
	ser.last = samples[len(samples)-1].T
	if len(samples) < s.opts.ChunkSamples && samples[0].T == start {
		ser.head = samples
	}
}

func (s *Store) reportCorrupt(tag string, start int64, err error) {
	s.corrupt.Add(1)
	s.log.Error("history: corrupt chunk skipped", "file", s.path, "tag", tag, "chunk_start", time.Unix(0, start).UTC(), "err", err)
}

// Append adds a batch of samples. Samples are kept in each tag's open chunk;
// chunks that fill up are written in one bbolt transaction for the whole
// batch. A tag's samples must come in increasing time: one not newer than
// the tag's last accepted sample is dropped and counted in Stats.OutOfOrder.
func (s *Store) Append(batch []Sample) (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	span := int64(s.opts.ChunkSpan)
	newSeries := false
	for i := range batch {
		b := &batch[i]
		if b.Tag == "" || b.Time.Before(minTime) || b.Time.After(maxTime) {
			s.stats.InvalidTime++
			continue
		}
		ser := s.series[b.Tag]
		if ser == nil {
			ser = &series{id: s.nextID, name: b.Tag}
			s.nextID++
			s.series[ser.name] = ser
			s.byID[ser.id] = ser
			newSeries = true
		}
		t := b.Time.UnixNano()
		if res := int64(s.opts.TimeResolution); res > 1 {
			t -= ((t % res) + res) % res // floor, also before 1970
		}
		if ser.has && t <= ser.last {
			s.stats.OutOfOrder++
			continue
		}
		if n := len(ser.head); n > 0 && (n >= s.opts.ChunkSamples || t-ser.head[0].T >= span) {
			s.seal(ser)
		}
		ser.head = append(ser.head, chunk.Sample{T: t, V: b.Value, Q: packQuality(b.Quality)})
		ser.last, ser.has, ser.dirty = t, true, true
		s.stats.Appended++
	}
	if len(s.pending) == 0 && !newSeries {
		return nil
	}
	return s.commit()
}

// seal encodes the open chunk into pending and starts a new one.
func (s *Store) seal(ser *series) {
	b, err := chunk.Encode(nil, ser.head)
	if err != nil { // cannot happen: Append keeps heads non-empty and ordered
		s.log.Error("history: cannot encode chunk", "tag", ser.name, "err", err)
	} else {
		s.pending = append(s.pending, put{chunkKey(ser.id, ser.head[0].T), b})
		s.stats.Sealed++
	}
	ser.head = nil
	ser.dirty = false
}

// commit writes new series records and pending chunks in one transaction.
// The caller holds s.mu.
func (s *Store) commit() error {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		sb := tx.Bucket(bucketSeries)
		for _, ser := range s.series {
			if !ser.saved {
				id := []byte{byte(ser.id >> 24), byte(ser.id >> 16), byte(ser.id >> 8), byte(ser.id)}
				if err := sb.Put([]byte(ser.name), id); err != nil {
					return fmt.Errorf("tag %s: %w", ser.name, err)
				}
			}
		}
		cb := tx.Bucket(bucketChunks)
		// Chunks of one tag arrive in time order, so a split page rarely gets
		// more keys: fill pages fuller than bbolt's default half.
		cb.FillPercent = 0.9
		for _, p := range s.pending {
			if err := cb.Put(p.key, p.val); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("history %s: write %d chunks: %w", s.path, len(s.pending), err)
	}
	for _, ser := range s.series {
		ser.saved = true
	}
	s.pending = s.pending[:0]
	return nil
}

// Flush writes every open chunk that has new samples, in one transaction.
// After it returns nil, everything appended before is in the file.
func (s *Store) Flush() (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.flushLocked()
}

func (s *Store) flushLocked() error {
	if s.opts.ReadOnly {
		return nil
	}
	var flushed []*series
	// After a failed commit, pending may hold older copies of open chunks:
	// drop them, so a long write failure does not pile up copies.
	if len(s.pending) > 0 {
		open := map[string]bool{}
		for _, ser := range s.series {
			if ser.dirty && len(ser.head) > 0 {
				open[string(chunkKey(ser.id, ser.head[0].T))] = true
			}
		}
		kept := s.pending[:0]
		for _, p := range s.pending {
			if !open[string(p.key)] {
				kept = append(kept, p)
			}
		}
		s.pending = kept
	}
	for _, ser := range s.series {
		if !ser.dirty || len(ser.head) == 0 {
			continue
		}
		b, err := chunk.Encode(nil, ser.head)
		if err != nil {
			s.log.Error("history: cannot encode chunk", "tag", ser.name, "err", err)
			continue
		}
		s.pending = append(s.pending, put{chunkKey(ser.id, ser.head[0].T), b})
		flushed = append(flushed, ser)
	}
	if len(s.pending) == 0 {
		return nil
	}
	if err := s.commit(); err != nil {
		return err
	}
	for _, ser := range flushed {
		ser.dirty = false
	}
	s.stats.Flushes++
	return nil
}

// Stats returns the counters since Open.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.CorruptChunks = s.corrupt.Load()
	return st
}

// loop flushes every FlushInterval and prunes every Retention.Every until
// Close.
func (s *Store) loop() {
	defer close(s.done)
	flush := s.opts.Clock.NewTicker(s.opts.FlushInterval)
	defer flush.Stop()
	prune := s.opts.Clock.NewTicker(s.opts.Retention.Every)
	defer prune.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-flush.Chan():
			if err := s.Flush(); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Error("history: flush failed", "file", s.path, "err", err)
			}
		case <-prune.Chan():
			if err := s.Prune(s.ctx); err != nil && !errors.Is(err, ErrClosed) && s.ctx.Err() == nil {
				s.log.Error("history: retention failed", "file", s.path, "err", err)
			}
		}
	}
}

// Close stops the background work, flushes the open chunks and closes the
// file. It is safe to call more than once.
func (s *Store) Close() (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	ferr := s.flushLocked()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("history %s: close: %w", s.path, err)
	}
	return ferr
}

// Tags returns the names of every tag with history in the file, sorted.
func (s *Store) Tags() []string {
	s.mu.Lock()
	names := make([]string, 0, len(s.series))
	for n := range s.series {
		names = append(names, n)
	}
	s.mu.Unlock()
	sort.Strings(names)
	return names
}
