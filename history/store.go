package history

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
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
	OutOfOrder    uint64 // samples dropped by Append: not newer than the tag's last stored sample
	Backfilled    uint64 // samples older than their tag's newest taken by Backfill
	InvalidTime   uint64 // samples dropped: time outside 1678..2262 (int64 nanoseconds) or empty tag
	Sealed        uint64 // full chunks written
	Flushes       uint64 // successful flushes of the open chunks
	WALBytes      uint64 // bytes of tail records written (the open chunks' new bytes, framed)
	CorruptChunks uint64 // chunks found corrupt while reading; reported and skipped
	Dropped       uint64 // samples of sealed chunks dropped while the file could not be written (Options.MaxWaiting)
}

// series is one tag's history: its id in the file and the open chunk. A
// store holds one per tag (100,000 in a large plant), so its fields are
// ordered to pack: 120 bytes, 152 before. (The samples Backfill holds for a tag are in
// Store.late: nearly every tag has none.)
type series struct {
	id    uint32
	has   bool // last is set
	saved bool // the name -> id record is in the file
	// sealedHere: a chunk of this series was sealed since Open. Until
	// then its chunk seals early (stagger).
	sealedHere bool
	name       string
	open       chunk.Stream // the open chunk, encoded as it grows; its bytes up to Marked are in the tail log
	first      int64        // time of the open chunk's first sample
	// walFrom is the tail record holding the start of the open stream's
	// written bytes (0: none written); records before the smallest walFrom
	// are not needed.
	walFrom uint64
	last    int64 // time of the newest sample accepted (Unix ns)
}

// stagger is the share of the chunk bounds (ChunkSamples, ChunkBytes) at
// which a series' first chunk since Open seals: between 1/8 and 1 (1 for
// series 0, so a store of one tag cuts its chunks where the bounds say), spread
// evenly over the series ids (a golden-ratio sequence). Every tag starts
// its first chunk at the same moment; with equal bounds their chunks grew
// and sealed in step, so the tail log holding the open chunks peaked at
// every tag's full chunk at once, and those pages stayed in the file as
// free pages once the chunks sealed (17 % of it after 10 minutes of
// 10,000 tags). Staggered, the tail log holds half a chunk per tag on
// average and never all of them. Later chunks take the full bounds: a
// tag keeps its phase.
func (ser *series) stagger() float64 {
	if ser.sealedHere {
		return 1
	}
	const phi = 0.6180339887498949
	f := float64(ser.id) * phi
	return 1 - 0.875*(f-math.Floor(f)) // the first series (id 0) keeps the full bounds
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

	// flushMu runs flushes one at a time (Close's last one too). It is
	// taken before mu, and held across the commit, which mu is not.
	flushMu sync.Mutex

	mu      sync.Mutex // guards everything below
	series  map[string]*series
	nextID  uint32
	closed  bool
	stats   Stats
	pending []put // sealed chunks not yet committed (a failed commit gives them back)
	// writing are the sealed chunks a flush is committing: still shown
	// by queries from memory until the commit's outcome is applied, unless
	// the query's read transaction holds them already (view).
	writing []put
	// late holds, by series id, the samples Backfill took that are older
	// than their tag's last, until the next flush writes them as backfill
	// chunks (backfill.go).
	late    map[uint32][]chunk.Sample
	scratch []chunk.Sample
	// The tail log: walSeq is the newest record's sequence number,
	// walOldest the oldest record still in the file (0: none).
	walSeq, walOldest uint64
	// walSizes are the bytes of each record still in the file, oldest
	// first (trimming waits until a page's worth can go: walTrimBytes).
	walSizes []walSize
	// walKeep is how many flushes back the log reaches (keepFor; 0 until
	// the first flush, taken as walKeepMin).
	walKeep uint64
	// allocsMax bounds bbolt's record of allocations (trimFreelist;
	// freelistAllocsMax, lower in a test); allocsTrimmed counts the entries
	// dropped. Both are used in write transactions, which bbolt runs one at
	// a time.
	allocsMax, allocsTrimmed int
	// pruneHook is told what event retention deletes (OnPruneEvents).
	pruneHook func(ctx context.Context, p PrunedEvents) error
	// heard is the newest live sample time the recorder has received
	// (Recording), recorded the newest a flush has committed to the file's
	// meta "recorded" (Unix ns; 0: none). MarkDowntime marks where
	// recording stopped from them.
	heard, recorded int64

	// failing is why the background flushes fail (a full disk), from the
	// first failure on, nil while they succeed; failingSince is when they
	// began to, failedFlushes how many failed since, failLogged when the
	// last line about it was logged (see noteFlush).
	failing                  error
	failingSince, failLogged time.Time
	failedFlushes            int

	// corrupt counts corrupt chunks; atomic because readers find them
	// inside a read transaction, where taking mu could deadlock with a
	// writer waiting (under mu) for that transaction to end.
	corrupt atomic.Uint64

	// Test hooks around a flush's commit (nil outside tests): before
	// the transaction, inside it before its writes (an error fails the
	// commit), after it.
	testBeforeCommit, testAfterCommit func()
	testInCommit                      func() error

	ctx    context.Context // canceled by Close: stops background work
	cancel context.CancelFunc
	done   chan struct{} // closed when the background loop has returned
}

