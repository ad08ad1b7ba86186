package history

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// bbolt remembers which transaction allocated each page it reuses from its
// freelist until the page is freed again, which a chunk's page never is:
// without trimFreelist that record grew with the file for as long as the
// station ran. Here it stays under its bound (lowered for the test) across
// hundreds of flushes that reuse pages, trimFreelist does drop entries
// (so the workload would have grown it), and the file is sound and holds
// every sample after it was trimmed many times.
func TestTheFreelistsRecordOfAllocationsStaysBounded(t *testing.T) {
	s, _ := openTest(t, Options{ChunkSamples: 64, ChunkBytes: 256, FlushInterval: time.Hour})
	s.allocsMax = 64 // before any write transaction but Open's
	if _, ok := freelistAllocs(s.db); !ok {
		t.Fatal("bbolt's freelist record of allocations is not where trimFreelist looks: check bbolt's internals (freelist.go)")
	}
	const tags, seconds = 200, 600
	value := func(i, k int) float64 { return float64(k) + math.Sin(float64(i*7+k)) }
	most := 0
	for i := range seconds {
		batch := make([]Sample, tags)
		for k := range batch {
			batch[k] = Sample{Tag: fmt.Sprintf("T%03d", k), Time: t0.Add(time.Duration(i) * time.Second), Value: value(i, k)}
		}
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		allocs, _ := freelistAllocs(s.db)
		most = max(most, allocs.Len())
	}
	dropped := s.allocsTrimmed
	t.Logf("record of allocations at most %d entries, %d dropped over %d flushes", most, dropped, seconds)
	if dropped == 0 {
		t.Fatal("nothing was trimmed: the workload did not grow the record past its bound, so this test shows nothing")
	}
	// After a trim a transaction adds its own allocations: a flush's few.
	if most > 4*s.allocsMax {
		t.Fatalf("the record of allocations reached %d entries, over its bound of %d", most, s.allocsMax)
	}
	s = reopen(t, s, Options{})
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{0, tags / 2, tags - 1} {
		got := stored(t, s, fmt.Sprintf("T%03d", k))
		if len(got) != seconds {
			t.Fatalf("T%03d: %d samples, want %d", k, len(got), seconds)
		}
		for i, x := range got {
			if x.V != value(i, k) {
				t.Fatalf("T%03d sample %d is %v, want %v", k, i, x.V, value(i, k))
			}
		}
	}
}
