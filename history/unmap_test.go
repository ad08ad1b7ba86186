package history

import (
	"context"
	"testing"
	"time"
)

// Dropping the file's pages from the process's resident set after a flush
// changes nothing that is read: every sample reads back, writes go on,
// Check passes, and the file reopens with all of it, while reads and
// writes run beside the drops.
func TestDroppingTheMappedPagesLosesNothing(t *testing.T) {
	s, path := openTest(t, Options{ChunkSamples: 64})
	want := samplesOf("a", 1000, time.Second, func(i int) float64 { return float64(i%97) * 0.5 })
	ctx := context.Background()
	done := make(chan struct{})
	go func() { // drops beside the appends and reads, as the flush loop does
		defer close(done)
		for range 50 {
			if err := dropMapped(s.db); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for i := 0; i < len(want); i += 100 {
		if err := s.Append(want[i : i+100]); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		s.dropMapped()
		sameStored(t, stored(t, s, "a"), want[:i+100])
	}
	<-done
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ValueAt(ctx, "a", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, Options{Logger: quiet, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	sameStored(t, stored(t, s2, "a"), want)
}

// The drops the flush loop runs beside a commit (dropDuring) end with it,
// and what the flushes wrote reads back whole (goleak, in TestMain, fails a
// drop goroutine left running).
func TestDropsBesideAFlushEndWithIt(t *testing.T) {
	s, _ := openTest(t, Options{ChunkSamples: 64})
	want := samplesOf("a", 500, time.Second, func(i int) float64 { return float64(i%31) * 0.25 })
	for i := 0; i < len(want); i += 50 {
		stop := s.dropDuring()
		if err := s.Append(want[i : i+50]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * dropEvery) // at least one drop while the samples wait
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		stop()
		sameStored(t, stored(t, s, "a"), want[:i+50])
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}