// Bounds of the file's growth step (see growStep).
const (
	minAllocSize = 4 << 10
	maxAllocSize = 16 << 20
)

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
		// The freelist is not written at every commit (one page less
		// rewritten and freed per flush, which was a tenth of a small
		// file); bbolt rebuilds it at open from the pages in use, which
		// Open reads anyway to check them.
		NoFreelistSync: true,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("history %s: %w (waited %v for its lock)", path, ErrLocked, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("history %s: open: %w", path, err)
	}
	s := &Store{
		path: path, db: db, opts: opts, log: opts.Logger,
		series:    map[string]*series{},
		done:      make(chan struct{}),
		allocsMax: freelistAllocsMax,
	}
	// Grow the file in small steps (growStep), not in bbolt's default
	// doubling up to 16 MiB: history files are counted in bytes per sample.
	db.AllocSize = minAllocSize
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.init(); err != nil {
		_ = db.Close() // the init error is the one to report
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	// bbolt rebuilt its freelist by walking every page in use and init
	// checked them: the whole file is mapped in (2.2 GiB of RSS for a
	// 2-hour 100,000-tag file) until the next drop.
	s.dropMapped()
	if opts.ReadOnly {
		close(s.done)
	} else {
		go s.loop()
	}
	return s, nil
}

// byID returns the series by id. It is made when needed (Open, Info,
// Check), not kept: a second map of every tag, for lookups only those
// make. The caller holds s.mu, or Open runs.
func (s *Store) byID() map[uint32]*series {
	m := make(map[uint32]*series, len(s.series))
	for _, ser := range s.series {
		m[ser.id] = ser
	}
	return m
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

func (s *Store) init() error {
	if !s.opts.ReadOnly {
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for _, name := range [][]byte{bucketMeta, bucketSeries, bucketChunks, bucketEvents, bucketTails, bucketData} {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			meta := tx.Bucket(bucketMeta)
			// A new file, or a format 1 file migrated (see formatVersion).
			if v := meta.Get([]byte("format")); v == nil || (len(v) == 1 && v[0] == 1) {
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
		if v := meta.Get([]byte("format")); len(v) != 1 || v[0] < 1 || v[0] > formatVersion {
			return fmt.Errorf("file format %v is not 1..%d: written by a newer Vigil version", v, formatVersion)
		}
		if v := meta.Get(metaRecorded); len(v) == 8 {
			s.recorded = unsortable(binary.BigEndian.Uint64(v))
			s.heard = s.recorded
		}
		chunks := tx.Bucket(bucketChunks)
		err := tx.Bucket(bucketSeries).ForEach(func(k, v []byte) error {
			if len(v) != 4 {
				return &DamagedError{Path: s.path, Problems: []string{fmt.Sprintf("series %q: bad id record", k)}}
			}
			ser := &series{id: uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3]), name: string(k), saved: true}
			s.series[ser.name] = ser
			if ser.id >= s.nextID {
				s.nextID = ser.id + 1
			}
			s.loadLast(chunks, ser)
			return nil
		})
		if err != nil {
			return err
		}
		return s.replayWAL(tx, s.byID())
	})
}

// loadLast finds the time of the series' newest sealed sample, which orders
// later appends.
func (s *Store) loadLast(chunks *bbolt.Bucket, ser *series) {
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
	v = chunkBytes(chunks.Tx(), v)
	samples, err := chunk.Decode(nil, v)
	if err != nil {
		s.reportCorrupt(ser.name, start, err)
		if h, err := chunk.ReadHeader(v); err == nil && h.Last > start {
			ser.last = h.Last
		}
		return
	}
	ser.last = samples[len(samples)-1].T
}

