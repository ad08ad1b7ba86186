package history

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// appendSeconds appends seconds [from, to) of tags noisy values and
// flushes every 5 s of plant time, as vigil run does.
func appendSeconds(t testing.TB, s *Store, tags, from, to int) {
	t.Helper()
	batch := make([]Sample, tags)
	for i := from; i < to; i++ {
		for k := range tags {
			batch[k] = Sample{Tag: fmt.Sprintf("t%d", k), Time: t0.Add(time.Duration(i) * time.Second), Value: math.Sin(float64(i*(k+1))/100) * 37.3}
		}
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		if i%5 == 4 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestAFlushWritesOnlyTheNewSamplesNotTheOpenChunks(t *testing.T) {
	const tags = 200
	s, _ := openTest(t, Options{ChunkSamples: 100000, ChunkBytes: 1 << 20})
	appendSeconds(t, s, tags, 0, 500)
	// The file is all tail log (no chunk sealed), so the log is kept
	// short: each stream is carried once every walKeepMin flushes.
	if s.walKeep != walKeepMin {
		t.Fatalf("the log reaches %d flushes back in a file of open chunks only, want %d", s.walKeep, walKeepMin)
	}
	before := s.Stats()
	appendSeconds(t, s, tags, 500, 500+5*walKeepMin)
	after := s.Stats()
	open := 0 // no larger when a stream was carried
	for _, ser := range s.series {
		open += ser.open.Size()
	}
	if after.Sealed != 0 {
		t.Fatalf("%d chunks sealed: the test wants open chunks only", after.Sealed)
	}
	// In walKeepMin flushes of five new samples per tag, each flush
	// writes the new samples (about 9 bytes each plus the piece's
	// framing) and each open chunk (500-520 samples) is carried forward once.
	// Rewriting the open chunks at every flush would be walKeepMin
	// times that.
	wrote := float64(after.WALBytes - before.WALBytes)
	if want := float64(tags*walKeepMin*(5*9+8) + open + tags*8); wrote > want {
		t.Fatalf("%d flushes of 5 new samples wrote %.0f bytes per tag, want at most %.0f (open chunks %d bytes per tag)",
			walKeepMin, wrote/tags, want/tags, open/tags)
	}
}

func TestAFileCopiedAfterAFlushHoldsEverySampleFlushed(t *testing.T) {
	s, path := openTest(t, Options{ChunkSamples: 64, ChunkBytes: 200})
	appendSeconds(t, s, 20, 0, 300) // ends with a flush at 299
	// Samples after the flush are in memory only: a crash loses them.
	appendSeconds(t, s, 20, 300, 303)
	c := openCrashCopy(t, path, Options{ChunkSamples: 64, ChunkBytes: 200})
	checkAppended(t, c, 20, 300)
	// Appending goes on from the rebuilt open chunks, and survives a
	// reopen.
	appendSeconds(t, c, 20, 300, 400)
	c2 := reopen(t, c, Options{ChunkSamples: 64, ChunkBytes: 200})
	if got := stored(t, c2, "t7"); len(got) != 400 {
		t.Fatalf("after more appends and a reopen: %d samples, want 400", len(got))
	}
}

// openCrashCopy opens a copy of the file at path as it is now, what a
// kill -9 would leave, and checks it.
func openCrashCopy(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "crash.db")
	if err := os.WriteFile(cp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Logger = quiet
	c, err := Open(cp, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	return c
}

// checkAppended checks that s holds seconds [0, n) of appendSeconds'
// tags, every sample unchanged and in order.
func checkAppended(t *testing.T, s *Store, tags, n int) {
	t.Helper()
	for k := range tags {
		tag := fmt.Sprintf("t%d", k)
		got := stored(t, s, tag)
		if len(got) != n {
			t.Fatalf("%s: %d samples survive, want the %d flushed", tag, len(got), n)
		}
		for i, x := range got {
			if x.T != t0.Add(time.Duration(i)*time.Second).UnixNano() || x.V != math.Sin(float64(i*(k+1))/100)*37.3 {
				t.Fatalf("%s sample %d is %+v", tag, i, x)
			}
		}
	}
}

func TestTheLogReachesFurtherBackAsTheFileGrows(t *testing.T) {
	const tags = 200
	opts := Options{ChunkSamples: 2048, ChunkBytes: 1024} // a chunk lives about 20 flushes
	s, path := openTest(t, opts)
	appendSeconds(t, s, tags, 0, 20)
	if s.walKeep != walKeepMin {
		t.Fatalf("a young file's log reaches %d flushes back, want %d", s.walKeep, walKeepMin)
	}
	carried := func(from, to int) float64 { // tail bytes written per flush
		before := s.Stats().WALBytes
		appendSeconds(t, s, tags, from, to)
		return float64(s.Stats().WALBytes-before) / float64((to-from)/5)
	}
	young := carried(20, 180)
	appendSeconds(t, s, tags, 180, 3000) // sealed chunks fill the file: 5 MB
	if s.walKeep != walKeepMax {
		t.Fatalf("after 3,000 s of %d tags the log reaches %d flushes back, want %d: it is a small share of the file", tags, s.walKeep, walKeepMax)
	}
	old := carried(3000, 3160)
	t.Logf("tail bytes per flush: %.0f young, %.0f grown", young, old)
	if old > young*0.6 {
		t.Errorf("a flush writes %.0f bytes of tail log in a grown file against %.0f in a young one: the carries did not thin out", old, young)
	}
	// The longer log still holds every open chunk: a crash now loses
	// nothing flushed.
	checkAppended(t, openCrashCopy(t, path, opts), tags, 3160)
}

func TestKeepForHoldsTheLogToAnEighthOfTheFile(t *testing.T) {
	for _, c := range []struct {
		newBytes, openBytes, file int64
		want                      uint64
	}{
		{2 << 20, 13 << 20, 40 << 20, walKeepMin},  // 2 minutes of 100,000 tags: as short as it goes
		{2 << 20, 13 << 20, 194 << 20, walKeepMin}, // 10 minutes: 4 x 2 + 13 = 21 MB <= 24
		{2 << 20, 13 << 20, 400 << 20, 16},         // 16 x 2 + 13 = 45 <= 50, 32 x 2 + 13 > 50
		{2 << 20, 13 << 20, 1 << 30, walKeepMax},   // an hour: 77 MB <= 128
		{1, 0, 0, walKeepMin},                      // no file size known: as short as it goes
	} {
		if got := keepFor(c.newBytes, c.openBytes, c.file); got != c.want {
			t.Errorf("keepFor(%d, %d, %d) = %d, want %d", c.newBytes, c.openBytes, c.file, got, c.want)
		}
	}
}

func TestTheTailLogKeepsOnlyWhatOpenChunksNeed(t *testing.T) {
	// A flat tag keeps its chunk open for hours; its stream is carried
	// forward so the log does not grow with it.
	s, path := openTest(t, Options{ChunkSamples: 100000})
	batch := make([]Sample, 2)
	for i := range 3000 {
		tm := t0.Add(time.Duration(i) * time.Second)
		batch[0] = Sample{Tag: "flat", Time: tm, Value: 50}
		batch[1] = Sample{Tag: "noisy", Time: tm, Value: math.Sin(float64(i)) * 1e3}
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		if i%5 == 4 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	var records int
	var first, last uint64
	var sizes []int // bytes per record, oldest first
	viewClosed(t, s, path, func(tx *bbolt.Tx) {
		c := tx.Bucket(bucketTails).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if isEndFence(k) {
				continue
			}
			if records == 0 {
				first = binary.BigEndian.Uint64(k)
			}
			if seq := binary.BigEndian.Uint64(k); seq != last {
				last = seq
				records++
				sizes = append(sizes, 0)
			}
			sizes[len(sizes)-1] += len(v)
		}
	})
	// Records no open chunk needs are deleted once they hold a page's
	// worth (walTrimBytes): beyond the newest walKeepMax+2, less than
	// that may be left.
	held := 0
	for i := 0; i < len(sizes)-(walKeepMax+2); i++ {
		held += sizes[i]
	}
	if records == 0 || held >= walTrimBytes || last-first+1 != uint64(records) {
		t.Fatalf("the tail log holds %d records (%d..%d) after 600 flushes, %d bytes of them older than the newest %d; want under %d in a row", records, first, last, held, walKeepMax+2, walTrimBytes)
	}
}

func TestAFormat1FileOpensAndIsMigrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	// A format 1 file: no tail log, the open chunk flushed into the
	// chunks bucket under its start.
	old := make([]chunk.Sample, 50)
	for i := range old {
		old[i] = chunk.Sample{T: t0.Add(time.Duration(i) * time.Second).UnixNano(), V: float64(i)}
	}
	enc, err := chunk.Encode(nil, old)
	if err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketSeries, bucketChunks, bucketEvents} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		_ = tx.Bucket(bucketMeta).Put([]byte("format"), []byte{1})
		_ = tx.Bucket(bucketSeries).Put([]byte("a"), []byte{0, 0, 0, 0})
		return tx.Bucket(bucketChunks).Put(chunkKey(0, old[0].T), enc)
	})
	if err != nil || db.Close() != nil {
		t.Fatal(err)
	}
	// Read-only, as the CLI opens it: read as it is.
	ro, err := Open(path, Options{ReadOnly: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if got := stored(t, ro, "a"); len(got) != 50 {
		t.Fatalf("read-only: %d samples, want 50", len(got))
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append([]Sample{{Tag: "a", Time: t0.Add(50 * time.Second), Value: 50}}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, Options{})
	got := stored(t, s, "a")
	if len(got) != 51 || got[50].V != 50 {
		t.Fatalf("after migration and an append: %d samples", len(got))
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	inf, err := s.Info(context.Background())
	if err != nil || len(inf.Tags) != 1 || inf.Tags[0].Samples != 51 {
		t.Fatalf("info after migration: %+v %v", inf.Tags, err)
	}
}

func TestInfoTellsTheTruthAboutFreePagesAndGrowth(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0.Add(2 * time.Hour))
	s, path := openTest(t, Options{Clock: clock, Retention: Retention{MaxAge: time.Hour}})
	appendSeconds(t, s, 10, 0, 7200)
	if err := s.Prune(context.Background()); err != nil { // frees the first hour's pages
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ro.Close() }()
	inf, err := ro.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// bbolt's own count is 0 for a read-only open.
	if inf.FreeBytes == 0 || inf.FreeBytes%4096 != 0 || inf.UsedBytes+inf.FreeBytes > inf.FileBytes {
		t.Fatalf("free %d, used %d, file %d: retention freed pages", inf.FreeBytes, inf.UsedBytes, inf.FileBytes)
	}
	if inf.TailBytes == 0 {
		t.Fatal("no tail log bytes: the open chunks are in it")
	}
	chunks := inf.ChunkBytes()
	if w := inf.WriteAmplification(); w != float64(inf.FileBytes)/float64(chunks) {
		t.Fatalf("write amplification %v, want file/chunk bytes %v", w, float64(inf.FileBytes)/float64(chunks))
	}
	// About an hour of data is kept, so a day adds 24 times its chunks
	// (times the amplification).
	perDay := inf.BytesPerDay() / inf.WriteAmplification()
	if perDay < 20*float64(chunks) || perDay > 28*float64(chunks) {
		t.Fatalf("expected chunk bytes per day %v for %d bytes of chunks spanning about an hour", perDay, chunks)
	}
}
