package history

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// scanAll is stored for any goroutine: it returns the error instead of
// failing the test.
func scanAll(s *Store, tag string) ([]chunk.Sample, error) {
	v, err := s.view(tag)
	if err != nil {
		return nil, err
	}
	defer v.close()
	var out []chunk.Sample
	err = v.scan(context.Background(), math.MinInt64, math.MaxInt64, func(p []chunk.Sample) error {
		out = append(out, p...)
		return nil
	})
	return out, err
}

// crashCopy copies the file as a kill -9 now would leave it and opens
// the copy. No flush may be running.
func crashCopy(t *testing.T, s *Store) *Store {
	t.Helper()
	b, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "crash.db")
	if err := os.WriteFile(cp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Open(cp, Options{Logger: quiet, Clock: clockwork.NewFakeClockAt(t0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	return c
}

// times returns the samples' times as seconds after t0.
func times(x []chunk.Sample) []int {
	out := make([]int, len(x))
	for i, s := range x {
		out[i] = int((s.T - t0.UnixNano()) / 1e9)
	}
	return out
}

// TestAppendAndQueriesGoOnWhileAFlushCommits holds a flush inside its
// commit (where the fsync is) and appends, backfills and queries
// meanwhile: with the commit under the store's lock they waited for the
// disk. What comes during the commit is the next flush's, not this one's:
// a copy of the file right after the flush holds exactly what was there
// before it, and one after the next flush holds everything, once.
func TestAppendAndQueriesGoOnWhileAFlushCommits(t *testing.T) {
	s, _ := openTest(t, Options{Clock: clockwork.NewFakeClockAt(t0), ChunkSpan: time.Hour})
	at := func(tag string, sec int, v float64) Sample {
		return Sample{Tag: tag, Time: t0.Add(time.Duration(sec) * time.Second), Value: v}
	}
	// Before the flush: "flat" repeats one value (its stream ends in a run
	// byte, which further repeats would count on), "s" is sealed during
	// the commit, "p" was sealed before it (its chunk is being written).
	var before []Sample
	for i := range 3 {
		before = append(before, at("flat", i, 1), at("s", i, float64(i)), at("p", i, float64(i)))
	}
	before = append(before, at("p", 7200, 9)) // two hours on: seals p's first chunk
	if err := s.Append(before); err != nil {
		t.Fatal(err)
	}
	if err := s.Backfill([]Sample{at("flat", -10, 5)}); err != nil {
		t.Fatal(err)
	}
	during := []Sample{at("flat", 3, 1), at("flat", 4, 1), at("flat", 5, 1), at("s", 7200, 7), at("s", 7201, 8), at("new", 0, 1)}
	want := map[string][]int{"flat": {-20, -10, 0, 1, 2, 3, 4, 5}, "s": {0, 1, 2, 7200, 7201}, "p": {0, 1, 2, 7200}, "new": {0}}
	check := func(s *Store, want map[string][]int, when string) {
		t.Helper()
		for tag, w := range want {
			got, err := scanAll(s, tag)
			if err != nil {
				t.Error(err)
			} else if !slices.Equal(times(got), w) {
				t.Errorf("%s: %s holds the samples at %v s, want %v", when, tag, times(got), w)
			}
		}
	}

	commits := 0
	s.testInCommit = func() error {
		if commits++; commits > 1 {
			return nil
		}
		if !s.mu.TryLock() {
			t.Error("the commit holds the store's lock: Append would wait for the disk")
			return nil
		}
		s.mu.Unlock()
		done := make(chan error)
		go func() { done <- s.Append(during) }()
		if err := <-done; err != nil {
			t.Error(err)
		}
		go func() { done <- s.Backfill([]Sample{at("flat", -20, 6)}) }()
		if err := <-done; err != nil {
			t.Error(err)
		}
		check(s, want, "during the commit")
		return nil
	}
	s.testAfterCommit = func() {
		if commits == 1 {
			// The chunks written are in the file and still in memory:
			// a query reads them once.
			check(s, want, "after the commit, before the flush let go of them")
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	check(s, want, "after the flush")
	check(crashCopy(t, s), map[string][]int{"flat": {-10, 0, 1, 2}, "s": {0, 1, 2}, "p": {0, 1, 2, 7200}, "new": nil},
		"a copy of the file after the first flush")
	if slices.Contains(crashCopy(t, s).Tags(), "new") {
		t.Error(`the tag "new", created during the commit, is in the file after it`)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	check(crashCopy(t, s), want, "a copy of the file after the second flush")
	check(reopen(t, s, Options{Clock: clockwork.NewFakeClockAt(t0), ChunkSpan: time.Hour}), want, "after a reopen")
}

// TestAFailedCommitLeavesEverythingForTheNextFlush: a commit that fails
// (the transaction returns an error, or panics) writes nothing, and the
// samples, chunks, series and late samples it held are written by the
// next flush, once, with those appended meanwhile.
func TestAFailedCommitLeavesEverythingForTheNextFlush(t *testing.T) {
	s, _ := openTest(t, Options{Clock: clockwork.NewFakeClockAt(t0), ChunkSpan: time.Hour})
	appendAt := func(tag string, secs ...int) {
		t.Helper()
		for _, i := range secs {
			if err := s.Append([]Sample{{Tag: tag, Time: t0.Add(time.Duration(i) * time.Second), Value: 1}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendAt("a", 0, 1, 2)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	appendAt("a", 3, 4)             // a tail piece and a run byte counted on
	appendAt("b", 0, 1, 7200, 7201) // a sealed chunk and a new series
	if err := s.Backfill([]Sample{{Tag: "a", Time: t0.Add(-time.Second), Value: 2}}); err != nil {
		t.Fatal(err)
	}
	// The first commit fails with an error, the second panics (what a
	// damaged page does inside bbolt), the third goes through.
	commits := 0
	s.testInCommit = func() error {
		switch commits++; commits {
		case 1:
			appendAt("a", 5) // during the commit that fails
			return errTestCommit
		case 2:
			appendAt("a", 6)
			panic("test: a damaged page")
		}
		return nil
	}
	if err := s.Flush(); !errorsIs(err, errTestCommit) {
		t.Fatalf("Flush = %v, want the commit's error", err)
	}
	if err := s.Flush(); !errorsIs(err, ErrDamaged) {
		t.Fatalf("Flush = %v, want ErrDamaged from the commit's panic", err)
	}
	want := map[string][]int{"a": {-1, 0, 1, 2, 3, 4, 5, 6}, "b": {0, 1, 7200, 7201}}
	for tag, w := range want {
		if got := stored(t, s, tag); !slices.Equal(times(got), w) {
			t.Errorf("after the failed flush %s holds %v s, want %v", tag, times(got), w)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	c := crashCopy(t, s)
	for tag, w := range want {
		if got := stored(t, c, tag); !slices.Equal(times(got), w) {
			t.Errorf("a copy of the file after the next flush: %s holds %v s, want %v", tag, times(got), w)
		}
	}
}

var errTestCommit = errors.New("test: the commit fails")

// TestConcurrentAppendsAndFlushesLoseNothing appends from many goroutines
// while flushes run back to back and a reader queries. After each of some
// flushes the file is copied, as a kill -9 would leave it: the copy holds
// every sample appended before that flush began (and perhaps some after),
// each once and in order. Chunks seal often (small bounds), and half the
// tags repeat values (runs), so streams seal and run bytes grow while
// their bytes are being committed.
func TestConcurrentAppendsAndFlushesLoseNothing(t *testing.T) {
	const (
		writers = 8
		perW    = 16 // tags per writer
		seconds = 600
	)
	s, _ := openTest(t, Options{Clock: clockwork.NewFakeClockAt(t0), ChunkSamples: 48, ChunkBytes: 160})
	tag := func(w, k int) string { return fmt.Sprintf("w%d.t%d", w, k) }
	value := func(k, i int) float64 {
		if k%2 == 0 {
			return float64(i / 9) // runs of nine
		}
		return math.Sin(float64(i*(k+1))/50) * 41.7
	}
	var appended [writers]atomic.Int64 // seconds whose Append returned, per writer
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]Sample, perW)
			for i := range seconds {
				for k := range perW {
					batch[k] = Sample{Tag: tag(w, k), Time: t0.Add(time.Duration(i) * time.Second), Value: value(k, i)}
				}
				if err := s.Append(batch); err != nil {
					t.Error(err)
					return
				}
				appended[w].Store(int64(i + 1))
			}
		}()
	}
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() { // queries see each sample once, in order, all along
		defer close(readerDone)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			got, err := scanAll(s, tag(n%writers, n%perW))
			if err != nil {
				t.Error(err)
				return
			}
			for i, x := range got {
				if x.T != t0.Add(time.Duration(i)*time.Second).UnixNano() {
					t.Errorf("a query during the flushes: %s sample %d is at %v", tag(n%writers, n%perW), i, time.Unix(0, x.T).UTC())
					return
				}
			}
		}
	}()
	type image struct {
		s    *Store
		snap [writers]int64
	}
	var images []image
	running := make(chan struct{})
	go func() { wg.Wait(); close(running) }()
	snapshot := func() (snap [writers]int64) {
		for w := range snap {
			snap[w] = appended[w].Load()
		}
		return snap
	}
	for round, finished := 0, false; !finished; round++ {
		select {
		case <-running:
			finished = true // the flush below comes after every Append returned
		default:
		}
		snap := snapshot()
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		if round%25 == 7 || finished {
			images = append(images, image{crashCopy(t, s), snap})
		}
	}
	close(stop)
	<-readerDone
	for n, im := range images {
		for w := range writers {
			for k := range perW {
				got, err := scanAll(im.s, tag(w, k))
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(got)) < im.snap[w] || len(got) > seconds {
					t.Fatalf("image %d: %s holds %d samples, %d were appended before its flush", n, tag(w, k), len(got), im.snap[w])
				}
				for i, x := range got {
					if x.T != t0.Add(time.Duration(i)*time.Second).UnixNano() || x.V != value(k, i) {
						t.Fatalf("image %d: %s sample %d is {%v %v}: lost, repeated or changed", n, tag(w, k), i, time.Unix(0, x.T).UTC(), x.V)
					}
				}
			}
		}
	}
	if last := images[len(images)-1].snap; last != [writers]int64{seconds, seconds, seconds, seconds, seconds, seconds, seconds, seconds} {
		t.Fatalf("the last image was flushed after %v seconds appended, want all", last)
	}
	t.Logf("%d images checked; %d flushes", len(images), s.Stats().Flushes)
}

// TestAFlushOfManySealedChunksCommitsThemInBatches: a flush with more than
// commitBatch sealed chunks writes them in several transactions, the new
// series with the first. When a later one fails, a copy of the file (a
// crash between them) holds what the flush before held and the batches
// written, each sample once, and passes Check; the next flush writes the
// rest, and nothing is lost or doubled, in the store or in a copy.
func TestAFlushOfManySealedChunksCommitsThemInBatches(t *testing.T) {
	s, _ := openTest(t, Options{ChunkSamples: 4, Clock: clockwork.NewFakeClockAt(t0)})
	tags := 3*commitBatch + 7
	name := func(k int) string { return fmt.Sprintf("t%04d", k) }
	appendSeconds := func(from, to int) {
		t.Helper()
		batch := make([]Sample, 0, tags)
		for i := from; i < to; i++ {
			batch = batch[:0]
			for k := range tags {
				batch = append(batch, Sample{Tag: name(k), Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i*1000 + k)})
			}
			if err := s.Append(batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	var txs int
	s.testInCommit = func() error {
		if txs++; txs == 3 {
			return errTestCommit
		}
		return nil
	}
	appendSeconds(0, 12) // every tag seals two chunks or more (ChunkSamples 4, the first staggered)
	sealed := s.Stats().Sealed
	if sealed < 2*uint64(tags) {
		t.Fatalf("%d chunks sealed, want at least %d", sealed, 2*tags)
	}
	if err := s.Flush(); !errorsIs(err, errTestCommit) {
		t.Fatalf("Flush = %v, want the third transaction's error", err)
	}
	if txs != 3 {
		t.Fatalf("the flush of %d sealed chunks ran %d transactions before the failure, want 3 (batches of %d)", sealed, txs, commitBatch)
	}
	all := make([]int, 12)
	for i := range all {
		all[i] = i
	}
	c := crashCopy(t, s)
	inCopy := 0
	for k := range tags {
		got := times(stored(t, c, name(k)))
		if len(got) > 0 && !slices.Equal(got, all[:len(got)]) {
			t.Fatalf("a copy after the failed flush: %s holds %v s, want a start of 0..11, each once", name(k), got)
		}
		inCopy += len(got)
	}
	if inCopy < 2*commitBatch {
		t.Errorf("a copy after the failed flush holds %d samples; the two batches of %d chunks written hold more", inCopy, commitBatch)
	}
	for k := range tags {
		if got := times(stored(t, s, name(k))); !slices.Equal(got, all) {
			t.Fatalf("after the failed flush the store gives %s at %v s, want 0..11", name(k), got)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	c = crashCopy(t, s)
	for k := range tags {
		for _, st := range []*Store{s, c} {
			if got := times(stored(t, st, name(k))); !slices.Equal(got, all) {
				t.Fatalf("after the next flush %s holds %v s, want 0..11", name(k), got)
			}
		}
	}
}