func (s *Store) reportCorrupt(tag string, start int64, err error) {
	s.corrupt.Add(1)
	s.log.Error("history: corrupt chunk skipped", "file", s.path, "tag", tag, "chunk_start", time.Unix(0, start).UTC(), "err", err)
}

// Append adds a batch of samples. Samples are kept in each tag's open chunk,
// encoded as it grows; a chunk that fills up is sealed (encoded whole) and
// waits in memory, visible to queries, for the next flush, which writes it
// with the open chunks' new bytes in one transaction: Append itself never
// waits for the disk. A tag's samples must come in increasing time: one not
// newer than the tag's last accepted sample is dropped and counted in
// Stats.OutOfOrder.
func (s *Store) Append(batch []Sample) (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return err
	}
	s.appendLocked(batch)
	return nil
}

// writableLocked says why samples cannot be added, if they cannot. The
// caller holds s.mu.
func (s *Store) writableLocked() error {
	if s.closed {
		return ErrClosed
	}
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	return nil
}

// invalid reports, and counts, a sample that cannot be stored: no tag, or a
// time outside what a chunk can encode. The caller holds s.mu.
func (s *Store) invalid(b *Sample) bool {
	if b.Tag == "" || b.Time.Before(minTime) || b.Time.After(maxTime) {
		s.stats.InvalidTime++
		return true
	}
	return false
}

// appendLocked is Append for a caller that holds s.mu.
func (s *Store) appendLocked(batch []Sample) {
	span := int64(s.opts.ChunkSpan)
	for i := range batch {
		b := &batch[i]
		if s.invalid(b) {
			continue
		}
		ser := s.series[b.Tag]
		if ser == nil {
			ser = &series{id: s.nextID, name: b.Tag}
			s.nextID++
			s.series[ser.name] = ser
		}
		t := s.truncate(b.Time.UnixNano())
		if ser.has && t <= ser.last {
			s.stats.OutOfOrder++
			continue
		}
		s.appendTo(ser, chunk.Sample{T: t, V: b.Value, Q: packQuality(b.Quality)}, span)
	}
}

// appendTo adds x, newer than ser's last sample, to ser's open chunk,
// sealing the chunk first when it is full. The caller holds s.mu.
func (s *Store) appendTo(ser *series, x chunk.Sample, span int64) {
	if n := ser.open.Len(); n > 0 && s.full(ser, n, x.T-ser.first >= span) {
		s.seal(ser)
	}
	if ser.open.Len() == 0 {
		ser.first = x.T
	}
	ser.open.Append(x)
	ser.last, ser.has = x.T, true
	s.stats.Appended++
}

// Recording tells the store that the station's recorder received live
// samples up to t, stored or not (a flat value within its deadband is
// not). Each flush keeps the newest such time in the file, so that after
// a stop or a crash MarkDowntime knows where recording ended, to the
// flush: a flat tag's last stored sample can be many minutes older.
func (s *Store) Recording(t time.Time) {
	if t.Before(minTime) || t.After(maxTime) {
		return // no sample, or a time no chunk holds
	}
	n := t.UnixNano()
	s.mu.Lock()
	if n > s.heard {
		s.heard = n
	}
	s.mu.Unlock()
}

// RecordedUntil returns the newest time Recording was told of, as kept by
// the file and the flushes since it was opened; zero when none was.
func (s *Store) RecordedUntil() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.heard == 0 {
		return time.Time{}
	}
	return time.Unix(0, s.heard).UTC()
}

// MarkDowntime marks where the station stopped recording, in the series
// of the tags named: each that has a sample and none after RecordedUntil
// gets a gap sample (Bad/NoData, no value) just after it. A trend then
// breaks its line at the stop instead of drawing the last value across
// the time nothing was recorded (a station off overnight drew a flat line
// through the night), and the next live sample starts the line again. A
// viewing station's backfill of the outage, older than its live samples
// but newer than the mark, fills in after it. Ingest calls it when
// recording starts. It returns how many series were marked.
func (s *Store) MarkDowntime(tags []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return 0, err
	}
	if s.heard == 0 {
		return 0, nil
	}
	if now := s.opts.Clock.Now(); s.heard > now.UnixNano() {
		// The clock is behind the file (set back, or a station's clock
		// wrong at boot): marks there would also make every tag drop its
		// samples as older than its newest until the clock caught up.
		s.log.Warn("history: the clock is behind where the last recording ended; its end is not marked",
			"file", s.path, "recorded_until", time.Unix(0, s.heard).UTC(), "now", now.UTC())
		return 0, nil
	}
	t := s.truncate(s.heard) + max(int64(s.opts.TimeResolution), 1)
	gap := chunk.Sample{T: t, V: math.NaN(), Q: packQuality(datasource.BadQuality(datasource.NoData))}
	span, n := int64(s.opts.ChunkSpan), 0
	for _, name := range tags {
		ser := s.series[name]
		if ser == nil || !ser.has || ser.last >= t {
			continue
		}
		s.appendTo(ser, gap, span)
		n++
	}
	return n, nil
}

// full reports whether ser's open chunk of n samples is to be sealed
// before a sample is added; spanned: the sample is ChunkSpan or more after
// the chunk's first.
func (s *Store) full(ser *series, n int, spanned bool) bool {
	if spanned {
		return true
	}
	f := ser.stagger()
	return float64(n) >= f*float64(s.opts.ChunkSamples) || float64(ser.open.Size()) >= f*float64(s.opts.ChunkBytes)
}

// seal encodes the open chunk into pending and starts a new one. Its
// pieces in the tail log are left there: replay drops samples a sealed
// chunk holds.
func (s *Store) seal(ser *series) {
	var err error
	s.scratch, err = chunk.DecodeStream(s.scratch[:0], ser.open.Bytes())
	var b []byte
	if err == nil {
		b, err = chunk.Encode(nil, s.scratch)
	}
	if err != nil { // cannot happen: Append keeps streams non-empty and ordered
		s.log.Error("history: cannot encode chunk", "tag", ser.name, "err", err)
	} else {
		s.pending = append(s.pending, put{chunkKey(ser.id, ser.first), b})
		s.stats.Sealed++
	}
	ser.open.Reset()
	ser.walFrom = 0
	ser.sealedHere = true
}

// growStep sets how much the file grows when it is full: a sixteenth of
// its size, between 32 KiB and 16 MiB. bbolt's default grows a file in
// powers of two up to its AllocSize, so a 300 KiB history took 512 KiB;
// a fixed 1 MiB step doubled a small file too. It is called inside a write
// transaction, which holds bbolt's writer lock: the only code that reads
// AllocSize (growing the file at commit) runs under that lock too.
func (s *Store) growStep(tx *bbolt.Tx) {
	s.db.AllocSize = int(min(max(tx.Size()/64, minAllocSize), maxAllocSize))
}

// flushing is what one flush writes, prepared under s.mu and committed
// without it (Store.flush).
type flushing struct {
	seq     uint64 // the tail record's sequence number (s.walSeq+1)
	parts   [][]byte
	trimTo  uint64
	chunks  []put     // the sealed chunks written (they are s.writing meanwhile)
	written int       // how many of chunks are committed (commit writes them in batches)
	late    []put     // backfill chunks
	lateN   []lateCut // how many of each tag's late samples they hold
	created []*series // series whose name -> id record is written
	named   bool      // created's records are committed
	// recorded is the meta "recorded" time written (Store.heard), 0: unchanged
	recorded int64
	streams  []wrote // open streams whose bytes up to their mark are written

	// newBytes and openBytes are the record's new stream bytes (pieces
	// not carried, with their framing) and the open streams' bytes;
	// fileBytes the file's size after the last transaction (keepFor).
	newBytes, openBytes, fileBytes int64
}

// wrote is an open stream written by a flush.
// A flush holds one per tag with new samples (100,000 in a large
// plant), hence 24 bytes: a stream's bytes are counted in an int32.
type wrote struct {
	ser   *series
	first int64 // the stream's first sample: tells it from the next stream once it is sealed
	from  int32 // its mark before the flush, given back if the commit fails
	start bool  // the piece starts the stream: walFrom moves to the record
}

// lateCut: the first n of series id's late samples are written.
type lateCut struct {
	id uint32
	n  int
}

// commitBatch is how many sealed chunks one transaction of a flush
// writes. A flush of a large plant seals thousands (3,300 every 5 s at
// 100,000 tags), each a pointer inserted at its tag's place in the chunks
// bucket, so one transaction read as many leaf pages through the map and
// the kernel mapped 64-96 KiB around each (fault-around): on a 1.2 GB file
// RSS rose by up to 280 MiB during a commit, and bbolt kept a page buffer
// per dirty page (28-37 MB) until the next collection. In transactions of
// commitBatch the map holds about one batch's pages (50-80 MiB; they are
// dropped after each), and the buffers are a batch's (docs/architecture.md,
// "Write amplification of the real project, and the commits' page peaks").
const commitBatch = 256

// commit writes what f holds: the sealed chunks commitBatch at a time, each
// batch but the last in a transaction of its own, and in the last
// transaction the rest of them, backfill chunks and the parts of tail
// record f.seq, deleting the tail records before f.trimTo. New series
// records go in the first transaction, before any chunk of theirs. The
// caller holds s.flushMu but not s.mu: f is its own (bytes copied under
// s.mu), and what it reads of a series (name, id) never changes.
//
// A crash between the transactions leaves the file consistent: the chunks
// written are sealed and hold their samples, and the tail log still holds
// the records before f.seq, whose samples in those chunks replay drops.
// f.written counts the chunks committed, so a failure gives back only the
// rest.
func (s *Store) commit(f *flushing) error {
	for len(f.chunks)-f.written > commitBatch {
		batch := f.chunks[f.written : f.written+commitBatch]
		if err := s.update(func(tx *bbolt.Tx) error {
			if err := s.putSeries(tx, f); err != nil {
				return err
			}
			return putChunks(tx, batch)
		}); err != nil {
			return fmt.Errorf("history %s: write %d chunks: %w", s.path, len(f.chunks), err)
		}
		f.written += len(batch)
		f.named = true
		s.dropMapped()
	}
	err := s.update(func(tx *bbolt.Tx) error {
		if err := s.putSeries(tx, f); err != nil {
			return err
		}
		if err := putChunks(tx, f.chunks[f.written:]); err != nil {
			return err
		}
		if err := putBackfill(tx, f.late); err != nil {
			return err
		}
		if f.recorded != 0 {
			if err := tx.Bucket(bucketMeta).Put(metaRecorded, binary.BigEndian.AppendUint64(nil, sortable(f.recorded))); err != nil {
				return err
			}
		}
		if len(f.parts) == 0 {
			return nil
		}
		tb := tx.Bucket(bucketTails)
		tb.FillPercent = 1 // keys only ever grow: pages are never split twice
		for i, p := range f.parts {
			if err := tb.Put(walKey(f.seq, uint32(i)), p); err != nil {
				return err
			}
		}
		if err := putEndFences(tb, 12); err != nil {
			return err
		}
		c := tb.Cursor()
		for k, _ := c.First(); len(k) == 12 && binary.BigEndian.Uint64(k) < f.trimTo; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		f.fileBytes = tx.Size()
		return nil
	})
	if err != nil {
		return fmt.Errorf("history %s: write %d chunks: %w", s.path, len(f.chunks), err)
	}
	f.written = len(f.chunks)
	return nil
}

// update runs fn in a write transaction, after letting a test fail or
// watch it (testInCommit), setting the file's growth step (growStep) and
// bounding bbolt's record of allocations (trimFreelist).
func (s *Store) update(fn func(tx *bbolt.Tx) error) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if s.testInCommit != nil {
			if err := s.testInCommit(); err != nil {
				return err
			}
		}
		s.growStep(tx)
		// First: the map holds no allocation of this transaction yet.
		if n := trimFreelist(s.db, s.allocsMax); n > 0 {
			s.allocsTrimmed += n
		}
		return fn(tx)
	})
}

// putSeries writes the name -> id records of f's new series, unless an
// earlier transaction of the flush did.
func (s *Store) putSeries(tx *bbolt.Tx, f *flushing) error {
	if f.named {
		return nil
	}
	sb := tx.Bucket(bucketSeries)
	// The new names come sorted (prepareLocked): the first flush of a
	// large plant writes them all, and in random order bbolt's half-full
	// splits left the bucket 49 % full (6.1 MB at 100,000 tags); appended
	// in order, pages are filled to FillPercent.
	sb.FillPercent = 0.9
	for _, ser := range f.created {
		id := []byte{byte(ser.id >> 24), byte(ser.id >> 16), byte(ser.id >> 8), byte(ser.id)}
		if err := sb.Put([]byte(ser.name), id); err != nil {
			return fmt.Errorf("tag %s: %w", ser.name, err)
		}
	}
	return nil
}

// putChunks writes sealed chunks. The chunks themselves go to the data
// bucket in the order they are sealed, so its pages are appended and
// filled; the chunks bucket gets a pointer under the tag and time. Chunks
// keyed by tag and time directly were inserted at as many places as there
// are tags, and random inserts fill B+tree pages to about two thirds.
func putChunks(tx *bbolt.Tx, chunks []put) error {
	cb, db := tx.Bucket(bucketChunks), tx.Bucket(bucketData)
	// data is appended (with end fences), so its pages are filled. The
	// chunks bucket, which gets inserts at every tag's place, keeps bbolt's
	// default (a full page split in halves): 71 % full after 10 minutes of
	// 100,000 tags; split at 90 % it was 35 % (the tags' next pointers
	// split the full page again, each time leaving a page of a few tags).
	db.FillPercent = 1
	for _, p := range chunks {
		if len(p.val) < inlineChunkBytes {
			if err := cb.Put(p.key, p.val); err != nil {
				return err
			}
			continue
		}
		seq, err := db.NextSequence()
		if err != nil {
			return err
		}
		id, _, _ := parseChunkKey(p.key)
		dk := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, seq), id)
		if err := db.Put(dk, p.val); err != nil {
			return err
		}
		if err := cb.Put(p.key, dk); err != nil {
			return err
		}
		if err := putEndFences(db, dataKeyLen); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes every open chunk that has new samples, and the sealed
// ones (in batches: commit). After it returns nil, everything appended
// before it was called is in the file. Append and queries go on while the
// transactions commit (the fsyncs): what they add meanwhile is the next
// flush's.
func (s *Store) Flush() (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	return s.flush(false)
}

// flush prepares a flush under s.mu, commits it without s.mu and applies
// the outcome under s.mu again. Appends waited for the whole commit
// before: their samples piled up behind it in the tag table's pool and
// the subscription's buffer, a swinging part of a large plant's heap
// (docs/architecture.md, "Memory with history"). The caller holds
// s.flushMu, so flushes (Close's too) run one at a time; closing: Close
// has set s.closed and flushes what is left.
func (s *Store) flush(closing bool) error {
	s.mu.Lock()
	if s.closed && !closing {
		s.mu.Unlock()
		return ErrClosed
	}
	f := s.prepareLocked()
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	// A panic in the commit (a damaged page: Flush's catch reports it)
	// counts as a failed commit: what f holds goes back for the next.
	err := errInterrupted
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.applyLocked(f, err)
	}()
	if s.testBeforeCommit != nil {
		s.testBeforeCommit()
	}
	err = s.commit(f)
	if s.testAfterCommit != nil {
		s.testAfterCommit()
	}
	return err
}

// errInterrupted is a commit's outcome until it returns.
var errInterrupted = errors.New("commit interrupted")

// prepareLocked gathers what the next flush writes, copying every byte it
// writes, and fixes each open stream's bytes at the point written (Mark:
// the stream's last run byte is not counted on past it). It returns nil
// when there is nothing to write. The caller holds s.mu and s.flushMu.
func (s *Store) prepareLocked() *flushing {
	if s.opts.ReadOnly {
		return nil
	}
	f := &flushing{seq: s.walSeq + 1}
	var wb walBuilder
	// A stream not written yet is written whole, and so is each written
	// one once every walKeep flushes (carryDue: carried forward), so
	// records before the oldest start an open stream still needs go.
	keep := max(s.walKeep, walKeepMin)
	trimTo := f.seq
	for _, ser := range s.series {
		if !ser.saved {
			f.created = append(f.created, ser)
		}
		if ser.open.Len() == 0 {
			continue
		}
		w := wrote{ser: ser, first: ser.first, from: int32(ser.open.Marked()), start: true}
		switch fresh := ser.walFrom == 0 || ser.open.Marked() == 0; {
		case fresh || carryDue(ser.id, f.seq, keep):
			mark := ser.open.Mark()
			wb.add(ser.id, 0, ser.open.Bytes()[:mark])
			f.openBytes += int64(mark)
			if fresh {
				f.newBytes += int64(mark) + pieceFraming
			}
		default:
			w.start = false
			trimTo = min(trimTo, ser.walFrom)
			if len(ser.open.Tail()) == 0 {
				f.openBytes += int64(w.from)
				continue
			}
			mark := ser.open.Mark()
			wb.add(ser.id, int(w.from), ser.open.Bytes()[w.from:mark])
			f.openBytes += int64(mark)
			f.newBytes += int64(mark) - int64(w.from) + pieceFraming
		}
		f.streams = append(f.streams, w)
	}
	slices.SortFunc(f.created, func(a, b *series) int { return strings.Compare(a.name, b.name) })
	f.late, f.lateN = s.backfillPuts()
	if s.heard > s.recorded {
		f.recorded = s.heard
	}
	if len(f.streams) == 0 && len(s.pending) == 0 && len(f.created) == 0 && len(f.late) == 0 && f.recorded == 0 {
		return nil
	}
	wb.close()
	f.parts = wb.parts
	f.trimTo = s.trimPoint(trimTo)
	// The sealed chunks being written stay visible to queries as
	// s.writing until the commit's outcome is applied; a query that
	// finds one in the file already skips it (view).
	f.chunks, s.writing, s.pending = s.pending, s.pending, nil
	return f
}

// applyLocked takes in the outcome of f's commit. Written: the chunks and
// late samples f held are dropped from memory (those added meanwhile
// stay), the new series are saved, and each stream still open since it
// was written keeps its mark (a stream sealed meanwhile is in a pending
// chunk). Failed: everything stays for the next flush, and each stream's
// mark goes back to where it was. The caller holds s.mu and s.flushMu.
func (s *Store) applyLocked(f *flushing, err error) {
	s.writing = nil
	same := func(w wrote) bool { return w.ser.open.Len() > 0 && w.ser.first == w.first }
	if err != nil {
		// The chunks of the batches committed are in the file.
		s.pending = append(f.chunks[f.written:], s.pending...)
		s.boundWaiting()
		for _, w := range f.streams {
			if same(w) {
				w.ser.open.Unmark(int(w.from))
			}
		}
		return
	}
	for _, c := range f.lateN {
		if rest := s.late[c.id][c.n:]; len(rest) > 0 {
			s.late[c.id] = slices.Clone(rest)
		} else {
			delete(s.late, c.id)
		}
	}
	for _, ser := range f.created {
		ser.saved = true
	}
	if len(f.parts) > 0 {
		s.walSeq = f.seq
		n := 0
		for _, p := range f.parts {
			n += len(p)
		}
		s.stats.WALBytes += uint64(n)
		s.walSizes = append(s.walSizes, walSize{f.seq, n})
	}
	s.trimmed(f.trimTo)
	s.recorded = max(s.recorded, f.recorded)
	if f.fileBytes > 0 {
		s.walKeep = keepFor(f.newBytes, f.openBytes, f.fileBytes)
	}
	if s.walOldest < f.trimTo {
		s.walOldest = f.trimTo
	}
	for _, w := range f.streams {
		if w.start && same(w) {
			w.ser.walFrom = f.seq
		}
	}
	s.stats.Flushes++
}

// boundWaiting drops the oldest sealed chunks waiting for a flush when they
// take more than Options.MaxWaiting: a file that cannot be written for
// hours (a full disk) must not grow the process until it is killed, which
// would lose the open chunks of every tag as well. What is dropped is
// logged (chunks, samples, the span) and counted in Stats.Dropped. The
// caller holds s.mu.
func (s *Store) boundWaiting() {
	total := 0
	for _, p := range s.pending {
		total += len(p.key) + len(p.val)
	}
	if total <= s.opts.MaxWaiting {
		return
	}
	n, samples := 0, 0
	from, to := int64(math.MaxInt64), int64(math.MinInt64)
	for ; n < len(s.pending) && total > s.opts.MaxWaiting*3/4; n++ {
		p := s.pending[n]
		total -= len(p.key) + len(p.val)
		if h, err := chunk.ReadHeader(p.val); err == nil {
			samples += h.N
			from, to = min(from, h.First), max(to, h.Last)
		}
	}
	s.pending = slices.Delete(s.pending, 0, n)
	s.stats.Dropped += uint64(samples)
	s.log.Error("history: the file cannot be written and what waits for it passed the memory bound: the oldest dropped",
		"file", s.path, "chunks", n, "samples", samples, "from", time.Unix(0, from).UTC(), "to", time.Unix(0, to).UTC(), "max_waiting", s.opts.MaxWaiting)
}

// failReminder is how often a flush that keeps failing is logged again.
const failReminder = 10 * time.Minute

// noteFlush keeps the outcome of a background flush for Failing and logs a
// change: the first failure with its cause, a reminder every failReminder
// while they go on (a line every 5 s would bury the log), and the flush
// that succeeds again. What a failed flush held stays in memory and is
// written by the next one that succeeds.
func (s *Store) noteFlush(err error) {
	if errors.Is(err, ErrClosed) {
		return
	}
	now := s.opts.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		if s.failing != nil {
			s.log.Info("history: writing again", "file", s.path, "failed_for", now.Sub(s.failingSince).Round(time.Second), "failed_flushes", s.failedFlushes)
			s.failing, s.failedFlushes = nil, 0
		}
		return
	}
	s.failedFlushes++
	switch {
	case s.failing == nil:
		s.failingSince, s.failLogged = now, now
		s.log.Error("history: writing the file failed; the samples are kept in memory and written when it succeeds", "file", s.path, "err", err)
	case now.Sub(s.failLogged) >= failReminder:
		s.failLogged = now
		s.log.Error("history: writing the file still fails", "file", s.path, "for", now.Sub(s.failingSince).Round(time.Second),
			"failed_flushes", s.failedFlushes, "chunks_waiting", len(s.pending), "err", err)
	}
	s.failing = err
}

// Failing returns why writing the file has failed since when, or nil while
// the flushes succeed: for a station to show that its history is not being
// written (a full disk) where the operator looks.
func (s *Store) Failing() (since time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failingSince, s.failing
}

// FailingText says for an operator that the history has not been written
// for d because of err, with the cause's last words, which say it plainly
// ("no space left on device"): "history not written for 2m0s: no space left
// on device".
func FailingText(d time.Duration, err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return "history not written for " + d.Round(time.Second).String() + ": " + msg
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
			stop := s.dropDuring()
			err := s.Flush()
			stop()
			s.noteFlush(err)
			s.dropMapped()
		case <-prune.Chan():
			stop := s.dropDuring()
			err := s.Prune(s.ctx)
			stop()
			if err != nil && !errors.Is(err, ErrClosed) && s.ctx.Err() == nil {
				s.log.Error("history: retention failed", "file", s.path, "err", err)
			}
			s.dropMapped() // retention reads every chunk's header
		}
	}
}

// dropEvery is how often dropDuring drops the mapped pages while a flush
// or a retention pass runs.
const dropEvery = 100 * time.Millisecond

// dropDuring drops the file's mapped pages every dropEvery until the
// returned stop is called. A commit in a large file reads thousands of the
// chunks bucket's pages through the map (each flush inserts a pointer at
// every tag's place): at 100,000 tags and a 2 GB file that was up to 200
// MiB of RSS for the second or two of each commit, over the 300 MB a large
// plant is allowed, before the drop after it. Dropping while it runs is as
// safe as after it: each drop holds a read transaction, so bbolt cannot
// remap meanwhile (a commit that must waits for it), and a page read again
// is read from the page cache, the same bytes. On the real clock: it bounds
// a resident size, not the store's time.
func (s *Store) dropDuring() (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(dropEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.dropMapped()
			}
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}

// dropMapped takes the file's pages out of the process's resident set
// after each flush and retention pass (unmap_linux.go): they are the kernel's page cache, not
// the process's memory, and counted in its RSS they grew with the file.
func (s *Store) dropMapped() {
	var err error
	func() {
		defer s.catch(&err, debug.SetPanicOnFault(true))
		err = dropMapped(s.db)
	}()
	if err != nil {
		s.log.Debug("history: cannot drop the file's mapped pages", "file", s.path, "err", err)
	}
}

// Close stops the background work, flushes the open chunks and closes the
// file. It is safe to call more than once.
func (s *Store) Close() (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	s.cancel()
	<-s.done
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true // Append and queries stop here; the flush below writes all they left
	s.mu.Unlock()
	ferr := s.flush(true)
	if ferr == nil && !s.opts.ReadOnly {
		s.trimGrowth()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("history %s: close: %w", s.path, err)
	}
	return ferr
}

// trimGrowth cuts the file at Close to the end of its last page: the
// growth step (growStep) past it is room for the next commits, which a
// closed file does not need; bbolt grows the file again when a later
// commit needs it. The file is still open and locked, so no other process
// writes it, and the cut is made inside a write transaction that is then
// rolled back (it changes nothing), so no commit of this process (Prune
// deletes without s.mu) can be placing pages past the end meanwhile. Best
// effort: a file that cannot be cut (a platform that refuses to cut a
// mapped file) stays as it is.
func (s *Store) trimGrowth() {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		end := tx.Size()
		if fi, err := os.Stat(s.path); err != nil || fi.Size() <= end {
			return errNothingToCommit
		}
		if err := os.Truncate(s.path, end); err != nil {
			return err
		}
		return errNothingToCommit
	})
	if err != nil && !errors.Is(err, errNothingToCommit) {
		s.log.Debug("history: cannot cut the file's growth at close", "file", s.path, "err", err)
	}
}

// errNothingToCommit rolls back a write transaction used only for its
// lock.
var errNothingToCommit = errors.New("nothing to commit")

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
